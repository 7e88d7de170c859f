"""Shared set-up: a company with real-time stock valuation, two sales channels, and a
connection to the project's emulator (through the main addon's QxsCase)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import Form

from odoo.addons.qbo_xero_sync.tests.common import QxsCase


class QxsCogsCase(QxsCase):
    cogs_code = "Cost of Goods Sold"
    stock_code = "Inventory Asset"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("stock_account.group_stock_accounting_automatic")
        cls.today = fields.Date.context_today(cls.env["account.move"])
        cls.day1 = cls.today - timedelta(days=1)
        cls.day2 = cls.today
        cls.connection.write(
            {
                "cogs_account_code": cls.cogs_code,
                "inventory_account_code": cls.stock_code,
                "cogs_start_date": cls.day1,
            }
        )
        company = cls.env.company
        Account = cls.env["account.account"].with_company(company)
        accounts = {
            key: Account.create(
                {"name": key, "code": code, "account_type": "asset_current", "reconcile": True}
            )
            for key, code in (("in", "QXSIN"), ("out", "QXSOUT"), ("val", "QXSVAL"))
        }
        cls.categ = cls.env["product.category"].create(
            {
                "name": "Valued goods",
                "property_cost_method": "average",
                "property_valuation": "real_time",
                "property_stock_valuation_account_id": accounts["val"].id,
                "property_stock_account_input_categ_id": accounts["in"].id,
                "property_stock_account_output_categ_id": accounts["out"].id,
            }
        )
        Product = cls.env["product.product"]
        common = {
            "is_storable": True,
            "categ_id": cls.categ.id,
            "taxes_id": [fields.Command.clear()],
        }
        cls.lamp = Product.create(
            {"name": "Lamp", "standard_price": 10.0, "invoice_policy": "delivery", **common}
        )
        cls.desk = Product.create(
            {"name": "Desk", "standard_price": 25.0, "invoice_policy": "delivery", **common}
        )
        cls.chair = Product.create(
            {"name": "Chair", "standard_price": 7.5, "invoice_policy": "order", **common}
        )
        Team = cls.env["crm.team"]
        # Invoices themselves are not sent in these tests: only the COGS journals are.
        cls.shop = Team.create(
            {"name": "Shop", "company_id": company.id, "qxs_invoice_sync_type": "none"}
        )
        cls.web = Team.create(
            {"name": "Web", "company_id": company.id, "qxs_invoice_sync_type": "none"}
        )

    # ------------------------------------------------------------------ helpers
    def order(self, team, lines, deliver=True):
        """A confirmed sale order of ``lines`` ({product: qty}), delivered when ``deliver``."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner_a.id,
                "team_id": team.id,
                "order_line": [
                    fields.Command.create(
                        {"product_id": p.id, "product_uom_qty": qty, "price_unit": 100.0}
                    )
                    for p, qty in lines.items()
                ],
            }
        )
        order.action_confirm()
        if deliver:
            self.deliver(order.picking_ids)
        return order

    def deliver(self, pickings, qty=None):
        """Validate ``pickings`` with ``qty`` per move (default: all); the rest is backordered."""
        for move in pickings.move_ids:
            move.write({"quantity": qty or move.product_uom_qty, "picked": True})
        res = pickings.button_validate()
        if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
            Wizard = self.env[res["res_model"]].with_context(**res["context"])
            Form(Wizard).save().process()
        self.assertEqual(set(pickings.mapped("state")), {"done"})

    def invoice_order(self, order, date, final=False):
        move = order._create_invoices(final=final)
        move.invoice_date = date
        move.action_post()
        return move

    def return_goods(self, picking, qty):
        wizard = (
            self.env["stock.return.picking"]
            .with_context(
                active_id=picking.id, active_ids=picking.ids, active_model="stock.picking"
            )
            .create({})
        )
        wizard.product_return_moves.write({"quantity": qty, "to_refund": True})
        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        self.deliver(returned, qty)
        return returned

    @staticmethod
    def valuation(pickings):
        """Cost of the goods of ``pickings`` in Odoo's stock valuation (out: positive)."""
        return -sum(pickings.move_ids.stock_valuation_layer_ids.mapped("value"))

    def export(self):
        """The daily cron: queue and send."""
        self.env["qxs.connection"]._cron_export_cogs()

    def wizard(self, action, date_from, date_to=None):
        return (
            self.env["qxs.cogs.wizard"]
            .create(
                {
                    "connection_id": self.connection.id,
                    "action": action,
                    "date_from": date_from,
                    "date_to": date_to or date_from,
                }
            )
            .action_apply()
        )

    @staticmethod
    def cogs(move):
        return move._qxs_cogs_record()


class CogsScenarios:
    """The end-to-end scenarios, run against each provider (mixed into a QxsCogsCase).

    Providers differ in a few helpers: ``live_journals()`` returns the journals in force as
    {"id", "date", "narration", "lines": sorted [(Debit|Credit, account code, amount)]}."""

    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin
    fault_path = None
    void_status = None

    def live_journals(self):
        raise NotImplementedError

    def journal(self, move):
        found = [j for j in self.live_journals() if f"{move.name} (" in j["narration"]]
        self.assertEqual(len(found), 1, f"one journal for {move.name}")
        return found[0]

    @staticmethod
    def total(journal):
        return sum(amount for side, _code, amount in journal["lines"] if side == "Debit")

    def test_two_days_two_channels_then_return(self):
        order1 = self.order(self.shop, {self.lamp: 3})
        inv1 = self.invoice_order(order1, self.day1)
        order2 = self.order(self.web, {self.lamp: 2, self.desk: 1})
        inv2 = self.invoice_order(order2, self.day2)
        self.assertEqual(self.valuation(order1.picking_ids), 30.0)
        self.assertEqual(self.valuation(order2.picking_ids), 45.0)
        self.export()
        self.assertEqual(len(self.live_journals()), 2)
        je1, je2 = self.journal(inv1), self.journal(inv2)
        self.assertEqual(je1["date"], self.day1)
        self.assertEqual(je2["date"], self.day2)
        cogs, stock = self.cogs_code, self.stock_code
        self.assertEqual(je1["lines"], [("Credit", stock, 30.0), ("Debit", cogs, 30.0)])
        self.assertEqual(
            je2["lines"], [("Credit", stock, 45.0), ("Debit", cogs, 20.0), ("Debit", cogs, 25.0)]
        )
        rec1 = self.cogs(inv1)
        self.assertEqual(rec1.state, "synced", rec1.last_error)
        self.assertEqual(rec1.remote_id, je1["id"])
        self.assertEqual(rec1.remote_number, f"COGS {inv1.name}")
        self.assertEqual(rec1.cogs_amount, 30.0)
        self.assertEqual(inv1.qxs_cogs_state, "synced")
        self.assertIn("Cost of goods sold journal sent", inv1.message_ids[0].body)

        # Twice: no second journal, no second record.
        self.export()
        self.sync()
        self.assertEqual(len(self.live_journals()), 2)
        self.assertEqual(self.env["qxs.sync.record"].search_count([("purpose", "=", "cogs")]), 2)

        # One lamp comes back: the credit note reverses its cost.
        self.return_goods(order1.picking_ids, 1)
        refund = self.invoice_order(order1, self.day2, final=True)
        self.assertEqual(refund.move_type, "out_refund")
        self.export()
        self.assertEqual(
            self.journal(refund)["lines"], [("Credit", cogs, 10.0), ("Debit", stock, 10.0)]
        )
        self.assertEqual(self.cogs(refund).cogs_amount, -10.0)
        self.assertEqual(len(self.live_journals()), 3)

    def test_channel_on_no_sync_is_skipped(self):
        self.web.qxs_cogs_sync_type = "none"
        inv = self.invoice_order(self.order(self.web, {self.lamp: 1}), self.day2)
        self.export()
        rec = self.cogs(inv)
        self.assertEqual(rec.state, "skipped")
        self.assertIn("Web", rec.skip_reason)
        self.assertEqual(self.live_journals(), [])

    def test_not_delivered_waits(self):
        order = self.order(self.shop, {self.chair: 2}, deliver=False)
        inv = self.invoice_order(order, self.day2)
        self.export()
        self.assertFalse(self.cogs(inv), "no record while the goods are in the warehouse")
        self.deliver(order.picking_ids)
        self.export()
        self.assertEqual(self.cogs(inv).state, "synced")
        self.assertEqual(self.total(self.journal(inv)), 15.0)

    def test_void_then_export_restores(self):
        inv = self.invoice_order(self.order(self.shop, {self.desk: 2}), self.day1)
        self.export()
        rec = self.cogs(inv)
        first_id = rec.remote_id
        self.wizard("void", self.day1)
        self.sync()
        self.assertEqual(self.live_journals(), [], "voided (QuickBooks: deleted)")
        self.assertEqual(rec.remote_status, self.void_status)
        self.export()
        self.assertEqual(self.live_journals(), [], "the daily run keeps it voided")
        self.wizard("export", self.day1)
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        je = self.journal(inv)
        self.assertNotEqual(je["id"], first_id)
        self.assertEqual(rec.remote_id, je["id"])
        self.assertEqual(self.total(je), 50.0)

    def test_lost_answer_after_write_does_not_duplicate(self):
        inv = self.invoice_order(self.order(self.shop, {self.lamp: 4}), self.day2)
        self.emulator.add_fault("drop_after_write", path=self.fault_path, method="POST")
        self.export()
        rec = self.cogs(inv)
        self.assertEqual(rec.state, "pending")
        self.assertTrue(rec.last_error)
        self.assertEqual(len(self.live_journals()), 1, "the write was applied remotely")
        self.assertIn("1 of 1 journals failed", self.connection.message_ids[0].body)
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(rec.remote_id, self.journal(inv)["id"], "never a duplicate")

    def test_unmapped_account_is_a_clear_error(self):
        self.connection.cogs_account_code = False
        inv = self.invoice_order(self.order(self.shop, {self.lamp: 1}), self.day2)
        calls = self.emulator.count(self.fault_path)
        self.export()
        rec = self.cogs(inv)
        self.assertEqual(rec.state, "error")
        self.assertIn("No cost of goods sold account", rec.last_error)
        self.assertEqual(inv.qxs_cogs_state, "error")
        self.assertIn("No cost of goods sold account", inv.qxs_cogs_error)
        self.assertEqual(self.emulator.count(self.fault_path), calls, "no call for it")
        alert = self.connection.message_ids[0]
        self.assertIn(inv.name, alert.body)
        self.assertTrue(alert.partner_ids, "the administrators are notified")

        self.connection.cogs_account_code = "999"
        inv.action_qxs_cogs_retry()
        self.sync()
        self.assertEqual(rec.state, "error")
        self.assertIn("999", rec.last_error)
        self.assertEqual(self.live_journals(), [])

        self.connection.cogs_account_code = self.stock_code  # an asset, not a COGS account
        inv.action_qxs_cogs_retry()
        self.sync()
        self.assertEqual(rec.state, "error")
        self.assertIn("needs an account of type", rec.last_error)
        self.assertEqual(self.live_journals(), [])

        self.connection.cogs_account_code = self.cogs_code
        inv.action_qxs_cogs_retry()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(len(self.live_journals()), 1)
