"""Cost of goods sold journals to Xero: posted manual journals (xero-python).

A journal is looked up before one is created for a job without remote id (a write applied
but its answer lost): the narration starts with the journal's number, its look-up key."""

from xero_python.accounting import (
    LineAmountTypes,
    ManualJournal,
    ManualJournalLine,
    ManualJournals,
)
from xero_python.api_client.serializer import serialize

from odoo.addons.qbo_xero_sync.adapters import Outcome, Result
from odoo.addons.qbo_xero_sync.adapters.i18n import _
from odoo.addons.qbo_xero_sync.adapters.xero import XeroAdapter
from odoo.addons.qbo_xero_sync.adapters.xero.client import element_errors, enum_value, quote
from odoo.addons.qbo_xero_sync.exceptions import SyncError

from .journal_checks import check_journal


class XeroJournalAdapter(XeroAdapter):
    """The Xero adapter, plus journals (jobs of kind "journal", whose values are a COGS
    record's ``_journal_values()``). No ``code`` of its own: the connection's hook chooses
    it, never the registry."""

    def push_journals(self, jobs):
        """Create (or replace) one posted manual journal per job: an Outcome."""
        outcome = Outcome()
        try:
            self._push_journals(jobs, outcome.results)
        except SyncError as exc:  # the accounts could not be read: nothing was sent
            for job in jobs:
                outcome.results.setdefault(job.key, exc)
        outcome.limits = self.limits
        return outcome

    def _push_journals(self, jobs, results):
        types = {code: enum_value(a.type) for code, a in self._accounts().items()}
        ready = []
        for job in jobs:
            try:
                check_journal(self.code, job.values, types)
                ready.append(job)
            except SyncError as exc:
                results[job.key] = exc
        unsent = [job for job in ready if not job.remote_id]
        try:
            found = self._find_journals(unsent)
        except SyncError as exc:
            found = {}
            results.update(dict.fromkeys([job.key for job in unsent], exc))
        for job in ready:
            if job.key not in results:
                results[job.key] = self._send_journal(job, job.remote_id or found.get(job.key))

    def _send_journal(self, job, remote_id):
        """The Result (or SyncError) of sending one journal; ``remote_id`` is the journal it
        replaces (known, or found by the look-up), if any."""
        vals = job.values
        journal = ManualJournal(
            manual_journal_id=remote_id,
            narration=self._narration(vals)[:4000],
            date=vals["date"],
            status="POSTED",
            line_amount_types=LineAmountTypes.NOTAX,
            journal_lines=[
                ManualJournalLine(
                    line_amount=round((li["debit"] or 0.0) - (li["credit"] or 0.0), 2),
                    account_code=li["account_code"],
                    description=li["description"][:4000],
                    tax_type="NONE",
                )
                for li in vals["lines"]
            ],
        )
        try:
            answer = self._call(
                "update_or_create_manual_journals",
                ManualJournals(manual_journals=[journal]),
                summarize_errors=False,
                idempotency_key=self.request_key(job, "journal", serialize(journal), 64),
            )
        except SyncError as exc:
            return exc
        element = (answer.manual_journals or [None])[0]
        if element is None:
            return SyncError(_("Xero gave no answer."))
        if element.validation_errors:
            return SyncError(_("Xero: %s", element_errors(element)))
        return Result(
            remote_id=element.manual_journal_id,
            remote_number=vals["number"],
            remote_status="open",
        )

    @staticmethod
    def _narration(vals):
        """The narration starts with the journal's number: the key of its look-up."""
        return f"{vals['number']}: {vals['narration']}"

    def _find_journals(self, jobs):
        """{job key: ManualJournalID} of the live journals already sent for jobs without
        remote id (a write applied but its answer lost), found by their narration's start."""
        prefixes = {job.key: self._narration({**job.values, "narration": ""}) for job in jobs}
        if not prefixes:
            return {}
        where = " OR ".join(f"Narration.StartsWith({quote(p)})" for p in prefixes.values())
        journals = self._call("get_manual_journals", where=where, page=1).manual_journals or []
        return {
            key: j.manual_journal_id
            for key, prefix in prefixes.items()
            for j in journals
            if (j.narration or "").startswith(prefix)
            and enum_value(j.status) not in ("VOIDED", "DELETED")
        }

    def void_journals(self, jobs):
        """Void the jobs' remote journals: an Outcome."""
        outcome = Outcome()
        for job in jobs:
            journal = ManualJournal(
                manual_journal_id=job.remote_id, status="VOIDED", narration="void"
            )
            try:
                self._call(
                    "update_manual_journal",
                    job.remote_id,
                    ManualJournals(manual_journals=[journal]),
                    idempotency_key=self.request_key(job, "void", job.remote_id),
                )
                outcome.results[job.key] = Result(remote_status="voided")
            except SyncError as exc:
                outcome.results[job.key] = exc
        outcome.limits = self.limits
        return outcome
