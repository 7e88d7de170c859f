"""Regression tests of the engine (queue, outcomes, statuses back), against the QuickBooks
emulator through the real SDK: each one failed before its fix (issue 10)."""

from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account.wizard.account_payment_register import AccountPaymentRegister

from ..adapters import RemoteState
from .common import QxsCase, get_emulator_class

LOCKED = "The payments journal is locked (injected)."


@tagged("post_install", "-at_install")
class TestEngineDefects(QxsCase):
    def qbo(self, kind="Invoice"):
        return self.emulator.objects(kind)

    def test_poll_keeps_a_pending_void(self):
        """Cancel, then a poll before the void is sent: the void is still sent."""
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        move.button_draft()
        move.button_cancel()
        self.assertEqual((rec.state, rec.action), ("pending", "void"))
        self.emulator.update_document("Invoice", rec.remote_id, {"PrivateNote": "seen in QBO"})
        self.poll()
        self.assertEqual((rec.state, rec.action), ("pending", "void"), "the poll kept the void")
        self.sync()
        self.assertEqual((rec.state, rec.remote_status), ("synced", "voided"), rec.last_error)
        [inv] = self.qbo()
        self.assertEqual(inv["Balance"], 0)

    def test_poll_keeps_an_error_and_its_banner(self):
        """An update refused (an unmapped tax) stays an error after a poll reads the document."""
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        move.button_draft()
        self.tax_sale.qxs_tax_code = False
        move.action_post()
        self.sync()
        self.assertEqual(rec.state, "error")
        error = rec.last_error
        self.emulator.update_document("Invoice", rec.remote_id, {"PrivateNote": "seen in QBO"})
        self.poll()
        self.assertEqual(rec.state, "error")
        self.assertEqual(rec.last_error, error)
        self.assertEqual(move.qxs_sync_state, "error")
        self.assertIn(self.tax_sale.name, move.qxs_sync_error)

    def test_states_are_keyed_by_kind_and_id(self):
        """A credit note's state never lands on an invoice that has the same remote id."""
        invoice = self.invoice(amounts=(100.0,))
        refund = self.invoice(amounts=(30.0,), move_type="out_refund")
        self.sync()
        inv_rec, refund_rec = self.record(invoice), self.record(refund)
        inv_rec.remote_id = refund_rec.remote_id  # as the two numbering sequences may give
        state = RemoteState(
            remote_id=refund_rec.remote_id, kind="credit_note", status="paid", amount_paid=30.0
        )
        self.env["qxs.sync.record"]._apply_remote_states(self.connection, [state])
        self.assertEqual(invoice.payment_state, "not_paid", "no payment on the invoice")
        self.assertEqual(refund_rec.remote_status, "paid")
        self.assertFalse(inv_rec.remote_status == "paid")

    def test_one_failing_document_does_not_stop_the_poll(self):
        """Odoo refuses to register one remote payment: that document shows the error (and an
        activity), the other payment comes back, the watermark moves, the cron does not raise."""
        bad, good = self.invoice(amounts=(100.0,)), self.invoice(amounts=(70.0,))
        self.sync()
        self.emulator.pay_invoice(self.record(bad).remote_id)
        self.emulator.pay_invoice(self.record(good).remote_id)
        create_payments = AccountPaymentRegister._create_payments

        def refuse_bad(wizard):
            if bad in wizard.line_ids.move_id:
                raise UserError(LOCKED)
            return create_payments(wizard)

        before = self.connection.last_poll_date
        with patch.object(AccountPaymentRegister, "_create_payments", refuse_bad):
            self.poll()
        self.assertIn(good.payment_state, ("paid", "in_payment"))
        self.assertEqual(bad.payment_state, "not_paid")
        rec = self.record(bad)
        self.assertEqual(rec.state, "error")
        self.assertIn("locked (injected)", rec.last_error)
        self.assertEqual(len(bad.activity_ids), 1)
        self.assertNotEqual(self.connection.last_poll_date, before)
        # Fixed: retrying reads it again and registers the payment; the activity is closed.
        rec.action_retry()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertIn(bad.payment_state, ("paid", "in_payment"))
        self.assertFalse(bad.activity_ids)

    def test_one_poisoned_connection_does_not_block_the_others(self):
        """Two companies polled in one run: the first one's failure does not keep the second
        one's paid invoice from coming back."""
        other = self.setup_other_company(name="Second Co")
        emulator_b = get_emulator_class("qbo")(realm_id="9341453000000002").start()
        self.addCleanup(emulator_b.stop)
        emulator_b.seed()
        other_conn = self._connect(other["company"], emulator_b)
        other_conn.payment_journal_id = other["default_journal_bank"]
        self.connection.payment_journal_id = self.company_data["default_journal_bank"]
        ours = self.invoice(amounts=(100.0,))
        theirs = self.init_invoice(
            "out_invoice",
            partner=self.partner_b,
            amounts=[50.0],
            company=other["company"],
            post=False,
        )
        theirs.invoice_line_ids.tax_ids = False
        theirs.action_post()
        self.sync()
        self.assertEqual(self.record(theirs).state, "synced", self.record(theirs).last_error)
        self.emulator.pay_invoice(self.record(ours).remote_id)
        emulator_b.pay_invoice(self.record(theirs).remote_id)
        create_payments = AccountPaymentRegister._create_payments

        def crash_first(wizard):
            if ours in wizard.line_ids.move_id:
                raise RuntimeError("unforeseen (injected)")
            return create_payments(wizard)

        with patch.object(AccountPaymentRegister, "_create_payments", crash_first):
            self.poll()
        self.assertIn(theirs.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.record(ours).state, "error")

    def test_gone_on_update_is_capped(self):
        """A document the provider keeps calling gone is not re-created forever."""
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        rec.write({"attempts": 9, "state": "pending", "remote_id": "999999"})
        self.sync()
        self.assertEqual(rec.state, "error")
        self.assertTrue(rec.last_error)

    def test_retry_of_an_error_waits_no_longer_than_its_time(self):
        """A record waiting for a retry is taken once its time has come (never forgotten)."""
        first = self.invoice()
        self.sync()  # customer, items and tax codes known: the invoice's batch is the only one
        self.assertEqual(self.record(first).state, "synced", self.record(first).last_error)
        move = self.invoice(amounts=(42.0,))
        self.emulator.add_fault("status", status=503, path="/invoice$")
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "pending")
        self.assertGreater(rec.next_attempt, fields.Datetime.now())
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)

    def test_cancel_after_a_lost_answer_voids_the_remote_document(self):
        """The write reached QuickBooks but its answer was lost; the user cancels before the
        retry: the document is found by number and voided, not "cancelled before it was sent"."""
        self.partner_a.qxs_billing_account = "Cool Cars"  # no customer batch before the invoice
        # Customer, items and tax codes known first: the invoice's batch is then the only one
        # (the look-ups of a first send are read ahead in a batch of their own).
        first = self.invoice()
        self.sync()
        self.assertEqual(self.record(first).state, "synced", self.record(first).last_error)
        move = self.invoice(amounts=(42.0,))
        self.emulator.add_fault("drop_after_write", path="/invoice$")
        self.sync()
        rec = self.record(move)
        self.assertFalse(rec.remote_id)
        move.button_draft()
        move.button_cancel()
        self.sync()
        [inv] = [i for i in self.qbo() if i["DocNumber"] == move.name]
        self.assertEqual(inv["Balance"], 0, "voided in QuickBooks")
        self.assertEqual((rec.state, rec.remote_status), ("synced", "voided"), rec.last_error)
        self.assertEqual(rec.remote_id, inv["Id"])

    def test_cancel_before_any_send_is_skipped_after_a_look_up(self):
        move = self.invoice()
        move.button_draft()
        move.button_cancel()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "skipped")
        self.assertEqual(self.qbo(), [])

    def _credit(self, invoice, amount):
        """A credit note of ``amount`` (tax included) reconciled with ``invoice`` in Odoo."""
        refund = self.invoice(amounts=(amount,), move_type="out_refund", taxes=self.tax_sale)
        (invoice | refund).line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        ).reconcile()
        return refund

    def test_cash_beyond_what_is_open_stays_the_customers_credit(self):
        """Paid in full remotely, then credited in part in Odoo before the poll: Odoo registers
        all the cash, the excess as the customer's open credit, as the provider keeps it."""
        move = self.invoice(amounts=(100.0,))
        self.sync()
        self.emulator.pay_invoice(self.record(move).remote_id)
        refund = self._credit(move, 60.0)
        self.assertTrue(move.amount_residual > 0)
        self.poll()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        payments = move._get_reconciled_payments()
        self.assertEqual(len(payments), 1)
        self.assertAlmostEqual(payments.amount, move.amount_total, 2)
        partner = move.commercial_partner_id
        open_credit = -sum(
            self.env["account.move.line"]
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                ]
            )
            .mapped("amount_residual")
        )
        self.assertAlmostEqual(open_credit, refund.amount_total, 2)

    def test_cash_on_a_fully_credited_invoice_is_an_open_credit(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        self.emulator.pay_invoice(self.record(move).remote_id)
        self._credit(move, 100.0)
        self.assertTrue(move.currency_id.is_zero(move.amount_residual))
        self.poll()
        payment = self.env["account.payment"].search(
            [("partner_id", "=", move.commercial_partner_id.id)]
        )
        self.assertEqual(len(payment), 1)
        self.assertAlmostEqual(payment.amount, move.amount_total, 2)
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)

    def test_cancel_of_an_invoice_paid_remotely_meanwhile_is_refused_there(self):
        """Cancelled in Odoo while the customer paid it in QuickBooks (before the void went):
        the void is refused with the reason, the payment stays applied there (campaign)."""
        move = self.invoice(amounts=(59.05,))
        self.sync()
        rec = self.record(move)
        move.button_draft()
        move.button_cancel()
        self.emulator.pay_invoice(rec.remote_id)
        self.sync()
        self.assertEqual(rec.state, "error")
        self.assertIn("paid or credited in QuickBooks", rec.last_error)
        [inv] = self.qbo()
        self.assertEqual(inv["Balance"], 0)
        self.assertFalse((inv.get("PrivateNote") or "").startswith("Voided"))

    def test_cash_after_a_partial_credit_closed_the_invoice_is_the_customers_credit(self):
        """Paid in part remotely (registered), credited in Odoo for more than the rest, then
        paid again remotely: the second cash is registered too, as the customer's credit
        (campaign, QuickBooks seed 11)."""
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        self.emulator.pay_invoice(rec.remote_id, 36.0)
        self.poll()
        self._credit(move, 82.0)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.emulator.pay_invoice(rec.remote_id, 31.0)
        self.poll()
        payments = self.env["account.payment"].search(
            [("partner_id", "=", move.commercial_partner_id.id), ("state", "!=", "canceled")]
        )
        self.assertAlmostEqual(sum(payments.mapped("amount")), 67.0, 2)
