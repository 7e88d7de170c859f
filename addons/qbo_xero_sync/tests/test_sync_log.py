"""The sync history (qxs.sync.log): one row per HTTP attempt to the provider, with what it
was for, its request id, status and duration, the documents concerned; never a token or a
secret; purged after the connection's retention; read by accountants and auditors, the rows
of an invoice from its smart button. Both providers, through their emulators."""

from datetime import timedelta

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import QxsCase, XeroMixin

LOGGED_FIELDS = (
    "operation",
    "method",
    "endpoint",
    "request_id",
    "provider_ref",
    "response_excerpt",
    "error",
)


class SyncLogChecks:
    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin

    create_operation = None  # the operation of a first send of invoices
    create_path = None  # the path of that request (a regex for the emulator's faults)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        users = {}
        for key, group in (
            ("billing", "account.group_account_invoice"),
            ("accountant", "account.group_account_user"),
            ("auditor", "account.group_account_readonly"),
        ):
            users[key] = new_test_user(
                cls.env,
                login=f"qxs_log_{key}_{cls.provider}",
                groups=group,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )
        cls.billing, cls.accountant, cls.auditor = (
            users["billing"],
            users["accountant"],
            users["auditor"],
        )

    def logs(self, domain=()):
        return self.env["qxs.sync.log"].search(
            [("connection_id", "=", self.connection.id), *domain]
        )

    def test_one_row_per_http_attempt_with_its_document(self):
        move = self.invoice()
        before = self.logs()
        calls = len(self.emulator.log)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        rows = self.logs() - before
        self.assertEqual(len(rows), len(self.emulator.log) - calls, "one row per HTTP call")
        [create] = rows.filtered(lambda r: r.operation == self.create_operation)
        self.assertEqual(create.method, "POST")
        self.assertRegex(create.endpoint, self.create_path)
        self.assertNotIn("127.0.0.1", create.endpoint, "the path only, no host")
        self.assertEqual((create.status_code, create.state), (200, "ok"))
        self.assertGreaterEqual(create.duration_ms, 0)
        self.assertTrue(create.request_id, "QuickBooks requestid / Xero Idempotency-Key")
        if self.provider == "qbo":
            self.assertTrue(create.provider_ref, "intuit_tid")
        self.assertTrue(
            rec.remote_id in create.response_excerpt or move.name in create.response_excerpt
        )
        self.assertLessEqual(len(create.response_excerpt), 1000)
        self.assertEqual(create.move_ids, move)
        self.assertEqual(create.sync_record_ids, rec)

    def test_failed_attempt_is_logged_with_its_status(self):
        self.emulator.add_fault("status", status=503, path=self.create_path, method="POST")
        move = self.invoice()
        self.sync()
        self.assertEqual(self.record(move).state, "pending", "retried later")
        [failed] = self.logs([("state", "=", "error"), ("move_ids", "in", move.ids)])
        self.assertEqual((failed.method, failed.status_code), ("POST", 503))
        self.assertTrue(failed.response_excerpt or failed.error)
        self.make_due()
        self.sync()
        self.assertEqual(self.record(move).state, "synced")
        [done] = self.logs([("operation", "=", self.create_operation), ("state", "=", "ok")])
        self.assertEqual((done.status_code, done.state), (200, "ok"))
        self.assertEqual(done.move_ids, move)

    def test_no_token_or_secret_in_any_row(self):
        conn = self.connection.sudo()
        conn.token_expiry = "2000-01-01 00:00:00"  # the next call refreshes the tokens
        old = (conn.access_token, conn.refresh_token)
        self.invoice()
        self.sync()
        self.poll()
        self.env.invalidate_all()
        secrets = {*old, conn.access_token, conn.refresh_token, conn.client_secret}
        self.assertNotEqual(conn.access_token, old[0], "the tokens were refreshed")
        refresh = self.logs([("operation", "=", "token refresh")])
        self.assertEqual(len(refresh), 1)
        self.assertEqual(refresh.status_code, 200)
        self.assertIn("***", refresh.response_excerpt, "the new tokens are redacted")
        rows = self.env["qxs.sync.log"].search([])
        self.assertGreater(len(rows), 2)
        for secret in secrets:
            for field in LOGGED_FIELDS:
                hits = self.env["qxs.sync.log"].search_count([(field, "ilike", secret)])
                self.assertEqual(hits, 0, f"a secret in {field}")
        # The poll is logged too (no document concerned).
        self.assertTrue(rows.filtered(lambda r: not r.move_ids and r.operation != "token refresh"))

    def test_purge_keeps_the_retention(self):
        self.invoice()
        self.sync()
        recent = self.logs()
        self.assertTrue(recent)
        old = (
            self.env["qxs.sync.log"]
            .sudo()
            .create(
                {
                    "connection_id": self.connection.id,
                    "date": fields.Datetime.now() - timedelta(days=31),
                    "operation": "query",
                }
            )
        )
        self.connection.log_retention_days = 30
        self.env.ref("qbo_xero_sync.ir_cron_qxs_sync_log_purge").method_direct_trigger()
        self.assertFalse(old.exists())
        self.assertEqual(recent.exists(), recent)

    def test_smart_button_and_who_reads(self):
        move = self.invoice()
        self.sync()
        self.poll()
        rows = self.logs([("move_ids", "in", move.ids)])
        self.assertTrue(rows)
        self.assertTrue(self.logs([("move_ids", "=", False)]), "connection-wide rows exist")
        # The billing user: the invoice's rows from its smart button, read only.
        as_billing = move.with_user(self.billing)
        self.assertEqual(as_billing.qxs_sync_log_count, len(rows))
        action = as_billing.action_qxs_open_sync_log()
        Log = self.env["qxs.sync.log"].with_user(self.billing)
        self.assertEqual(Log.search(action["domain"]), rows.with_user(self.billing))
        self.assertFalse(Log.search([("move_ids", "=", False)]), "not the connection's rows")
        rows.with_user(self.billing).read(["operation", "status_code"])
        with self.assertRaises(AccessError):
            rows.with_user(self.billing).write({"status_code": 200})
        with self.assertRaises(AccessError):
            rows.with_user(self.billing).unlink()
        # Accountants and auditors read the whole history, edit nothing.
        everything = self.logs()
        for user in (self.billing, self.accountant, self.auditor):
            self.assert_views_load(user, action["domain"], len(rows))
        for user in (self.accountant, self.auditor):
            mine = (
                self.env["qxs.sync.log"]
                .with_user(user)
                .search([("connection_id", "=", self.connection.id)])
            )
            self.assertEqual(mine.ids, everything.ids)
            with self.assertRaises(AccessError):
                mine.write({"error": "edited"})
            with self.assertRaises(AccessError):
                mine.unlink()
            with self.assertRaises(AccessError):
                self.env["qxs.sync.log"].with_user(user).create(
                    {"connection_id": self.connection.id, "operation": "forged"}
                )

    def test_administrator_actions_are_logged_even_when_they_fail(self):
        admin = self.env.ref("base.user_admin")
        admin.company_ids = [Command.link(self.connection.company_id.id)]
        conn = self.connection.with_user(admin).with_company(self.connection.company_id)
        before = self.logs()
        calls = len(self.emulator.log)
        conn.action_reload_reference_data()
        rows = self.logs() - before
        self.assertEqual(len(rows), len(self.emulator.log) - calls)
        self.assertEqual(set(rows.mapped("state")), {"ok"})
        self.assertFalse(rows.move_ids)
        # The provider fails: the action is refused, its attempts are in the history (written
        # in a transaction of their own: kept when the action's is rolled back).
        self.emulator.add_fault("status", status=500, count=50)
        error = None
        try:
            conn.action_reload_reference_data()
        except UserError as exc:
            error = exc
        self.assertTrue(error, "the reload is refused")
        failed = self.logs([("status_code", "=", 500)])
        self.assertTrue(failed)
        self.assertEqual(set(failed.mapped("state")), {"error"})
        # Disconnecting revokes the tokens: logged, without them.
        with self.emulator.lock:
            self.emulator.faults = []
        token = self.connection.sudo().refresh_token
        conn.action_disconnect()
        [revoke] = self.logs([("operation", "=", "token revoke")])
        self.assertEqual(revoke.method, "POST")
        self.assertNotIn(token, revoke.response_excerpt or "")
        self.assertNotIn(token, revoke.endpoint)

    def assert_views_load(self, user, domain, count):
        """The list and form views of the history load as ``user`` (every field they show,
        relations with their names)."""
        Log = self.env["qxs.sync.log"].with_user(user)
        views = Log.get_views([(False, "list"), (False, "form")])
        for view_type in ("list", "form"):
            arch = etree.fromstring(views["views"][view_type]["arch"])
            spec = {}
            for node in arch.iter("field"):
                field = Log._fields[node.get("name")]
                spec[field.name] = {"fields": {"display_name": {}}} if field.relational else {}
            answer = Log.web_search_read(domain, spec)
            self.assertEqual(answer["length"], count, f"{view_type} as {user.login}")


@tagged("post_install", "-at_install")
class TestQboSyncLog(SyncLogChecks, QxsCase):
    create_operation = "create invoice"  # a lone invoice goes in a plain request
    create_path = "/invoice$"


@tagged("post_install", "-at_install")
class TestXeroSyncLog(SyncLogChecks, XeroMixin, QxsCase):
    create_operation = "update or create invoices"
    create_path = "/Invoices"
