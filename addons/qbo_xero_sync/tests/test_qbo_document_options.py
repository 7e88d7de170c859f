"""What a QuickBooks invoice carries besides its lines: ExchangeRate, SalesTermRef, ClassRef
(per line or per document as the company's preferences say), DepartmentRef, the reference on
the statement and the invoice message, ShipDate; with the bad inputs refused with what to do."""

from odoo.tests import tagged

from .. import const
from .common import QxsCase
from .document_options_common import DocumentOptionsMixin


@tagged("post_install", "-at_install")
class TestQboDocumentOptions(DocumentOptionsMixin, QxsCase):
    def invoice_sent(self):
        [inv] = self.emulator.objects("Invoice")
        return inv

    def ids(self, kind):
        return {obj["Name"]: obj["Id"] for obj in self.emulator.objects(kind)}

    @staticmethod
    def item_lines(inv):
        return [li for li in inv["Line"] if li.get("DetailType") == "SalesItemLineDetail"]

    # ------------------------------------------------------------------ currency
    def test_foreign_invoice_carries_odoo_rate_and_home_totals_agree(self):
        move = self.draft(currency=self.eur)
        self.sent(move)
        inv = self.invoice_sent()
        self.assertEqual(inv["CurrencyRef"]["value"], "EUR")
        self.assertEqual(inv["ExchangeRate"], 1.25, "USD per EUR on the invoice date")
        self.assertEqual(inv["TotalAmt"], 108.25)
        self.assertEqual(inv["HomeTotalAmt"], move.amount_total_signed)
        self.assertEqual(move.amount_total_signed, 135.31)

    def test_currency_without_multicurrency_refused_before_any_call(self):
        self.set_config(currencies=["USD"])
        error = self.refused(self.draft(currency=self.eur))
        self.assertIn("EUR", error)
        self.assertIn("turn on multicurrency", error)
        self.assertEqual(self.emulator.objects("Invoice"), [])
        customers = {c["DisplayName"] for c in self.emulator.objects("Customer")}
        self.assertNotIn(self.partner_a.name, customers, "nothing is created for it")

    def test_currency_not_enabled_refused_by_quickbooks_is_explained(self):
        self.set_config(currencies=["USD", "GBP"])
        self.partner_a.qxs_billing_account = "Cool Cars"  # an existing (USD) customer
        error = self.refused(self.draft(currency=self.eur))
        self.assertIn("add EUR", error)
        self.assertIn("not enabled", error, "QuickBooks' own words are kept")
        self.assertEqual(self.emulator.objects("Invoice"), [])

    # ------------------------------------------------------------------ terms
    def test_payment_terms_sent_as_quickbooks_terms(self):
        terms = self.ids("Term")
        move = self.draft()  # partner_a: Odoo's "Immediate Payment"
        self.assertEqual(move.invoice_payment_term_id.qxs_term_name, "Due on receipt")
        self.sent(move)
        inv = self.invoice_sent()
        self.assertEqual(inv["SalesTermRef"]["value"], terms["Due on receipt"])
        self.assertEqual(inv["DueDate"], str(move.invoice_date_due), "Odoo's due date")
        move_b = self.draft(partner=self.partner_b)
        self.sent(move_b)
        [inv_b] = [i for i in self.emulator.objects("Invoice") if i["DocNumber"] == move_b.name]
        self.assertEqual(inv_b["SalesTermRef"]["value"], terms["Net 30"])

    def test_standard_terms_named_once_per_database(self):
        term = self.env.ref("account.account_payment_term_immediate")
        self.assertEqual(term.qxs_term_name, "Due on receipt", "set at install")
        term.qxs_term_name = False
        self.env["qxs.connection"]._set_default_term_names()
        self.assertFalse(term.qxs_term_name, "a name the user cleared stays cleared")
        self.env["ir.config_parameter"].sudo().set_param(const.DEFAULT_TERM_NAMES_PARAM, False)
        self.env["qxs.connection"]._set_default_term_names()
        self.assertEqual(term.qxs_term_name, "Due on receipt", "a database updated to it")

    def test_unmapped_term_names_it_and_what_to_do(self):
        term = self.env.ref("account.account_payment_term_45days")
        self.assertFalse(term.qxs_term_name)
        move = self.draft()
        move.invoice_payment_term_id = term
        error = self.refused(move)
        self.assertIn(f"QuickBooks has no term “{term.name}”", error)
        self.assertIn("with exactly that spelling", error)
        self.assertIn("QuickBooks term", error)
        self.assertEqual(self.emulator.objects("Invoice"), [])
        term.qxs_term_name = "Net 30"
        move.with_user(self.billing_user).action_qxs_retry()
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        self.assertEqual(self.invoice_sent()["SalesTermRef"]["value"], self.ids("Term")["Net 30"])

    def test_term_spelling_must_match_case_included(self):
        term = self.env.ref("account.account_payment_term_30days")
        term.qxs_term_name = "net 30"
        move = self.draft()
        move.invoice_payment_term_id = term
        error = self.refused(move)
        self.assertIn("“net 30” spelled exactly so (it has “Net 30”)", error)
        self.assertEqual(self.emulator.objects("Invoice"), [])

    # ------------------------------------------------------------------ class and location
    def test_class_per_line_from_the_analytic_account(self):
        self.connection.class_source = "analytic"
        move = self.draft(amounts=(100.0, 40.0), analytic=("Retail",))
        self.sent(move)
        inv = self.invoice_sent()
        first, second = self.item_lines(inv)
        retail = self.ids("Class")["Retail"]
        self.assertEqual(first["SalesItemLineDetail"]["ClassRef"]["value"], retail)
        self.assertNotIn("ClassRef", second["SalesItemLineDetail"], "no analytic account")
        self.assertNotIn("ClassRef", inv, "the company tracks classes per line")

    def test_class_per_document_from_the_sales_team(self):
        self.set_config(class_tracking="document")
        self.connection.class_source = "team"
        self.sent(self.draft(team=self.team("Retail")))
        inv = self.invoice_sent()
        self.assertEqual(inv["ClassRef"]["value"], self.ids("Class")["Retail"])
        self.assertFalse([li for li in self.item_lines(inv) if "ClassRef" in li[li["DetailType"]]])

    def test_class_left_blank_when_quickbooks_tracks_none(self):
        self.set_config(class_tracking=None)
        self.connection.class_source = "team"
        self.sent(self.draft(team=self.team("No such class")))
        inv = self.invoice_sent()
        self.assertNotIn("ClassRef", inv)
        self.assertFalse([li for li in self.item_lines(inv) if "ClassRef" in li[li["DetailType"]]])

    def test_missing_class_refused_with_its_name(self):
        self.connection.class_source = "analytic"
        error = self.refused(self.draft(analytic=("Wholesale",)))
        self.assertIn("QuickBooks has no active class “Wholesale”", error)
        self.assertIn("class source on the connection", error)
        self.assertEqual(self.emulator.objects("Invoice"), [])

    def test_location_from_the_warehouse(self):
        self.connection.location_source = "warehouse"
        self.warehouse.name = "Downtown"
        self.sent(self.sale_invoice())
        inv = self.invoice_sent()
        self.assertEqual(inv["DepartmentRef"]["value"], self.ids("Department")["Downtown"])

    def test_missing_location_refused_with_its_name(self):
        self.connection.location_source = "team"
        error = self.refused(self.draft(team=self.team("Uptown")))
        self.assertIn("QuickBooks has no active location “Uptown”", error)
        self.assertEqual(self.emulator.objects("Invoice"), [])

    def test_credit_note_carries_rate_and_class_and_no_term(self):
        self.connection.class_source = "analytic"
        move = self.draft(currency=self.eur, analytic=("Retail",), move_type="out_refund")
        self.sent(move)
        [memo] = self.emulator.objects("CreditMemo")
        self.assertEqual(memo["ExchangeRate"], 1.25)
        self.assertEqual(memo["HomeTotalAmt"], -move.amount_total_signed)
        [line] = self.item_lines(memo)
        self.assertEqual(
            line["SalesItemLineDetail"]["ClassRef"]["value"], self.ids("Class")["Retail"]
        )
        self.assertNotIn("SalesTermRef", memo)
        self.assertNotIn("ShipDate", memo)

    # ------------------------------------------------------------------ reference and dates
    def test_reference_on_statement_and_invoice_message(self):
        move = self.draft()
        move.write({"ref": "PO-77", "narration": "Thank you"})
        self.sent(move)
        inv = self.invoice_sent()
        self.assertEqual(inv["PrivateNote"], f"Odoo {move.name} - PO-77")
        self.assertEqual(inv["CustomerMemo"]["value"], "PO-77\nThank you")

    def test_reference_on_invoice_message_only(self):
        self.connection.reference_on_statement = False
        move = self.draft()
        move.ref = "PO-78"
        self.sent(move)
        inv = self.invoice_sent()
        self.assertEqual(inv["PrivateNote"], f"Odoo {move.name}")
        self.assertEqual(inv["CustomerMemo"]["value"], "PO-78")

    def test_ship_date_is_the_delivery_done_else_the_commitment(self):
        delivered = self.sale_invoice("2024-02-10 12:00:00", done="2024-02-03 12:00:00")
        self.sent(delivered)
        self.assertEqual(self.invoice_sent()["ShipDate"], "2024-02-03")
        promised = self.sale_invoice("2024-02-10 12:00:00")
        self.sent(promised)
        by_number = {i["DocNumber"]: i for i in self.emulator.objects("Invoice")}
        self.assertEqual(by_number[promised.name]["ShipDate"], "2024-02-10")
        plain = self.draft()
        self.sent(plain)
        by_number = {i["DocNumber"]: i for i in self.emulator.objects("Invoice")}
        self.assertNotIn("ShipDate", by_number[plain.name])

    def test_ship_date_without_actual_shipment_is_the_commitment(self):
        self.connection.use_shipment_date = False
        move = self.sale_invoice("2024-02-10 12:00:00", done="2024-02-03 12:00:00")
        self.sent(move)
        self.assertEqual(self.invoice_sent()["ShipDate"], "2024-02-10")
