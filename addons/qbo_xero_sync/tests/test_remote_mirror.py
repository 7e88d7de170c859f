"""The mirror of the provider's reference data ("Reload from QuickBooks / Xero") and the home
currency check on connect, against both emulators, through Odoo's OAuth controller."""

from unittest.mock import patch

import requests

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import QxsCase, XeroMixin
from .test_http import HttpHelpers


class MirrorChecks:
    """``check_*`` helpers, called by one-line tests in each provider's class."""

    # Per provider: (kind, code, name, type or None, rate or None) that the mirror must hold,
    # the emulator config keys of the home currency, the revocation path, another currency.
    expected = ()
    currency_config = {}
    revoke_path = None
    seed_account = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids = [Command.link(cls.env.company.id)]

        def user(login, groups):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.env.company.id,
                company_ids=[Command.set(cls.env.company.ids)],
            )

        cls.accountant = user("qxs_mirror_accountant", "account.group_account_manager")
        cls.billing = user("qxs_mirror_billing", "account.group_account_invoice")

    def mirror(self, kind=None):
        records = self.connection.remote_record_ids
        return records.filtered(lambda r: r.kind == kind) if kind else records

    def check_reload(self):
        self.connection.action_reload_reference_data()
        held = {
            (r.kind, r.code, r.name, r.account_type or None, r.rate if r.has_rate else None)
            for r in self.mirror()
        }
        for row in self.expected:
            self.assertIn(row, held)
        self.assertEqual(self.connection.remote_home_currency, "USD")
        self.assertIn("home currency USD", self.connection.message_ids[0].body)

    def check_reload_replaces(self):
        self.connection.action_reload_reference_data()
        first = self.mirror()
        self.emulator.reset()  # (a reset forgets the tokens: new ones)
        self.emulator.seed(self.seed_account)
        self.connection.sudo().write(self.connection._token_values(self.emulator.issue_tokens()))
        self.connection.action_reload_reference_data()
        self.assertFalse(first.exists(), "the old mirror is replaced")
        [new] = self.mirror("account").filtered(lambda r: r.name == "Consulting Revenue")
        self.assertEqual(new.usage, "revenue")

    def check_currency_refused_on_connect(self):
        conn = self.draft_connection()
        action = conn.with_user(self.admin).action_connect()
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        location = consent.headers["Location"]
        self.authenticate("admin", "admin")
        with patch.dict(self.emulator.config, self.currency_config):
            answer = self.url_open(location, allow_redirects=False)
        self.assertEqual(answer.status_code, 400, answer.text)
        self.assertIn("keeps its books in EUR", answer.text)
        self.assertIn("in USD", answer.text)
        self.env.invalidate_all()
        secret = conn.sudo()
        self.assertEqual(conn.state, "draft", "not left connected")
        self.assertFalse(secret.access_token or secret.refresh_token)
        self.assertFalse(conn.remote_record_ids, "nothing mirrored")
        self.assertEqual(self.emulator.count(self.revoke_path, "POST"), 1, "tokens revoked")

    def check_connect_lands_on_the_wizard(self):
        conn = self.draft_connection()
        action = conn.with_user(self.admin).action_connect()
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.authenticate("admin", "admin")
        answer = self.url_open(consent.headers["Location"], allow_redirects=False)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.assertTrue(
            answer.headers["Location"].endswith(conn._mapping_wizard_url()),
            answer.headers["Location"],
        )
        self.assertIn(
            "/action-qbo_xero_sync.action_qxs_mapping_wizard?", conn._mapping_wizard_url()
        )
        self.env.invalidate_all()
        self.assertEqual(conn.state, "connected")
        self.assertEqual(conn.remote_home_currency, "USD")
        self.assertTrue(conn.remote_account_ids)

    def check_access(self):
        self.connection.action_reload_reference_data()
        as_accountant = self.connection.with_user(self.accountant)
        self.assertEqual(
            as_accountant.remote_record_ids.mapped("code"), self.mirror().mapped("code")
        )
        with self.assertRaises(AccessError):
            as_accountant.action_reload_reference_data()
        with self.assertRaises(AccessError):
            as_accountant.action_open_mapping_wizard()
        with self.assertRaises(AccessError):
            self.env["qxs.mapping.wizard"].with_user(self.accountant).with_context(
                active_id=self.connection.id, active_model="qxs.connection"
            ).create({})
        with self.assertRaises(AccessError):
            self.mirror()[:1].with_user(self.accountant).write({"code": "X"})
        with self.assertRaises(AccessError):
            self.connection.with_user(self.billing).read(["client_secret"])
        with self.assertRaises(AccessError):
            self.mirror()[:1].with_user(self.billing).read(["code"])

    def check_reload_error(self):
        self.connection.action_reload_reference_data()
        kept = self.mirror()
        self.emulator.add_fault("status", status=503, path=self.reload_path)
        with self.assertRaises(UserError):
            self.connection.action_reload_reference_data()
        self.assertEqual(self.mirror(), kept, "a failed reload keeps the mirror")


@tagged("post_install", "-at_install")
class TestRemoteMirrorQbo(MirrorChecks, HttpHelpers, QxsCase, HttpCase):
    expected = (
        ("account", "Checking", "Checking", "Bank", None),
        ("account", "Services", "Services", "Income", None),
        ("account", "Office Expenses", "Office Expenses", "Expense", None),
        ("tax", "California", "California", None, 8.25),
        ("tax", "NON", "Non-Taxable", None, 0.0),
        ("term", "Net 30", "Net 30", None, None),
        ("class", "Retail", "Retail", None, None),
        ("location", "Downtown", "Downtown", None, None),
        ("currency", "USD", "USD", None, None),
    )
    currency_config = {"home_currency": "EUR", "currencies": ["EUR"]}
    revoke_path = "/oauth2/v1/tokens/revoke"
    reload_path = "/batch"
    seed_account = {
        "Account": [
            {
                "Name": "Consulting Revenue",
                "AccountType": "Income",
                "AccountSubType": "ServiceFeeIncome",
            }
        ]
    }

    def test_reload_mirrors_reference_data(self):
        self.check_reload()
        self.assertEqual(self.mirror("term").filtered(lambda r: r.code == "Net 30").days, 30)
        # One batch of queries (the preferences and currencies included), nothing else.
        self.assertEqual(self.emulator.count("/batch$", "POST"), 1)
        self.assertEqual(self.emulator.count("/query$"), 0)
        self.assertEqual(self.emulator.count("/preferences$", "GET"), 0)

    def test_reload_replaces_the_mirror(self):
        self.check_reload_replaces()

    def test_reload_error_keeps_the_mirror(self):
        self.check_reload_error()

    def test_currency_mismatch_refused_on_connect(self):
        self.check_currency_refused_on_connect()

    def test_connect_lands_on_the_mapping_wizard(self):
        self.check_connect_lands_on_the_wizard()

    def test_access(self):
        self.check_access()


@tagged("post_install", "-at_install")
class TestRemoteMirrorXero(XeroMixin, MirrorChecks, HttpHelpers, QxsCase, HttpCase):
    expected = (
        ("account", "090", "Business Bank Account", "BANK", None),
        ("account", "200", "Sales", "REVENUE", None),
        ("account", "429", "General Expenses", "OVERHEADS", None),
        ("tax", "OUTPUT", "Tax on Sales", None, 8.25),
        ("tax", "NONE", "Tax Exempt", None, 0.0),
        ("tracking", "North", "Region: North", None, None),
        ("tracking", "Shop", "Sales channel: Shop", None, None),
        ("currency", "USD", "United States Dollar", None, None),
    )
    currency_config = {"base_currency": "EUR", "currencies": ["EUR"]}
    revoke_path = "/connect/revocation"
    reload_path = "/Accounts"
    seed_account = {
        "Accounts": [
            {"Code": "201", "Name": "Consulting Revenue", "Type": "REVENUE", "TaxType": "OUTPUT"}
        ]
    }

    def test_reload_mirrors_reference_data(self):
        self.check_reload()
        self.assertFalse(
            self.mirror("tax").filtered(lambda r: r.code == "INPUT"), "purchase rates left out"
        )
        self.assertFalse(self.mirror("term"), "Xero invoices carry no terms")

    def test_reload_replaces_the_mirror(self):
        self.check_reload_replaces()

    def test_reload_error_keeps_the_mirror(self):
        self.check_reload_error()

    def test_currency_mismatch_refused_on_connect(self):
        self.check_currency_refused_on_connect()

    def test_connect_lands_on_the_mapping_wizard(self):
        self.check_connect_lands_on_the_wizard()

    def test_access(self):
        self.check_access()
