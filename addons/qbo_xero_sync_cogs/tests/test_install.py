from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestInstall(AccountTestInvoicingCommon):
    def test_channel_sync_types_default_individual(self):
        team = self.env["crm.team"].create({"name": "Shop"})
        self.assertEqual(team.qxs_invoice_sync_type, "individual")
        self.assertEqual(team.qxs_cogs_sync_type, "individual")

    def test_post_invoice_with_cogs_installed(self):
        invoice = self.init_invoice("out_invoice", amounts=[50.0], post=True)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.payment_state, "not_paid")
