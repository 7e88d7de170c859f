from datetime import date

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import CogsScenarios, QxsCogsCase


@tagged("post_install", "-at_install")
class TestCogsQbo(CogsScenarios, QxsCogsCase):
    """Cost of goods sold of delivered sale documents -> QuickBooks Online journal entries
    (account codes are QuickBooks account names here)."""

    fault_path = "journalentry"
    void_status = "deleted"  # QuickBooks can't void a journal entry through the API

    def live_journals(self):
        names = {v: k for k, v in self.summary["accounts"].items()}
        return [
            {
                "id": je["Id"],
                "date": date.fromisoformat(je["TxnDate"]),
                "narration": je.get("PrivateNote") or "",
                "number": je.get("DocNumber"),
                "lines": sorted(
                    (
                        li["JournalEntryLineDetail"]["PostingType"],
                        names[li["JournalEntryLineDetail"]["AccountRef"]["value"]],
                        li["Amount"],
                    )
                    for li in je["Line"]
                ),
            }
            for je in self.emulator.objects("JournalEntry")
        ]

    def test_doc_number_fits_quickbooks(self):
        inv = self.invoice_order(self.order(self.shop, {self.lamp: 1}), self.day2)
        self.export()
        self.assertEqual(self.journal(inv)["number"], f"COGS {inv.name}")
        long_name = self.env["account.move"].new({"name": "INV/2026/LONGPREFIX/000123"})
        number = self.env["qxs.sync.record"]._cogs_number(long_name)
        self.assertEqual(len(number), 21)
        self.assertTrue(number.startswith("COGS ") and number.endswith("000123"))

    def test_partial_deliveries_go_to_their_own_invoices(self):
        order = self.order(self.shop, {self.lamp: 4}, deliver=False)
        self.deliver(order.picking_ids, qty=1)
        inv1 = self.invoice_order(order, self.day1)
        self.deliver(order.picking_ids.filtered(lambda p: p.state != "done"), qty=3)
        inv2 = self.invoice_order(order, self.day2)
        self.assertEqual((inv1.invoice_line_ids.quantity, inv2.invoice_line_ids.quantity), (1, 3))
        self.export()
        self.assertEqual(self.total(self.journal(inv1)), 10.0)
        self.assertEqual(self.total(self.journal(inv2)), 30.0)

    def test_cancel_voids_and_reposting_exports_again(self):
        inv = self.invoice_order(self.order(self.shop, {self.desk: 1}), self.day2)
        self.export()
        rec = self.cogs(inv)
        inv.button_draft()
        inv.button_cancel()
        self.sync()
        self.assertEqual(self.live_journals(), [])
        self.assertFalse(rec.cogs_move_ids, "the goods are free again")
        inv.button_draft()
        inv.action_post()
        self.export()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(self.total(self.journal(inv)), 25.0)

    def test_settings_and_wizard(self):
        settings = self.env["res.config.settings"].create(
            {"qxs_cogs_account_code": "5000", "qxs_inventory_account_code": "1200"}
        )
        settings.execute()
        self.assertEqual(self.connection.cogs_account_code, "5000")
        self.assertEqual(self.connection.inventory_account_code, "1200")
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]
        self.assertIn("qxs_cogs_account_code", arch["arch"])
        self.assertEqual(settings.action_qxs_open_cogs_wizard()["res_model"], "qxs.cogs.wizard")
        with self.assertRaises(ValidationError):
            self.wizard("export", self.day2, self.day1)
        with self.assertRaises(UserError):
            self.wizard("export", self.day2)  # nothing delivered and invoiced that day

    def test_cogs_account_picked_in_the_settings(self):
        self.connection.cogs_account_code = False
        self.connection.action_load_remote_accounts()
        settings = Form(self.env["res.config.settings"])
        self.assertEqual(settings.qxs_inventory_account_id.code, self.stock_code)
        domain = safe_eval(
            self.env["res.config.settings"]._fields["qxs_cogs_account_id"].domain,
            {"qxs_connection_id": self.connection.id},
        )
        [cogs] = self.env["qxs.remote.record"].search(domain)
        self.assertEqual((cogs.code, cogs.account_type), (self.cogs_code, "Cost of Goods Sold"))
        settings.qxs_cogs_account_id = cogs
        settings.save().execute()
        self.assertEqual(self.connection.cogs_account_code, self.cogs_code)
        self.assertEqual(self.connection.inventory_account_code, self.stock_code)
