"""Customers and items: the connection's customer policy, edits of linked customers,
QuickBooks' name rules and item checks, the match screen (both emulators)."""

from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .customers_common import CustomerHelpers

LONG = "Northwind Traders International Holdings and Subsidiaries of the Pacific Northwest Region"


class QboCustomerMixin:
    customer_kind = "Customer"
    existing_name = "Cool Cars"

    @staticmethod
    def remote_name(obj):
        return obj["DisplayName"]

    @staticmethod
    def remote_id(obj):
        return obj["Id"]

    def seed_customers(self, names):
        self.emulator.seed({"Customer": [{"DisplayName": name} for name in names]})

    def remote_customer(self, remote_id):
        [obj] = [c for c in self.customers() if c["Id"] == remote_id]
        return {
            "name": obj["DisplayName"],
            "email": (obj.get("PrimaryEmailAddr") or {}).get("Address"),
            "currency": obj["CurrencyRef"]["value"],
            "street": (obj.get("BillAddr") or {}).get("Line1"),
        }


class XeroCustomerMixin:
    customer_kind = "Contacts"
    existing_name = "Ridgeway University"

    @staticmethod
    def remote_name(obj):
        return obj["Name"]

    @staticmethod
    def remote_id(obj):
        return obj["ContactID"]

    def seed_customers(self, names):
        self.emulator.seed({"Contacts": [{"Name": name} for name in names]})

    def remote_customer(self, remote_id):
        [obj] = [c for c in self.customers() if c["ContactID"] == remote_id]
        return {
            "name": obj["Name"],
            "email": obj.get("EmailAddress"),
            "currency": obj.get("DefaultCurrency"),
            "street": next((a.get("AddressLine1") for a in obj.get("Addresses") or [] if a), None),
        }


@tagged("post_install", "-at_install")
class TestCustomersQbo(QboCustomerMixin, CustomerHelpers, QxsCase):
    """QuickBooks Online: customer policy, edits, name rules, items."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_users()

    def test_never_create_unmatched_is_an_error_then_linked(self):
        self.check_never_create_unmatched_is_an_error_then_linked()

    def test_never_create_matches_an_existing_customer(self):
        self.check_never_create_matches_an_existing_customer()

    def test_created_when_created_in_odoo(self):
        self.check_created_when_created_in_odoo()

    def test_first_sale_queues_the_customer(self):
        self.check_first_sale_queues_the_customer()

    def test_first_invoice_of_a_new_customer_makes_one_remote_customer(self):
        self.check_first_invoice_of_a_new_customer_makes_one_remote_customer()

    def test_edits_of_a_linked_customer_are_sent_coalesced(self):
        self.check_edits_of_a_linked_customer_are_sent_coalesced()

    def test_unlinked_customer_edits_are_not_queued(self):
        self.check_unlinked_customer_edits_are_not_queued()

    def test_edit_undone_is_sent_too(self):
        self.check_edit_undone_is_sent_too()

    def test_document_currency_on_new_customer(self):
        self.check_document_currency_on_new_customer()

    # ------------------------------------------------------------------ name rules
    def test_forbidden_characters_are_replaced(self):
        partner = self.new_customer("Smith: Jones \\ Partners")
        move = self.invoice(partner=partner)
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        remote = self.remote_customer(self.link_of(partner))
        self.assertEqual(remote["name"], "Smith- Jones - Partners")

    def test_names_unique_on_their_first_100_characters(self):
        first = self.new_customer(LONG + " Limited Partnership East")
        second = self.new_customer(LONG + " Limited Partnership West")
        self.sync()  # not queued by the default policy: nothing to send
        for partner in (first, second):
            self.invoice(partner=partner)
            self.sync()
        names = {self.remote_customer(self.link_of(p))["name"] for p in (first, second)}
        self.assertNotEqual(self.link_of(first), self.link_of(second))
        cut = (LONG + " Limited Partnership East")[:100]
        self.assertEqual(names, {cut, cut[:96].rstrip() + " (2)"})
        self.assertTrue(all(len(n) <= 100 for n in names))

    def test_name_of_a_vendor_or_employee_is_explained(self):
        partner = self.new_customer("Norton Lumber and Building Materials")
        move = self.invoice(partner=partner)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("for a vendor, an employee", rec.last_error)
        self.assertIn("match screen", rec.last_error)
        self.assertIn("6240", rec.last_error)

    def test_edit_to_a_name_taken_gets_a_suffix(self):
        self.invoice()
        self.sync()
        self.partner_a.with_user(self.billing).name = "Cool Cars"
        self.sync()
        rec = self.customer_record(self.partner_a)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(
            self.remote_customer(self.link_of(self.partner_a))["name"], "Cool Cars (2)"
        )

    # ------------------------------------------------------------------ items
    def item_error(self, code):
        self.product_a.qxs_revenue_code = code
        move = self.invoice(products=self.product_a)
        self.sync()
        return self.record(move)

    def test_item_not_sold_is_refused(self):
        self.emulator.seed({"Item": [{"Name": "Hardware", "Type": "Category"}]})
        rec = self.item_error("Hardware")
        self.assertEqual(rec.state, "error")
        self.assertIn("is not sold", rec.last_error)

    def test_inventory_item_refused_while_cogs_journals_are_exported(self):
        self.connection.cogs_account_code = "Cost of Goods Sold"
        rec = self.item_error("RF-100")
        self.assertEqual(rec.state, "error")
        self.assertIn("inventory item", rec.last_error)
        self.assertIn("twice", rec.last_error)

    def test_inventory_item_sold_without_cogs_export(self):
        self.connection.cogs_account_code = False
        rec = self.item_error("RF-100")
        self.assertEqual(rec.state, "synced", rec.last_error)
        # Linked before the COGS journals were exported: refused from then on.
        self.assertIn("RF-100", self.env["qxs.binding"]._known(self.connection, "item"))
        self.connection.cogs_account_code = "Cost of Goods Sold"
        rec = self.item_error("RF-100")
        self.assertEqual(rec.state, "error")
        self.assertIn("inventory item", rec.last_error)

    def test_missing_item_named_after_an_income_account(self):
        rec = self.item_error("Sales of Product Income")
        self.assertEqual(rec.state, "synced", rec.last_error)
        accounts = {a["Name"]: a["Id"] for a in self.emulator.objects("Account")}
        [item] = [
            i for i in self.emulator.objects("Item") if i["Name"] == "Sales of Product Income"
        ]
        self.assertEqual(item["IncomeAccountRef"]["value"], accounts["Sales of Product Income"])
        self.assertEqual(item["Type"], "Service")

    # ------------------------------------------------------------------ match screen
    def test_match_screen_scores_links_and_hides(self):
        self.check_match_screen_scores_links_and_hides()

    def test_match_screen_creates_remote_customers_in_odoo(self):
        self.check_match_screen_creates_remote_customers_in_odoo()

    def test_match_screen_rights(self):
        self.check_match_screen_rights()

    def test_match_screen_reads_every_page(self):
        self.check_match_screen_reads_every_page()

    def test_match_screen_items(self):
        self.product_a.qxs_revenue_code = "Pump"
        wizard = self.match_wizard(self.accountant, kind="item")
        line = wizard.line_ids.filtered(lambda row: row.code == "Pump")
        self.assertEqual((line.candidate_id.name, line.score), ("Pump", 100))
        line.action_link()
        self.assertEqual(
            self.env["qxs.binding"]._known(self.connection, "item", ["Pump"]),
            {"Pump": line.candidate_id.remote_id},
        )


@tagged("post_install", "-at_install")
class TestCustomersXero(XeroCustomerMixin, CustomerHelpers, XeroMixin, QxsCase):
    """Xero: customer policy, edits, currency, the match screen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_users()

    def test_never_create_unmatched_is_an_error_then_linked(self):
        self.check_never_create_unmatched_is_an_error_then_linked()

    def test_never_create_matches_an_existing_customer(self):
        self.check_never_create_matches_an_existing_customer()

    def test_created_when_created_in_odoo(self):
        self.check_created_when_created_in_odoo()

    def test_first_sale_queues_the_customer(self):
        self.check_first_sale_queues_the_customer()

    def test_first_invoice_of_a_new_customer_makes_one_remote_customer(self):
        self.check_first_invoice_of_a_new_customer_makes_one_remote_customer()

    def test_edits_of_a_linked_customer_are_sent_coalesced(self):
        self.check_edits_of_a_linked_customer_are_sent_coalesced()

    def test_unlinked_customer_edits_are_not_queued(self):
        self.check_unlinked_customer_edits_are_not_queued()

    def test_edit_undone_is_sent_too(self):
        self.check_edit_undone_is_sent_too()

    def test_document_currency_on_new_customer(self):
        self.check_document_currency_on_new_customer()

    def test_match_screen_scores_links_and_hides(self):
        self.check_match_screen_scores_links_and_hides()

    def test_match_screen_creates_remote_customers_in_odoo(self):
        self.check_match_screen_creates_remote_customers_in_odoo()

    def test_match_screen_rights(self):
        self.check_match_screen_rights()

    def test_match_screen_reads_every_page(self):
        self.check_match_screen_reads_every_page()

    def test_match_screen_items(self):
        self.product_a.qxs_revenue_code = "desk"
        wizard = self.match_wizard(self.accountant, kind="item")
        line = wizard.line_ids.filtered(lambda row: row.code == "desk")
        self.assertEqual((line.candidate_id.code, line.score), ("DESK", 100))
        self.assertEqual(len(wizard.remote_ids), 3, "the organisation's items")
