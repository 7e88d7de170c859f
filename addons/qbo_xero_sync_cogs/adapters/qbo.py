"""QuickBooks journals of the cost of goods sold (JournalEntry), on top of the document adapter.

Journal jobs have ``kind`` "journal" and the values of a COGS record's ``_journal_values()``:
{"number", "date", "narration", "currency", "lines": [{"account_code", "role", "debit",
"credit", "description"}]}."""

from odoo.addons.qbo_xero_sync import const
from odoo.addons.qbo_xero_sync.adapters import Outcome, Result
from odoo.addons.qbo_xero_sync.adapters.i18n import _
from odoo.addons.qbo_xero_sync.adapters.qbo import QboAdapter
from odoo.addons.qbo_xero_sync.exceptions import GONE, SyncError

from .journal_checks import check_journal

JOURNAL = "JournalEntry"


class QboJournalAdapter(QboAdapter):
    """QuickBooks' adapter that also sends and deletes journal entries. Chosen by the COGS
    addon's connection hook (no ``code`` of its own: the registry keeps QboAdapter)."""

    def push_journals(self, jobs):
        """Create (or update) one journal entry per job: an Outcome of Result | SyncError."""
        outcome = Outcome()
        todo = []
        for job in jobs:
            if job.values and job.values.get("lines"):
                todo.append(job)
            else:
                outcome.results[job.key] = SyncError(_("This record has no journal."))
        accounts = self._accounts_by_code(
            line["account_code"] for job in todo for line in job.values["lines"]
        )
        # A journal sent while its answer was lost is found by its number and updated: a retry
        # with another narration or account (another request id) would send a second one.
        existing = self._journals_by_number([job for job in todo if not job.remote_id])
        for job in todo:
            outcome.results[job.key] = self._push_journal(job, accounts, existing)
        return outcome

    def _push_journal(self, job, accounts, existing):
        """Result | SyncError of one journal (``accounts``: {code: Account}, ``existing``:
        {DocNumber: JournalEntry} of journals Odoo may not know of)."""
        try:
            check_journal(
                self.code, job.values, {code: a.get("AccountType") for code, a in accounts.items()}
            )
        except SyncError as exc:
            return exc
        payload = self._journal_payload(job.values, accounts)
        found = not job.remote_id and existing.get(payload["DocNumber"])
        if job.remote_id:
            payload.update({"Id": job.remote_id, "SyncToken": job.sync_token or "0"})
        elif found:
            payload.update({"Id": found["Id"], "SyncToken": found["SyncToken"]})
        try:
            obj = self._write(JOURNAL, job, "journal", payload)[JOURNAL]
        except SyncError as exc:
            return exc
        return Result(
            remote_id=obj["Id"],
            remote_number=obj.get("DocNumber"),
            sync_token=obj.get("SyncToken"),
            remote_status="open",
            message=_("It was already in QuickBooks (an earlier answer was lost): updated.")
            if found
            else None,
        )

    @staticmethod
    def _journal_payload(vals, accounts):
        return {
            "DocNumber": vals["number"][: const.QBO_DOCNUMBER_MAX],
            "TxnDate": str(vals["date"]),
            "PrivateNote": vals["narration"][:4000],
            "CurrencyRef": {"value": vals["currency"]},
            "Line": [
                {
                    "Description": line["description"][:4000],
                    "Amount": round(line["debit"] or line["credit"], 2),
                    "DetailType": "JournalEntryLineDetail",
                    "JournalEntryLineDetail": {
                        "PostingType": "Debit" if line["debit"] else "Credit",
                        "AccountRef": {"value": accounts[line["account_code"]]["Id"]},
                    },
                }
                for line in vals["lines"]
            ],
        }

    def void_journals(self, jobs):
        """QuickBooks cannot void a journal entry through the API: it is deleted. A job without
        ``remote_id`` (a lost answer) is looked up by number first."""
        outcome = Outcome()
        found = self._journals_by_number([job for job in jobs if not job.remote_id])
        for job in jobs:
            number = ((job.values or {}).get("number") or "")[: const.QBO_DOCNUMBER_MAX]
            current = None if job.remote_id else found.get(number)
            remote_id = job.remote_id or (current or {}).get("Id")
            if not remote_id:
                outcome.results[job.key] = SyncError(
                    _("%(n)s is not in QuickBooks: it was never sent there.", n=number),
                    kind=GONE,
                )
                continue
            try:
                self._write_current(JOURNAL, job, remote_id, "delete", current=current)
            except SyncError as exc:
                outcome.results[job.key] = exc
                continue
            outcome.results[job.key] = Result(remote_id=remote_id, remote_status="deleted")
        return outcome

    def remote_url(self, kind, remote_id):
        if kind == "journal":
            return bool(remote_id) and self._app_url("journal", remote_id)
        return super().remote_url(kind, remote_id)

    # ------------------------------------------------------------------ look-ups
    def _journals_by_number(self, jobs):
        """{DocNumber: JournalEntry} of the jobs' numbers (the first of each number)."""
        numbers = [
            job.values["number"][: const.QBO_DOCNUMBER_MAX]
            for job in jobs
            if (job.values or {}).get("number")
        ]
        existing = {}
        for journal in self._query_in(JOURNAL, "DocNumber", numbers):
            existing.setdefault(journal.get("DocNumber"), journal)
        return existing

    def _accounts_by_code(self, codes):
        """{code: Account}: a code is a QuickBooks account number (AcctNum) or name."""
        codes = {c for c in codes if c}
        found = {a.get("AcctNum"): a for a in self._query_in("Account", "AcctNum", codes)}
        rest = codes - set(found)
        found.update({a["Name"]: a for a in self._query_in("Account", "Name", rest)})
        return found
