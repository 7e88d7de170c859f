"""Historical export: documents posted before the connection, sent on request in chunks
through the queue, resumable and without duplicates (both providers)."""

import contextlib
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import requests

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import QxsCase, XeroMixin, lost_commit

HISTORY_DATE = date(2019, 3, 1)
RANGE = {"date_from": date(2019, 1, 1), "date_to": date(2019, 12, 31)}


class ExportHistoryChecks:
    """The checks, run against each provider's emulator (``remote_numbers``)."""

    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def user(login, groups):
            return cls.company_user(f"{login}_{cls.provider}", groups)

        cls.billing = user("qxs_export_billing", "account.group_account_invoice")
        cls.bookkeeper = user("qxs_export_bookkeeper", "account.group_account_user")
        cls.accountant = user("qxs_export_accountant", "account.group_account_manager")
        cls.no_sync_team = cls.env["crm.team"].create(
            {"name": "Marketplace", "qxs_invoice_sync_type": "none"}
        )
        cls.shop_team = cls.env["crm.team"].create({"name": "Shop"})

    # ------------------------------------------------------------------ helpers
    @contextlib.contextmanager
    def before_connection(self):
        """What is posted in the block was posted before the company was connected."""
        conn = self.connection.sudo()
        conn.state = "draft"
        try:
            yield
        finally:
            conn.state = "connected"

    def history(self, count, move_type="out_invoice", team=None, product=None):
        """``count`` posted documents of one line each, posted before the connection."""
        vals = [
            {
                "move_type": move_type,
                "partner_id": self.partner_a.id,
                "invoice_date": HISTORY_DATE,
                "team_id": (team or self.shop_team).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": (product or self.product_a).id,
                            "quantity": 1,
                            "price_unit": 10.0 + n,
                            "tax_ids": [Command.set(self.tax_sale.ids)],
                        }
                    )
                ],
            }
            for n in range(count)
        ]
        with self.before_connection():
            moves = self.env["account.move"].create(vals)
            moves.action_post()
        self.assertFalse(moves.qxs_sync_record_ids, "history is never queued on its own")
        return moves

    def linked_invoice(self):
        """An invoice of the range sent the usual way (linked before the export)."""
        move = self.history(1)
        move._qxs_enqueue_documents()
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        return move

    def wizard(self, user=None, **vals):
        env = self.env(user=user) if user else self.env
        return env["qxs.export.wizard"].create({**RANGE, **vals})

    def start(self, chunk_size=None, user=None, **vals):
        wizard = self.wizard(user=user, **vals)
        action = wizard.with_context(qxs_export_chunk_size=chunk_size).action_start()
        return self.env["qxs.export.run"].browse(action["res_id"])

    def export(self):
        self.env["qxs.export.run"]._cron_export()

    def drain(self, run, rounds=40):
        """The export cron and the send cron, as the scheduler runs them, until the run ends."""
        for _round in range(rounds):
            self.export()
            if run.state == "done":
                return
            self.make_due()
            self.sync()
        self.fail(f"the export did not end: {run.read()[0]}")

    @staticmethod
    def queued(run):
        return len(run.move_ids) - len(run._remaining()[0])

    def counts(self, run):
        return {
            name: run[f"{name}_count"]
            for name in ("total", "sent", "linked", "skipped", "failed", "pending")
        }

    def assert_once_remotely(self, moves):
        numbers = self.remote_numbers()
        for move in moves:
            self.assertEqual(numbers.count(move.name), 1, move.name)

    # ------------------------------------------------------------------ tests
    def test_counts_shown_before_start(self):
        self.history(3)
        self.history(1, move_type="out_refund")
        self.history(2, team=self.no_sync_team)
        self.linked_invoice()
        wizard = self.wizard(user=self.accountant)
        self.assertEqual(wizard.connection_id, self.connection, "the company's connection")
        self.assertEqual((wizard.document_count, wizard.linked_count), (6, 1))
        wizard.include_invoices = False
        self.assertEqual((wizard.document_count, wizard.linked_count), (1, 0))
        wizard.write({"include_invoices": True, "team_ids": [Command.set(self.no_sync_team.ids)]})
        self.assertEqual(wizard.document_count, 2)
        wizard.write({"team_ids": [Command.clear()], "date_to": date(2019, 2, 1)})
        self.assertEqual((wizard.document_count, wizard.linked_count), (0, 0))
        self.assertEqual(len(self.remote_numbers()), 1, "nothing sent by counting")

    def test_chunks_report_linked_and_channel_skipped(self):
        sent = self.history(3)
        skipped = self.history(1, team=self.no_sync_team)
        linked = self.linked_invoice()
        run = self.start(chunk_size=2, user=self.accountant)
        self.assertEqual(run.create_uid, self.accountant)
        self.assertEqual((run.state, run.total_count, run.pending_count), ("running", 5, 4))
        self.export()
        self.assertEqual(len(run.sync_record_ids), 2, "one chunk queued")
        self.export()
        self.assertEqual(len(run.sync_record_ids), 2, "not before the queue has room")
        self.assertEqual(run.progress, 20.0)
        self.sync()
        self.export()
        self.assertEqual(len(run.sync_record_ids), 4, "the next chunk once the first is sent")
        self.assertEqual(run.sent_count, 2)
        self.drain(run)
        self.assertEqual(
            self.counts(run),
            {"total": 5, "sent": 3, "linked": 1, "skipped": 2, "failed": 0, "pending": 0},
        )
        self.assertEqual(run.progress, 100.0)
        self.assertTrue(run.end_date)
        rec = self.record(skipped)
        self.assertEqual((rec.state, rec.export_run_id), ("skipped", run))
        self.assertIn("Marketplace", rec.skip_reason)
        self.assertEqual(run.linked_move_ids, linked)
        self.assertFalse(self.record(linked).export_run_id, "not sent again")
        self.assertEqual(
            self.env["qxs.sync.record"].search(run.action_open_skipped()["domain"]), rec
        )
        self.assertTrue(any("Export done" in (m.body or "") for m in run.message_ids))
        self.assert_once_remotely(sent | linked)
        self.assertNotIn(skipped.name, self.remote_numbers())
        self.assertEqual(self.connection.export_run_id, run)
        self.assertEqual(self.connection.export_progress, 100.0)

    def paid_before_connection(self, invoice):
        bank = self.company_data["default_journal_bank"]
        if self.deposit_account:
            bank.qxs_deposit_account = self.deposit_account
        with self.before_connection():
            return (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"journal_id": bank.id})
                ._create_payments()
            )

    def test_payments_of_the_history_follow_their_invoices(self):
        invoices = self.history(2)
        payment = self.paid_before_connection(invoices[:1])
        run = self.start()
        self.assertEqual(run.payment_move_ids, payment.move_id)
        self.drain(run)
        self.assertEqual(run.sent_count, 3)
        pay_rec = payment.move_id._qxs_payment_record(self.connection)
        self.assertEqual(
            (pay_rec.state, pay_rec.export_run_id), ("synced", run), pay_rec.last_error
        )
        self.assertEqual(len(self.emulator.objects(self.payment_kind)), 1)

    def test_failed_reported_then_sent_by_running_the_range_again(self):
        good = self.history(1)
        bad = self.history(1, product=self.product_b)
        self.product_b.qxs_revenue_code = False  # refused before any call: no revenue code
        self.connection.sudo().default_revenue_code = False
        payment = self.paid_before_connection(bad)
        run = self.start(user=self.accountant)
        self.drain(run)
        self.assertEqual(
            self.counts(run),
            {"total": 3, "sent": 1, "linked": 0, "skipped": 0, "failed": 1, "pending": 1},
        )
        failed = self.env["qxs.sync.record"].search(run.action_open_failed()["domain"])
        self.assertEqual(failed, self.record(bad))
        self.assertEqual(failed.state, "error")
        self.assertTrue(any("payments wait" in (m.body or "") for m in run.message_ids))
        # Fixed, the same range exported again: only what is not linked yet is sent.
        self.product_b.qxs_revenue_code = self.revenue_code_b
        wizard = self.wizard(user=self.accountant)
        self.assertEqual(
            (wizard.document_count, wizard.payment_count, wizard.linked_count), (1, 1, 1)
        )
        again = self.start(user=self.accountant)
        self.drain(again)
        self.assertEqual(
            self.counts(again),
            {"total": 3, "sent": 2, "linked": 1, "skipped": 1, "failed": 0, "pending": 0},
        )
        self.assertEqual(run.failed_count, 1, "a finished run keeps its report")
        self.assert_once_remotely(good | bad)
        self.assertEqual(len(self.emulator.objects(self.payment_kind)), 1)
        pay_rec = payment.move_id._qxs_payment_record(self.connection)
        self.assertEqual((pay_rec.state, pay_rec.export_run_id), ("synced", again))

    def test_document_the_provider_has_is_linked_not_created(self):
        move = self.linked_invoice()
        remote_id = self.record(move).remote_id
        self.record(move).sudo().unlink()  # Odoo lost the link; the provider has the document
        run = self.start()
        self.assertEqual(run.move_ids, move)
        self.drain(run)
        rec = self.record(move)
        self.assertEqual((rec.state, rec.remote_id), ("synced", remote_id), rec.last_error)
        self.assert_once_remotely(move)
        # Running the same range again sends nothing: the document is linked.
        again = self.wizard()
        self.assertEqual((again.document_count, again.linked_count), (0, 1))

    def test_500_documents_interrupted_and_resumed_without_duplicates(self):
        # A customer the provider has: the lost answer is a document write's.
        self.partner_a.qxs_billing_account = self.billing_account
        moves = self.history(500)
        run = self.start(user=self.accountant)
        self.assertEqual(run.total_count, 500)
        self.export()
        self.assertEqual(len(run.sync_record_ids), 200)
        # The answer of one write is lost: those documents exist remotely, Odoo does not know.
        self.emulator.add_fault("drop_after_write", **self.write_fault)
        self.sync()
        self.assertTrue(run.sync_record_ids.filtered(lambda r: r.state == "pending"))
        run.with_user(self.accountant).action_pause()
        self.export()
        self.assertEqual((run.state, self.queued(run)), ("paused", 200), "paused: no chunk")
        run.with_user(self.accountant).action_resume()
        # A worker dies after the provider's writes and before its commit: the next chunk,
        # its records and what was sent are lost in Odoo, not remotely.
        with lost_commit(self.env, self.connection):
            self.export()
            self.assertEqual(self.queued(run), 400)
            self.make_due()
            self.sync()
        self.env.invalidate_all()
        self.assertEqual(self.queued(run), 200, "the chunk is queued again on resume")
        self.assertGreater(len(self.remote_numbers()), 200)
        self.drain(run, rounds=60)
        self.assert_once_remotely(moves)
        self.assertEqual(len(self.remote_numbers()), 500)
        self.assertEqual(
            self.counts(run),
            {"total": 500, "sent": 500, "linked": 0, "skipped": 0, "failed": 0, "pending": 0},
        )
        self.assertEqual(set(run.sync_record_ids.mapped("move_id").ids), set(moves.ids))

    def test_billing_user_cannot_export_accountant_can(self):
        self.history(1)
        for user in (self.billing, self.bookkeeper):
            with self.assertRaises(AccessError, msg=user.login):
                self.wizard(user=user)
            with self.assertRaises(AccessError, msg=user.login):
                self.connection.with_user(user).action_open_export_wizard()
        action = self.connection.with_user(self.accountant).action_open_export_wizard()
        self.assertEqual(action["res_model"], "qxs.export.wizard")
        run = self.start(user=self.accountant)
        form = Form(run.with_user(self.accountant))  # the run's form, as the accountant sees it
        self.assertEqual(form.state, "running")
        conn_form = (
            self.env["qxs.connection"].with_user(self.accountant).get_views([(False, "form")])
        )
        self.assertIn("action_open_export_wizard", conn_form["views"]["form"]["arch"])
        for user in (self.billing, self.bookkeeper):
            with self.assertRaises(AccessError, msg=user.login):
                run.with_user(user).action_pause()
        with self.assertRaises(UserError):
            self.start(user=self.accountant)  # one unfinished run per connection
        run.with_user(self.accountant).action_cancel()
        self.assertEqual(run.state, "cancelled")
        self.export()
        self.assertFalse(run.sync_record_ids, "a cancelled run queues nothing")

    def test_first_connect_sets_the_cutoff_and_offers_the_export(self):
        conn = self.connection.sudo()
        self.env["ir.config_parameter"].set_param("web.base.url", "http://localhost:8069")
        conn.write({"state": "draft", "access_token": False, "refresh_token": False})
        self.assertFalse(conn.history_cutoff_date)
        action = conn.action_connect()
        answer = requests.get(action["url"], allow_redirects=False, timeout=10)
        params = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
        params.pop("state")
        conn._finish_oauth(params.pop("code"), params)
        today = fields.Date.context_today(conn)
        self.assertEqual((conn.state, conn.history_cutoff_date), ("connected", today))
        self.assertFalse(conn.export_run_id, "nothing exported by default")
        action = conn.action_open_export_wizard()
        self.assertEqual(action["context"]["default_date_to"], today)
        wizard = self.env["qxs.export.wizard"].with_context(**action["context"]).create({})
        self.assertEqual((wizard.connection_id, wizard.date_to), (self.connection, today))
        from_menu = self.env["qxs.export.wizard"].create({})
        self.assertEqual((from_menu.connection_id, from_menu.date_to), (self.connection, today))


@tagged("post_install", "-at_install")
class TestQboExportHistory(ExportHistoryChecks, QxsCase):
    payment_kind = "Payment"
    deposit_account = None
    billing_account = "Cool Cars"
    write_fault = {"path": "/batch"}

    def remote_numbers(self):
        return [
            obj["DocNumber"]
            for kind in ("Invoice", "CreditMemo")
            for obj in self.emulator.objects(kind)
        ]


@tagged("post_install", "-at_install")
class TestXeroExportHistory(ExportHistoryChecks, XeroMixin, QxsCase):
    payment_kind = "Payments"
    deposit_account = "090"
    billing_account = "RIDGE-001"
    write_fault = {"path": "/Invoices", "method": "POST"}

    def remote_numbers(self):
        return [
            obj.get("InvoiceNumber") or obj.get("CreditNoteNumber")
            for kind in ("Invoices", "CreditNotes")
            for obj in self.emulator.objects(kind)
        ]
