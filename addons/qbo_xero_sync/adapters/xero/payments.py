"""Xero payments: Odoo payments sent as Xero Payments, credit notes applied as allocations.

- a Xero Payment pays one invoice: an Odoo payment of several invoices is one Payment per
  invoice, created together (PUT /Payments, up to 50 in one call, ``summarize_errors=False``);
  the sync record keeps their ids, comma-separated;
- Xero payments cannot be edited: a changed payment is deleted (POST /Payments/{id} with
  Status DELETED) and created anew;
- before a create, the payments Xero already has with the same Reference (the Odoo number),
  invoice and amount are taken as they are: an answer lost never makes a second payment;
- a refund (cash paid back on credit notes) is a Payment on the credit note (Xero's refund of
  a credit note: ``CreditNote`` instead of ``Invoice``), sent, looked up and deleted the same
  way;
- a credit note applied is allocated to its invoices (what Xero lacks of Odoo's
  reconciliation; the allocation made when the credit note was sent counts).
"""

from xero_python.accounting import (
    Account,
    Allocation,
    Allocations,
    CreditNote,
    Invoice,
    Payment,
    PaymentDelete,
    Payments,
)
from xero_python.api_client.serializer import serialize

from ... import const
from ...exceptions import GONE, SyncError
from ..base import Outcome, Result
from ..i18n import _
from .client import element_errors, enum_value, quote
from .document_options import currency_rate

SEP = const.XERO_REMOTE_ID_SEP
# The kind of document each kind of payment unit pays in Xero.
PAID_KIND = {"payment": "invoice", "refund": "credit_note"}


def paid_document_id(payment):
    """The id of the invoice or credit note a Xero Payment pays (None: neither)."""
    if payment.invoice:
        return payment.invoice.invoice_id
    if payment.credit_note:
        return payment.credit_note.credit_note_id
    return None


def take_payment_of(payments, alloc):
    """The Xero Payment of ``payments`` that pays ``alloc`` (same invoice or credit note, same
    amount), removed from the list so that it is taken once; None when there is none."""
    match = next(
        (
            p
            for p in payments
            if paid_document_id(p) == alloc["remote_id"]
            and abs(float(p.amount or 0) - alloc["amount"]) < 0.005
        ),
        None,
    )
    if match is not None:
        payments.remove(match)
    return match


class XeroPaymentsMixin:
    """push_payments and void_payments."""

    def push_payments(self, jobs):
        outcome = Outcome()
        cash = []
        for job in jobs:
            if job.values["kind"] == "credit":
                outcome.results[job.key] = self._apply_credit(job)
            elif any(a["kind"] != PAID_KIND[job.values["kind"]] for a in job.values["allocations"]):
                outcome.results[job.key] = SyncError(
                    _(
                        "A Xero payment pays invoices only, and a refund credit notes only: "
                        "%s mixes both.",
                        job.values["number"],
                    )
                )
            else:
                cash.append(job)
        if cash:
            try:
                self._push_cash(cash, outcome)
            except SyncError as exc:
                for job in cash:
                    outcome.results.setdefault(job.key, exc)
        outcome.limits = self.limits
        return outcome

    def _push_cash(self, jobs, outcome):
        for job in jobs:
            error = self._delete_all(job, (job.remote_id or "").split(SEP))
            if error:
                outcome.results[job.key] = error
        jobs = [job for job in jobs if job.key not in outcome.results]
        stale = {rid for job in jobs for rid in (job.remote_id or "").split(SEP) if rid}
        maybe = [j.values["number"] for j in jobs if j.remote_id or j.maybe_sent]
        held = {rid for job in jobs for rid in job.others_ids}
        existing = self._payments_by_reference(maybe, stale | held)
        ids, todo = {}, []
        for job in jobs:
            have = existing.get(job.values["number"].lower(), [])
            for n, alloc in enumerate(job.values["allocations"]):
                match = take_payment_of(have, alloc)
                if match:
                    ids[(job.key, n)] = match.payment_id
                else:
                    todo.append((job, n, self._payment(job, alloc)))
            if job.maybe_sent and have:
                # Its earlier copies that pay what it no longer pays (changed in Odoo while
                # the answer was lost): removed, or Xero keeps cash that Odoo does not have.
                error = self._delete_all(job, [p.payment_id for p in have])
                if error:
                    outcome.results[job.key] = error
                have.clear()
        for start in range(0, len(todo), const.XERO_BATCH_SIZE):
            chunk = todo[start : start + const.XERO_BATCH_SIZE]
            for (job, n, _obj), answer in zip(chunk, self._send_payments(chunk), strict=True):
                if isinstance(answer, SyncError):
                    outcome.results.setdefault(job.key, answer)
                else:
                    ids[(job.key, n)] = answer
        self._adopt_refused(jobs, ids, outcome, stale)
        for job in jobs:
            if job.key in outcome.results:
                # All or nothing: the payments made for its other invoices are removed (else
                # Xero keeps cash that no record knows, taken back for the provider's own).
                made = [ids.get((job.key, n)) for n in range(len(job.values["allocations"]))]
                self._delete_all(job, [rid for rid in made if rid])
                continue
            remote = [ids[(job.key, n)] for n in range(len(job.values["allocations"]))]
            outcome.results[job.key] = Result(
                remote_id=SEP.join(str(rid) for rid in remote),
                remote_number=job.values["number"],
                remote_status="open",
            )

    def _adopt_refused(self, jobs, ids, outcome, stale):
        """A create refused may come after an attempt that Odoo lost entirely (a worker that
        died before its commit: nothing says it was tried, and the new request has another
        Idempotency-Key): Xero then refuses the second copy (more than the amount due). The
        payments found by Reference, invoice and amount are this one's."""
        refused = [j for j in jobs if isinstance(outcome.results.get(j.key), SyncError)]
        if not refused:
            return
        # stale: being deleted; others_ids: other records' payments
        taken = set(ids.values()) | stale | {rid for job in jobs for rid in job.others_ids}
        try:
            existing = self._payments_by_reference([j.values["number"] for j in refused], taken)
        except SyncError:
            return  # the refusal stands; retried later
        for job in refused:
            have = existing.get(job.values["number"].lower(), [])
            found = {}
            for n, alloc in enumerate(job.values["allocations"]):
                if (job.key, n) in ids:
                    continue
                match = take_payment_of(have, alloc)
                if match is None:
                    break
                found[(job.key, n)] = match.payment_id
            else:
                ids.update(found)
                del outcome.results[job.key]

    def _payment(self, job, alloc):
        values = job.values
        if alloc["kind"] == "credit_note":
            paid = {"credit_note": CreditNote(credit_note_id=alloc["remote_id"])}
        else:
            paid = {"invoice": Invoice(invoice_id=alloc["remote_id"])}
        return Payment(
            **paid,
            account=Account(code=values["deposit_account"]),
            amount=round(alloc["amount"], 2),
            date=values["date"],
            reference=values["number"][:255],
            # Xero's rate is units of the invoice's currency per unit of base currency.
            currency_rate=currency_rate(values.get("rate")),
        )

    def _send_payments(self, chunk):
        """[payment id | SyncError] of one PUT /Payments, in the chunk's order."""
        objs = [obj for _job, _n, obj in chunk]
        # The remote ids a job replaces are in the key: a payment deleted and created anew
        # (Xero payments cannot be edited) must not get the answer of its first create back.
        salt = [(job.key, job.generation, job.remote_id or "", n) for job, n, _obj in chunk]
        key = self.request_key(None, "payments", [[serialize(o) for o in objs], salt], 64)
        try:
            answer = self._call(
                "create_payments",
                Payments(payments=objs),
                summarize_errors=False,
                idempotency_key=key,
            )
        except SyncError as exc:
            return [exc] * len(chunk)
        out = []
        for element in answer.payments or []:
            if element.has_validation_errors or element.validation_errors:
                out.append(SyncError(_("Xero: %s", element_errors(element)), code=400))
            else:
                out.append(element.payment_id)
        return out + [SyncError(_("Xero gave no answer for this payment."))] * (
            len(chunk) - len(out)
        )

    def _payments_by_reference(self, numbers, exclude):
        """{number (lower case): [live Payment]} of Xero's payments referenced ``numbers``,
        but those of ``exclude`` (being deleted)."""
        if not numbers:
            return {}
        either = " OR ".join(f"Reference=={quote(n[:255])}" for n in sorted(set(numbers)))
        answer = self._call("get_payments", where=f'Status=="AUTHORISED" AND ({either})', page=1)
        found = {}
        for payment in answer.payments or []:
            if payment.payment_id in exclude or not paid_document_id(payment):
                continue
            found.setdefault((payment.reference or "").lower(), []).append(payment)
        return found

    def _delete_all(self, job, remote_ids):
        """Delete these payments (one call each: Xero deletes payments one by one); one already
        deleted is fine. A SyncError, or None."""
        for remote_id in [rid for rid in remote_ids if rid]:
            try:
                self._call(
                    "delete_payment",
                    remote_id,
                    PaymentDelete(status="DELETED"),
                    idempotency_key=self.request_key(job, "delete-payment", remote_id),
                )
            except SyncError as exc:
                if exc.kind == GONE or "deleted" in exc.message.lower():
                    continue
                return exc
        return None

    def void_payments(self, jobs):
        outcome = Outcome()
        for index, job in enumerate(jobs):
            if job.values and job.values.get("kind") == "credit":
                outcome.results[job.key] = SyncError(
                    _(
                        "Xero keeps the allocation of credit note %s: remove it in Xero (the "
                        "reconciliation was removed in Odoo).",
                        job.values["number"],
                    )
                )
                continue
            remote_ids = [rid for rid in (job.remote_id or "").split(SEP) if rid]
            if not remote_ids and job.values:
                found = self._payments_by_reference([job.values["number"]], job.others_ids)
                remote_ids = [p.payment_id for p in found.get(job.values["number"].lower(), [])]
            if not remote_ids:
                outcome.results[job.key] = SyncError(
                    _("This payment is not in Xero: it was never sent there."), kind=GONE
                )
                continue
            error = self._delete_all(job, remote_ids)
            outcome.results[job.key] = error or Result(
                remote_id=SEP.join(str(rid) for rid in remote_ids), remote_status="deleted"
            )
            if error and error.throttled:
                # One call per payment: the rest of the group waits too, without calling.
                outcome.results.update(dict.fromkeys([j.key for j in jobs[index + 1 :]], error))
                break
        outcome.limits = self.limits
        return outcome

    # ------------------------------------------------------------------ credits applied
    def _apply_credit(self, job):
        """Allocate the credit note to the invoices Odoo reconciled it with, for what Xero does
        not have yet (the allocation made when the credit note was sent counts)."""
        values = job.values
        note_id = values["credit_note"]["remote_id"]
        try:
            notes = self._call("get_credit_note", note_id).credit_notes or []
            have = {}
            for alloc in (notes[0].allocations or []) if notes else []:
                invoice_id = alloc.invoice.invoice_id if alloc.invoice else None
                have[invoice_id] = have.get(invoice_id, 0.0) + float(alloc.amount or 0.0)
            todo = [
                Allocation(
                    invoice=Invoice(invoice_id=a["remote_id"]),
                    amount=round(a["amount"] - have.get(a["remote_id"], 0.0), 2),
                    date=values["date"],
                )
                for a in values["allocations"]
                if a["amount"] - have.get(a["remote_id"], 0.0) > 0.005
            ]
            status = enum_value(notes[0].status) if notes else "DELETED"
            if todo and status != "AUTHORISED":
                # Nothing of it left to allocate there (allocated or refunded in Xero, or its
                # total there is below Odoo's): never "synced" without the allocation.
                return SyncError(
                    _(
                        "Xero cannot allocate credit note %(n)s to %(docs)s: it is %(s)s there, "
                        "with no credit left (its total or allocations in Xero differ from "
                        "Odoo's). Free the credit in Xero, or remove this reconciliation in "
                        "Odoo, then send it again.",
                        n=values["number"],
                        docs=", ".join(a["number"] for a in values["allocations"]),
                        s=status.lower(),
                    ),
                    code=400,
                )
            if todo:
                answer = self._call(
                    "create_credit_note_allocation",
                    note_id,
                    Allocations(allocations=todo),
                    summarize_errors=False,
                    idempotency_key=self.request_key(
                        job, "allocation", [note_id, [serialize(a) for a in todo]]
                    ),
                )
                # summarize_errors=False: a refused allocation is an element with its errors.
                refused = [a for a in answer.allocations or [] if a.validation_errors]
                if refused:
                    return SyncError(
                        _("Xero: %s", "; ".join(element_errors(a) for a in refused)), code=400
                    )
        except SyncError as exc:
            return exc
        return Result(remote_id=note_id, remote_number=values["number"], remote_status="open")
