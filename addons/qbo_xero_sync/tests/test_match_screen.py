"""The match screen in a real browser (QuickBooks emulator), as an accountant."""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import QxsCase


@tagged("post_install", "-at_install")
class TestMatchScreenTour(QxsCase, HttpCase):
    """Read candidates, link, hide linked, create a remote customer in Odoo."""

    def test_match_screen_tour(self):
        company = self.env.company
        new_test_user(
            self.env,
            login="qxs_match_accountant",
            password="qxs_match_accountant-pw",
            groups="base.group_user,base.group_partner_manager,account.group_account_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        partner = self.env["res.partner"].create({"name": "Cool Cars Tour", "customer_rank": 1})
        self.start_tour(
            "/odoo/action-qbo_xero_sync.action_qxs_match_wizard",
            "qxs_match_tour",
            login="qxs_match_accountant",
        )
        [cool_cars] = [
            c for c in self.emulator.objects("Customer") if c["DisplayName"] == "Cool Cars"
        ]
        Binding = self.env["qxs.binding"]
        self.assertEqual(
            Binding._known(self.connection, "customer", [partner.id]), {partner.id: cool_cars["Id"]}
        )
        imported = self.env["res.partner"].search([("name", "=", "Bill's Windsurf Shop")])
        self.assertEqual(len(imported), 1)
        self.assertTrue(Binding._known(self.connection, "customer", [imported.id]))
