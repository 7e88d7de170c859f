from odoo import _, fields, models

from .. import const
from ..exceptions import RETRY, SyncError
from .account_move_payment import WAIT, is_receivable


class QxsDailySummary(models.Model):
    """The deposit of a summary invoice (channels whose "Payments of summarized invoices" is
    "One deposit per day"): the cash received in Odoo for the invoices the summary carries, as
    one payment of the summary invoice (purpose ``summary_deposit``, sent by the adapters'
    ``push_payments`` / ``void_payments``), sent again when it changes. The payments
    themselves are skipped with the reason."""

    _inherit = "qxs.daily.summary"  # pylint: disable=consider-merging-classes-inherited

    payment_mode = fields.Selection(related="team_id.qxs_summary_payment_mode")
    deposit_amount = fields.Monetary(
        string="Deposit",
        compute="_compute_deposit",
        compute_sudo=True,
        help="The cash received in Odoo for the invoices of this summary, sent as one payment "
        "of the summary invoice when the channel sends one deposit per day.",
    )
    deposit_state = fields.Selection(
        const.SYNC_STATES + [("none", "Not queued")],
        string="Deposit status",
        compute="_compute_deposit",
        compute_sudo=True,
    )
    deposit_number = fields.Char(compute="_compute_deposit", compute_sudo=True)

    def _compute_deposit(self):
        for summary in self:
            rec = summary._deposit_record()
            summary.deposit_amount = summary._deposit_cash()
            summary.deposit_state = rec.state or "none"
            summary.deposit_number = summary._deposit_number()

    def _deposit_record(self):
        self.ensure_one()
        return self.env["qxs.sync.record"]._record_of(self.connection_id, self, "summary_deposit")

    def _deposit_wanted(self):
        self.ensure_one()
        return self.kind == "invoice" and self.team_id.qxs_summary_payment_mode == "deposit"

    def _deposit_number(self):
        """The summary's number with the deposit's prefix (QuickBooks' PaymentRefNum holds 21
        characters, as DocNumber)."""
        self.ensure_one()
        name = self.name or ""
        prefix = const.SUMMARY_NUMBER_PREFIXES[self.kind or "invoice"]
        if name.startswith(prefix):
            name = name[len(prefix) :]
        return f"{const.SUMMARY_DEPOSIT_PREFIX}{name}"[: const.QBO_PAYMENT_REF_MAX]

    def _deposit_payments(self):
        """[(payment entry, amount in the summary's currency)] of the cash received in Odoo for
        the invoices this summary carries (payments and bank statement lines; credit notes
        applied are no cash)."""
        self.ensure_one()
        out = []
        for move in self._carried_moves():
            for line in move.line_ids.filtered(is_receivable):
                for partial in line.matched_credit_ids:
                    entry = partial.credit_move_id.move_id
                    if entry.move_type == "entry" and entry.state == "posted":
                        out.append((entry, partial.debit_amount_currency))
        return out

    def _deposit_cash(self):
        self.ensure_one()
        if not self.currency_id:
            return 0.0
        return self.currency_id.round(sum(amount for _entry, amount in self._deposit_payments()))

    def _queue_deposit(self):
        """Queue each summary's deposit when its cash changed (or its summary was sent anew);
        a deposit whose cash is gone is removed remotely."""
        Record = self.env["qxs.sync.record"].sudo()
        for summary in self.sudo():
            if not summary._deposit_wanted():
                continue
            rec = summary._deposit_record()
            summary_rec = summary._sync_record()
            cash = summary._deposit_cash()
            if summary.currency_id.is_zero(cash) or not summary._carried_moves():
                if rec and (rec.remote_id or rec.state == "pending"):
                    rec._void_or_skip(on_cancel=False)
                continue
            sent = dict(rec.payment_values or {})
            unchanged = (
                rec.state == "synced"
                and rec.remote_id
                and sent.get("amount") == cash
                and sent.get("summary_remote_id") == summary_rec.remote_id
            )
            if not unchanged:
                Record._enqueue(summary.connection_id, summary, "summary_deposit", "push")

    def _deposit_values(self, connection, strict=True):
        """The deposit as the plain values of a payment (``_qxs_payment_values``' shape): one
        allocation, the summary invoice. With ``strict``, it waits for the summary to be sent."""
        self.ensure_one()
        summary_rec = self._sync_record()
        sent = summary_rec.remote_id and summary_rec.state == "synced"
        if strict and not sent:
            raise SyncError(
                _("Waits for the daily summary %s to be sent first.", self.name),
                kind=RETRY,
                code=WAIT,
            )
        payments = self._deposit_payments()
        cash = self._deposit_cash()
        entries = self.env["account.move"].union(*[entry for entry, _amount in payments])
        last = entries.sorted(lambda m: (m.date, m.id))[-1:]
        journal = last.journal_id
        deposit = (journal.qxs_deposit_account or "").strip()
        if strict and connection.provider == "xero" and not deposit:
            raise SyncError(
                _(
                    "Set the Xero account of journal %(j)s (its deposit account, Accounting "
                    "tab of the journal) so that the deposit of %(s)s can be sent.",
                    j=journal.display_name,
                    s=self.name,
                )
            )
        date = last.date or self.date
        moves = self._carried_moves()
        return {
            "kind": "payment",
            "number": self._deposit_number(),
            "date": date,
            "currency": self.currency_id.name,
            "rate": moves[:1] and moves[:1]._qxs_rate(self.currency_id, date),
            "amount": cash,
            "partner": self.team_id._qxs_summary_partner()._qxs_customer_values(self.currency_id),
            "deposit_account": deposit,
            "journal": journal.name or "",
            "allocations": [
                {
                    "kind": "invoice",
                    "remote_id": summary_rec.remote_id,
                    "number": self.name,
                    "amount": cash,
                    "move_id": 0,  # no Odoo document: the summary's
                }
            ]
            if sent and cash
            else [],
            "credit_note": None,
            "summary_remote_id": summary_rec.remote_id or False,
        }

    def _check_deposit_removed(self, record):
        """Before the summary is voided (or updated in Xero, which refuses to edit an invoice
        with a payment), its deposit is removed: queued for removal, the summary waits."""
        self.ensure_one()
        dep = self._deposit_record()
        if not dep.remote_id or dep.remote_status in ("voided", "deleted"):
            return
        if record.action == "push" and record.connection_id.provider != "xero":
            return  # QuickBooks updates an invoice with a payment linked
        if not (dep.state == "pending" and dep.action == "void"):
            dep._void_or_skip(on_cancel=False)
        raise SyncError(
            _("Waits for the deposit %s to be removed first.", self._deposit_number()),
            kind=RETRY,
            code=WAIT,
        )
