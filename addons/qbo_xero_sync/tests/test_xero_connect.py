"""Xero's "Connect" through Odoo's OAuth controller, with a consent that covers two
organisations, under both scope sets (the legacy one and the granular one of apps created from
2 March 2026: https://developer.xero.com/documentation/oauth2/scopes).

Same set-up as the other files (``common.QxsCase``): a real Odoo company, the real SDK, real
HTTP to the in-process emulator.
"""

import requests

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.qbo_xero_sync import const

from .common import QxsCase, XeroMixin
from .test_http import CALLBACK, HttpHelpers

FIRST_ORG = {"tenantId": "7f3c2a4e-9b1d-4c8e-a5f6-0d2e4b6a8c10", "tenantName": "Demo Company (US)"}
SECOND_ORG = {"tenantId": "2b8e6d1a-4c3f-4e7a-9d2b-5f1c0a7e3b21", "tenantName": "Second Org (US)"}


@tagged("post_install", "-at_install")
class TestXeroConnect(XeroMixin, HttpHelpers, QxsCase, HttpCase):
    """ "Connect to Xero" through Odoo's OAuth controller, the consent covering two
    organisations: both are listed, the first is used, the second can be chosen."""

    emulator_config = {"tenants": [FIRST_ORG, SECOND_ORG]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids = [Command.link(cls.env.company.id)]

    def connect_through_odoo(self, scope_set):
        """The administrator clicks "Connect to Xero" on a connection never connected before,
        consents at the emulator, and the browser comes back to Odoo's callback."""
        conn = self.draft_connection(xero_scope_set=scope_set)
        action = conn.with_user(self.admin).action_connect()
        self.assertTrue(action["url"].startswith(self.emulator.urls()["authorize"]), action)
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(consent.status_code, 302, consent.text)
        location = consent.headers["Location"]
        self.assertTrue(location.startswith(self.base_url() + CALLBACK + "?"), location)
        self.authenticate("admin", "admin")
        answer = self.url_open(location, allow_redirects=False)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.env.invalidate_all()
        return conn

    def authorize_scopes(self):
        [call] = [e for e in self.emulator.log if e["path"] == "/identity/connect/authorize"]
        return call["query"]["scope"].split()

    def check_connect_two_organisations(self, scope_set, expected_scopes):
        conn = self.connect_through_odoo(scope_set)
        self.assertEqual(self.authorize_scopes(), expected_scopes)
        self.assertEqual(self.emulator.count("^/connect/token$", "POST"), 1, "one code exchange")
        self.assertEqual(conn.state, "connected", conn.last_error)
        self.assertEqual(
            conn.tenant_ids.mapped("remote_id"), [FIRST_ORG["tenantId"], SECOND_ORG["tenantId"]]
        )
        self.assertEqual(
            (conn.remote_org_id, conn.remote_org_name),
            (FIRST_ORG["tenantId"], FIRST_ORG["tenantName"]),
            "the first organisation is used",
        )
        first, second = conn.tenant_ids
        self.assertEqual((first.is_current, second.is_current), (True, False))

        # The administrator picks the second organisation before anything is sent: the
        # invoice goes there only (with this scope set's tokens).
        second.action_use()
        self.assertEqual(
            (conn.remote_org_id, conn.remote_org_name),
            (SECOND_ORG["tenantId"], SECOND_ORG["tenantName"]),
        )
        self.assertIn(SECOND_ORG["tenantName"], conn.message_ids[0].body)
        move_second = self.invoice(amounts=(60.0,))
        self.sync()
        rec = self.record(move_second)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.emulator.objects("Invoices", tenant_index=1)
        self.assertEqual(
            (inv["InvoiceID"], inv["InvoiceNumber"]), (rec.remote_id, move_second.name)
        )
        self.assertAlmostEqual(inv["Total"], move_second.amount_total, 2)
        self.assertEqual(self.emulator.objects("Invoices"), [], "nothing in the first one")

        # Once documents were sent, switching would detach them: refused, with the way out.
        with self.assertRaisesRegex(UserError, "Archive this connection"):
            first.action_use()
        self.assertEqual(conn.remote_org_id, SECOND_ORG["tenantId"])

    def test_connect_to_xero_legacy_scopes_two_organisations(self):
        expected = [
            "openid",
            "profile",
            "email",
            "offline_access",
            "accounting.transactions",
            "accounting.settings",
            "accounting.contacts",
        ]
        self.assertEqual(const.XERO_SCOPES_LEGACY, expected)
        self.check_connect_two_organisations("legacy", expected)

    def test_connect_to_xero_granular_scopes_two_organisations(self):
        scopes = const.XERO_SCOPES_GRANULAR
        self.assertNotIn("accounting.transactions", scopes)
        self.assertTrue({"accounting.invoices", "accounting.payments"} <= set(scopes))
        self.check_connect_two_organisations("granular", scopes)
