"""Helpers of the payment tests (both providers): payments registered the way users do."""

from odoo import Command
from odoo.tests import new_test_user


class PaymentsMixin:
    """Mixed into a QxsCase: register, unreconcile and cancel payments as users do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank = cls.company_data["default_journal_bank"]
        cls.billing_user = new_test_user(
            cls.env,
            login=f"qxs_pay_billing_{cls.provider}_{cls.__name__.lower()}",
            groups="account.group_account_invoice",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )

    def pay(self, invoices, amount=None, user=None, journal=None, date=None, group=True):
        """Odoo's "Register payment" on ``invoices`` (by ``user``); returns the payments."""
        env = self.env(user=user) if user else self.env
        vals = {"journal_id": (journal or self.bank).id, "group_payment": group}
        if amount is not None:
            vals["amount"] = amount
            vals["payment_difference_handling"] = "open"
        if date:
            vals["payment_date"] = date
        wizard = (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(vals)
        )
        return wizard._create_payments()

    @staticmethod
    def unreconcile(payment):
        payment.move_id.line_ids.filtered("reconciled").remove_move_reconcile()

    @staticmethod
    def cancel(payment):
        payment.action_draft()
        payment.action_cancel()

    @staticmethod
    def reconcile(payment, invoice):
        """Reconcile a posted payment with an open invoice (the "Add" of outstanding credits)."""
        line = payment.move_id.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable" and not ln.reconciled
        )
        invoice.js_assign_outstanding_line(line.id)

    def sync_with_payment_answers_lost(self):
        """Run the cron with every answer of the payments' writes lost (the client's own
        retries included), and the look-ups that would find what was written refused
        (``payment_write`` / ``payment_lookup``: the test class's payment requests)."""
        faults = [
            self.emulator.add_fault("drop_after_write", count=10, **self.payment_write),
            self.emulator.add_fault("status", count=10, status=503, **self.payment_lookup),
        ]
        self.sync()
        with self.emulator.lock:
            for fault in faults:
                self.emulator.faults.remove(fault)

    def payment_record(self, payment):
        return payment.move_id._qxs_payment_record(self.connection)

    def sync_all(self):
        """Run the send cron until nothing is due (documents first, then their payments)."""
        for _round in range(4):
            self.make_due()
            self.sync()
