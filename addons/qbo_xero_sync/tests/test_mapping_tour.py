from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import QxsCase


@tagged("post_install", "-at_install")
class TestMappingTour(QxsCase, HttpCase):
    """In a real browser: the mapping wizard of a connection to the QuickBooks emulator,
    opened from the connection form, its proposals, Apply."""

    def test_mapping_wizard_tour(self):
        self.env.ref("base.user_admin").company_ids = [Command.link(self.env.company.id)]
        self.tax_sale.qxs_tax_code = False
        self.assertFalse(self.connection.remote_record_ids)
        self.start_tour(
            f"/odoo/action-qbo_xero_sync.action_qxs_connection/{self.connection.id}",
            "qxs_mapping_tour",
            login="admin",
        )
        self.assertTrue(self.connection.remote_record_ids, "mirrored when the wizard opened")
        self.assertEqual(self.tax_sale.qxs_tax_code, "California", "applied")

    def test_landing_after_connect_tour(self):
        """Where the OAuth callback sends the browser: the wizard of that connection."""
        self.env.ref("base.user_admin").company_ids = [Command.link(self.env.company.id)]
        self.tax_sale.qxs_tax_code = False
        self.start_tour(
            self.connection._mapping_wizard_url(),
            "qxs_mapping_landing_tour",
            login="admin",
        )
        self.assertEqual(self.tax_sale.qxs_tax_code, "California", "applied")
