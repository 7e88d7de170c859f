from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .payments_common import PaymentsMixin


@tagged("post_install", "-at_install")
class TestXeroRefunds(PaymentsMixin, XeroMixin, QxsCase):
    """Refunds paid out on credit notes -> Xero Payments on the credit note."""

    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "090"

    def payments(self):
        return [p for p in self.emulator.objects("Payments") if p["Status"] != "DELETED"]

    def remote_note(self, credit):
        rid = self.record(credit).remote_id
        return next(n for n in self.emulator.objects("CreditNotes") if n["CreditNoteID"] == rid)

    def credit_note(self):
        credit = self.invoice(amounts=(400.0, 100.0), move_type="out_refund")
        self.sync()
        self.assertEqual(self.record(credit).state, "synced", self.record(credit).last_error)
        return credit

    def test_refund_is_a_payment_on_the_credit_note_deleted_on_unreconcile(self):
        credit = self.credit_note()
        total = credit.amount_total
        refund = self.pay(credit, amount=100.0)
        self.sync_all()
        rec = self.payment_record(refund)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [remote] = self.payments()
        self.assertEqual(remote["PaymentID"], rec.remote_id)
        self.assertEqual(remote["CreditNote"]["CreditNoteID"], self.record(credit).remote_id)
        self.assertEqual(remote["Amount"], 100.0)
        self.assertEqual(remote["Account"]["Code"], "090")
        self.assertEqual(remote["PaymentType"], "ARCREDITPAYMENT")
        note = self.remote_note(credit)
        self.assertAlmostEqual(note["Total"], total, 2, "Xero keeps the whole credit note")
        self.assertAlmostEqual(note["RemainingCredit"], total - 100.0, 2)
        # No echo: the refund Xero lists on the credit note is Odoo's own.
        self.poll()
        self.env["qxs.sync.record"]._enqueue_pull(
            self.connection, [("credit_note", self.record(credit).remote_id)]
        )
        self.sync_all()
        self.assertFalse(
            self.env["account.move"].search([("qxs_origin_document_id", "=", credit.id)])
        )
        self.assertAlmostEqual(credit.amount_residual, total - 100.0, 2)
        # Unreconciled: the Xero payment is deleted, the credit is whole again.
        self.unreconcile(refund)
        self.sync_all()
        self.assertEqual((rec.state, rec.remote_status), ("synced", "deleted"), rec.last_error)
        self.assertEqual(self.payments(), [])
        self.assertAlmostEqual(self.remote_note(credit)["RemainingCredit"], total, 2)

    def test_full_refund_then_cancel(self):
        credit = self.credit_note()
        refund = self.pay(credit)
        self.sync_all()
        self.assertEqual(self.remote_note(credit)["Status"], "PAID")
        self.cancel(refund)
        self.sync_all()
        self.assertEqual(self.payments(), [])
        self.assertEqual(self.remote_note(credit)["Status"], "AUTHORISED")

    def test_refund_larger_than_the_credit_is_refused_before_any_call(self):
        credit = self.credit_note()
        before = len(self.emulator.log)
        refund = self.pay(credit, amount=credit.amount_total + 50.0)
        self.sync_all()
        rec = self.payment_record(refund)
        self.assertEqual(rec.state, "error")
        self.assertIn("more than is open on credit note", rec.last_error)
        self.assertEqual(len(self.emulator.log), before, "nothing sent")
        self.assertIn("more than is open", credit.qxs_payment_sync_error)

    def test_billing_user_refunds(self):
        credit = self.credit_note()
        refund = self.pay(credit.with_user(self.billing_user), amount=30.0, user=self.billing_user)
        self.sync_all()
        self.assertEqual(self.payment_record(refund).state, "synced")
        self.assertEqual(len(self.payments()), 1)

    def test_refund_sent_without_a_trace_is_found_when_xero_refuses_it_again(self):
        """A whole refund whose every trace Odoo lost (no remote id, no attempt mark): sent
        again, Xero refuses the copy (the credit note has nothing left) and the refund Xero has
        under that reference, credit note and amount is taken. Its Payment names a credit note,
        not an invoice: before the fix, looking it up raised and the whole group failed
        (campaign seed 50311178)."""
        credit = self.credit_note()
        refund = self.pay(credit, amount=credit.amount_total)
        self.sync_all()
        rec = self.payment_record(refund)
        self.assertEqual(rec.state, "synced", rec.last_error)
        remote_id = rec.remote_id
        # Another request (another Idempotency-Key), as a resend in another group would be.
        rec.write(
            {
                "remote_id": False,
                "state": "pending",
                "last_attempt_date": False,
                "generation": rec.generation + 1,
            }
        )
        self.env["qxs.send.attempt"].sudo().search([]).unlink()
        self.sync_all()
        self.assertEqual((rec.state, rec.remote_id), ("synced", remote_id), rec.last_error)
        self.assertEqual(len(self.payments()), 1)

    def test_refund_posted_again_is_created_anew_and_live(self):
        """A refund sent, then reset to draft and posted again unchanged: Xero payments cannot
        be edited, so it is deleted and created anew. The new create must not reuse the first
        one's Idempotency-Key: Xero would answer the deleted payment's id again, and the record
        would be synced with a refund Xero no longer has (campaign seed 204729692:
        refund_not_live_remotely)."""
        credit = self.credit_note()
        refund = self.pay(credit, amount=credit.amount_total)
        self.sync_all()
        rec = self.payment_record(refund)
        first = rec.remote_id
        self.assertEqual(rec.state, "synced", rec.last_error)
        refund.action_draft()
        refund.action_post()
        self.reconcile(refund, credit)
        self.sync_all()
        self.assertEqual((rec.state, rec.action), ("synced", "push"), rec.last_error)
        self.assertNotEqual(rec.remote_id, first)
        self.assertEqual([p["PaymentID"] for p in self.payments()], [rec.remote_id])
        self.assertAlmostEqual(self.remote_note(credit)["RemainingCredit"], 0.0, 2)
