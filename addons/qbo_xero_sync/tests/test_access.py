"""Who may do what while a company is connected.

* Every accounting role, and a salesperson whose invoices come from sale orders, opens,
  posts, resets, cancels and pays customer invoices as far as Odoo's own rights allow, whatever
  their sync state; none of them reads a secret of the connection.
* The connection's buttons that call the provider (connect, disconnect, load accounts, re-read
  statuses) are for Settings administrators, checked before any call.
* A connection can be archived and replaced again and again.
* An OAuth ``state`` is accepted once, within minutes, from the user who clicked "Connect".
* Webhooks name documents by kind: an id of another kind never pulls a document.
"""

from datetime import timedelta
from unittest.mock import patch

import requests
from lxml import etree
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from .common import QxsCase
from .test_http import HttpHelpers

CALLBACK = "/qbo_xero_sync/oauth/callback"
FORM_FIELDS = (
    "qxs_sync_state",
    "qxs_sync_error",
    "qxs_remote_url",
    "qxs_remote_number",
    "qxs_payment_sync_summary",
    "qxs_payment_sync_error",
)
SECRETS = (
    "client_id",
    "client_secret",
    "access_token",
    "refresh_token",
    "token_expiry",
    "webhook_key",
    "oauth_nonce",
    "oauth_state_date",
)
REVOKE = "/oauth2/v1/tokens/revoke"
TOKENS = "/oauth2/v1/tokens/bearer"


class AccessHelpers:
    """Users of every role in the connected company (mixed into QxsCase subclasses)."""

    @classmethod
    def make_role_users(cls):
        company = cls.env.company

        def user(login, groups):
            return new_test_user(
                cls.env,
                login=login,
                password=login + "-pw",
                groups="base.group_user," + groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.billing = user("qxs_billing", "account.group_account_invoice")
        cls.bookkeeper = user("qxs_bookkeeper", "account.group_account_user")
        cls.accountant = user("qxs_accountant", "account.group_account_manager")
        cls.auditor = user("qxs_auditor", "account.group_account_readonly")
        cls.salesman = user("qxs_salesman", "sales_team.group_sale_salesman")
        cls.settings_admin = user(
            "qxs_settings_admin", "account.group_account_manager,base.group_system"
        )

    def expected_form_values(self, move):
        self.env.invalidate_all()
        values = {name: move.sudo()[name] for name in FORM_FIELDS}
        self.env.invalidate_all()  # computed again as the user, not taken from this cache
        return values

    def assert_opens(self, move, user):
        """``user`` opens the invoice's form (the view as their groups show it) and reads the
        sync fields; returns the values read."""
        expected = self.expected_form_values(move)
        form = Form(move.with_user(user))
        self.assertEqual(form.name, move.name)
        self.env.invalidate_all()
        [values] = move.with_user(user).read(list(FORM_FIELDS))
        self.assertEqual({name: values[name] for name in FORM_FIELDS}, expected, user.login)
        return values


@tagged("post_install", "-at_install")
class TestAccess(AccessHelpers, QxsCase):
    """QuickBooks Online: invoices handled by every role; the connection's buttons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_role_users()
        cls.product_a.invoice_policy = "order"

    def failing_invoice(self, **kw):
        """A posted invoice that fails to sync: its tax has no tax code."""
        return self.invoice(taxes=self.company_data["default_tax_sale"], **kw)

    def states(self, *moves):
        self.env.invalidate_all()
        return [(self.record(m).state, self.record(m).action) for m in moves]

    # ------------------------------------------------------------------ 1. invoices
    def test_every_accounting_role_opens_synced_pending_and_failed_invoices(self):
        synced, failed = self.invoice(), self.failing_invoice()
        self.sync()
        pending = self.invoice()
        self.assertEqual(
            self.states(synced, failed, pending),
            [("synced", "push"), ("error", "push"), ("pending", "push")],
        )
        for user in (self.billing, self.bookkeeper, self.accountant, self.auditor):
            values = self.assert_opens(synced, user)
            self.assertEqual(values["qxs_sync_state"], "synced")
            self.assertTrue(values["qxs_remote_number"] and values["qxs_remote_url"])
            values = self.assert_opens(failed, user)
            self.assertEqual(values["qxs_sync_state"], "error")
            self.assertIn("tax code", values["qxs_sync_error"])
            self.assertEqual(self.assert_opens(pending, user)["qxs_sync_state"], "pending")

    def test_every_role_sees_the_payments_sync_state_and_failure(self):
        """A payment registered by a billing user fails to sync (its journal's deposit account
        is unknown to QuickBooks): every accounting role opening the invoice sees the payments'
        state and the provider's message."""
        move = self.invoice()
        self.sync()
        bank = self.company_data["default_journal_bank"]
        bank.qxs_deposit_account = "No such account"
        self.env["account.payment.register"].with_user(self.billing).with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"journal_id": bank.id})._create_payments()
        self.sync()
        for user in (self.billing, self.bookkeeper, self.accountant, self.auditor):
            values = self.assert_opens(move, user)
            self.assertTrue(values["qxs_payment_sync_summary"], user.login)
            self.assertTrue(values["qxs_payment_sync_error"], user.login)

    def test_salesman_opens_the_invoice_of_their_sale_order(self):
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.partner_a.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product_a.id,
                                "product_uom_qty": 2,
                                "price_unit": 50.0,
                                "tax_id": [Command.set(self.tax_sale.ids)],
                            }
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        move = order._create_invoices()
        self.assertEqual(move.invoice_user_id, self.salesman)
        self.assertEqual(self.assert_opens(move, self.salesman)["qxs_sync_state"], "none")
        move.with_user(self.billing).action_post()
        self.assertEqual(self.assert_opens(move, self.salesman)["qxs_sync_state"], "pending")
        self.sync()
        values = self.assert_opens(move, self.salesman)
        self.assertEqual(values["qxs_sync_state"], "synced", self.record(move).last_error)
        self.assertTrue(values["qxs_remote_number"])
        # A salesperson reads the sync records of the invoices they see, and changes none.
        rec = self.record(move).with_user(self.salesman)
        self.assertEqual(rec.read(["state"])[0]["state"], "synced")
        with self.assertRaises(AccessError):
            rec.write({"state": "pending"})
        # ... and not those of the invoices of other salespeople.
        other = self.invoice()
        self.assertNotEqual(other.invoice_user_id, self.salesman)
        Record = self.env["qxs.sync.record"].with_user(self.salesman)
        self.assertEqual(Record.search([("purpose", "=", "document")]), rec)
        with self.assertRaises(AccessError):
            self.record(other).with_user(self.salesman).read(["state"])
        # A salesperson who also invoices sees every record of the company, as accountants do.
        both = new_test_user(
            self.env,
            login="qxs_sales_billing",
            groups="base.group_user,sales_team.group_sale_salesman,account.group_account_invoice",
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )
        for user in (both, self.billing, self.auditor):
            found = (
                self.env["qxs.sync.record"].with_user(user).search([("purpose", "=", "document")])
            )
            self.assertEqual(found, self.record(move) | self.record(other), user.login)
        with self.assertRaises(AccessError):
            self.connection.with_user(self.salesman).read(["client_secret"])

    def test_billing_and_accountants_post_reset_cancel_pay_and_send(self):
        for user in (self.billing, self.bookkeeper, self.accountant):
            with self.subTest(user=user.login):
                self._check_invoice_flow(user)

    def _check_invoice_flow(self, user):
        as_user = self.env["account.move"].with_user(user)
        draft, to_pay, to_cancel = (self.invoice(post=False) for _i in range(3))
        as_user.browse((draft | to_pay | to_cancel).ids).action_post()
        failed = self.failing_invoice()
        self.sync()
        self.assertEqual(
            self.states(draft, to_pay, to_cancel, failed),
            [("synced", "push")] * 3 + [("error", "push")],
        )
        # Reset to draft and post again: the same remote invoice is updated.
        remote_id = self.record(draft).remote_id
        as_user.browse(draft.id).button_draft()
        as_user.browse(draft.id).action_post()
        self.assertEqual(self.states(draft), [("pending", "push")])
        self.sync()
        self.assertEqual(self.states(draft), [("synced", "push")])
        self.assertEqual(self.record(draft).remote_id, remote_id)

        # Register a payment.
        wizard = (
            self.env["account.payment.register"]
            .with_user(user)
            .with_context(active_model="account.move", active_ids=to_pay.ids)
            .create({})
        )
        wizard.action_create_payments()
        self.assertIn(to_pay.payment_state, ("paid", "in_payment"))

        # Cancel a synced invoice: it is voided remotely.
        as_user.browse(to_cancel.id).button_cancel()
        self.assertEqual(to_cancel.state, "cancel")
        self.assertEqual(self.states(to_cancel), [("pending", "void")])
        self.sync()
        self.env.invalidate_all()
        self.assertEqual(self.record(to_cancel).remote_status, "voided")

        # "Send to QuickBooks / Xero" on the failed invoice, as the action menu runs it.
        action = self.env.ref("qbo_xero_sync.action_qxs_send_again").with_user(user)
        action.with_context(
            active_model="account.move", active_ids=failed.ids, active_id=failed.id
        ).run()
        self.assertEqual(self.states(failed), [("pending", "push")])
        self.sync()
        self.assertEqual(self.states(failed), [("error", "push")])

        # Cancel a failed one and a pending one: looked up remotely (an answer may have been
        # lost), not found, so nothing to void.
        pending = self.invoice()
        as_user.browse((failed | pending).ids).button_cancel()
        self.assertEqual(self.states(failed, pending), [("pending", "void")] * 2)
        self.sync()
        self.assertEqual([s for s, _a in self.states(failed, pending)], ["skipped"] * 2)
        self.assertFalse(self.record(pending).remote_id)

    def test_auditor_and_salesman_change_nothing(self):
        failed = self.failing_invoice()
        self.sync()
        for user in (self.auditor, self.salesman):
            rec = self.record(failed).with_user(user)
            with self.assertRaises(AccessError, msg=user.login):
                rec.write({"state": "pending"})
            with self.assertRaises(AccessError, msg=user.login):
                self.env.ref("qbo_xero_sync.action_qxs_send_again").with_user(user).with_context(
                    active_model="account.move", active_ids=failed.ids, active_id=failed.id
                ).run()
        self.assertEqual(self.states(failed), [("error", "push")])

    def test_accountant_reads_no_secret_and_changes_no_connection(self):
        for user in (self.billing, self.bookkeeper, self.accountant, self.auditor):
            conn = self.connection.with_user(user)
            for fname in SECRETS:
                with self.assertRaises(AccessError, msg=f"{user.login}: {fname}"):
                    conn.read([fname])
            with self.assertRaises(AccessError, msg=user.login):
                conn.write({"default_revenue_code": "X"})
        values = self.connection.with_user(self.settings_admin).read(list(SECRETS))[0]
        for fname in ("client_id", "client_secret", "access_token", "refresh_token"):
            self.assertTrue(values[fname], fname)

    # ------------------------------------------------------------------ 2. connection buttons
    def test_disconnect_needs_a_settings_administrator_before_any_call(self):
        revokes = self.emulator.count(REVOKE)
        with self.assertRaises(AccessError):
            self.connection.with_user(self.accountant).action_disconnect()
        self.assertEqual(self.emulator.count(REVOKE), revokes, "nothing revoked remotely")
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "connected")
        move = self.invoice()
        self.sync()
        self.assertEqual(self.states(move), [("synced", "push")], "the tokens still work")

        self.connection.with_user(self.settings_admin).action_disconnect()
        self.assertEqual(self.emulator.count(REVOKE), revokes + 1)
        self.env.invalidate_all()
        conn = self.connection.sudo()
        self.assertEqual(conn.state, "disconnected")
        self.assertFalse(conn.access_token or conn.refresh_token)

    def test_provider_buttons_are_for_settings_administrators(self):
        calls = len(self.emulator.log)
        for user in (self.accountant, self.bookkeeper, self.billing):
            conn = self.connection.with_user(user)
            for method in (
                "action_connect",
                "action_disconnect",
                "action_load_remote_accounts",
                "action_reread_statuses",
            ):
                with self.assertRaises(AccessError, msg=f"{user.login}: {method}"):
                    getattr(conn, method)()
        self.assertEqual(len(self.emulator.log), calls, "no call to the provider")
        self.assertEqual(self.connection.state, "connected")
        # The accountant's form shows none of these buttons.
        arch = (
            self.env["qxs.connection"]
            .with_user(self.accountant)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        buttons = {b.get("name") for b in etree.fromstring(arch).iter("button")}
        self.assertIn("action_open_sync_records", buttons)
        self.assertFalse(
            buttons
            & {
                "action_connect",
                "action_disconnect",
                "action_load_remote_accounts",
                "action_reread_statuses",
                "action_sync_now",
            },
            buttons,
        )

    def test_reread_all_statuses(self):
        paid, voided = self.invoice(), self.invoice()
        self.sync()
        self.emulator.pay_invoice(self.record(paid).remote_id)
        self.emulator.void_invoice(self.record(voided).remote_id)
        action = self.connection.with_user(self.settings_admin).action_reread_statuses()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(self.states(paid, voided), [("pending", "pull")] * 2)
        self.sync()
        self.env.invalidate_all()
        self.assertEqual(self.record(paid).remote_status, "paid")
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.record(voided).remote_status, "voided")
        self.assertEqual(voided.state, "cancel")

    def test_form_buttons_by_state(self):
        arch = (
            self.env["qxs.connection"]
            .with_user(self.settings_admin)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        header = etree.fromstring(arch).find("header")

        def visible(state, p="qbo"):
            return {
                (b.get("name"), b.get("string"))
                for b in header.iter("button")
                if not safe_eval(b.get("invisible") or "False", {"state": state, "provider": p})
            }

        reconnect = visible("reconnect")
        self.assertIn(("action_connect", "Reconnect"), reconnect)
        self.assertIn("action_disconnect", {name for name, _label in reconnect})
        self.assertIn("action_reread_statuses", {name for name, _label in visible("connected")})
        self.assertIn(("action_connect", "Connect to QuickBooks"), visible("draft"))
        self.assertIn(("action_connect", "Connect to Xero"), visible("disconnected", "xero"))
        self.assertNotIn("action_connect", {name for name, _label in visible("connected")})

    # ------------------------------------------------------------------ 3. archive
    def test_archive_and_replace_the_connection_again_and_again(self):
        Conn = self.env["qxs.connection"].with_user(self.settings_admin)
        vals = {
            "company_id": self.env.company.id,
            "provider": "qbo",
            "environment": "custom",
            "custom_base_url": self.emulator.base_url,
        }
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                Conn.create({**vals, "name": "Second active"})
        self.env.invalidate_all()
        first = self.connection.with_user(self.settings_admin)
        first.action_archive()
        self.env.flush_all()
        second = Conn.create({**vals, "name": "Second"})
        second.action_archive()
        self.env.flush_all()
        third = Conn.create({**vals, "name": "Third"})
        self.env.flush_all()
        domain = [("company_id", "=", self.env.company.id), ("provider", "=", "qbo")]
        self.assertEqual(Conn.search(domain), third)
        self.assertEqual(Conn.with_context(active_test=False).search_count(domain), 3)
        # Still one active connection per company and provider.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                first.action_unarchive()
                first.flush_recordset()
        self.env.invalidate_all()
        # Another provider is another connection.
        xero = Conn.create({**vals, "provider": "xero", "name": "Xero"})
        self.assertTrue(xero.active)


@tagged("post_install", "-at_install")
class TestAccessHttp(AccessHelpers, HttpHelpers, QxsCase, HttpCase):
    """Over real HTTP: OAuth states used once and within minutes; webhooks by kind."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids = [Command.link(cls.env.company.id)]

    def authorize(self, connection, user):
        """Click "Connect to QuickBooks" as ``user`` and pass the emulator's consent page;
        return the callback URL the provider sends the browser to."""
        action = connection.with_user(user).action_connect()
        answer = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302, answer.text)
        location = answer.headers["Location"]
        self.assertTrue(location.startswith(self.base_url() + CALLBACK + "?"), location)
        return location

    def open_callback(self, location):
        """The browser comes back from the consent page (the test's writes flushed first)."""
        self.env.flush_all()
        answer = self.url_open(location, allow_redirects=False)
        self.env.invalidate_all()
        return answer

    def assert_refused(self, location, why):
        answer = self.open_callback(location)
        self.assertEqual(answer.status_code, 400, answer.text)
        self.assertIn(why, answer.text)
        self.env.invalidate_all()
        conn = self.connection.sudo()
        self.assertEqual(conn.state, "draft")
        self.assertFalse(conn.access_token or conn.refresh_token or conn.remote_org_id)

    # ------------------------------------------------------------------ 4. OAuth state
    def test_oauth_state_is_accepted_once(self):
        conn = self.draft_connection()
        location = self.authorize(conn, self.admin)
        self.authenticate("admin", "admin")
        answer = self.open_callback(location)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.assertEqual(conn.state, "connected")
        self.assertFalse(conn.sudo().oauth_nonce, "the nonce is spent")
        self.assertEqual(self.emulator.count(TOKENS), 1)
        # The same answer replayed (e.g. from the browser's history or a leaked URL) is refused
        # before any call to the provider.
        self.draft_connection()
        self.assert_refused(location, "already used")
        self.assertEqual(self.emulator.count(TOKENS), 1, "no second code exchange")
        # A new click gives a new state; a newer click replaces it.
        replaced = self.authorize(conn, self.admin)
        location = self.authorize(conn, self.admin)
        self.assert_refused(replaced, "replaced")
        answer = self.open_callback(location)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.assertEqual(conn.state, "connected")
        self.assertEqual(self.emulator.count(TOKENS), 2)

    def test_oauth_state_expires(self):
        conn = self.draft_connection()
        location = self.authorize(conn, self.admin)
        self.authenticate("admin", "admin")
        late = fields.Datetime.now() + timedelta(minutes=16)
        with patch.object(fields.Datetime, "now", return_value=late):
            self.assert_refused(location, "expired")
        self.assertEqual(self.emulator.count(TOKENS), 0, "no code exchange")
        # In time, the same state works (the refusal consumed nothing).
        soon = fields.Datetime.now() + timedelta(minutes=14)
        with patch.object(fields.Datetime, "now", return_value=soon):
            answer = self.open_callback(location)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.assertEqual(conn.state, "connected")

    # ------------------------------------------------------------------ 5. webhooks by kind
    def test_webhook_ids_of_another_kind_do_not_pull_the_invoice(self):
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        poll = self.env.ref("qbo_xero_sync.ir_cron_qxs_poll")
        Trigger = self.env["ir.cron.trigger"]

        def polls():
            return Trigger.search_count([("cron_id", "=", poll.id)])

        url = self.webhook_url("qbo")
        # A credit memo (or a payment) that has the invoice's id: QuickBooks numbers each
        # entity on its own. The invoice is not read; the poll finds what changed.
        for name in ("CreditMemo", "Payment"):
            before = polls()
            entities = [{"name": name, "id": rec.remote_id}]
            self.assertEqual(self.deliver(self.emulator.send_webhook, entities, url=url), 200)
            self.assertEqual((rec.state, rec.action), ("synced", "push"), name)
            self.assertGreater(polls(), before, name)
        # The invoice itself: read by the queue, no poll racing it.
        before = polls()
        entities = [{"name": "Invoice", "id": rec.remote_id}]
        self.assertEqual(self.deliver(self.emulator.send_webhook, entities, url=url), 200)
        self.assertEqual((rec.state, rec.action), ("pending", "pull"))
        self.assertEqual(polls(), before)
