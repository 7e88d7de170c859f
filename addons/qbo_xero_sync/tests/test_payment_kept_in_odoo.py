"""A payment the provider has that Odoo no longer sends: it now pays only documents the provider
does not have on purpose (a daily summary keeping its payments in Odoo, a No sync channel), or
sending payments was turned off. Its copy there must never keep paying a document that Odoo no
longer pays with it, nor be read back as the provider's own cash (registered a second time).
Campaign seed 11, 300 steps, QuickBooks: payment_double_counted."""

from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .payments_common import PaymentsMixin


class KeptInOdooMixin(PaymentsMixin):
    """The provider's side is read through ``live_payments`` and ``remote_open``, defined by
    each test class; ``payment_write`` / ``payment_lookup`` name its payment requests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Team = cls.env["crm.team"]
        cls.shop = Team.create(
            {
                "name": "Web shop",
                "qxs_invoice_sync_type": "summary",
                "qxs_summary_payment_mode": "keep",
            }
        )
        cls.counter = Team.create({"name": "Counter", "qxs_invoice_sync_type": "none"})
        cls.accountant = cls.company_user(
            f"qxs_kept_accountant_{cls.provider}", "account.group_account_manager"
        )

    def posted(self, amount, user, team=None):
        move = self.invoice(amounts=(amount,), post=False)
        if team:
            move.team_id = team
        move.with_user(user).action_post()
        return move

    def settle(self, rounds=4):
        """What a quiet point does: the send cron and the poll, records made due."""
        for _round in range(rounds):
            self.make_due()
            self.sync()
            self.poll()

    def repost(self, move, price):
        """The accountant resets the invoice to draft (its payment unreconciled), changes its
        price and posts it again."""
        mine = move.with_user(self.accountant)
        mine.button_draft()
        mine.invoice_line_ids[:1].price_unit = price
        mine.action_post()

    def registered(self, moves):
        """The payments the addon registered in Odoo from the provider's cash on ``moves``."""
        return self.env["account.move"].search([("qxs_origin_document_id", "in", moves.ids)])

    def assert_kept_in_odoo(self, payment, alone, kept, why):
        """The payment's copy is gone from the provider, its record skipped with ``why``; the
        invoice sent alone is updated and open there as in Odoo; nothing was registered."""
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "skipped", rec.last_error)
        self.assertIn(why, rec.skip_reason)
        self.assertFalse(rec.remote_id)
        self.assertEqual(self.live_payments(), [])
        doc = self.record(alone)
        self.assertEqual((doc.state, doc.action), ("synced", "push"), doc.last_error)
        self.assertFalse(self.registered(alone + kept))
        self.assertEqual(doc.remote_paid_amount, 0.0)
        self.assertAlmostEqual(alone.amount_residual, alone.amount_total, 2)
        self.assertAlmostEqual(self.remote_open(alone), alone.amount_total, 2)
        # The payment's chatter says it was removed, and why it stays in Odoo.
        bodies = payment.move_id.message_ids.mapped("body")
        self.assertTrue(any("Removed from" in (body or "") for body in bodies))
        self.assertTrue(any(why in (body or "") for body in bodies))

    def test_invoice_reposted_leaves_its_payment_to_a_summarized_invoice(self):
        """One payment of an invoice carried by a daily summary (payments kept in Odoo) and
        of an invoice sent alone; the accountant resets the second to draft, lowers its price
        and posts it again. The payment now pays only the summarized invoice: its copy is
        removed from the provider first, then the invoice is updated, and the record is
        skipped with the summary's reason. Before the fix, the record was skipped at once:
        the provider kept the payment on the invoice, refused its update (QuickBooks: total
        below the payments applied) and the poll registered that copy as cash received there
        (campaign seed 11: payment_double_counted)."""
        kept = self.posted(150.0, self.billing_user, self.shop)
        alone = self.posted(300.0, self.accountant)
        self.settle()
        summary = self.record(kept).summary_id
        self.assertEqual((self.record(kept).state, bool(summary)), ("skipped", True))
        payment = self.pay(kept + alone, user=self.accountant)
        self.settle()
        rec = self.payment_record(payment)
        self.assertEqual((rec.state, rec.action), ("synced", "push"), rec.last_error)
        self.assertEqual(len(self.live_payments()), 1)
        self.repost(alone, 250.0)
        self.assertEqual((rec.state, rec.action), ("pending", "void"))
        self.settle()
        self.assert_kept_in_odoo(payment, alone, kept, summary.name)
        self.assertEqual(summary._sync_record().state, "synced")

    def test_payment_tried_without_answer_then_left_to_a_no_sync_invoice(self):
        """The same with a No sync channel, the payment's answer lost (the provider may have
        it, Odoo has no remote id): it is looked up by number and removed, then skipped with
        the channel's reason. Before the fix, skipped at once: the attempt was no longer
        waited for, and the copy was read back as the provider's cash."""
        kept = self.posted(150.0, self.billing_user, self.counter)
        alone = self.posted(300.0, self.accountant)
        self.settle()
        payment = self.pay(kept + alone, user=self.accountant)
        self.sync_with_payment_answers_lost()
        rec = self.payment_record(payment)
        self.assertFalse(rec.remote_id)
        self.assertEqual(len(self.live_payments()), 1)
        self.repost(alone, 250.0)
        self.assertEqual((rec.state, rec.action), ("pending", "void"))
        self.settle()
        self.assert_kept_in_odoo(payment, alone, kept, "No sync")

    def test_payment_skipped_while_sending_payments_is_off_is_not_read_back(self):
        """A payment of two invoices is sent; sending payments is then turned off and the
        payment unreconciled from the second invoice: its record is skipped (nothing is sent,
        not even a removal), the provider keeps its copy. Read back, that copy is Odoo's cash,
        never registered as received there (before the fix, it was: a skipped record did not
        count as cash sent from Odoo)."""
        first = self.posted(100.0, self.accountant)
        second = self.posted(200.0, self.accountant)
        self.settle()
        payment = self.pay(first + second, user=self.accountant)
        self.settle()
        rec = self.payment_record(payment)
        self.assertEqual((rec.state, rec.action), ("synced", "push"), rec.last_error)
        self.connection.sudo().send_payments = False
        line = payment.move_id.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        partial = (line.matched_debit_ids | line.matched_credit_ids).filtered(
            lambda p: second in (p.debit_move_id.move_id | p.credit_move_id.move_id)
        )
        second.with_user(self.accountant).js_remove_outstanding_partial(partial.id)
        self.assertEqual(rec.state, "skipped")
        self.assertIn("turned off", rec.skip_reason)
        doc = self.record(second)
        self.env["qxs.sync.record"]._enqueue_pull(self.connection, [(doc._kind(), doc.remote_id)])
        self.settle()
        self.assertEqual(doc.state, "synced", doc.last_error)
        self.assertFalse(self.registered(first + second))
        self.assertAlmostEqual(second.amount_residual, second.amount_total, 2)


@tagged("post_install", "-at_install")
class TestQboPaymentKeptInOdoo(KeptInOdooMixin, QxsCase):
    allow_inherited_tests_method = True
    payment_write = {"path": "/payment$"}  # one payment: a plain request
    payment_lookup = {"path": "query"}

    def live_payments(self):
        return [
            p
            for p in self.emulator.objects("Payment")
            if float(p.get("TotalAmt") or 0)
            and not (p.get("PrivateNote") or "").startswith("Voided")
        ]

    def remote_open(self, move):
        remote_id = self.record(move).remote_id
        return next(i for i in self.emulator.objects("Invoice") if i["Id"] == remote_id)["Balance"]


@tagged("post_install", "-at_install")
class TestXeroPaymentKeptInOdoo(KeptInOdooMixin, XeroMixin, QxsCase):
    allow_inherited_tests_method = True
    payment_write = {"path": "/Payments$", "method": "PUT"}
    payment_lookup = {"path": "/Payments$", "method": "GET"}

    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "090"

    def live_payments(self):
        return [p for p in self.emulator.objects("Payments") if p.get("Status") != "DELETED"]

    def remote_open(self, move):
        remote_id = self.record(move).remote_id
        return next(i for i in self.emulator.objects("Invoices") if i["InvoiceID"] == remote_id)[
            "AmountDue"
        ]
