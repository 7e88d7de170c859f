"""The whole go-live path in a real browser, against the QuickBooks emulator: connect, export
a range of history, see its progress, a failure on the dashboard and as an activity, fix it,
post again, synced."""

from datetime import date
from urllib.parse import parse_qsl, urlsplit

import requests

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import QxsCase

HISTORY_DATE = date(2019, 3, 1)


@tagged("post_install", "-at_install")
class TestGoLiveTour(QxsCase, HttpCase):
    def connect(self):
        """The real OAuth consent of the emulator, as the Connect button starts it."""
        conn = self.connection.sudo()
        conn.write({"state": "draft", "access_token": False, "refresh_token": False})
        action = conn.action_connect()
        answer = requests.get(action["url"], allow_redirects=False, timeout=10)
        params = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
        params.pop("state")
        conn._finish_oauth(params.pop("code"), params)
        self.assertEqual(conn.state, "connected")

    def run_background(self):
        """What the crons do between two screens: queue the export's chunks, send them."""
        for _round in range(3):
            self.env["qxs.export.run"]._cron_export()
            self.make_due()
            self.sync()

    def test_go_live(self):
        admin = self.env.ref("base.user_admin")
        admin.company_ids = [Command.link(self.env.company.id)]
        admin.company_id = self.env.company
        unmapped = self.tax_sale.copy({"name": "Sales tax (new)", "qxs_tax_code": False})
        # History: posted before the company was connected.
        self.connection.sudo().state = "draft"
        moves = self.env["account.move"]
        for n, tax in enumerate((self.tax_sale, self.tax_sale, unmapped)):
            move = self.init_invoice(
                "out_invoice",
                partner=self.partner_a,
                amounts=[100.0 + n],
                taxes=tax,
                invoice_date=HISTORY_DATE,
            )
            move.action_post()
            moves |= move
        self.assertFalse(
            any(m._qxs_document_record() for m in moves), "nothing queued before the connection"
        )
        self.connect()
        self.connection.sudo().alert_user_id = admin
        self.start_tour(
            f"/odoo/action-qbo_xero_sync.action_qxs_connection/{self.connection.id}",
            "qxs_golive_export_tour",
            login="admin",
        )
        run = self.connection.export_run_id
        self.assertEqual(run.move_ids, moves, "the range's three documents")
        self.run_background()
        failed = moves[2]
        self.assertEqual([self.record(m).state for m in moves], ["synced", "synced", "error"])
        self.start_tour(
            "/odoo/action-qbo_xero_sync.action_qxs_dashboard",
            "qxs_golive_dashboard_tour",
            login="admin",
        )
        activity = self.record(failed)._failure_activities()
        self.assertEqual(activity.user_id, admin, "one activity, for the responsible user")
        unmapped.qxs_tax_code = self.tax_sale.qxs_tax_code  # the accountant fixes the tax
        self.start_tour(f"/odoo/account.move/{failed.id}", "qxs_golive_fix_tour", login="admin")
        self.run_background()
        rec = self.record(failed)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertFalse(rec._failure_activities(), "the activity is cleared once synced")
        numbers = [o["DocNumber"] for o in self.emulator.objects("Invoice")]
        self.assertEqual(sorted(numbers), sorted(moves.mapped("name")), "each sent once")
        self.assertEqual(run.state, "done")
