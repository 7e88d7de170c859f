"""Invoices and credit notes to Xero: payloads, batches, look-ups, allocations, voids.

- batches are not transactional: always ``summarize_errors=False``, each element's own
  ValidationErrors land on its own document; writes carry an Idempotency-Key.
- tax is rounded per line to 2 decimals: each line carries Odoo's LineAmount and TaxAmount, so
  that Xero's total equals Odoo's.
"""

import dataclasses
import re

from xero_python.accounting import (
    Allocation,
    Allocations,
    Contact,
    CreditNote,
    CreditNotes,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
)
from xero_python.api_client.serializer import serialize

from ... import const
from ...exceptions import GONE, SyncError
from ..base import Outcome, Result
from ..i18n import _
from .client import element_errors
from .document_options import XeroDocumentOptionsMixin, currency_rate

# An element refused for one of these names an account or tax rate the kept copy may have
# wrongly (archived, deleted or changed in Xero since it was read).
REFERENCE_WORDS = re.compile(r"account|tax", re.I)
# kind -> (AccountingApi method that updates or creates many, body wrapper, answer attribute)
SEND = {
    "invoice": ("update_or_create_invoices", lambda objs: Invoices(invoices=objs), "invoices"),
    "credit_note": (
        "update_or_create_credit_notes",
        lambda objs: CreditNotes(credit_notes=objs),
        "credit_notes",
    ),
}


class XeroDocumentsMixin(XeroDocumentOptionsMixin):
    """push_documents and void_documents. A document whose remote id is unknown and that may
    have been sent (its answer may have been lost) is looked up by number first; a first send
    creates at once; what the look-up finds is reported in
    the job's Result, never written anywhere."""

    # ------------------------------------------------------------------ payloads
    @staticmethod
    def _amount_type(doc):
        """Tax-inclusive only when every taxed line is: mixed lines are sent net of tax."""
        taxed = [li for li in doc["lines"] if li["tax_codes"]]
        if not taxed:
            return LineAmountTypes.NOTAX
        if all(li["tax_included"] for li in taxed):
            return LineAmountTypes.INCLUSIVE
        return LineAmountTypes.EXCLUSIVE

    def _line_items(self, doc, amount_type):
        inclusive = amount_type == LineAmountTypes.INCLUSIVE
        items = []
        for line in doc["lines"]:
            # Odoo's own amounts: Xero's per-line rounding then gives Odoo's total.
            amount = round(line["price_total"] if inclusive else line["price_subtotal"], 2)
            description = line["description"][:4000] or line["product_name"] or "-"
            quantity, unit, discount = line["quantity"], line["price_unit"], line["discount"]
            if discount and doc["kind"] == "credit_note":
                # Xero takes no discount on credit notes: the discounted price is sent.
                rate = f"{discount:g}"
                description = _(
                    "%(description)s (discount %(rate)s%%)", description=description, rate=rate
                )[:4000]
                discount, unit = 0.0, None
            if line["tax_included"] and not inclusive:
                unit = None  # Odoo's price includes the tax, this document's amounts do not
            if unit is None:
                quantity, unit, discount = self._unit_for(quantity, amount, discount)
            items.append(
                LineItem(
                    description=description,
                    quantity=quantity,
                    unit_amount=unit,
                    discount_rate=discount or None,
                    account_code=line["revenue_code"],
                    tax_type=line["tax_codes"][0] if line["tax_codes"] else "NONE",
                    line_amount=amount,
                    tax_amount=round(line["price_total"] - line["price_subtotal"], 2),
                    tracking=self._line_tracking(line),
                )
            )
        return items

    @staticmethod
    def _unit_for(quantity, amount, discount):
        """(quantity, unit amount, discount) whose Xero line amount (Quantity × UnitAmount ×
        (1 - DiscountRate / 100), UnitAmount to 4 decimals) is ``amount``; one unit at
        ``amount`` when no 4-decimal unit price gives it."""
        factor = quantity * (1 - (discount or 0.0) / 100)
        unit = round(amount / factor, 4) if factor else 0.0
        if factor and round(factor * unit, 2) == amount:
            return quantity, unit, discount
        return 1.0, amount, 0.0

    @staticmethod
    def _currency(code):
        try:
            return CurrencyCode[code]
        except KeyError as exc:
            raise SyncError(_("Xero does not know the currency %s.", code)) from exc

    def _document(self, doc, remote_id, contact_id):
        amount_type = self._amount_type(doc)
        common = {
            "contact": Contact(contact_id=contact_id),
            "line_items": self._line_items(doc, amount_type),
            "date": doc["date"],
            "line_amount_types": amount_type,
            "reference": doc["reference"][:255] or None,
            "currency_code": self._currency(doc["currency"]),
            "currency_rate": currency_rate(doc.get("rate")),
            "status": "AUTHORISED",
        }
        if doc["kind"] == "invoice":
            return Invoice(
                type="ACCREC",
                invoice_id=remote_id or None,
                invoice_number=doc["number"],
                due_date=doc["due_date"],
                **common,
            )
        return CreditNote(
            type="ACCRECCREDIT",
            credit_note_id=remote_id or None,
            credit_note_number=doc["number"],
            **common,
        )

    # ------------------------------------------------------------------ push
    def push_documents(self, jobs):
        outcome = Outcome()
        ready = []
        for job in jobs:
            try:
                self._check_document(job.values)
                self._check_options(job.values)
                ready.append(job)
            except SyncError as exc:
                outcome.results[job.key] = exc
        if ready:
            try:
                self._push(ready, outcome)
            except SyncError as exc:  # a look-up failed: none of the rest was sent
                for job in ready:
                    outcome.results.setdefault(job.key, exc)
        outcome.limits = self.limits
        return outcome

    def _push(self, jobs, outcome):
        contacts = self._customers(jobs, outcome)
        remote_ids = {job.key: job.remote_id for job in jobs}
        self._link_existing(jobs, contacts, remote_ids, outcome.results)
        for kind in ("invoice", "credit_note"):
            ready = []
            for job in jobs:
                if job.kind != kind or job.key in outcome.results:
                    continue
                contact = contacts.get(job.values["partner"]["id"])
                if isinstance(contact, SyncError):
                    outcome.results[job.key] = contact
                    continue
                try:
                    ready.append((job, self._document(job.values, remote_ids[job.key], contact)))
                except SyncError as exc:
                    outcome.results[job.key] = exc
            for start in range(0, len(ready), const.XERO_BATCH_SIZE):
                chunk = ready[start : start + const.XERO_BATCH_SIZE]
                outcome.results.update(self._send_chunk(kind, chunk, remote_ids))
            self._after_duplicates(kind, ready, contacts, remote_ids, outcome.results)

    def _after_duplicates(self, kind, sent, contacts, remote_ids, results):
        """A first send refused because the number exists in Xero ("must be unique"): look
        it up now (it may exist after all): the same contact's document is linked and sent
        again as an update; another contact's is explained."""
        dups = [
            dataclasses.replace(job, maybe_sent=True)
            for job, _obj in sent
            if not remote_ids[job.key]
            and isinstance(results.get(job.key), SyncError)
            and "must be unique" in results[job.key].message.lower()
        ]
        if not dups:
            return
        found = {}
        try:
            self._link_existing(dups, contacts, remote_ids, found)
        except SyncError:
            return  # the refusal stays
        again = []
        for job in dups:
            if job.key in found:
                results[job.key] = found[job.key]
            elif remote_ids[job.key]:
                contact = contacts[job.values["partner"]["id"]]
                again.append((job, self._document(job.values, remote_ids[job.key], contact)))
        if again:
            results.update(self._send_chunk(kind, again, remote_ids))

    def _send_chunk(self, kind, chunk, remote_ids):
        """{job key: Result | SyncError} of one batch of documents of one kind."""
        objs = [obj for _job, obj in chunk]
        salt = [(job.key, job.generation, remote_ids[job.key] or "") for job, _obj in chunk]
        key = self.request_key(None, kind, [[serialize(o) for o in objs], salt], 64)
        method, wrapper, attr = SEND[kind]
        try:
            answer = self._call(
                method, wrapper(objs), summarize_errors=False, unitdp=4, idempotency_key=key
            )
            elements = getattr(answer, attr) or []
        except SyncError as exc:
            return {job.key: self._explain(exc, remote_ids[job.key]) for job, _obj in chunk}
        out = {}
        for (job, _obj), element in zip(chunk, elements):
            if element.has_errors or element.validation_errors:
                if REFERENCE_WORDS.search(element_errors(element)):
                    self._forget_references()  # an account or tax rate changed in Xero
                out[job.key] = self._explain(
                    SyncError(_("Xero: %s", element_errors(element)), code=400),
                    remote_ids[job.key],
                )
                continue
            state = self._state(element, kind)
            out[job.key] = Result(
                remote_id=state.remote_id,
                remote_number=state.remote_number,
                remote_total=state.total,
                remote_status=state.status,
                message=self._allocate(job, state.remote_id) if kind == "credit_note" else None,
            )
        return out

    @staticmethod
    def _explain(exc, remote_id):
        """Add what to do when Xero refuses to change a paid or voided document."""
        text = exc.message.lower()
        if remote_id and ("status" in text or "payment" in text or "allocated" in text):
            exc.message += " " + _(
                "Xero does not change an invoice that is paid, part-paid or voided. Remove the "
                "payment in Xero first, or leave this invoice as it is and correct it with a "
                "credit note."
            )
        return exc

    def _link_existing(self, jobs, contacts, remote_ids, results):
        """Before creating documents that may have been sent already (``job.maybe_sent``: tried
        before without a known answer), look them up by number: a write applied remotely but lost
        before Odoo committed is linked (same contact, same type: its id goes to
        ``remote_ids``), never created twice nor refused as a duplicate number; another
        contact's document with that number is an error for the user."""
        for kind in ("invoice", "credit_note"):
            todo = {
                job.values["number"].lower(): job
                for job in jobs
                if job.kind == kind
                and job.maybe_sent
                and not remote_ids[job.key]
                and job.key not in results
            }
            numbers = [job.values["number"] for job in todo.values()]
            for element in self._by_number(kind, numbers):
                state = self._state(element, kind)
                job = todo.get((state.remote_number or "").lower())
                contact = job and contacts.get(job.values["partner"]["id"])
                if not contact or isinstance(contact, SyncError) or state.status == "deleted":
                    continue
                if element.contact.contact_id == contact:
                    if state.status != "voided":  # voided: its number can't be used again
                        remote_ids[job.key] = state.remote_id
                    continue
                results[job.key] = SyncError(self._clash_message(kind, state, element))

    @staticmethod
    def _clash_message(kind, state, element):
        if kind == "invoice":
            return _(
                "Xero already has an invoice numbered %(number)s for another contact "
                "(%(contact)s). Rename or delete it in Xero, then post again.",
                number=state.remote_number,
                contact=element.contact.name,
            )
        return _(
            "Xero already has a credit note numbered %(number)s for another contact "
            "(%(contact)s). Rename or delete it in Xero, then post again.",
            number=state.remote_number,
            contact=element.contact.name,
        )

    def _allocate(self, job, credit_note_id):
        """Allocate the credit note to its invoice when Odoo reconciled them (the engine gives
        the amount and the invoice's remote id on this connection in ``values["origin"]``)."""
        doc = job.values
        origin = doc.get("origin")
        if not origin:
            return None
        amount = origin.get("amount") or 0.0
        if not amount or not origin.get("remote_id"):
            return None
        body = Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=origin["remote_id"]),
                    amount=round(amount, 2),
                    date=doc["date"],
                )
            ]
        )
        try:
            self._call(
                "create_credit_note_allocation",
                credit_note_id,
                body,
                summarize_errors=False,
                idempotency_key=self.request_key(job, "allocation", [credit_note_id, amount]),
            )
        except SyncError as exc:
            return _(
                "The allocation to %(inv)s failed: %(msg)s", inv=origin["number"], msg=exc.message
            )
        return _("Allocated %(amount)s to %(inv)s.", amount=amount, inv=origin["number"])

    # ------------------------------------------------------------------ void
    def void_documents(self, jobs):
        outcome = Outcome()
        unsent = [job for job in jobs if not job.remote_id]
        found = {}
        if unsent:
            try:
                found = self._find_unsent(unsent)
            except SyncError as exc:
                outcome.results.update(dict.fromkeys([job.key for job in unsent], exc))
        for job in jobs:
            if job.key not in outcome.results:
                outcome.results[job.key] = self._void(job, found)
        outcome.limits = self.limits
        return outcome

    def _void(self, job, found):
        """The Result (or SyncError) of voiding one document; ``found``: {job key:
        RemoteState} of the documents without remote id that Xero has."""
        remote_id = job.remote_id
        if not remote_id:
            state = found.get(job.key)
            if state is None:
                return SyncError(
                    _("%s is not in Xero: it was never sent.", job.values["number"]), kind=GONE
                )
            remote_id = state.remote_id
            if state.status == "voided":
                return Result(remote_id=remote_id, remote_status="voided")
        key = self.request_key(job, "void", remote_id)
        try:
            if job.kind == "credit_note":
                body = CreditNotes(
                    credit_notes=[CreditNote(credit_note_id=remote_id, status="VOIDED")]
                )
                self._call("update_credit_note", remote_id, body, idempotency_key=key)
            else:
                body = Invoices(invoices=[Invoice(invoice_id=remote_id, status="VOIDED")])
                self._call("update_invoice", remote_id, body, idempotency_key=key)
        except SyncError as exc:
            return self._explain(exc, remote_id)
        return Result(remote_id=remote_id, remote_status="voided")

    def _find_unsent(self, jobs):
        """{job key: RemoteState} of the jobs without remote id whose document Xero has (a
        send whose answer was lost): same number, same type, same contact."""
        found = {}
        for kind in ("invoice", "credit_note"):
            group = [job for job in jobs if job.kind == kind]
            if not group:
                continue
            contacts = self._known_contacts(group)
            for element in self._by_number(kind, [job.values["number"] for job in group]):
                state = self._state(element, kind)
                number = (state.remote_number or "").lower()
                for job in group:
                    if job.values["number"].lower() != number or state.status == "deleted":
                        continue
                    partner = job.values["partner"]
                    if partner["id"] in contacts:
                        same = element.contact.contact_id == contacts[partner["id"]]
                    else:  # created under the partner's name, then the answer was lost
                        name = (element.contact.name or "").strip().lower()
                        same = name == (partner.get("name") or "")[:255].strip().lower()
                    if same:
                        found[job.key] = state
        return found

    def _known_contacts(self, jobs):
        """{partner id: contact id} of the jobs' partners bound to a contact, or whose billing
        account is a contact's AccountNumber (never creates one)."""
        result = {job.values["partner"]["id"]: job.customer_id for job in jobs if job.customer_id}
        todo = {
            job.values["partner"]["id"]: {
                "billing_account": job.values["partner"].get("billing_account") or ""
            }
            for job in jobs
            if job.values["partner"]["id"] not in result
        }
        return result | self._find_customers(todo)
