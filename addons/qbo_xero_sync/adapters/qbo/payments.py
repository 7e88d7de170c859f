"""QuickBooks payments: Odoo payments (and credit notes applied) sent as Payment objects.

- a payment is one Payment: a Line per document it pays (LinkedTxn Invoice), TotalAmt the cash,
  DepositToAccountRef the journal's account (none: QuickBooks' Undeposited Funds);
- a credit note applied is a Payment of TotalAmt 0 linking the invoices and the credit memo, as
  QuickBooks itself records it;
- sent in batches of 30 (one request), updated in place (same Id), removed with a delete;
- a refund (cash paid back on credit notes) is a RefundReceipt (``refunds.py``), in the same
  batches;
- a Payment tried before whose answer was lost is found by PaymentRefNum, customer and amount
  before a create, so that it is never created twice (a first try creates at once: one call
  per 30 payments).
"""

from ... import const
from ...exceptions import GONE, SyncError
from ..base import Outcome, Result
from ..i18n import _
from .client import quote
from .refunds import QboRefundsMixin

TXN_TYPE = {"invoice": "Invoice", "credit_note": "CreditMemo"}


class QboPaymentsMixin(QboRefundsMixin):
    """push_payments and void_payments."""

    def _payment_payload(self, job, customer_id, deposit_ids):
        values = job.values
        lines = [
            {
                "Amount": round(alloc["amount"], 2),
                "LinkedTxn": [{"TxnId": alloc["remote_id"], "TxnType": TXN_TYPE[alloc["kind"]]}],
            }
            for alloc in values["allocations"]
        ]
        total = values["amount"]
        if values["kind"] == "credit":
            applied = round(sum(alloc["amount"] for alloc in values["allocations"]), 2)
            lines.append(
                {
                    "Amount": applied,
                    "LinkedTxn": [
                        {"TxnId": values["credit_note"]["remote_id"], "TxnType": "CreditMemo"}
                    ],
                }
            )
            total = 0.0
        payload = {
            "CustomerRef": {"value": customer_id},
            "TxnDate": str(values["date"]),
            "CurrencyRef": {"value": values["currency"]},
            "TotalAmt": round(total, 2),
            "PaymentRefNum": values["number"][: const.QBO_PAYMENT_REF_MAX],
            "PrivateNote": _("Odoo %s", values["number"]),
            "Line": lines,
        }
        if values.get("rate"):
            payload["ExchangeRate"] = values["rate"]
        deposit = values.get("deposit_account")
        if deposit and values["kind"] in const.CASH_PAYMENT_KINDS:
            payload["DepositToAccountRef"] = {"value": deposit_ids[deposit]}
        return payload

    def _deposit_accounts(self, jobs):
        """{account name: Id} of the deposit accounts the jobs name (one query); a missing one
        is a SyncError naming it."""
        names = {
            job.values.get("deposit_account")
            for job in jobs
            if job.values.get("deposit_account") and job.values["kind"] in const.CASH_PAYMENT_KINDS
        }
        found = {a["Name"]: a["Id"] for a in self._query_in("Account", "Name", names)}
        return {
            name: found.get(name)
            or SyncError(
                _(
                    "QuickBooks has no account named “%s”: fix the deposit account of the "
                    "journal.",
                    name,
                )
            )
            for name in names
        }

    def _find_payments(self, jobs, customers, always=False):
        """{job key: (Id, SyncToken)} of Payments QuickBooks already has for jobs without remote
        id: a create whose answer was lost. A job tried before takes the Payment of its
        PaymentRefNum and customer, whatever it pays now (its earlier copy: updated in place, or
        deleted); with ``always`` (a create refused, nothing says it was tried), the TotalAmt
        must be the same too."""
        todo = {}
        for job in jobs:
            if not job.remote_id and (always or job.maybe_sent):
                todo.setdefault(job.values["number"][: const.QBO_PAYMENT_REF_MAX], []).append(job)
        if not todo:
            return {}
        found = {}
        refs = ", ".join(quote(ref) for ref in sorted(todo))
        answer = self._query(f"SELECT * FROM Payment WHERE PaymentRefNum IN ({refs})")
        for obj in answer.get("Payment", []):
            for job in todo.get(obj.get("PaymentRefNum"), []):
                customer = customers.get(job.values["partner"]["id"])
                total = 0.0 if job.values["kind"] == "credit" else job.values["amount"]
                same_amount = abs(float(obj.get("TotalAmt") or 0.0) - total) < 0.005
                if (
                    obj.get("CustomerRef", {}).get("value") == customer
                    and (same_amount or not always)
                    and job.key not in found
                    and obj["Id"] not in job.others_ids
                    and obj["Id"] not in {remote[0] for remote in found.values()}
                ):
                    found[job.key] = (obj["Id"], obj.get("SyncToken"))
        return found

    def push_payments(self, jobs):
        outcome = Outcome()
        refunds = [job for job in jobs if job.values["kind"] == "refund"]
        payments = [job for job in jobs if job.values["kind"] != "refund"]
        try:
            customers = self._customers(jobs, outcome)
            deposits = self._deposit_accounts(jobs)
            found = self._find_payments(payments, customers)
            ops = self._refund_ops(refunds, customers, deposits, outcome) if refunds else []
        except SyncError as exc:
            outcome.results.update(dict.fromkeys([job.key for job in jobs], exc))
            return outcome
        for job in payments:
            customer = customers.get(job.values["partner"]["id"])
            deposit = job.values.get("deposit_account")
            if isinstance(customer, SyncError):
                outcome.results[job.key] = customer
                continue
            if deposit and isinstance(deposits.get(deposit), SyncError):
                outcome.results[job.key] = deposits[deposit]
                continue
            payload = self._payment_payload(job, customer, deposits)
            remote = found.get(job.key) or (job.remote_id and (job.remote_id, job.sync_token))
            if remote:
                # Update in place: the whole object (its lines replace the old ones).
                payload.update({"Id": remote[0], "SyncToken": remote[1] or "0"})
            ops.append((job, "Payment", payload))
        for start in range(0, len(ops), const.QBO_BATCH_SIZE):
            chunk = ops[start : start + const.QBO_BATCH_SIZE]
            self._send_payments(chunk, outcome)
        self._adopt_refused(ops, customers, outcome)
        return outcome

    def _adopt_refused(self, ops, customers, outcome):
        """A create refused may come after an attempt that Odoo lost entirely (a worker that
        died before its commit: nothing says it was tried, and another batch has another
        request id): QuickBooks then refuses the second copy (more than the invoice's
        balance). The Payment found by number, customer and amount is this one."""
        refused = [
            job
            for job, entity, payload in ops
            if entity == "Payment"
            and not payload.get("Id")
            and isinstance(outcome.results.get(job.key), SyncError)
        ]
        if not refused:
            return
        try:
            found = self._find_payments(refused, customers, always=True)
        except SyncError:
            return  # the refusal stands; retried later
        for job in refused:
            if job.key in found:
                remote_id, token = found[job.key]
                outcome.results[job.key] = Result(
                    remote_id=remote_id,
                    remote_number=job.values["number"][: const.QBO_PAYMENT_REF_MAX],
                    sync_token=token,
                    remote_status="open",
                )

    def _batch_entities(self, chunk, label, operation=None):
        """Send [(job, entity: Payment or RefundReceipt, body)] as one batch: ``operation``
        "delete", or create / update by whether the body has an Id. An item refused for a stale
        SyncToken (5010) is read again and written once more. Returns {job key: the answer
        ({entity: object}) | SyncError | None when QuickBooks did not answer it}."""

        def operation_of(body):
            return operation or ("update" if body.get("Id") else "create")

        batch = [
            {"bId": str(job.key), "operation": operation_of(body), entity: body}
            for job, entity, body in chunk
        ]
        salt = ",".join(f"{job.key}:{job.generation}" for job, _e, _b in chunk)
        answers = self._batch(batch, label, salt)
        out = {}
        for job, entity, body in chunk:
            answer = answers.get(str(job.key))
            if isinstance(answer, SyncError) and answer.code == 5010:
                op = operation_of(body)
                try:
                    changes = body if op == "update" else None
                    answer = {entity: self._write_current(entity, job, body["Id"], op, changes)[1]}
                except SyncError as exc:
                    answer = exc
            out[job.key] = answer
        return out

    def _send_payments(self, chunk, outcome):
        """One batch of [(job, entity: Payment or RefundReceipt, payload)]."""
        answers = self._batch_entities(chunk, "payments")
        for job, entity, _payload in chunk:
            answer = answers[job.key]
            if isinstance(answer, SyncError) or answer is None:
                outcome.results[job.key] = answer or SyncError(
                    _("QuickBooks gave no answer for this payment.")
                )
                continue
            obj = answer[entity]
            if entity == "RefundReceipt":
                outcome.results[job.key] = self._refund_result(obj)
                continue
            outcome.results[job.key] = Result(
                remote_id=obj["Id"],
                remote_number=obj.get("PaymentRefNum"),
                sync_token=obj.get("SyncToken"),
                remote_status="open",
            )

    # ------------------------------------------------------------------ void
    def void_payments(self, jobs):
        """Delete the Payments (QuickBooks deletes payments; a voided one would stay listed
        with a zero amount): one batch, with the SyncTokens known, re-read when stale."""
        outcome = Outcome()
        unsent = [job for job in jobs if not job.remote_id and job.values]
        found = {}
        if unsent:
            # Never creates a customer: only the bound one can have the payment.
            customers = {job.values["partner"]["id"]: job.customer_id for job in unsent}
            refunds = [job for job in unsent if job.values.get("kind") == "refund"]
            try:
                found = self._find_payments(
                    [job for job in unsent if job not in refunds], customers
                )
                found.update(self._find_refunds(refunds, customers))
            except SyncError as exc:
                outcome.results.update(dict.fromkeys([job.key for job in unsent], exc))
        ops = []
        for job in jobs:
            if job.key in outcome.results:
                continue
            refund = (job.values or {}).get("kind") == "refund"
            remote = (job.remote_id and (job.remote_id, job.sync_token)) or found.get(job.key)
            if not remote:
                outcome.results[job.key] = (
                    self._not_sent_refund()
                    if refund
                    else SyncError(
                        _("This payment is not in QuickBooks: it was never sent there."),
                        kind=GONE,
                    )
                )
                continue
            entity = "RefundReceipt" if refund else "Payment"
            ops.append((job, entity, {"Id": remote[0], "SyncToken": remote[1] or "0"}))
        for start in range(0, len(ops), const.QBO_BATCH_SIZE):
            chunk = ops[start : start + const.QBO_BATCH_SIZE]
            answers = self._batch_entities(chunk, "payment-deletes", "delete")
            for job, _entity, body in chunk:
                answer = answers[job.key]
                if isinstance(answer, SyncError):
                    outcome.results[job.key] = answer
                    continue
                outcome.results[job.key] = Result(remote_id=body["Id"], remote_status="deleted")
        return outcome
