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
        return self.emulator.get_document("Invoices", self.record(move).remote_id)
