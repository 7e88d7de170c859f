from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .payments_common import PaymentsMixin


@tagged("post_install", "-at_install")
class TestXeroPayments(PaymentsMixin, XeroMixin, QxsCase):
    """Payments registered in Odoo -> Xero Payments (the emulator), and back."""

    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "090"

    def payments(self):
        return [p for p in self.emulator.objects("Payments") if p["Status"] != "DELETED"]

    def remote_invoice(self, move):
        remote_id = self.record(move).remote_id
        return next(i for i in self.emulator.objects("Invoices") if i["InvoiceID"] == remote_id)

    def test_full_and_partial_payments(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move, amount=40.0)
        self.sync()
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [remote] = self.payments()
        self.assertEqual(remote["PaymentID"], rec.remote_id)
        self.assertEqual(remote["Amount"], 40.0)
        self.assertEqual(remote["Account"]["Code"], "090")
        self.assertEqual(remote["Reference"], payment.move_id.name)
        self.assertAlmostEqual(self.remote_invoice(move)["AmountDue"], move.amount_total - 40, 2)
        rest = self.pay(move)
        self.sync_all()
        self.assertEqual(self.payment_record(rest).state, "synced")
        self.assertEqual(self.remote_invoice(move)["Status"], "PAID")
        self.assertEqual(len(self.payments()), 2, "sent once each")

    def test_two_invoices_are_two_xero_payments_deleted_on_unreconcile(self):
        first, second = self.invoice(amounts=(100.0,)), self.invoice(amounts=(50.0,))
        self.sync()
        payment = self.pay(first + second)
        self.sync()
        rec = self.payment_record(payment)
        self.assertEqual(len(rec.remote_id.split(",")), 2)
        self.assertEqual(
            {p["Invoice"]["InvoiceID"] for p in self.payments()},
            {self.record(first).remote_id, self.record(second).remote_id},
        )
        # Xero payments cannot be edited: a changed payment is deleted and created anew.
        self.unreconcile(payment)
        self.reconcile(payment, first)
        self.sync()
        [remote] = self.payments()
        self.assertEqual(remote["Invoice"]["InvoiceID"], self.record(first).remote_id)
        self.assertEqual(rec.remote_id, remote["PaymentID"])
        self.cancel(payment)
        self.sync()
        self.assertEqual(self.payments(), [])
        self.assertEqual(rec.remote_status, "deleted")

    def test_journal_without_xero_account_is_a_clear_error(self):
        self.bank.qxs_deposit_account = False
        move = self.invoice()
        self.sync()
        payment = self.pay(move)
        self.sync()
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "error")
        self.assertIn(self.bank.display_name, rec.last_error)
        self.assertIn(rec.last_error.split(":")[0], move.qxs_payment_sync_error)

    def test_lost_answer_makes_exactly_one_payment(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move)
        self.emulator.add_fault("drop_after_write", path="Payments", method="PUT")
        self.sync()
        self.assertEqual(len(self.payments()), 1, "written, the answer lost")
        self.sync_all()
        self.assertEqual(len(self.payments()), 1)
        self.assertEqual(self.payment_record(payment).state, "synced")

    def test_no_echo_and_remote_deletion(self):
        move = self.invoice()
        self.sync()
        mine = self.pay(move, amount=30.0)
        self.sync()
        self.poll()
        origin = [("qxs_origin_document_id", "=", move.id)]
        self.assertFalse(self.env["account.move"].search(origin), "no echo back")
        remote = self.emulator.pay_invoice(self.record(move).remote_id, 20.0)
        self.poll()
        theirs = self.env["account.move"].search(origin)
        self.assertEqual(len(theirs), 1)
        self.sync_all()
        self.assertEqual(len(self.payments()), 2, "no echo out")
        self.emulator.delete_payment_by_user(remote["PaymentID"])
        self.poll()
        self.assertFalse(theirs.exists() and theirs.state == "posted", "cancelled")
        self.assertEqual(mine.move_id.state, "posted")
        self.assertAlmostEqual(move.amount_residual, move.amount_total - 30.0, 2)

    def test_credit_note_reconciled_later_is_allocated(self):
        move = self.invoice(amounts=(100.0,))
        credit = self.invoice(amounts=(30.0,), move_type="out_refund")
        self.sync()
        (credit + move).line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        ).reconcile()
        self.sync()
        rec = credit._qxs_payment_record(self.connection)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertAlmostEqual(
            self.remote_invoice(move)["AmountDue"], move.amount_total - credit.amount_total, 2
        )
        self.sync_all()
        self.assertAlmostEqual(
            self.remote_invoice(move)["AmountDue"], move.amount_total - credit.amount_total, 2
        )

    def test_billing_user_registers_a_payment(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move.with_user(self.billing_user), user=self.billing_user)
        self.sync()
        self.assertEqual(self.payment_record(payment).state, "synced")
        self.assertEqual(len(self.payments()), 1)

    def test_calls_per_payment_in_bulk(self):
        """50 payments go in one PUT /Payments: at most 0.03 API calls per payment."""
        moves = self.env["account.move"]
        for _n in range(50):
            moves |= self.invoice(amounts=(20.0,))
        self.sync()
        for move in moves:
            self.pay(move)
        before = len(self.emulator.log)
        self.sync()
        calls = len(self.emulator.log) - before
        self.assertEqual(len(self.payments()), 50)
        self.assertLessEqual(calls / 50, 0.03, self.emulator.counts())
