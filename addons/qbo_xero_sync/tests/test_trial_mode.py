"""Trial mode (nothing written to the provider, records held in the queue) and the dry run
(what would be sent and what would fail, with the engine's own rules, and no write request)."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .test_access import AccessHelpers


class TrialModeChecks(AccessHelpers):
    """The checks, for both providers (``invoice_kind``: the emulator's kind of invoices;
    ``unknown_revenue_code``: a revenue code the provider does not have)."""

    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin
    invoice_kind = "Invoice"
    unknown_revenue_code = "Unknown Widget"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_role_users()
        cls.cron = cls.env.ref("qbo_xero_sync.ir_cron_qxs_sync")

    def remote_invoices(self):
        return self.emulator.objects(self.invoice_kind)

    def writes(self):
        """The emulator's logged calls that may write (a QuickBooks batch of queries is a
        POST too: the dry run here reads nothing, so any call counts)."""
        return [call for call in self.emulator.log if call["method"] != "GET"]

    def assert_reads_only(self, calls):
        """Since the ``calls`` first logged calls: Xero was not called; QuickBooks was only
        queried (its items looked up by SKU and name: POST /query is a read)."""
        new_calls = self.emulator.log[calls:]
        if self.provider == "xero":
            self.assertEqual(new_calls, [])
        self.assertTrue(all(self.is_query(call) for call in new_calls), new_calls)

    def dry_run(self, user=None, **values):
        wizard = (
            self.env["qxs.dry.run.wizard"]
            .with_user(user or self.settings_admin)
            .with_context(active_model="qxs.connection", active_id=self.connection.id)
            .create(values)
        )
        wizard.action_run()
        return wizard, {line.number: line for line in wizard.line_ids}

    def load_mirror(self):
        self.connection.with_user(self.settings_admin).action_reload_reference_data()

    # ------------------------------------------------------------------ trial mode
    def test_trial_mode_holds_the_queue_and_sends_once_turned_off(self):
        self.connection.with_user(self.settings_admin).trial_mode = True
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "pending")
        self.assertTrue(rec.trial_held)
        self.assertEqual(self.connection.trial_held_count, 1)
        Record = self.env["qxs.sync.record"]
        self.assertEqual(Record.search([("trial_held", "=", True)]), rec)
        self.assertNotIn(rec, Record.search(rec._due_domain()))
        self.assertEqual(self.remote_invoices(), [], "nothing is written in trial mode")
        self.assertEqual(self.writes(), [])

        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        self.connection.with_user(self.settings_admin).trial_mode = False
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers,
            "turning trial mode off sends what waited",
        )
        self.assertFalse(rec.trial_held)
        self.assertIn(rec, Record.search(rec._due_domain()))
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(len(self.remote_invoices()), 1)

    # ------------------------------------------------------------------ dry run
    def test_dry_run_lists_what_would_be_sent_and_what_would_fail(self):
        self.connection.trial_mode = True
        self.load_mirror()
        self.connection.default_revenue_code = False
        if self.provider == "qbo":
            # A missing item is created under the default income account: one QuickBooks lacks.
            self.connection.default_income_account = "No Such Income Account"
        no_code = self.env["product.product"].create({"name": "Uncoded gadget"})
        unknown = self.env["product.product"].create(
            {"name": "Mystery", "qxs_revenue_code": self.unknown_revenue_code}
        )
        bad_tax = self.env["account.tax"].create(
            {"name": "Moon tax", "amount": 8.25, "type_tax_use": "sale", "qxs_tax_code": "MOON"}
        )
        good = self.invoice(amounts=(), products=self.product_a)
        refused = self.invoice(amounts=(), products=no_code)
        taxed = self.invoice(amounts=(), products=self.product_a, taxes=bad_tax)
        unmapped = self.invoice(amounts=(), products=unknown)
        calls = len(self.emulator.log)
        objects = len(self.remote_invoices())

        wizard, lines = self.dry_run()

        self.assert_reads_only(calls)
        self.assertEqual(len(self.remote_invoices()), objects)
        self.assertEqual(lines[good.name].verdict, "create", lines[good.name].reason)
        self.assertEqual(lines[good.name].amount_total, good.amount_total)
        self.assertEqual(lines[good.name].customer, good.partner_id.display_name)
        self.assertIn("is not linked yet", lines[good.name].note)
        self.assertEqual(lines[refused.name].verdict, "fail")
        self.assertIn("“Uncoded gadget” has no revenue code", lines[refused.name].reason)
        self.assertEqual(lines[taxed.name].verdict, "fail")
        self.assertIn("MOON", lines[taxed.name].reason)
        self.assertEqual(lines[unmapped.name].verdict, "fail")
        self.assertIn(self.unknown_revenue_code, lines[unmapped.name].reason)
        self.assertIn(self.unknown_revenue_reason, lines[unmapped.name].reason)
        self.assertEqual((wizard.create_count, wizard.fail_count), (1, 3))
        for move in (good, refused, taxed, unmapped):
            self.assertEqual(self.record(move).state, "pending", "the dry run changes nothing")

    def test_dry_run_of_a_date_range_rolls_back_its_records(self):
        """Documents posted before the connection have no record: the dry run makes them in a
        savepoint, rolled back; a synced document has nothing to do; a re-posted one would be
        updated."""
        synced = self.invoice()
        changed = self.invoice(amounts=(40.0,))
        self.sync()
        changed.button_draft()
        changed.action_post()
        self.connection.trial_mode = True
        unrecorded = self.invoice(amounts=(70.0,))
        self.record(unrecorded).unlink()
        writes = len(self.writes())
        objects = len(self.remote_invoices())

        _wizard, lines = self.dry_run(
            scope="dates",
            date_from=synced.invoice_date,
            date_to=unrecorded.invoice_date,
            reload_reference=True,
        )

        self.assertEqual(lines[synced.name].verdict, "nothing")
        self.assertEqual(lines[changed.name].verdict, "update", lines[changed.name].reason)
        self.assertEqual(lines[unrecorded.name].verdict, "create", lines[unrecorded.name].reason)
        self.assertFalse(self.record(unrecorded), "the record made for the dry run is gone")
        self.assertTrue(self.connection.remote_reload_date, "the reference data was read")
        self.assertEqual(len(self.remote_invoices()), objects)
        new_writes = self.writes()[writes:]
        self.assertTrue(
            all(self.is_query(call) for call in new_writes),
            f"reading the reference data only: {new_writes}",
        )

    def test_dry_run_without_mirror_says_references_were_not_checked(self):
        move = self.invoice()
        calls = len(self.emulator.log)
        _wizard, lines = self.dry_run(reload_reference=False)
        self.assertEqual(len(self.emulator.log), calls)
        self.assertEqual(lines[move.name].verdict, "create")
        self.assertIn("never read", lines[move.name].note)

    def test_reads_go_on_in_trial_mode_and_are_no_dry_run_line(self):
        synced = self.invoice()
        self.sync()
        self.record(synced).write({"state": "pending", "action": "pull"})  # as a webhook does
        self.connection.trial_mode = True
        move = self.invoice()
        self.assertFalse(self.record(synced).trial_held)
        _wizard, lines = self.dry_run(reload_reference=False)
        self.assertEqual(set(lines), {move.name})
        self.sync()
        self.assertEqual(self.record(synced).state, "synced", "read while in trial mode")
        self.assertEqual(self.record(move).state, "pending")
        self.assertEqual(len(self.remote_invoices()), 1)

    # ------------------------------------------------------------------ who may
    def test_billing_user_may_neither_run_a_dry_run_nor_toggle_trial_mode(self):
        with self.assertRaises(AccessError):
            self.dry_run(user=self.billing)
        with self.assertRaises(AccessError):
            self.connection.with_user(self.billing).trial_mode = True
        with self.assertRaises(AccessError):
            self.connection.with_user(self.accountant).trial_mode = True
        with self.assertRaises(AccessError):
            self.connection.with_user(self.billing).action_open_dry_run()
        self.assertFalse(self.connection.trial_mode)

    def test_accountant_runs_the_dry_run(self):
        self.load_mirror()
        move = self.invoice()
        action = self.connection.with_user(self.accountant).action_open_dry_run()
        self.assertEqual(action["res_model"], "qxs.dry.run.wizard")
        calls = len(self.emulator.log)
        wizard, lines = self.dry_run(user=self.accountant)
        self.assert_reads_only(calls)
        self.assertEqual(lines[move.name].verdict, "create", lines[move.name].reason)
        results = wizard.action_open_results()
        Line = self.env["qxs.dry.run.line"].with_user(self.accountant)
        self.assertEqual(Line.search(results["domain"]), wizard.line_ids)


@tagged("post_install", "-at_install")
class TestQboTrialMode(TrialModeChecks, QxsCase):
    unknown_revenue_reason = "No Such Income Account"

    @staticmethod
    def is_query(call):
        return call["method"] == "GET" or call["path"].endswith(("/batch", "/query"))


@tagged("post_install", "-at_install")
class TestXeroTrialMode(TrialModeChecks, XeroMixin, QxsCase):
    invoice_kind = "Invoices"
    unknown_revenue_code = "999"
    unknown_revenue_reason = "not an account code in Xero"

    @staticmethod
    def is_query(call):
        return call["method"] == "GET"
