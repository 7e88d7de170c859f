"""Behaviour the issues require that the other test files did not cover yet: Xero's "Connect"
with two organisations (both scope sets), QuickBooks GST/VAT companies, QuickBooks webhooks in
the CloudEvents format, and a Xero invoice deleted remotely.

Same set-up as the other files (``common.QxsCase``): a real Odoo company, the real SDKs, real
HTTP to the in-process emulators.
"""

import json
import uuid
from datetime import datetime, timezone

import requests

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.qbo_xero_sync import const

from .common import QxsCase
from .test_http import CALLBACK, HttpHelpers

FIRST_ORG = {"tenantId": "7f3c2a4e-9b1d-4c8e-a5f6-0d2e4b6a8c10", "tenantName": "Demo Company (US)"}
SECOND_ORG = {"tenantId": "2b8e6d1a-4c3f-4e7a-9d2b-5f1c0a7e3b21", "tenantName": "Second Org (US)"}


class XeroMixin:
    provider = "xero"
    default_revenue_code = "200"  # Sales (REVENUE)
    revenue_code_a = "200"
    revenue_code_b = "260"  # Other Revenue (OTHERINCOME)
    tax_code = "OUTPUT"  # Tax on Sales 8.25 %


# ---------------------------------------------------------------------- 1. Xero "Connect"
@tagged("post_install", "-at_install")
class TestGapsXeroConnect(XeroMixin, HttpHelpers, QxsCase, HttpCase):
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


# ---------------------------------------------------------------------- 2. QBO GST / VAT
GST_RATE = {
    "Id": "20",
    "Name": "GST (sales)",
    "Description": "GST 10%",
    "Active": True,
    "RateValue": 10,
    "AgencyRef": {"value": "2"},
    "SpecialTaxType": "NONE",
    "DisplayType": "ReadOnly",
}
GST_CODE = {
    "Id": "10",
    "Name": "GST",
    "Description": "GST on sales",
    "Active": True,
    "Taxable": True,
    "TaxGroup": False,
    "SalesTaxRateList": {
        "TaxRateDetail": [
            {
                "TaxRateRef": {"value": "20", "name": "GST (sales)"},
                "TaxTypeApplicable": "TaxOnAmount",
                "TaxOrder": 0,
            }
        ]
    },
    "PurchaseTaxRateList": {"TaxRateDetail": []},
}


@tagged("post_install", "-at_install")
class TestGapsQboGlobalTax(QxsCase):
    """A non-US QuickBooks company (GST): a tax code on each line, GlobalTaxCalculation."""

    emulator_config = {"country": "AU"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.qbo_tax_style = "global"
        Tax = cls.env["account.tax"]
        common = {"amount": 10.0, "type_tax_use": "sale", "qxs_tax_code": "GST"}
        cls.tax_gst = Tax.create({"name": "GST 10%", **common})
        cls.tax_gst_included = Tax.create(
            {"name": "GST 10% incl.", "price_include_override": "tax_included", **common}
        )

    def setUp(self):
        super().setUp()
        self.summary = self.emulator.seed(data={"TaxRate": [GST_RATE], "TaxCode": [GST_CODE]})

    def check_sent(self, move, calculation):
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.emulator.objects("Invoice")
        lines = [li for li in inv["Line"] if li.get("DetailType") == "SalesItemLineDetail"]
        self.assertEqual(len(lines), len(move.invoice_line_ids))
        self.assertEqual(
            {li["SalesItemLineDetail"]["TaxCodeRef"]["value"] for li in lines},
            {GST_CODE["Id"]},
            "each line carries the GST code, not TAX/NON",
        )
        self.assertEqual(inv["GlobalTaxCalculation"], calculation)
        self.assertNotIn("TxnTaxCodeRef", inv["TxnTaxDetail"], "no US document tax code")
        self.assertAlmostEqual(inv["TxnTaxDetail"]["TotalTax"], move.amount_tax, 2)
        self.assertAlmostEqual(inv["TotalAmt"], move.amount_total, 2)
        self.assertFalse(rec.total_mismatch)
        return inv

    def test_tax_excluded_prices_send_the_gst_code_per_line(self):
        move = self.invoice(amounts=(100.0, 50.5), taxes=self.tax_gst)
        self.assertAlmostEqual(move.amount_total, 165.55, 2)
        self.check_sent(move, "TaxExcluded")

    def test_tax_included_prices_are_sent_tax_inclusive(self):
        move = self.invoice(amounts=(110.0, 55.55), taxes=self.tax_gst_included)
        self.assertAlmostEqual(move.amount_untaxed, 150.5, 2)
        self.assertAlmostEqual(move.amount_total, 165.55, 2)
        self.check_sent(move, "TaxInclusive")


# ---------------------------------------------------------------------- 3. QBO CloudEvents
@tagged("post_install", "-at_install")
class TestGapsQboCloudEvents(HttpHelpers, QxsCase, HttpCase):
    """QuickBooks webhooks in the CloudEvents format (API_NOTES §1), signed like the legacy
    ones: the named invoice is read and its payment registered."""

    def cloud_events(self, *remote_ids, kind="invoice"):
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        return [
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "type": f"qbo.{kind}.updated.v1",
                "time": now,
                "intuitentityid": remote_id,
                "intuitaccountid": self.emulator.config["realm_id"],
                "data": {},
            }
            for remote_id in remote_ids
        ]

    def post_signed(self, payload, key=None):
        body = json.dumps(payload).encode()
        key = key or self.emulator.config["webhook_verifier_token"]
        signature = self.emulator.sign(key, body)
        return self.deliver(
            self.emulator.post_signed, self.webhook_url("qbo"), body, "intuit-signature", signature
        )

    def test_cloudevents_webhook_pulls_the_invoice_and_registers_the_payment(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.emulator.pay_invoice(rec.remote_id)
        events = self.cloud_events(rec.remote_id)

        self.assertEqual(self.post_signed(events, key="someone-else"), 401)
        self.assertEqual((rec.state, rec.action), ("synced", "push"), "refused: nothing changes")

        self.assertEqual(self.post_signed(events), 200)
        self.assertEqual((rec.state, rec.action), ("pending", "pull"))
        self.assertEqual(move.payment_state, "not_paid", "nothing is synced inline")
        self.sync()
        self.assertEqual((rec.state, rec.action, rec.remote_status), ("synced", "push", "paid"))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(move._get_reconciled_payments()), 1)
        # The same event delivered again (Intuit retries) registers nothing twice.
        self.assertEqual(self.post_signed(events), 200)
        self.sync()
        self.assertEqual(len(move._get_reconciled_payments()), 1)


# ---------------------------------------------------------------------- 5. Xero deleted
@tagged("post_install", "-at_install")
class TestGapsXeroDeleted(XeroMixin, QxsCase):
    """An invoice deleted in Xero comes back by polling; posting again creates it anew."""

    def test_deleted_in_xero_comes_back_by_polling_and_repost_creates_it_anew(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        old_id = rec.remote_id
        # Only DRAFT or SUBMITTED invoices can be deleted in Xero: the copy is a draft there
        # (as if a user had saved it as a draft), then a user deletes it.
        with self.emulator.lock:
            self.emulator.state["Invoices"][old_id]["Status"] = "DRAFT"
        self.emulator.delete_invoice(old_id)
        self.assertEqual(self.emulator.objects("Invoices")[0]["Status"], "DELETED")

        self.poll()
        self.assertEqual(rec.state, "remote_deleted")
        self.assertEqual(move.qxs_sync_state, "remote_deleted")
        self.assertEqual(
            dict(rec._fields["state"]._description_selection(self.env))[rec.state],
            "Deleted remotely",
        )
        self.assertFalse(rec.remote_id, "the link is dropped")
        self.assertIn("deleted in Xero", move.message_ids[0].body)
        self.assertEqual(move.state, "posted", "the Odoo invoice stays")

        move.button_draft()
        move.action_post()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertNotEqual(rec.remote_id, old_id)
        by_status = {i["Status"]: i for i in self.emulator.objects("Invoices")}
        self.assertEqual(set(by_status), {"DELETED", "AUTHORISED"})
        self.assertEqual(by_status["AUTHORISED"]["InvoiceID"], rec.remote_id)
        self.assertEqual(by_status["AUTHORISED"]["InvoiceNumber"], move.name)
