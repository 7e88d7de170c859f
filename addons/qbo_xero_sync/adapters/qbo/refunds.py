"""QuickBooks refunds: cash paid back on credit notes sent as Refund Receipts.

- a refund is one RefundReceipt: for each credit note it refunds, the credit note's lines
  scaled by refund / credit note total (same items and tax codes), rounded so that the sums
  are exact (:func:`scaled_lines`); DepositToAccountRef is the journal's deposit account
  (QuickBooks requires it: "Refund From");
- the Credit Memo keeps only what was not refunded: the credit note's values carry the amount
  refunded and its payload scales its lines by the same rule (``reduced_lines``), sent through
  the document queue;
- a Credit Memo whose QuickBooks user applied more of it to invoices there than the refunds
  leave it is refused by QuickBooks (6000, its total below what is applied): the error says
  so and what to do (``_memo_applied_error``), never a bare business error;
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
        number, note_numbers = values["number"], ", ".join(notes)
        payload["PrivateNote"] = _(
            "Odoo %(refund)s, refund of %(notes)s", refund=number, notes=note_numbers
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
            if not job.remote_id and job.maybe_sent:
                todo.setdefault(job.values["number"][: const.QBO_DOCNUMBER_MAX], []).append(job)
        if not todo:
            return {}
        refs = ", ".join(quote(ref) for ref in sorted(todo))
        answer = self._query(f"SELECT * FROM RefundReceipt WHERE DocNumber IN ({refs})")
        found = {}
        for obj in answer.get("RefundReceipt", []):
            for job in todo.get(obj.get("DocNumber"), []):
                customer = customers.get(job.values["partner"]["id"])
                if (
                    obj.get("CustomerRef", {}).get("value") == customer
                    and job.key not in found
                    and obj["Id"] not in job.others_ids
                ):
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

    def _memo_applied_error(self, job, payload, answer):
        """``answer`` of a Credit Memo update, explained when QuickBooks refused to reduce it
        (6000) below the credit its user applied to invoices there: the refunds cannot be
        taken off it without crediting the customer twice."""
        values = job.values or {}
        if not (
            isinstance(answer, SyncError)
            and answer.code == 6000
            and job.kind == "credit_note"
            and values.get("refunded")
            and payload.get("Id")
        ):
            return answer
        try:
            current = self._get(f"creditmemo/{payload['Id']}")["CreditMemo"]
        except SyncError:
            return answer
        applied = self._status(current)[1]
        kept = round(max(values["amount_total"] - values["refunded"], 0.0), 2)
        if applied <= kept:
            return answer
        # Plain names in the message's arguments: the translation extractor reads them.
        number = values.get("number") or job.remote_number
        amounts = {
            "refunded": f"{values['refunded']:.2f}",
            "applied": f"{applied:.2f}",
            "kept": f"{kept:.2f}",
            "total": f"{float(current.get('TotalAmt') or 0.0):.2f}",
            "most": f"{max(values['amount_total'] - applied, 0.0):.2f}",
        }
        currency = values.get("currency") or ""
        return SyncError(
            _(
                "Credit note %(note)s is refunded for %(refunded)s %(cur)s in Odoo, but "
                "%(applied)s %(cur)s of its Credit Memo is already applied to invoices in "
                "QuickBooks: QuickBooks refuses to reduce the memo to %(kept)s below what is "
                "applied, so it still holds %(total)s and the customer would be credited "
                "twice. Remove the credit applied in QuickBooks (the customer's payment "
                "linking the memo to an invoice) or reduce the refund in Odoo to at most "
                "%(most)s %(cur)s, then retry.",
                note=number,
                cur=currency,
                **amounts,
            ),
            code=answer.code,
        )

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
