"""QuickBooks refunds: cash paid back on credit notes sent as Refund Receipts.

- a refund is one RefundReceipt: for each credit note it refunds, the credit note's lines
  scaled by refund / credit note total (same items and tax codes), rounded so that the sums
  are exact (:func:`scaled_lines`); DepositToAccountRef is the journal's deposit account
  (QuickBooks requires it: "Refund From");
- the Credit Memo keeps only what was not refunded: the credit note's values carry the amount
  refunded and its payload scales its lines by the same rule (``reduced_lines``), sent through
  the document queue;
- sent in the payments' batches (create, update in place), deleted on void; a create whose
  answer was lost is found by DocNumber and customer before a create.
"""

from ... import const
from ...exceptions import GONE, SyncError
from ..base import Result
from ..i18n import _
from .client import quote


def scaled_lines(lines, factor):
    """Copies of document ``lines`` whose amounts (net and gross) are multiplied by
    ``factor`` and rounded to the cent, the rounding difference put on the largest line so
    that each sum is exactly the rounded scaled sum."""
    out = [dict(line) for line in lines]
    for key in ("price_subtotal", "price_total"):
        target = round(sum(line[key] for line in lines) * factor, 2)
        amounts = [round(line[key] * factor, 2) for line in lines]
        if amounts:
            largest = max(range(len(amounts)), key=lambda i: abs(amounts[i]))
            amounts[largest] = round(amounts[largest] + target - sum(amounts), 2)
        for line, amount in zip(out, amounts, strict=True):
            line[key] = amount
    return out


def reduced_lines(doc):
    """The lines QuickBooks keeps of a document: a credit note's minus what was refunded."""
    refunded = doc.get("refunded") or 0.0
    if doc.get("kind") != "credit_note" or not refunded or not doc.get("amount_total"):
        return doc["lines"]
    return scaled_lines(
        doc["lines"], max(doc["amount_total"] - refunded, 0.0) / doc["amount_total"]
    )


class QboRefundsMixin:
    """_push_refunds and _void_refunds (called by push_payments and void_payments)."""

    def _refund_payload(self, job, customer_id, items, deposit_id):
        values = job.values
        lines, notes = [], []
        for alloc in values["allocations"]:
            doc = alloc["document"]
            total = doc["amount_total"]
            lines += scaled_lines(doc["lines"], alloc["amount"] / total if total else 0.0)
            notes.append(alloc["number"])
        receipt = {
            "kind": "refund",
            "number": values["number"],
            "date": values["date"],
            "currency": values["currency"],
            "lines": lines,
            "memo": "",
            "reference": "",
        }
        payload = self._document_payload(receipt, customer_id, items)
        payload["PrivateNote"] = _(
            "Odoo %(refund)s, refund of %(notes)s", refund=values["number"], notes=", ".join(notes)
        )
        payload["DepositToAccountRef"] = {"value": deposit_id}
        if values.get("rate"):
            payload["ExchangeRate"] = values["rate"]
        return payload

    def _find_refunds(self, jobs, customers):
        """{job key: (Id, SyncToken)} of RefundReceipts QuickBooks already has for jobs tried
        before without a known answer (same DocNumber and customer)."""
        todo = {}
        for job in jobs:
            if not job.remote_id and job.values.get("maybe_sent"):
                todo.setdefault(job.values["number"][: const.QBO_DOCNUMBER_MAX], []).append(job)
        if not todo:
            return {}
        refs = ", ".join(quote(ref) for ref in sorted(todo))
        answer = self._query(f"SELECT * FROM RefundReceipt WHERE DocNumber IN ({refs})")
        found = {}
        for obj in answer.get("RefundReceipt", []):
            for job in todo.get(obj.get("DocNumber"), []):
                customer = customers.get(job.values["partner"]["id"])
                if obj.get("CustomerRef", {}).get("value") == customer and job.key not in found:
                    found[job.key] = (obj["Id"], obj.get("SyncToken"))
        return found

    def _refund_ops(self, jobs, customers, deposits, outcome):
        """[(job, "RefundReceipt", payload)] of the refunds to create or update; the refused
        ones get their SyncError in ``outcome``."""
        items = self._items(
            (
                line["revenue_code"]
                for job in jobs
                for alloc in job.values["allocations"]
                for line in alloc["document"]["lines"]
            ),
            outcome,
        )
        found = self._find_refunds(jobs, customers)
        ops = []
        for job in jobs:
            try:
                customer = customers.get(job.values["partner"]["id"])
                deposit = deposits.get(job.values.get("deposit_account"))
                for error in (customer, deposit):
                    if isinstance(error, SyncError):
                        raise error
                for alloc in job.values["allocations"]:
                    for line in alloc["document"]["lines"]:
                        if isinstance(items[line["revenue_code"]], SyncError):
                            raise items[line["revenue_code"]]
                payload = self._refund_payload(job, customer, items, deposit)
            except SyncError as exc:
                outcome.results[job.key] = exc
                continue
            remote = found.get(job.key) or (job.remote_id and (job.remote_id, job.sync_token))
            if remote:
                payload.update({"Id": remote[0], "SyncToken": remote[1] or "0"})
            ops.append((job, "RefundReceipt", payload))
        return ops

    @staticmethod
    def _refund_result(obj):
        return Result(
            remote_id=obj["Id"],
            remote_number=obj.get("DocNumber"),
            sync_token=obj.get("SyncToken"),
            remote_status="open",
        )

    @staticmethod
    def _not_sent_refund():
        return SyncError(_("This refund is not in QuickBooks: it was never sent there."), kind=GONE)
