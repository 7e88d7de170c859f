from odoo.tests import tagged

from .common import QxsCase
from .payments_common import PaymentsMixin


@tagged("post_install", "-at_install")
class TestQboAutoAppliedCredit(PaymentsMixin, QxsCase):
    """QuickBooks' "Automatically apply credits" (Preferences.SalesFormsPrefs.AutoApplyCredit)
    applies a customer's pending credit memo to an invoice sent (again): shown on the way
    back, never imported as a payment (the overpayment pitfall)."""

    def setUp(self):
        super().setUp()
        self.emulator.config["auto_apply_credit"] = True
        self.addCleanup(self.emulator.config.__setitem__, "auto_apply_credit", False)

    def test_credit_applied_remotely_is_shown_not_imported(self):
        prefs = self.connection._adapter()._get("preferences")["Preferences"]
        self.assertTrue(prefs["SalesFormsPrefs"]["AutoApplyCredit"])
        credit = self.invoice(amounts=(50.0,), move_type="out_refund")
        self.sync()
        move = self.invoice(amounts=(200.0,))
        self.sync()
        remote = next(
            i for i in self.emulator.objects("Invoice") if i["Id"] == self.record(move).remote_id
        )
        self.assertAlmostEqual(remote["Balance"], move.amount_total - credit.amount_total, 2)
        self.poll()
        rec = self.record(move)
        self.assertIn("applied", rec.remote_credit_warning)
        self.assertEqual(move.qxs_remote_credit_warning, rec.remote_credit_warning)
        self.assertAlmostEqual(move.amount_residual, move.amount_total, 2, "nothing imported")
        self.assertFalse(
            self.env["account.move"].search([("qxs_origin_document_id", "=", move.id)])
        )
        self.assertIn("Automatically apply credits", move.message_ids[0].body)
        [activity] = move.activity_ids.filtered(lambda a: "credit applied" in a.summary)
        # Odoo settles the invoice by cash: QuickBooks refuses the payment (the credit took
        # part of it); the read back says the customer is overpaid, still nothing imported.
        payment = self.pay(move)
        self.sync_all()
        self.assertEqual(self.payment_record(payment).state, "error")
        self.env["qxs.sync.record"]._enqueue_pull(self.connection, [("invoice", rec.remote_id)])
        self.sync()
        self.assertIn("overpaid by", rec.remote_credit_warning)
        self.assertFalse(
            self.env["account.move"].search([("qxs_origin_document_id", "=", move.id)])
        )
        self.assertEqual(len(move.activity_ids.filtered(lambda a: a.id == activity.id)), 1)
        # Removed in QuickBooks: the warning and its activity go away.
        [applied] = [p for p in self.emulator.objects("Payment") if float(p["TotalAmt"]) == 0.0]
        self.emulator.delete_document("Payment", applied["Id"])
        self.env["qxs.sync.record"]._enqueue_pull(self.connection, [("invoice", rec.remote_id)])
        self.sync()
        self.assertFalse(rec.remote_credit_warning)
        self.assertFalse(activity.exists() and activity.active)

    def test_credit_applied_from_odoo_is_no_warning(self):
        self.emulator.config["auto_apply_credit"] = False
        move = self.invoice(amounts=(200.0,))
        credit = self.invoice(amounts=(50.0,), move_type="out_refund")
        self.sync()
        (credit + move).line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        ).reconcile()
        self.sync_all()
        self.poll()
        self.assertFalse(self.record(move).remote_credit_warning)
