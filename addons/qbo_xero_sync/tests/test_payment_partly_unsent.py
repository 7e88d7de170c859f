"""One payment of an invoice that is sent and of an invoice that is not sent on purpose (a
No sync channel, a daily summary keeping its payments in Odoo): the provider receives the cash
of the invoice it has, never the other's as an unapplied credit. Whether a payment of a daily
summary channel is sent is the document's matter (carried by a summary or sent on its own),
never the channel's current setting."""

from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .payments_common import PaymentsMixin


class PartlyUnsentMixin(PaymentsMixin):
    """The provider's side is read through ``live_payments``, ``payment_total`` and
    ``paid``, defined by each test class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Team = cls.env["crm.team"]
        cls.nosync = Team.create({"name": "Counter", "qxs_invoice_sync_type": "none"})
        cls.shop = Team.create({"name": "Web shop", "qxs_invoice_sync_type": "summary"})

    def posted(self, amount, team=None):
        move = self.invoice(amounts=(amount,), post=False)
        if team:
            move.team_id = team
        move.with_user(self.billing_user).action_post()
        return move

    def settle(self, rounds=3):
        for _round in range(rounds):
            self.make_due()
            self.sync()

    def check_one_payment(self, sent, unsent, why, extra=0.0):
        """Pay ``sent`` and ``unsent`` in one payment (their total plus ``extra``) as a
        billing user; the provider receives ``sent``'s cash (plus what no invoice received)."""
        received = sent.amount_total + unsent.amount_total + extra
        amount = received if extra else None
        self.settle()
        self.assertEqual(self.record(sent).state, "synced", self.record(sent).last_error)
        self.assertEqual(self.record(unsent).state, "skipped")
        payment = self.pay(sent + unsent, amount=amount, user=self.billing_user)
        self.assertEqual(len(payment), 1)
        self.settle()
        rec = self.payment_record(payment)
        self.assertEqual((rec.state, rec.action), ("synced", "push"), rec.last_error)
        values = payment.move_id._qxs_payment_values(self.connection)
        self.assertEqual([a["move_id"] for a in values["allocations"]], sent.ids)
        self.assertAlmostEqual(values["received"], received, 2)
        self.assertAlmostEqual(values["kept_in_odoo"], unsent.amount_total, 2)
        self.assertAlmostEqual(values["amount"], sent.amount_total + extra, 2)
        # The record says so, and so does the payment's chatter (once).
        note = rec.payment_values["note"]
        self.assertIn(unsent.name, note)
        self.assertIn(why, note)
        self.assertIn(f"{unsent.amount_total:.2f}", note)
        self.assertEqual(
            len(payment.move_id.message_ids.filtered(lambda m: unsent.name in (m.body or ""))),
            1,
        )
        # The provider holds the sent invoice's cash, and no credit for the other's.
        [remote] = self.live_payments()
        unapplied = extra * self.unapplied_sent
        self.assertAlmostEqual(self.payment_total(remote), sent.amount_total + unapplied, 2)
        self.assertAlmostEqual(self.paid(remote), sent.amount_total, 2)
        self.assertEqual(self.record(sent).remote_paid_amount, 0.0)

    def test_no_sync_channel(self):
        sent, unsent = self.posted(100.0), self.posted(200.0, self.nosync)
        self.check_one_payment(sent, unsent, "No sync")

    def test_daily_summary_keeping_payments_in_odoo(self):
        sent, unsent = self.posted(100.0), self.posted(200.0, self.shop)
        summary = self.record(unsent).summary_id
        self.check_one_payment(sent, unsent, summary.display_name)
        self.assertEqual(summary._sync_record().state, "synced")

    def test_overpayment_left_open_is_still_sent(self):
        """Cash that no invoice received (an overpayment left open in Odoo) is still sent:
        the provider's unapplied credit, as Odoo's open credit (QuickBooks; Xero takes the
        allocations only)."""
        sent, unsent = self.posted(100.0), self.posted(200.0, self.nosync)
        self.check_one_payment(sent, unsent, "No sync", extra=50.0)

    def test_every_invoice_unsent_skips_the_payment(self):
        unsent = self.posted(200.0, self.nosync)
        payment = self.pay(unsent, user=self.billing_user)
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "skipped")
        self.settle()
        self.assertEqual(self.live_payments(), [])

    def test_carried_document_after_its_channel_is_switched_back(self):
        """A document carried by a summary stays in it when its channel is switched back to
        Individual: its payments have nothing to pay remotely, they are skipped with that
        reason (before the fix, sent with nothing allocated; campaign seed 1, both providers:
        payment_not_live_remotely, and its credit note's refunds taken off the summary's
        expected total: summary_total_differs)."""
        carried = self.posted(200.0, self.shop)
        summary = self.record(carried).summary_id
        self.settle()
        self.assertEqual(summary._sync_record().state, "synced")
        self.shop.qxs_invoice_sync_type = "individual"
        payment = self.pay(carried, amount=50.0, user=self.billing_user)
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "skipped")
        self.assertIn(summary.name, rec.skip_reason)
        self.settle()
        self.assertEqual(self.live_payments(), [])
        self.assertEqual(self.record(carried).summary_id, summary)

    def test_invoice_sent_before_its_channel_is_switched_to_daily_summary(self):
        """An invoice sent on its own before its channel is switched to "Daily summary" is
        in the provider: its payment, registered by a billing user, is sent and applied to it
        (before the fix, the channel's current setting skipped it, and the provider showed the
        invoice unpaid for ever). An invoice the summary carries is still skipped, with the
        reason."""
        team = self.env["crm.team"].create({"name": "Switched shop"})
        alone = self.posted(100.0, team)
        self.settle()
        sent = self.record(alone)
        self.assertEqual((sent.state, sent.summary_id.id), ("synced", False), sent.last_error)
        team.qxs_invoice_sync_type = "summary"
        carried = self.posted(70.0, team)
        summary = self.record(carried).summary_id
        self.assertTrue(summary)
        payment = self.pay(alone, user=self.billing_user)
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "pending", rec.skip_reason)
        self.settle()
        self.assertEqual((rec.state, rec.action), ("synced", "push"), rec.last_error)
        [remote] = self.live_payments()
        self.assertEqual(self.paid_ids(remote), [sent.remote_id])
        self.assertAlmostEqual(self.paid(remote), alone.amount_total, 2)
        # The carried invoice's payment stays in Odoo, saying why.
        kept = self.pay(carried, user=self.billing_user)
        kept_rec = self.payment_record(kept)
        self.assertEqual(kept_rec.state, "skipped")
        self.assertIn(summary.name, kept_rec.skip_reason)
        self.assertIn(team.name, kept_rec.skip_reason)
        self.assertIn("Keep in Odoo", kept_rec.skip_reason)
        self.settle()
        self.assertEqual(len(self.live_payments()), 1)
        self.assertEqual(summary._sync_record().state, "synced")


@tagged("post_install", "-at_install")
class TestQboPaymentPartlyUnsent(PartlyUnsentMixin, QxsCase):
    """QuickBooks: one Payment, TotalAmt the sum of its lines (plus an overpayment)."""

    allow_inherited_tests_method = True
    unapplied_sent = 1  # QuickBooks keeps an overpayment as the payment's unapplied amount

    def live_payments(self):
        return [p for p in self.emulator.objects("Payment") if float(p.get("TotalAmt") or 0)]

    @staticmethod
    def payment_total(payment):
        return float(payment["TotalAmt"])

    @staticmethod
    def paid(payment):
        return sum(float(li["Amount"]) for li in payment["Line"])

    @staticmethod
    def paid_ids(payment):
        return [txn["TxnId"] for li in payment["Line"] for txn in li["LinkedTxn"]]


@tagged("post_install", "-at_install")
class TestXeroPaymentPartlyUnsent(PartlyUnsentMixin, XeroMixin, QxsCase):
    """Xero: one payment per invoice sent, of its allocation."""

    allow_inherited_tests_method = True
    unapplied_sent = 0  # one payment per invoice: no unapplied cash

    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "090"

    def live_payments(self):
        return [p for p in self.emulator.objects("Payments") if p.get("Status") != "DELETED"]

    @staticmethod
    def payment_total(payment):
        return float(payment["Amount"])

    paid = payment_total

    @staticmethod
    def paid_ids(payment):
        return [payment["Invoice"]["InvoiceID"]]
