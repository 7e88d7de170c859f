"""The demo's set-up (setup/demo_connect.py, run by setup/run.sh in odoo-bin shell): its
functions called on the test companies. The 8.25 % tax it makes has a tax group of its own, the
COGS accounts are mapped to the emulators' seeded charts (a sale delivered and invoiced then
gets its COGS journal), and a company made without warehouse gets one."""

import importlib.util
import threading
from pathlib import Path

from odoo.tests import tagged

from odoo.addons.qbo_xero_sync.tests.common import XeroMixin

from .common import QxsCogsCase

DEMO_SCRIPT = Path(__file__).resolve().parents[3] / "setup" / "demo_connect.py"


def load_demo():
    """setup/demo_connect.py as a module (imported, it defines its functions and runs nothing)."""
    spec = importlib.util.spec_from_file_location("qxs_demo_connect", DEMO_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DemoChecks:
    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin
    journal_kind = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo = load_demo()

    def test_demo_maps_cogs_accounts_of_the_emulator_chart(self):
        conn = self.connection
        conn.write({"cogs_account_code": False, "inventory_account_code": False})
        self.demo.map_cogs(conn)
        self.assertEqual(
            (conn.cogs_account_code, conn.inventory_account_code), (self.cogs_code, self.stock_code)
        )
        self.env["qxs.remote.record"]._replace_mirror(conn, conn._adapter().read_reference_data())
        self.assertEqual(conn.cogs_account_id.code, self.cogs_code, "in the seeded chart")
        self.assertEqual(conn.inventory_account_id.code, self.stock_code, "in the seeded chart")
        self.assertTrue(conn._qxs_exports_cogs())

        # A sale delivered and invoiced gets its COGS journal ("Export COGS now").
        order = self.order(self.shop, {self.lamp: 2})
        move = self.invoice_order(order, self.day2)
        self.wizard("export", self.day2)
        self.sync()
        rec = self.cogs(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(rec.cogs_amount, 20.0)
        self.assertEqual(len(self.emulator.objects(self.journal_kind)), 1)

        # Run again: the same; a mapping set by hand is kept.
        conn.cogs_account_code = "Hand-picked"
        self.demo.map_cogs(conn)
        self.assertEqual(conn.cogs_account_code, "Hand-picked")
        self.assertEqual(conn.inventory_account_code, self.stock_code)


@tagged("post_install", "-at_install")
class TestDemoConnectQbo(DemoChecks, QxsCogsCase):
    journal_kind = "JournalEntry"

    def test_demo_tax_has_its_own_group(self):
        company = self.env.company
        self.assertNotEqual(company.account_sale_tax_id.amount, 8.25, "the chart's tax")
        others = self.env["account.tax"].search(
            [("company_id", "=", company.id), ("amount", "!=", 8.25)]
        )
        self.demo.map_taxes(company, "qbo")
        twin = company.account_sale_tax_id
        self.assertEqual((twin.amount, twin.qxs_tax_code), (8.25, "California"))
        group = twin.tax_group_id
        self.assertEqual(group.name, "Tax 8.25%")
        self.assertNotIn(group, others.tax_group_id, "no other rate in its group")
        move = self.invoice(taxes=twin)
        names = [
            tax_group["group_name"]
            for subtotal in move.tax_totals["subtotals"]
            for tax_group in subtotal["tax_groups"]
        ]
        self.assertEqual(names, ["Tax 8.25%"])

        # Idempotent: run twice, the same tax and group, no second group.
        Group = self.env["account.tax.group"]
        count = Group.search_count([("company_id", "=", company.id)])
        self.demo.map_taxes(company, "qbo")
        self.assertEqual(company.account_sale_tax_id, twin)
        self.assertEqual(twin.tax_group_id, group)
        self.assertEqual(Group.search_count([("company_id", "=", company.id)]), count)


@tagged("post_install", "-at_install")
class TestDemoConnectXero(DemoChecks, XeroMixin, QxsCogsCase):
    default_revenue_code = "200"
    revenue_code_a = "200"
    revenue_code_b = "260"
    tax_code = "OUTPUT"
    cogs_code = "310"
    stock_code = "630"
    journal_kind = "ManualJournals"

    def test_demo_company_without_warehouse_gets_one(self):
        thread = threading.current_thread()
        testing = thread.testing
        thread.testing = False  # as outside tests: Odoo makes no warehouse for a new company
        try:
            company = self.env["res.company"].create({"name": "Demo Xero Company (test)"})
        finally:
            thread.testing = testing
        Warehouse = self.env["stock.warehouse"]
        self.assertFalse(Warehouse.search([("company_id", "=", company.id)]))
        warehouse = self.demo.ensure_warehouse(company)
        self.assertEqual(warehouse.company_id, company)
        self.assertTrue(warehouse.lot_stock_id)
        self.assertEqual(self.demo.ensure_warehouse(company), warehouse, "idempotent")
        self.assertEqual(Warehouse.search_count([("company_id", "=", company.id)]), 1)

        # Its storable products take the main company's cost (a cost is per company).
        self.assertFalse(self.lamp.with_company(company).standard_price)
        self.demo.copy_costs(self.env.company, company)
        self.assertEqual(self.lamp.with_company(company).standard_price, 10.0)
        self.lamp.with_company(company).standard_price = 12.0
        self.demo.copy_costs(self.env.company, company)
        self.assertEqual(self.lamp.with_company(company).standard_price, 12.0, "kept")
