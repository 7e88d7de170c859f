"""Issue 15, item 5: the crons' schedule set in Settings, and "Sync now" refused while an
automatic run holds its cron's row lock (as Odoo's cron runner does while a job runs)."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import QxsCase

SYNC_CRON = "qbo_xero_sync.ir_cron_qxs_sync"
POLL_CRON = "qbo_xero_sync.ir_cron_qxs_poll"


@tagged("post_install", "-at_install")
class TestSchedule(QxsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user = cls.company_user

        cls.settings_admin = user(
            "qxs_sched_admin", "account.group_account_manager,base.group_system"
        )
        cls.accountant = user("qxs_sched_accountant", "account.group_account_manager")
        cls.billing = user("qxs_sched_billing", "account.group_account_invoice")

    def settings(self, user, **values):
        return self.env["res.config.settings"].with_user(user).create(values)

    def cron_minutes(self, xmlid):
        cron = self.env.ref(xmlid)
        cron.invalidate_recordset()
        return (cron.interval_number, cron.interval_type)

    def test_intervals_set_in_settings_change_the_crons(self):
        self.env.ref(SYNC_CRON).write({"interval_number": 2, "interval_type": "hours"})
        form = self.settings(self.settings_admin)
        self.assertEqual((form.qxs_sync_interval, form.qxs_poll_interval), (120, 15))
        self.settings(self.settings_admin, qxs_sync_interval=7, qxs_poll_interval=20).execute()
        self.assertEqual(self.cron_minutes(SYNC_CRON), (7, "minutes"))
        self.assertEqual(self.cron_minutes(POLL_CRON), (20, "minutes"))
        form = self.settings(self.settings_admin)
        self.assertEqual((form.qxs_sync_interval, form.qxs_poll_interval), (7, 20))

    def test_invalid_interval_is_refused(self):
        for values in ({"qxs_sync_interval": 0}, {"qxs_poll_interval": -5}):
            with self.subTest(values=values):
                form = self.settings(self.settings_admin, **values)
                with self.assertRaisesRegex(ValidationError, "1 or more"):
                    form.execute()
        self.assertEqual(self.cron_minutes(SYNC_CRON), (5, "minutes"))
        self.assertEqual(self.cron_minutes(POLL_CRON), (15, "minutes"))

    def test_only_settings_admins_change_the_schedule(self):
        for user in (self.billing, self.accountant):
            with self.assertRaises(AccessError, msg=user.login):
                self.settings(user, qxs_sync_interval=1).execute()
        self.assertEqual(self.cron_minutes(SYNC_CRON), (5, "minutes"))

    def triggers(self, xmlid):
        return (
            self.env["ir.cron.trigger"]
            .sudo()
            .search_count([("cron_id", "=", self.env.ref(xmlid).id)])
        )

    def test_sync_now_refused_while_the_cron_runs(self):
        conn = self.connection.with_user(self.settings_admin)
        before = self.triggers(SYNC_CRON), self.triggers(POLL_CRON)
        for xmlid in (SYNC_CRON, POLL_CRON):
            with self.subTest(running=xmlid), self.registry.cursor() as runner:
                # The cron runner's job: its ir_cron row is locked until the job ends.
                runner.execute(
                    "SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE",
                    [self.env.ref(xmlid).id],
                )
                with self.assertRaisesRegex(UserError, "automatic run is going"):
                    conn.action_sync_now()
                runner.rollback()
        self.assertEqual((self.triggers(SYNC_CRON), self.triggers(POLL_CRON)), before)
        # The run ended: accepted, both crons triggered; the check kept no lock.
        action = conn.action_sync_now()
        self.assertEqual(action["params"]["message"], "Synchronisation started.")
        self.assertEqual(
            (self.triggers(SYNC_CRON), self.triggers(POLL_CRON)), (before[0] + 1, before[1] + 1)
        )
        with self.registry.cursor() as other:
            other.execute(
                "SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                [self.env.ref(SYNC_CRON).id],
            )
            self.assertEqual(len(other.fetchall()), 1)
            other.rollback()

    def test_sync_now_is_for_settings_admins(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.accountant).action_sync_now()
