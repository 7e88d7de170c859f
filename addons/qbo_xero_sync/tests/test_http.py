"""Through real HTTP to Odoo's test server: the OAuth return, the providers' webhooks, who may
read the secrets, and which company sees what.

The emulators call Odoo with their own HTTP clients (as Intuit and Xero would); the browser's
part is played by ``requests`` (the provider's consent page) and by the test opener (Odoo's
pages, with a session). Odoo's test server shares this test's cursor: flush before a request,
re-read after it.
"""

import json
from unittest.mock import patch
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import QxsCase, get_emulator_class

CALLBACK = "/qbo_xero_sync/oauth/callback"
SECRETS = ("client_secret", "access_token", "refresh_token", "webhook_key")


class HttpHelpers:
    """Small helpers shared by the HTTP test classes (mixed into QxsCase + HttpCase)."""

    def draft_connection(self, **extra):
        """The company's connection as before its first "Connect" (``extra``: more values)."""
        self.env["ir.config_parameter"].set_param("web.base.url", self.base_url())
        self.connection.sudo().write(
            {
                "state": "draft",
                "access_token": False,
                "refresh_token": False,
                "token_expiry": False,
                "remote_org_id": False,
                "remote_org_name": False,
                **extra,
            }
        )
        self.connection.tenant_ids.unlink()
        return self.connection

    def webhook_url(self, provider):
        return f"{self.base_url()}/qbo_xero_sync/webhook/{provider}"

    def deliver(self, send, *args, **kwargs):
        """Let an emulator call Odoo with its own HTTP client (not the test opener): flush so
        that the server sees this test's data, forget the cache so that we see the server's."""
        self.env.flush_all()
        answer = send(*args, **kwargs)
        self.env.invalidate_all()
        return answer

    def call_kw(self, model, method, args, kwargs=None):
        """A JSON-RPC call as the browser's web client makes it, with the current session.
        Returns (result, error data)."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        answer = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(answer.status_code, 200, answer.text)
        self.env.invalidate_all()
        body = answer.json()
        return body.get("result"), (body.get("error") or {}).get("data")

    def make_user(self, login, groups, companies):
        return new_test_user(
            self.env,
            login=login,
            password=login + "-pw",
            groups=groups,
            company_id=companies[0].id,
            company_ids=[Command.set(companies.ids)],
        )


@tagged("post_install", "-at_install")
class TestHttp(HttpHelpers, QxsCase, HttpCase):
    """QuickBooks Online: OAuth "Connect", webhooks, secrets and companies, over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids = [Command.link(cls.env.company.id)]
        # A second company connected to a second QuickBooks company (its own emulator).
        cls.company_b_data = cls.setup_other_company(name="Company B")
        cls.company_b = cls.company_b_data["company"]
        cls.emulator_b = get_emulator_class("qbo")(realm_id="9341453000000002").start()
        cls.addClassCleanup(cls.emulator_b.stop)
        cls.emulator_b.seed()
        cls.connection_b = cls._connect(cls.company_b, cls.emulator_b)
        cls.tax_sale_b = cls.env["account.tax"].create(
            {
                "name": "Sales tax 8.25% (B)",
                "amount": 8.25,
                "type_tax_use": "sale",
                "company_id": cls.company_b.id,
                "qxs_tax_code": cls.tax_code,
            }
        )

    # ------------------------------------------------------------------ a. OAuth

    def authorize(self, connection, user):
        """Click "Connect to QuickBooks" as ``user`` and follow the consent page at the
        emulator as the browser would; return where the provider sends the browser back."""
        action = connection.with_user(user).action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(self.emulator.urls()["authorize"]), action)
        answer = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302, answer.text)
        location = answer.headers["Location"]
        self.assertTrue(location.startswith(self.base_url() + CALLBACK + "?"), location)
        return location

    def assert_nothing_stored(self, connection):
        self.env.invalidate_all()
        conn = connection.sudo()
        self.assertEqual(conn.state, "draft")
        self.assertFalse(conn.access_token or conn.refresh_token or conn.remote_org_id)
        self.assertEqual(self.emulator.count("/oauth2/v1/tokens/bearer"), 0, "no code exchange")

    def test_oauth_connect_to_quickbooks(self):
        conn = self.draft_connection()
        location = self.authorize(conn, self.admin)
        self.authenticate("admin", "admin")
        answer = self.url_open(location, allow_redirects=False)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.assertIn(
            f"/action-qbo_xero_sync.action_qxs_connection/{conn.id}", answer.headers["Location"]
        )
        self.env.invalidate_all()
        secret = conn.sudo()
        self.assertEqual(conn.state, "connected")
        self.assertEqual(conn.remote_org_id, self.emulator.config["realm_id"])
        self.assertEqual(conn.tenant_ids.mapped("remote_id"), [self.emulator.config["realm_id"]])
        self.assertTrue(secret.access_token and secret.refresh_token and secret.token_expiry)
        self.assertEqual(self.emulator.count("/oauth2/v1/tokens/bearer"), 1)
        # The stored tokens work: an invoice goes through with them.
        move = self.invoice()
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)

    def test_oauth_tampered_state_or_other_user_is_refused(self):
        conn = self.draft_connection()
        location = self.authorize(conn, self.admin)
        url = urlsplit(location)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        conn_id, _dot, token = query["state"].partition(".")

        def with_state(state):
            return urlunsplit(url._replace(query=urlencode({**query, "state": state})))

        self.authenticate("admin", "admin")
        forged = "0" * len(token) if token != "0" * len(token) else "1" * len(token)
        for state in (f"{conn_id}.{forged}", f"{conn_id}.", "", f"{self.connection_b.id}.{token}"):
            answer = self.url_open(with_state(state), allow_redirects=False)
            self.assertIn(answer.status_code, (400, 403), f"state {state!r} must be refused")
            self.assert_nothing_stored(conn)
        # The right state, but opened by another Settings administrator of the company.
        self.make_user("qxs_other_admin", "base.group_user,base.group_system", self.env.company)
        self.authenticate("qxs_other_admin", "qxs_other_admin-pw")
        answer = self.url_open(location, allow_redirects=False)
        self.assertEqual(answer.status_code, 400, answer.text)
        self.assert_nothing_stored(conn)
        # The user who clicked "Connect" still can finish: the refusals consumed nothing.
        self.authenticate("admin", "admin")
        answer = self.url_open(location, allow_redirects=False)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.env.invalidate_all()
        self.assertEqual(conn.state, "connected")

    # ------------------------------------------------------------------ b. QBO webhook
    def test_qbo_webhook_reads_the_invoice_and_registers_the_payment(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.emulator.pay_invoice(rec.remote_id)
        entities = [{"name": "Invoice", "id": rec.remote_id}]
        url = self.webhook_url("qbo")

        # A notification signed with another key is refused and changes nothing.
        with patch.dict(self.emulator.config, webhook_verifier_token="someone-else"):
            self.assertEqual(self.deliver(self.emulator.send_webhook, entities, url=url), 401)
        unsigned = self.url_open(url, data=json.dumps({"eventNotifications": []}))
        self.assertEqual(unsigned.status_code, 401)
        self.assertEqual((rec.state, rec.action), ("synced", "push"))
        self.sync()
        self.assertEqual(move.payment_state, "not_paid")

        # Correctly signed: 200, the record is marked for reading, nothing is synced inline.
        poll_triggers = self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.env.ref("qbo_xero_sync.ir_cron_qxs_poll").id)]
        )
        self.assertEqual(self.deliver(self.emulator.send_webhook, entities, url=url), 200)
        self.assertEqual((rec.state, rec.action), ("pending", "pull"))
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count(
                [("cron_id", "=", self.env.ref("qbo_xero_sync.ir_cron_qxs_poll").id)]
            ),
            poll_triggers,
            "the pull reads the invoice: no poll that would race it",
        )
        self.assertEqual(move.payment_state, "not_paid")
        self.sync()
        self.assertEqual((rec.state, rec.action, rec.remote_status), ("synced", "push", "paid"))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.url_open("/qbo_xero_sync/webhook/other", data="{}").status_code, 403)

    # ------------------------------------------------------------------ d. secrets
    def test_secrets_are_for_settings_administrators_only(self):
        accountant = self.make_user(
            "qxs_accountant", "base.group_user,account.group_account_manager", self.env.company
        )
        self.assertFalse(accountant.has_group("base.group_system"))
        conn = self.connection.with_user(accountant)
        self.assertEqual(conn.read(["state"])[0]["state"], "connected")
        for fname in SECRETS:
            with self.assertRaises(AccessError, msg=fname):
                conn.read([fname])
        admin_values = self.connection.with_user(self.admin).read(list(SECRETS))[0]
        for fname in SECRETS:
            self.assertTrue(admin_values[fname], fname)

        form = self.env["qxs.connection"].with_user(accountant).get_views([(False, "form")])
        arch = form["views"]["form"]["arch"]
        self.assertIn('name="remote_org_id"', arch)
        for fname in SECRETS:
            self.assertNotIn(fname, arch)

        # The form opens in the accountant's browser: the fields of the view read as they would.
        self.authenticate("qxs_accountant", "qxs_accountant-pw")
        views, error = self.call_kw("qxs.connection", "get_views", [[[False, "form"]]])
        self.assertFalse(error)
        self.assertFalse(set(views["models"]["qxs.connection"]["fields"]) & set(SECRETS))
        form_fields = {
            node.get("name")
            for node in etree.fromstring(views["views"]["form"]["arch"]).iter("field")
            if not any(parent.tag == "field" for parent in node.iterancestors())
        }
        self.assertIn("remote_org_id", form_fields)
        spec = {name: {} for name in form_fields}
        records, error = self.call_kw("qxs.connection", "web_read", [[conn.id], spec])
        self.assertFalse(error, error)
        self.assertEqual(records[0]["remote_org_id"], self.connection.remote_org_id)
        _none, error = self.call_kw("qxs.connection", "web_read", [[conn.id], {"access_token": {}}])
        self.assertEqual(error and error["name"], "odoo.exceptions.AccessError")

    # ------------------------------------------------------------------ e. companies
    def test_each_company_syncs_to_its_own_provider_and_sees_its_own_records(self):
        self.emulator_b.reset()
        self.emulator_b.seed()
        self.connection_b.sudo().write(
            self.connection_b._token_values(self.emulator_b.issue_tokens())
            | {"payment_journal_id": self.company_b_data["default_journal_bank"].id}
        )
        # Revenue codes and billing accounts are per company.
        self.product_a.with_company(self.company_b).qxs_revenue_code = "Consulting Hours"
        self.partner_a.with_company(self.company_b).qxs_billing_account = "Cool Cars"
        user_a = self.make_user(
            "qxs_user_a", "base.group_user,account.group_account_invoice", self.env.company
        )
        user_b = self.make_user(
            "qxs_user_b", "base.group_user,account.group_account_invoice", self.company_b
        )
        move_a = self.invoice(amounts=(), products=self.product_a)
        move_b = self.init_invoice(
            "out_invoice", products=self.product_a, taxes=self.tax_sale_b, company=self.company_b
        )
        # Company B's invoicing user posts in the browser.
        self.authenticate("qxs_user_b", "qxs_user_b-pw")
        _none, error = self.call_kw(
            "account.move",
            "action_post",
            [move_b.ids],
            {"context": {"allowed_company_ids": self.company_b.ids}},
        )
        self.assertFalse(error, error)
        self.assertEqual(move_b.state, "posted")
        self.sync()  # as the cron does: in the main company's context
        rec_a, rec_b = self.record(move_a), self.record(move_b)
        self.assertEqual(
            (rec_a.connection_id, rec_b.connection_id), (self.connection, self.connection_b)
        )
        self.assertEqual((rec_a.state, rec_b.state), ("synced", "synced"), rec_b.last_error)
        [inv_a] = self.emulator.objects("Invoice")
        [inv_b] = self.emulator_b.objects("Invoice")
        self.assertEqual((inv_a["Id"], inv_b["Id"]), (rec_a.remote_id, rec_b.remote_id))
        self.assertAlmostEqual(inv_b["TotalAmt"], move_b.amount_total, 2)

        def item_names(emulator, invoice):
            items = {i["Id"]: i["Name"] for i in emulator.objects("Item")}
            return [
                items[li["SalesItemLineDetail"]["ItemRef"]["value"]]
                for li in invoice["Line"]
                if li.get("DetailType") == "SalesItemLineDetail"
            ]

        self.assertEqual(item_names(self.emulator, inv_a), ["Design"], "company A's code")
        self.assertEqual(item_names(self.emulator_b, inv_b), ["Consulting Hours"], "B's code")
        customers_b = {c["Id"]: c["DisplayName"] for c in self.emulator_b.objects("Customer")}
        self.assertEqual(customers_b[inv_b["CustomerRef"]["value"]], "Cool Cars")

        # A payment in company B's QuickBooks is registered in company B.
        self.emulator_b.pay_invoice(rec_b.remote_id)
        self.poll()
        self.assertIn(move_b.payment_state, ("paid", "in_payment"))
        self.assertEqual(move_a.payment_state, "not_paid")

        # Each company's user sees its own sync records only (multi-company rule).
        for login, mine, other in (("qxs_user_a", rec_a, rec_b), ("qxs_user_b", rec_b, rec_a)):
            self.authenticate(login, login + "-pw")
            found, error = self.call_kw(
                "qxs.sync.record", "search_read", [[["purpose", "=", "document"]], ["id"]]
            )
            self.assertFalse(error, error)
            self.assertEqual([r["id"] for r in found], mine.ids, login)
            _none, error = self.call_kw("qxs.sync.record", "read", [other.ids, ["state"]])
            self.assertEqual(error and error["name"], "odoo.exceptions.AccessError", login)
        self.assertEqual(
            self.env["qxs.sync.record"].with_user(user_a).search([]).company_id,
            self.env.company,
        )
        self.assertEqual(
            self.env["qxs.sync.record"].with_user(user_b).search([]).company_id, self.company_b
        )


@tagged("post_install", "-at_install")
class TestHttpXero(HttpHelpers, QxsCase, HttpCase):
    """Xero webhooks over real HTTP: intent to receive, then events that pull the status."""

    provider = "xero"
    default_revenue_code = "200"  # Sales (REVENUE)
    revenue_code_a = "200"
    revenue_code_b = "260"
    tax_code = "OUTPUT"  # Tax on Sales 8.25 %

    def test_intent_to_receive(self):
        answer = self.deliver(self.emulator.send_intent_to_receive, url=self.webhook_url("xero"))
        self.assertEqual((answer["correct"], answer["incorrect"]), (200, 401), answer)
        self.assertTrue(answer["ok"])
        self.assertFalse(self.env["qxs.sync.record"].search([("state", "=", "pending")]))

    def test_invoice_update_events_pull_paid_and_voided(self):
        paid, voided = self.invoice(amounts=(100.0,)), self.invoice(amounts=(60.0,))
        self.sync()
        rec_paid, rec_voided = self.record(paid), self.record(voided)
        self.assertEqual((rec_paid.state, rec_voided.state), ("synced", "synced"))
        self.emulator.pay_invoice(rec_paid.remote_id)
        self.emulator.void_invoice(rec_voided.remote_id)
        events = [
            {"resourceId": rec.remote_id, "eventCategory": "INVOICE", "eventType": "UPDATE"}
            for rec in (rec_paid, rec_voided)
        ]
        url = self.webhook_url("xero")
        with patch.dict(self.emulator.config, webhook_key="not-the-signing-key"):
            self.assertEqual(self.deliver(self.emulator.send_webhook, events, url=url), 401)
        self.assertEqual((rec_paid.state, rec_voided.state), ("synced", "synced"))

        self.assertEqual(self.deliver(self.emulator.send_webhook, events, url=url), 200)
        self.assertEqual(
            {(r.state, r.action) for r in rec_paid | rec_voided}, {("pending", "pull")}
        )
        self.sync()
        self.assertEqual((rec_paid.state, rec_paid.remote_status), ("synced", "paid"))
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertEqual((rec_voided.state, rec_voided.remote_status), ("synced", "voided"))
        self.assertEqual(voided.state, "cancel")
