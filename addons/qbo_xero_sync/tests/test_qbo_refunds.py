from odoo.tests import tagged

from .common import QxsCase
from .payments_common import PaymentsMixin


@tagged("post_install", "-at_install")
class TestQboRefunds(PaymentsMixin, QxsCase):
    """Refunds paid out on credit notes -> QuickBooks Refund Receipts, the Credit Memo keeping
    only what was not refunded."""

    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "Checking"

    def qbo(self, kind):
        return self.emulator.objects(kind)

    def memo(self, credit):
        rid = self.record(credit).remote_id
        return next(m for m in self.qbo("CreditMemo") if m["Id"] == rid)

    def credit_note(self, amounts=(400.0, 100.0)):
        credit = self.invoice(amounts=amounts, move_type="out_refund")
        self.sync()
        self.assertEqual(self.record(credit).state, "synced", self.record(credit).last_error)
        return credit

    @staticmethod
    def line_sum(obj):
        return round(
            sum(li["Amount"] for li in obj["Line"] if li.get("DetailType") != "SubTotalLineDetail"),
            2,
        )

    def test_partial_refund_is_a_receipt_and_a_reduced_memo(self):
        credit = self.credit_note()
        total = credit.amount_total  # 541.25: 500 + 8.25 % tax
        self.assertAlmostEqual(self.memo(credit)["TotalAmt"], total, 2)
        refund = self.pay(credit, amount=100.0)
        self.assertEqual(refund.payment_type, "outbound")
        self.sync_all()
        rec = self.payment_record(refund)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [receipt] = self.qbo("RefundReceipt")
        self.assertEqual(receipt["Id"], rec.remote_id)
        self.assertAlmostEqual(receipt["TotalAmt"], 100.0, delta=0.01)
        self.assertEqual(
            receipt["DepositToAccountRef"]["value"], self.summary["accounts"]["Checking"]
        )
        self.assertEqual(receipt["CustomerRef"], self.memo(credit)["CustomerRef"])
        # The credit note's lines scaled by 100 / 541.25, the sum exact, the tax kept.
        self.assertEqual(self.line_sum(receipt), round(500.0 * 100.0 / total, 2))
        self.assertEqual(len(receipt["Line"]), len(self.memo(credit)["Line"]))
        taxed = [
            li["SalesItemLineDetail"]["TaxCodeRef"]["value"]
            for li in receipt["Line"]
            if li["DetailType"] == "SalesItemLineDetail"
        ]
        self.assertEqual(taxed, ["TAX", "TAX"])
        self.assertGreater(receipt["TxnTaxDetail"]["TotalTax"], 0)
        # The Credit Memo keeps what was not refunded, sent again through the document queue.
        memo = self.memo(credit)
        self.assertAlmostEqual(memo["TotalAmt"], total - 100.0, delta=0.01)
        self.assertEqual(
            self.line_sum(memo) + self.line_sum(receipt), 500.0, "nothing lost in the rounding"
        )
        doc = self.record(credit)
        self.assertEqual(doc.state, "synced", doc.last_error)
        self.assertFalse(doc.total_mismatch, "the reduced total is the expected one")
        self.assertIn("1 synced", credit.qxs_payment_sync_summary)
        # Nothing comes back as a payment (credit memos hold no cash).
        self.poll()
        self.assertFalse(
            self.env["account.move"].search([("qxs_origin_document_id", "=", credit.id)])
        )
        self.assertAlmostEqual(credit.amount_residual, total - 100.0, 2)

    def test_full_refund_leaves_an_empty_memo_and_unreconcile_restores_it(self):
        credit = self.credit_note()
        total = credit.amount_total
        refund = self.pay(credit)
        self.sync_all()
        [receipt] = self.qbo("RefundReceipt")
        self.assertAlmostEqual(receipt["TotalAmt"], total, delta=0.01)
        self.assertEqual(self.memo(credit)["TotalAmt"], 0.0)
        # Unreconciled: the receipt is deleted, the memo back to its whole amount.
        self.unreconcile(refund)
        self.sync_all()
        rec = self.payment_record(refund)
        self.assertEqual((rec.state, rec.remote_status), ("synced", "deleted"), rec.last_error)
        self.assertEqual(self.qbo("RefundReceipt"), [])
        self.assertAlmostEqual(self.memo(credit)["TotalAmt"], total, 2)

    def test_cancelled_refund_deletes_the_receipt(self):
        credit = self.credit_note()
        refund = self.pay(credit, amount=50.0)
        self.sync_all()
        self.assertEqual(len(self.qbo("RefundReceipt")), 1)
        self.cancel(refund)
        self.sync_all()
        self.assertEqual(self.qbo("RefundReceipt"), [])
        self.assertAlmostEqual(self.memo(credit)["TotalAmt"], credit.amount_total, 2)

    def test_refund_larger_than_the_credit_is_refused_before_any_call(self):
        credit = self.credit_note()
        before = len(self.emulator.log)
        refund = self.pay(credit, amount=credit.amount_total + 100.0)
        self.sync_all()
        rec = self.payment_record(refund)
        self.assertEqual(rec.state, "error")
        self.assertIn("100.00", rec.last_error)
        self.assertIn("more than is open on credit note", rec.last_error)
        self.assertEqual(len(self.emulator.log), before, "nothing sent")
        self.assertEqual(self.qbo("RefundReceipt"), [])
        self.assertAlmostEqual(self.memo(credit)["TotalAmt"], credit.amount_total, 2)
        # The credit note's banner says it.
        self.assertIn("more than is open", credit.qxs_payment_sync_error)

    def test_journal_without_deposit_account_is_named(self):
        self.bank.qxs_deposit_account = False
        credit = self.credit_note()
        refund = self.pay(credit, amount=20.0)
        self.sync_all()
        rec = self.payment_record(refund)
        self.assertEqual(rec.state, "error")
        self.assertIn(self.bank.display_name, rec.last_error)
        self.assertEqual(self.qbo("RefundReceipt"), [])
        self.assertAlmostEqual(self.memo(credit)["TotalAmt"], credit.amount_total, 2)

    def test_billing_user_refunds(self):
        credit = self.credit_note()
        refund = self.pay(credit.with_user(self.billing_user), amount=30.0, user=self.billing_user)
        self.sync_all()
        self.assertEqual(self.payment_record(refund).state, "synced")
        self.assertEqual(len(self.qbo("RefundReceipt")), 1)
        self.assertIn("synced", credit.with_user(self.billing_user).qxs_payment_sync_summary)
