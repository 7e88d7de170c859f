from odoo import _, models

from .. import const
from ..exceptions import SyncError


class AccountMove(models.Model):
    """Refunds: cash paid out to a customer (an outbound payment's entry, or a bank statement
    line paying out) reconciled with credit notes. They travel as payment units (purpose
    "payment", kind "refund", the same queue and values); QuickBooks also gets its Credit Memo
    reduced to what was not refunded, through the document queue."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ the rules
    def _qxs_refund_excess(self):
        """Cash this refund pays out beyond what it refunds on its credit notes (what Odoo
        reconciled: never more than was open on them); 0.0 for a refund within its credit."""
        self.ensure_one()
        if self._qxs_payment_kind() != "refund" or self.state != "posted":
            return 0.0
        lines = self.line_ids.filtered(lambda ln: ln.account_id.account_type == "asset_receivable")
        currency = lines[:1].currency_id or self.currency_id
        cash = sum(lines.mapped("amount_currency"))
        refunded = sum(amount for _doc, amount in self._qxs_allocated_documents())
        excess = currency.round(cash - refunded)
        return excess if currency.compare_amounts(excess, 0.0) > 0 else 0.0

    def _qxs_refund_error(self, connection):
        """The user error that keeps this refund from being sent (larger than its credit
        notes, or no account to pay it from), checked before any call; None when it is fine.
        A refund refused takes nothing off its credit notes either."""
        if not (self.journal_id.qxs_deposit_account or "").strip():
            return SyncError(
                _(
                    "Set the %(provider)s account of journal %(journal)s (its deposit "
                    "account, Accounting tab of the journal) so that its refunds can be "
                    "sent: %(provider)s needs the account the refund is paid from.",
                    provider=dict(const.PROVIDERS)[connection.provider],
                    journal=self.journal_id.display_name,
                )
            )
        excess = self._qxs_refund_excess()
        if not excess:
            return None
        notes = [doc for doc, _amount in self._qxs_allocated_documents()]
        currency = notes[0].currency_id if notes else self.currency_id
        return SyncError(
            _(
                "Refund %(refund)s pays out %(excess)s more than is open on credit note "
                "%(notes)s: nothing was sent. Refund at most what is left of the credit note "
                "(reduce the refund, or reconcile it with another credit note too).",
                refund=self.name,
                excess=currency.format(excess),
                notes=", ".join(n.name for n in notes),
            )
        )

    def _qxs_refunded_amount(self, connection):
        """What refunds sent (or to be sent) to ``connection`` refund of this credit note: the
        amounts Odoo reconciled with refund units that pass the checks and are not skipped."""
        self.ensure_one()
        if self.move_type != "out_refund":
            return 0.0
        total = 0.0
        receivable = self.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        for partial in receivable.matched_debit_ids:
            unit = partial.debit_move_id.move_id
            if (
                unit == self
                or unit.state != "posted"
                or unit.qxs_origin_connection_id
                or unit._qxs_payment_kind() != "refund"
                or unit._qxs_refund_error(connection)
                or unit._qxs_payment_skip_reason(connection, "refund", self)
            ):
                continue
            total += partial.credit_amount_currency
        return self.currency_id.round(total)

    def _qxs_expected_remote_total(self, connection):
        """The total the provider should hold for this document: QuickBooks keeps only what
        was not refunded of a credit memo (the Refund Receipt carries the rest)."""
        self.ensure_one()
        if self.move_type == "out_refund" and connection.provider in const.REFUND_REDUCES_CREDIT:
            return self.amount_total - self._qxs_refunded_amount(connection)
        return self.amount_total

    # ------------------------------------------------------------------ hooks
    def _qxs_document_values(self, connection, strict=True):
        values = super()._qxs_document_values(connection, strict=strict)
        if self.move_type == "out_refund":
            values["refunded"] = self._qxs_refunded_amount(connection)
        return values

    def _qxs_payment_values(self, connection, strict=True):
        if strict and self._qxs_payment_kind() == "refund":
            error = self._qxs_refund_error(connection)
            if error:
                raise error
        values = super()._qxs_payment_values(connection, strict=strict)
        if values["kind"] == "refund":
            for alloc in values["allocations"]:
                note = self.browse(alloc["move_id"])
                doc = note._qxs_document_values(connection, strict=False)
                alloc["document"] = {
                    key: doc[key]
                    for key in ("lines", "amount_total", "currency", "memo", "reference")
                }
        return values

    def _qxs_enqueue_payments(self):
        super()._qxs_enqueue_payments()
        if self.env.context.get("qxs_from_remote"):
            return
        # A change of reconciliation names both sides: the credit notes refunded are here.
        for note in self.filtered(lambda m: m.move_type == "out_refund" and m.state == "posted"):
            note._qxs_resend_reduced_credit()

    def _qxs_resend_reduced_credit(self):
        """Send the credit note again when the total its provider should hold (the refunds
        taken off) is not the one it has."""
        self.ensure_one()
        connection = self.env["qxs.connection"].sudo()._for_company(self.company_id)
        if not connection or connection.provider not in const.REFUND_REDUCES_CREDIT:
            return
        rec = self._qxs_document_record()
        if (
            rec.connection_id != connection
            or not rec.remote_id
            or rec.state not in ("synced", "error", "pending")
            or rec.remote_status in ("voided", "deleted")
            or (rec.state == "pending" and rec.action == "push")
        ):
            return
        expected = self._qxs_expected_remote_total(connection)
        if self.currency_id.compare_amounts(expected, rec.remote_total) != 0:
            self.env["qxs.sync.record"]._enqueue(connection, self, "document", "push")
