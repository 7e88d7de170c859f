"""Documents' states back from Xero: reads, polling, webhooks, and links to Xero's pages."""

from datetime import timedelta

from ... import const
from ...exceptions import GONE, SyncError
from ..base import Changes, Outcome, RemoteState
from .client import enum_value, quote

STATUS = {"PAID": "paid", "VOIDED": "voided", "DELETED": "deleted"}
# kind -> (Xero Type, list method, answer attribute, id attribute, number attribute)
XERO_KIND = {
    "invoice": ("ACCREC", "get_invoices", "invoices", "invoice_id", "invoice_number"),
    "credit_note": (
        "ACCRECCREDIT",
        "get_credit_notes",
        "credit_notes",
        "credit_note_id",
        "credit_note_number",
    ),
}
WEBHOOK_KIND = {"INVOICE": "invoice", "CREDITNOTE": "credit_note"}


class XeroStatusMixin:
    """RemoteStates of Xero's invoices and credit notes, whichever way the news comes."""

    @staticmethod
    def _state(element, kind):
        """The RemoteState of an Invoice or a CreditNote: cash received (or refunded) apart
        from credits allocated; "paid" only says that the document is closed."""
        _type, _method, _attr, id_attr, number_attr = XERO_KIND[kind]
        status = enum_value(element.status)
        if kind == "invoice":
            cash = float(element.amount_paid or 0.0)
            credited = float(element.amount_credited or 0.0)
        else:  # its Payments are refunds; its Allocations went to invoices
            cash = sum(float(p.amount or 0.0) for p in element.payments or [])
            credited = sum(float(a.amount or 0.0) for a in element.allocations or [])
        dates = [p.date for p in element.payments or [] if p.date]
        return RemoteState(
            remote_id=getattr(element, id_attr),
            kind=kind,
            status=STATUS.get(status) or ("partial" if cash or credited else "open"),
            amount_paid=round(cash, 2),
            amount_credited=round(credited, 2),
            total=float(element.total or 0.0),
            remote_number=getattr(element, number_attr),
            payment_date=max(dates) if dates else None,
            payment_ids=tuple(str(p.payment_id) for p in element.payments or [] if p.payment_id)
            if kind == "invoice" and element.payments is not None
            else None,
        )

    def _by_number(self, kind, numbers):
        """Xero's sales invoices (ACCREC) or credit notes (ACCRECCREDIT) numbered ``numbers``,
        in one call; bills may repeat a number and are left out."""
        doc_type, method, attr, _id, _number = XERO_KIND[kind]
        if not numbers:
            return []
        where = f"Type=={quote(doc_type)}"
        if kind == "invoice":
            return self._call(method, invoice_numbers=numbers, where=where, page=1).invoices or []
        either = " OR ".join(f"CreditNoteNumber=={quote(n)}" for n in numbers)
        return getattr(self._call(method, where=f"{where} AND ({either})", page=1), attr) or []

    # ------------------------------------------------------------------ reads
    def read_states(self, jobs):
        outcome = Outcome()
        invoices = [job for job in jobs if job.kind != "credit_note"]
        if invoices:
            try:
                outcome.results.update(self._read_invoices(invoices))
            except SyncError as exc:
                outcome.results.update(dict.fromkeys([job.key for job in invoices], exc))
        for job in jobs:
            if job.kind == "credit_note":
                outcome.results[job.key] = self._read_credit_note(job)
        outcome.limits = self.limits
        return outcome

    def _read_invoices(self, jobs):
        """{job key: RemoteState} of invoices, in one call; one Xero no longer lists is
        deleted."""
        answer = self._call("get_invoices", i_ds=[job.remote_id for job in jobs], page=1)
        found = {i.invoice_id: i for i in answer.invoices or []}
        return {
            job.key: self._state(found[job.remote_id], "invoice")
            if job.remote_id in found
            else RemoteState(remote_id=job.remote_id, status="deleted", kind="invoice")
            for job in jobs
        }

    def _read_credit_note(self, job):
        try:
            notes = self._call("get_credit_note", job.remote_id).credit_notes or []
        except SyncError as exc:
            if exc.kind != GONE:
                return exc
            notes = []
        if notes:
            return self._state(notes[0], "credit_note")
        return RemoteState(remote_id=job.remote_id, status="deleted", kind="credit_note")

    # ------------------------------------------------------------------ polling
    # False: the connection holds no credit note, so the poll reads invoices only (the engine
    # says so; an invoice a credit note was applied to in Xero changes, and is read, anyway).
    poll_credit_notes = True

    def fetch_changes(self, since):
        """GET Invoices (and CreditNotes) modified since the last poll, the largest page Xero
        gives (1,000): one request for up to 1,000 changed documents. The watermark is Xero's
        clock (the Date header of its first answer) less a minute of overlap: a state applied
        twice changes nothing."""
        states, clock = [], None
        for kind, (doc_type, method, attr, _id, _number) in XERO_KIND.items():
            if kind == "credit_note" and not self.poll_credit_notes:
                continue
            page = 1
            while True:
                answer = self._call(
                    method,
                    if_modified_since=since,
                    where=f"Type=={quote(doc_type)}",
                    page=page,
                    page_size=const.XERO_POLL_PAGE_SIZE,
                )
                clock = clock or self._xero_clock()
                elements = getattr(answer, attr) or []
                states += [self._state(e, kind) for e in elements]
                # The answer's pagination says when this was the last page (a full page
                # without it may have more).
                pages = getattr(getattr(answer, "pagination", None), "page_count", None)
                if len(elements) < const.XERO_POLL_PAGE_SIZE or (pages and page >= pages):
                    break
                page += 1
        return Changes(states=states, watermark=clock - timedelta(minutes=1), limits=self.limits)

    def remote_url(self, kind, remote_id):
        if not remote_id:
            return False
        if self.settings.environment == "custom":
            return f"{self.settings.custom_base_url.rstrip('/')}/app/invoice/{remote_id}"
        if kind == "credit_note":
            return const.XERO_APP_CREDIT_NOTE_URL % remote_id
        return const.XERO_APP_INVOICE_URL % remote_id

    # ------------------------------------------------------------------ webhooks
    signature_header = "x-xero-signature"

    def parse_webhook(self, payload):
        """{tenant id: {(kind, invoice or credit note id)}}; voids and deletes arrive as
        UPDATE."""
        out = {}
        for event in (payload or {}).get("events", []) if isinstance(payload, dict) else []:
            kind = WEBHOOK_KIND.get(event.get("eventCategory"))
            if kind:
                out.setdefault(event.get("tenantId"), set()).add((kind, event.get("resourceId")))
        return out
