"""Sequences of payments found by the randomized campaign (``campaign.py``), each reduced to a
small deterministic test of the product fix it led to."""

from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .payments_common import PaymentsMixin


class PaymentSequencesMixin(PaymentsMixin):
    def settle(self, rounds=4):
        """What a quiet point does: the send cron and the poll, records made due."""
        for _round in range(rounds):
            self.make_due()
            self.sync()
            self.poll()

    def check_payment_while_its_invoice_is_read_again(self):
        """A webhook asks to read an invoice again (pending pull) while a payment of it waits
        to be sent: the payment goes (the invoice is sent), then the read applies. Before the
        fix, the payment waited for the invoice and the read waited for the payment: neither
        ever settled (campaign: never_settles)."""
        move = self.invoice(amounts=(100.0,))
        self.sync()
        doc = self.record(move)
        self.assertEqual(doc.state, "synced", doc.last_error)
        marked = self.env["qxs.sync.record"]._enqueue_pull(
            self.connection, [(doc._kind(), doc.remote_id)]
        )
        self.assertEqual(marked, doc)
        payment = self.pay(move, amount=40.0, user=self.billing_user)
        self.settle()
        rec = self.payment_record(payment)
        self.assertEqual((rec.state, rec.action), ("synced", "push"), rec.last_error)
        self.assertEqual(doc.state, "synced", doc.last_error)
        self.assertAlmostEqual(self.remote_open(move), move.amount_total - 40.0, 2)
        self.assertAlmostEqual(move.amount_residual, move.amount_total - 40.0, 2)


@tagged("post_install", "-at_install")
class TestPaymentSequencesQbo(PaymentSequencesMixin, QxsCase):
    # Odoo's loader takes the test methods a class defines itself.
    def test_payment_while_its_invoice_is_read_again(self):
        self.check_payment_while_its_invoice_is_read_again()

    def remote_open(self, move):
        remote_id = self.record(move).remote_id
        return next(i for i in self.emulator.objects("Invoice") if i["Id"] == remote_id)["Balance"]


@tagged("post_install", "-at_install")
class TestPaymentSequencesXero(PaymentSequencesMixin, XeroMixin, QxsCase):
    # Odoo's loader takes the test methods a class defines itself.
    def test_payment_while_its_invoice_is_read_again(self):
        self.check_payment_while_its_invoice_is_read_again()

    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "090"

    def remote_open(self, move):
        remote_id = self.record(move).remote_id
        return next(i for i in self.emulator.objects("Invoices") if i["InvoiceID"] == remote_id)[
            "AmountDue"
        ]
