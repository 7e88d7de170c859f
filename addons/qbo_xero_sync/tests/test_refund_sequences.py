"""Sequences of refunds found by the randomized campaign (``campaign.py``), each reduced to a
small deterministic test of the product fix it led to."""

from odoo.tests import tagged

from .common import QxsCase
from .payments_common import PaymentsMixin


@tagged("post_install", "-at_install")
class TestQboRefundSequences(PaymentsMixin, QxsCase):
    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "Checking"

    def settle(self, rounds=4):
        """What a quiet point does: the send cron and the poll, records made due."""
        for _round in range(rounds):
            self.make_due()
            self.sync()
            self.poll()

    def remote(self, kind, move):
        rid = self.record(move).remote_id
        return next(o for o in self.emulator.objects(kind) if o["Id"] == rid)

    def apply_remotely(self, credit, invoice, amount):
        """The QuickBooks user applies ``amount`` of the credit memo to the invoice: stored as
        QuickBooks stores a credit applied, a Payment of TotalAmt 0 linking both."""
        memo, inv = self.remote("CreditMemo", credit), self.remote("Invoice", invoice)
        self.emulator.apply_credit(memo["Id"], inv["Id"], amount)

    def test_full_refund_of_a_memo_partly_applied_remotely_is_not_silent(self):
        """Campaign seed 50311178: part of the Credit Memo applied to another invoice in
        QuickBooks, then the credit note refunded in full in Odoo. QuickBooks refuses a memo
        total below what is applied: the memo keeps its total. Before the fix the credit note's
        record said "synced" with no mismatch; it must say what happened and what to do."""
        credit = self.invoice(amounts=(400.0, 100.0), move_type="out_refund")
        invoice = self.invoice(amounts=(300.0,))
        self.settle()
        self.assertEqual(self.record(credit).state, "synced", self.record(credit).last_error)
        applied = round(credit.amount_total * 0.11, 2)
        self.apply_remotely(credit, invoice, applied)
        refund = self.pay(credit.with_user(self.billing_user), user=self.billing_user)
        self.settle()
        memo = self.remote("CreditMemo", credit)
        rec = self.record(credit)
        self.assertEqual(credit._qxs_expected_remote_total(self.connection), 0.0)
        # QuickBooks refuses a memo total below what is applied: the memo keeps its total...
        self.assertAlmostEqual(memo["TotalAmt"], credit.amount_total, 2)
        self.assertAlmostEqual(memo["Balance"], credit.amount_total - applied, 2)
        # ... and the credit note says so, what is applied and what to do (never "synced").
        self.assertEqual(rec.state, "error")
        banner = credit.with_user(self.billing_user).qxs_sync_error
        self.assertEqual(banner, rec.last_error)
        self.assertIn(credit.name, banner)
        self.assertIn(f"{applied:.2f}", banner)
        self.assertIn("already applied to invoices in QuickBooks", banner)
        self.assertIn(f"at most {credit.amount_total - applied:.2f}", banner)
        # The refund itself is sent (the cash went out): its Refund Receipt is there.
        self.assertEqual(self.payment_record(refund).state, "synced")
        self.assertEqual(len(self.emulator.objects("RefundReceipt")), 1)
        # The accountant removes the credit applied in QuickBooks and retries: the memo is
        # reduced to what the refunds leave, the record synced, nothing flagged.
        [link] = [p for p in self.emulator.objects("Payment") if float(p["TotalAmt"]) == 0.0]
        self.emulator.delete_document("Payment", link["Id"])
        rec.action_retry()
        self.settle()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertFalse(rec.total_mismatch)
        self.assertEqual(self.remote("CreditMemo", credit)["TotalAmt"], 0.0)

    def test_memo_error_stays_while_its_refund_waits(self):
        """The same, the refund throttled by QuickBooks: the poll reads the memo (its
        credit applied) while the refund waits to be sent. Before the fix the read turned the
        credit note's error into a pending read, and the read into "synced": silent."""
        credit = self.invoice(amounts=(400.0, 100.0), move_type="out_refund")
        invoice = self.invoice(amounts=(300.0,))
        self.settle()
        applied = round(credit.amount_total * 0.11, 2)
        self.apply_remotely(credit, invoice, applied)
        refund = self.pay(credit)
        throttled = self.emulator.add_fault("status", count=10, status=429, path="/refundreceipt$")
        self.sync()  # the memo's update refused (error), the refund's throttled: it waits
        rec = self.record(credit)
        self.assertEqual(rec.state, "error")
        self.assertEqual(self.payment_record(refund).state, "pending")
        self.poll()
        with self.emulator.lock:
            self.emulator.faults.remove(throttled)
        self.settle()
        self.assertEqual(self.payment_record(refund).state, "synced")
        self.assertEqual(rec.state, "error", "an error stays an error")
        self.assertIn("already applied to invoices in QuickBooks", rec.last_error)
        self.assertAlmostEqual(
            self.remote("CreditMemo", credit)["TotalAmt"], credit.amount_total, 2
        )
