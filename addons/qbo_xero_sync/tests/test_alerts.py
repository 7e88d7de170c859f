"""Alerts: one activity per failing document for the connection's responsible user, one
digest e-mail per run with new failures, and the "reconnect needed" alert (activity and
e-mail) cleared by a reconnect. Both providers, through their emulators."""

from urllib.parse import parse_qsl, urlsplit

import requests

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import QxsCase, XeroMixin


class AlertsChecks:
    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        cls.accountant = new_test_user(
            cls.env,
            login=f"qxs_alert_accountant_{cls.provider}",
            groups="account.group_account_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        cls.billing = new_test_user(
            cls.env,
            login=f"qxs_alert_billing_{cls.provider}",
            groups="account.group_account_invoice",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        cls.controller = cls.env["res.partner"].create(
            {"name": "Month-end controller", "email": "controller@example.com"}
        )
        cls.connection.write(
            {
                "alert_user_id": cls.accountant.id,
                "alert_partner_ids": [Command.set(cls.controller.ids)],
            }
        )

    # ------------------------------------------------------------------ helpers
    def failing_invoice(self):
        """An invoice refused before any call: its product has no revenue code."""
        self.connection.default_revenue_code = False
        self.product_a.qxs_revenue_code = False
        return self.invoice(amounts=(), products=self.product_a)

    def digests(self):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "qxs.connection"),
                ("res_id", "=", self.connection.id),
                ("subject", "ilike", "failed to sync"),
            ]
        )

    def reconnect_mails(self):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "qxs.connection"),
                ("res_id", "=", self.connection.id),
                ("subject", "ilike", "reconnect needed"),
            ]
        )

    # ------------------------------------------------------------------ activities
    def test_one_activity_for_the_responsible_across_retries(self):
        move = self.failing_invoice()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("revenue code", rec.last_error)
        activity = rec._failure_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant)
        # The billing user sends it again (the banner's button), twice: still one activity.
        for _attempt in range(2):
            move.with_user(self.billing).action_qxs_retry()
            self.sync()
            self.assertEqual(rec.state, "error")
            self.assertEqual(rec._failure_activities(), activity)
        # Fixed: it syncs, and the activity is gone.
        self.product_a.qxs_revenue_code = self.revenue_code_a
        move.with_user(self.billing).action_qxs_retry()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertFalse(rec._failure_activities())
        self.assertFalse(activity.exists())

    def test_activity_goes_to_a_user_of_the_responsible_group(self):
        watchers = self.env["res.groups"].create(
            {"name": "Sync watchers", "users": [Command.set((self.billing | self.accountant).ids)]}
        )
        self.connection.write({"alert_user_id": False, "alert_group_id": watchers.id})
        move = self.failing_invoice()
        self.sync()
        activity = self.record(move)._failure_activities()
        self.assertEqual(len(activity), 1, "one activity, not one per member")
        self.assertEqual(activity.user_id, (self.billing | self.accountant).sorted("id")[:1])

    def test_without_responsible_the_salesperson_gets_it(self):
        self.connection.alert_user_id = False
        move = self.failing_invoice()
        move.invoice_user_id = self.billing
        self.sync()
        self.assertEqual(self.record(move)._failure_activities().user_id, self.billing)

    # ------------------------------------------------------------------ digest e-mails
    def test_one_digest_per_run_with_new_failures_only(self):
        before = self.digests()
        good = self.invoice()
        self.sync()
        self.assertEqual(self.record(good).state, "synced")
        self.assertEqual(self.digests(), before, "no new failure: no e-mail")

        bad_1 = self.failing_invoice()
        bad_2 = self.invoice(amounts=(), products=self.product_a, partner=self.partner_b)
        self.sync()
        digest = self.digests() - before
        self.assertEqual(len(digest), 1, "one e-mail for the run")
        self.assertEqual(digest.recipient_ids, self.controller)
        for move in bad_1 | bad_2:
            self.assertIn(move.name, digest.body_html)
            self.assertIn(f"/odoo/account.move/{move.id}", digest.body_html)
        self.assertIn(self.partner_b.name, digest.body_html)
        self.assertIn("revenue code", digest.body_html)

        # The next run: the same documents still fail (not sent again, or sent again by a
        # user with the same error): nothing new, no e-mail.
        self.sync()
        bad_1.with_user(self.billing).action_qxs_retry()
        self.sync()
        self.assertEqual(self.record(bad_1).state, "error")
        self.assertEqual(self.digests() - before, digest)

        # A new failure: a new e-mail that lists it alone.
        bad_3 = self.invoice(amounts=(), products=self.product_a)
        self.sync()
        new = self.digests() - before - digest
        self.assertEqual(len(new), 1)
        self.assertIn(bad_3.name, new.body_html)
        self.assertNotIn(bad_1.name, new.body_html)

    def test_no_recipient_no_digest(self):
        self.connection.alert_partner_ids = False
        before = self.digests()
        self.failing_invoice()
        self.sync()
        self.assertEqual(self.digests(), before)

    # ------------------------------------------------------------------ reconnect needed
    def test_reconnect_needed_alerts_once_and_clears_on_reconnect(self):
        conn = self.connection
        conn.sudo().write({"token_expiry": "2000-01-01 00:00:00", "refresh_token": "revoked-x"})
        self.invoice()
        self.sync()
        self.assertEqual(conn.state, "reconnect")
        activity = conn._reconnect_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant)
        mail = self.reconnect_mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.controller)
        # Still refused on the next runs: no second activity nor e-mail.
        self.make_due()
        self.sync()
        self.assertEqual(conn._reconnect_activities(), activity)
        self.assertEqual(self.reconnect_mails(), mail)

        # The administrator reconnects (consent at the emulator, then Odoo's callback step).
        admin = self.env.ref("base.user_admin")
        admin.company_ids = [Command.link(conn.company_id.id)]
        action = conn.with_user(admin).with_company(conn.company_id).action_connect()
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(consent.status_code, 302, consent.text)
        params = dict(parse_qsl(urlsplit(consent.headers["Location"]).query))
        conn.with_user(admin).with_company(conn.company_id)._finish_oauth(params["code"], params)
        self.assertEqual(conn.state, "connected", conn.last_error)
        self.assertFalse(conn._reconnect_activities())
        self.assertFalse(activity.exists())
        self.assertFalse(conn.alert_reconnect_sent)
        # The code exchange is in the sync history, without the code or the tokens.
        exchange = self.env["qxs.sync.log"].search(
            [("connection_id", "=", conn.id), ("operation", "=", "token exchange (connect)")]
        )
        self.assertTrue(exchange)
        self.assertNotIn(params["code"], exchange.endpoint or "")
        self.assertNotIn(conn.sudo().access_token, exchange.response_excerpt or "")

    def test_alert_settings_are_for_settings_admins(self):
        """Accountants and billing users cannot change who is alerted."""
        for user in (self.accountant, self.billing):
            with self.assertRaises(AccessError):
                self.connection.with_user(user).write({"alert_partner_ids": [Command.clear()]})
        self.assertEqual(self.connection.alert_partner_ids, self.controller)
        # A Settings administrator does.
        admin = self.env.ref("base.user_admin")
        admin.company_ids = [Command.link(self.connection.company_id.id)]
        as_admin = self.connection.with_user(admin).with_company(self.connection.company_id)
        as_admin.write({"alert_user_id": False, "log_retention_days": 90})
        self.assertEqual(
            (self.connection.alert_user_id, self.connection.log_retention_days),
            (
                self.env["res.users"],
                90,
            ),
        )


@tagged("post_install", "-at_install")
class TestQboAlerts(AlertsChecks, QxsCase):
    pass


@tagged("post_install", "-at_install")
class TestXeroAlerts(AlertsChecks, XeroMixin, QxsCase):
    pass
