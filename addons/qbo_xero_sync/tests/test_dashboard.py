"""Issue 15, item 3: the per-connection sync dashboard (counts per state, oldest pending age,
last send and poll, top error reasons, Xero's call budget, token expiry), as an accountant;
billing users cannot open it."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import QxsCase, XeroMixin

DASH_FIELDS = [
    "dash_pending_count",
    "dash_synced_count",
    "dash_error_count",
    "dash_skipped_count",
    "dash_remote_deleted_count",
    "dash_oldest_pending",
    "dash_last_send",
    "dash_top_errors",
    "last_poll_date",
    "token_expires_on",
    "rate_minute_remaining",
    "rate_day_remaining",
    "state",
]


class DashboardChecks:
    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user = cls.company_user
        cls.accountant = user(
            f"qxs_dash_accountant_{cls.provider}", "account.group_account_manager"
        )
        cls.billing = user(f"qxs_dash_billing_{cls.provider}", "account.group_account_invoice")
        cls.auditor = user(f"qxs_dash_auditor_{cls.provider}", "account.group_account_readonly")
        cls.tax_unmapped = cls.company_data["default_tax_sale"]  # no tax code: refused
        cls.tax_unknown = cls.env["account.tax"].create(
            {
                "name": "Tax the provider lacks",
                "amount": 8.25,
                "type_tax_use": "sale",
                "company_id": cls.env.company.id,
                "qxs_tax_code": "NOSUCHCODE",
            }
        )

    def age(self, moves, delta):
        """Queued ``delta`` ago."""
        records = moves.mapped(lambda m: self.record(m))
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE qxs_sync_record SET create_date = %s WHERE id IN %s",
            [fields.Datetime.now() - delta, tuple(records.ids)],
        )
        records.invalidate_recordset()

    def dashboard(self, user):
        self.env.invalidate_all()
        return self.connection.with_user(user).read(DASH_FIELDS)[0]

    def records_of(self, action):
        return self.env[action["res_model"]].search(action["domain"])

    def test_dashboard_numbers_as_accountant(self):
        synced = self.invoice() | self.invoice(amounts=(50.0,))
        unmapped = self.invoice(taxes=self.tax_unmapped) | self.invoice(taxes=self.tax_unmapped)
        unknown = self.invoice(taxes=self.tax_unknown)
        self.sync()
        self.poll()
        skipped, deleted = self.invoice(amounts=(10.0,)), self.invoice(amounts=(20.0,))
        pending = self.invoice(amounts=(30.0,)) | self.invoice(amounts=(40.0,))
        self.record(skipped).write({"state": "skipped", "skip_reason": "test"})
        self.record(deleted).write({"state": "remote_deleted"})
        self.age(pending[0], timedelta(hours=3, minutes=5))
        self.age(pending[1], timedelta(minutes=20))

        values = self.dashboard(self.accountant)
        counts = [values[f"dash_{s}_count"] for s in ("pending", "synced", "error", "skipped")]
        self.assertEqual(counts + [values["dash_remote_deleted_count"]], [2, 2, 3, 1, 1])
        self.assertEqual(values["dash_oldest_pending"], "3 h")
        last_send = max(self.record(m).last_sync_date for m in synced)
        self.assertEqual(values["dash_last_send"], last_send)
        self.assertTrue(values["last_poll_date"])
        self.assertEqual(values["last_poll_date"], self.connection.last_poll_date)
        self.assertEqual(values["token_expires_on"], self.connection.sudo().token_expiry)
        self.assertEqual(values["state"], "connected")
        with self.assertRaises(AccessError):
            self.connection.with_user(self.accountant).read(["token_expiry"])

        # Top errors: grouped by the first line of the error, the most frequent first.
        top = values["dash_top_errors"]
        self.assertEqual([e["count"] for e in top], [2, 1], top)
        first_line = self.record(unmapped[0]).last_error.strip().splitlines()[0].strip()
        self.assertEqual(top[0]["reason"], first_line)
        self.assertNotEqual(top[1]["reason"], first_line)

        # Each number opens its documents.
        conn = self.connection.with_user(self.accountant)
        opened = {
            state: self.records_of(
                conn.with_context(qxs_dash_state=state).action_open_dashboard_records()
            )
            for state in ("pending", "synced", "error", "skipped", "remote_deleted")
        }
        self.assertEqual(opened["pending"].move_id, pending)
        self.assertEqual(opened["synced"].move_id, synced)
        self.assertEqual(opened["error"].move_id, unmapped | unknown)
        self.assertEqual(opened["skipped"].move_id, skipped)
        self.assertEqual(opened["remote_deleted"].move_id, deleted)
        rank = {0: unmapped, 1: unknown}
        for index, moves in rank.items():
            action = conn.with_context(qxs_error_rank=index).action_open_top_error()
            self.assertEqual(self.records_of(action).move_id, moves)
        analysis = conn.action_open_sync_analysis()
        self.assertIn("graph", analysis["view_mode"])
        self.assertEqual(len(self.records_of(analysis)), 9)

        # Two days later.
        self.age(pending[0], timedelta(days=2, hours=1))
        self.assertEqual(self.dashboard(self.accountant)["dash_oldest_pending"], "2 days")
        # An auditor may read it too.
        self.assertEqual(self.dashboard(self.auditor)["dash_error_count"], 3)

    def test_billing_user_cannot_open_the_dashboard(self):
        self.invoice()
        self.sync()
        conn = self.connection.with_user(self.billing)
        with self.assertRaises(AccessError):
            conn.read(["dash_synced_count"])
        with self.assertRaises(AccessError):
            conn.with_context(qxs_dash_state="synced").action_open_dashboard_records()
        with self.assertRaises(AccessError):
            self.env["qxs.connection"].with_user(self.billing).search([])
        menu = self.env.ref("qbo_xero_sync.menu_qxs_dashboard")
        menus = self.env["ir.ui.menu"]
        self.assertNotIn(menu.id, menus.with_user(self.billing)._visible_menu_ids())
        self.assertIn(menu.id, menus.with_user(self.accountant)._visible_menu_ids())
        self.assertEqual(menu.sequence, 5)
        self.assertEqual(menu.parent_id, self.env.ref("qbo_xero_sync.menu_qxs_root"))
        self.assertEqual(menu.action, self.env.ref("qbo_xero_sync.action_qxs_dashboard"))


@tagged("post_install", "-at_install")
class TestDashboardQbo(DashboardChecks, QxsCase):
    pass


@tagged("post_install", "-at_install")
class TestDashboardXero(DashboardChecks, XeroMixin, QxsCase):
    def test_xero_budget_on_the_card(self):
        self.invoice()
        self.sync()
        self.env.invalidate_all()
        values = self.dashboard(self.accountant)
        conn = self.connection.sudo()
        self.assertGreater(values["rate_day_remaining"], 0)
        self.assertEqual(
            (values["rate_minute_remaining"], values["rate_day_remaining"]),
            (conn.rate_minute_remaining, conn.rate_day_remaining),
        )
        self.assertLess(values["rate_minute_remaining"], 60)


BROWSER_CHECK = """
const wait = async (find, what) => {
    for (let i = 0; i < 150; i++) {
        const found = find();
        if (found) { return found; }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("not found: " + what);
};
(async () => {
    const card = await wait(() => document.querySelector(".o_kanban_record"), "the card");
    for (const text of ["3 Errors", "1 Pending", "Duplicate Name Exists", "Unknown tax"]) {
        await wait(() => card.textContent.replace(/\\s+/g, " ").includes(text), text);
    }
    if (card.querySelector("div[name=export_progress]")) {
        throw new Error("an export progress without an export");
    }
    const button = [...card.querySelectorAll("button")].find(
        (b) => b.textContent.includes("Duplicate Name Exists")
    );
    button.click();
    await wait(() => document.querySelectorAll(".o_list_view .o_data_row").length === 2,
               "the two records of the top error");
    console.log("test successful");
})().catch((error) => console.error("dashboard check failed: " + error.message));
"""


@tagged("post_install", "-at_install")
class TestDashboardBrowser(HttpCase):
    """In a real browser: the card shows the counts and the top errors, and a top error opens
    its records."""

    def test_dashboard_card_in_the_browser(self):
        env = self.env
        connection = env["qxs.connection"].create(
            {
                "name": "QuickBooks",
                "company_id": env.company.id,
                "provider": "qbo",
                "environment": "custom",
                "custom_base_url": "http://127.0.0.1:9",
            }
        )
        connection.write({"state": "connected", "remote_org_id": "1"})
        partner = env["res.partner"].create({"name": "Dashboard Customer"})
        errors = [
            "QuickBooks error 6240: Duplicate Name Exists Error\nThe name supplied exists.",
            "QuickBooks error 6240: Duplicate Name Exists Error\nAnother detail.",
            "Unknown tax code NOSUCH",
            False,
        ]
        for error in errors:
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_line_ids": [Command.create({"name": "Work", "price_unit": 10})],
                }
            )
            invoice.action_post()
            if error:
                invoice._qxs_document_record().write({"state": "error", "last_error": error})
        self.browser_js(
            "/odoo/action-qbo_xero_sync.action_qxs_dashboard", BROWSER_CHECK, login="admin"
        )
