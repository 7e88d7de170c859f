"""Issue 15, item 6: disconnect and reconnect to the same organisation (links kept, the queue
resumes), and a change of organisation as a guided choice (qxs.org.change.wizard): a new
connection (the old one archived with its links) or re-linking by number. Both providers;
the OAuth consent is followed at the emulator as the browser would."""

from urllib.parse import parse_qsl, urlsplit

import requests

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import QxsCase, XeroMixin

SECOND_TENANT = {"tenantId": "2b8e6d1a-4c3f-4e7a-9d2b-5f1c0a7e3b21", "tenantName": "Second Org"}
FIRST_TENANT = {"tenantId": "7f3c2a4e-9b1d-4c8e-a5f6-0d2e4b6a8c10", "tenantName": "First Org"}
NEW_REALM = "9341453000000777"


class OrgChangeChecks:
    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids = [Command.link(cls.env.company.id)]
        cls.accountant = new_test_user(
            cls.env,
            login=f"qxs_org_accountant_{cls.provider}",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )

    def consent(self, conn=None):
        """The administrator clicks Connect, consents at the emulator, and the provider's
        answer reaches the callback's handling (state checked, code exchanged)."""
        conn = (conn or self.connection).with_user(self.admin)
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://127.0.0.1:8069")
        action = conn.action_connect()
        answer = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302, answer.text)
        params = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
        state, code = params.pop("state"), params.pop("code")
        checked = self.env["qxs.connection"].with_user(self.admin)._check_oauth_state(state)
        self.assertEqual(checked, conn)
        landing = checked._finish_oauth(code, params)
        self.env.invalidate_all()
        return landing

    def numbers(self):
        """The invoice numbers in each organisation of the emulator, sorted."""
        raise NotImplementedError

    # ------------------------------------------------------------------ disconnect
    def test_disconnect_revokes_keeps_links_and_reconnect_resumes(self):
        sent = self.invoice()
        self.sync()
        rec = self.record(sent)
        self.assertEqual(rec.state, "synced", rec.last_error)
        remote_id = rec.remote_id
        waiting = self.invoice(amounts=(70.0,))  # queued, not sent yet
        with self.assertRaises(AccessError):
            self.connection.with_user(self.accountant).action_disconnect()

        self.connection.with_user(self.admin).action_disconnect()
        self.assertEqual(self.emulator.count(self.revoke_path, "POST"), 1, "revoked")
        conn = self.connection.sudo()
        self.assertEqual(conn.state, "disconnected")
        self.assertFalse(conn.access_token or conn.refresh_token or conn.token_expiry)
        self.assertEqual((rec.state, rec.remote_id), ("synced", remote_id), "links kept")
        self.sync()
        self.assertNotEqual(self.record(waiting).state, "synced")
        self.assertFalse(self.record(waiting).remote_id)
        self.assertEqual(self.numbers()[0], [sent.name])

        # Reconnect to the same organisation: no choice asked, the queue resumes.
        self.consent()
        self.assertEqual(self.connection.state, "connected", self.connection.last_error)
        self.assertFalse(self.connection.org_change_pending)
        self.sync()
        self.assertEqual(self.record(waiting).state, "synced", self.record(waiting).last_error)
        self.assertEqual((rec.state, rec.remote_id), ("synced", remote_id))
        self.assertEqual(self.numbers()[0], sorted([sent.name, waiting.name]), "no duplicate")

    # ------------------------------------------------------------------ change of organisation
    def start_change(self):
        """Two documents sent to the first organisation, one waiting; then a consent for
        another organisation: the choice is pending, nothing changed."""
        sent = self.invoice() | self.invoice(amounts=(80.0,))
        self.sync()
        self.assertEqual(set(sent.mapped(lambda m: self.record(m).state)), {"synced"})
        links = {m: self.record(m).remote_id for m in sent}
        old_org = self.connection.remote_org_id
        old_token = self.connection.sudo().access_token
        landing = self.consent_other_org()
        self.assertIn(f"action_qxs_connection/{self.connection.id}", landing)
        conn = self.connection
        self.assertTrue(conn.org_change_pending)
        self.assertEqual(conn.remote_org_id, old_org, "nothing changed yet")
        self.assertEqual(conn.sudo().access_token, old_token)
        self.assertEqual(conn.state, "connected")
        self.assertIn("choose how to continue", conn.message_ids[0].body)
        with self.assertRaises(AccessError):
            conn.with_user(self.accountant).action_open_org_change()
        with self.assertRaises(AccessError):
            conn.with_user(self.accountant).read(["pending_org_change"])
        action = conn.with_user(self.admin).action_open_org_change()
        wizard = self.env[action["res_model"]].with_user(self.admin).browse(action["res_id"])
        self.assertEqual(wizard.sent_count, 2)
        self.assertEqual(wizard.new_org_name, self.new_org_name)
        return sent, links, wizard

    def test_change_cancelled_keeps_the_old_organisation(self):
        sent, links, wizard = self.start_change()
        revoked = self.emulator.count(self.revoke_path, "POST")
        wizard.action_cancel()
        self.assertEqual(
            self.emulator.count(self.revoke_path, "POST"), revoked + 1, "new tokens revoked"
        )
        self.env.invalidate_all()
        conn = self.connection
        self.assertFalse(conn.org_change_pending)
        self.assertFalse(conn.sudo().pending_org_change)
        more = self.invoice(amounts=(33.0,))
        self.sync()
        self.assertEqual(self.record(more).state, "synced", self.record(more).last_error)
        self.assertEqual(self.numbers(), self.expected(sent, [more], []))
        self.assertEqual({m: self.record(m).remote_id for m in sent}, links)

    def test_change_to_a_new_connection(self):
        sent, links, wizard = self.start_change()
        old = self.connection
        wizard.write({"choice": "new_connection"})
        action = wizard.action_apply()
        new = self.env["qxs.connection"].browse(action["res_id"])
        self.env.invalidate_all()
        self.assertNotEqual(new, old)
        self.assertFalse(old.active)
        self.assertEqual(old.state, "disconnected")
        self.assertTrue(new.active)
        self.assertEqual((new.state, new.remote_org_id), ("connected", self.new_org_id))
        for fname in ("default_revenue_code", "payment_journal_id", "client_id", "provider"):
            self.assertEqual(new.sudo()[fname], old.sudo()[fname], fname)
        # The old organisation's documents keep their links (read only: nothing more sent).
        self.assertEqual({m: self.record(m).remote_id for m in sent}, links)
        self.assertEqual(
            {self.record(m).connection_id for m in sent}, {old}, "records stay on the old one"
        )
        later = self.invoice(amounts=(44.0,))
        self.sync()
        rec = later._qxs_document_record()
        self.assertEqual(rec.connection_id, new)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(self.numbers(), self.expected(sent, [], [later]))
        self.assert_sent_to_new_org()

    def test_change_by_relinking_numbers(self):
        sent, links, wizard = self.start_change()
        wizard.write({"choice": "relink"})
        wizard.action_apply()
        self.env.invalidate_all()
        conn = self.connection
        self.assertTrue(conn.active)
        self.assertEqual((conn.state, conn.remote_org_id), ("connected", self.new_org_id))
        self.assertFalse(self.env["qxs.binding"].sudo().search([("connection_id", "=", conn.id)]))
        for move in sent:
            rec = self.record(move)
            self.assertEqual((rec.state, rec.remote_id), ("pending", False))
            self.assertTrue(self.env["qxs.send.attempt"]._marked(rec), "looked up by number")
        self.sync()
        for move in sent:
            rec = self.record(move)
            self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(self.numbers(), self.expected(sent, [], sent), "no duplicate")
        self.assert_sent_to_new_org()
        relinked = {m: self.record(m).remote_id for m in sent}
        self.assertEqual(relinked == links, self.same_company, relinked)


@tagged("post_install", "-at_install")
class TestOrgChangeQbo(OrgChangeChecks, QxsCase):
    """QuickBooks: the consent answers another realm. The emulator has one company whatever
    the realm: the documents already sent are there, and are found by number."""

    # Re-linking looks every document up before sending it: no per-second throttling here
    # (test_qbo_pacing covers it).
    emulator_config = {"rate_limit_per_second": None}
    revoke_path = "^/oauth2/v1/tokens/revoke$"
    new_org_id = NEW_REALM

    @property
    def new_org_name(self):
        return self.emulator.objects("CompanyInfo")[0]["CompanyName"]

    same_company = True

    def setUp(self):
        super().setUp()
        self.addCleanup(
            self.emulator.config.__setitem__, "realm_id", self.emulator.config["realm_id"]
        )

    def consent_other_org(self):
        self.emulator.config["realm_id"] = NEW_REALM
        return self.consent()

    def numbers(self):
        return [sorted(inv["DocNumber"] for inv in self.emulator.objects("Invoice"))]

    @staticmethod
    def expected(sent, old_more, new):
        return [sorted(set(sent.mapped("name")) | {m.name for m in list(old_more) + list(new)})]

    def assert_sent_to_new_org(self):
        calls = [e for e in self.emulator.log if e["path"].startswith(f"/v3/company/{NEW_REALM}/")]
        self.assertTrue(calls, "the new realm is used")


@tagged("post_install", "-at_install")
class TestOrgChangeXero(OrgChangeChecks, XeroMixin, QxsCase):
    """Xero: the new consent covers another organisation only."""

    emulator_config = {"tenants": [FIRST_TENANT, SECOND_TENANT]}
    revoke_path = "^/connect/revocation$"
    new_org_id = SECOND_TENANT["tenantId"]
    new_org_name = SECOND_TENANT["tenantName"]
    same_company = False

    def consent_other_org(self):
        first = FIRST_TENANT["tenantId"]
        store = self.emulator.orgs.pop(first)
        try:
            return self.consent()
        finally:
            self.emulator.orgs[first] = store

    def numbers(self):
        return [
            sorted(
                inv["InvoiceNumber"] for inv in self.emulator.objects("Invoices", tenant_index=i)
            )
            for i in (0, 1)
        ]

    @staticmethod
    def expected(sent, old_more, new):
        return [
            sorted(sent.mapped("name") + [m.name for m in old_more]),
            sorted(m.name for m in new),
        ]

    def assert_sent_to_new_org(self):
        self.assertTrue(self.numbers()[1])
