"""What a Xero invoice carries besides its lines: CurrencyRate (the inverse of Odoo's rate),
the due date of Odoo's payment term (Xero has no terms on invoices), tracking per line (two
categories at most, options from the sales team, warehouse or analytic account), the reference;
with the bad inputs refused with what to do."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .document_options_common import DocumentOptionsMixin


@tagged("post_install", "-at_install")
class TestXeroDocumentOptions(DocumentOptionsMixin, XeroMixin, QxsCase):
    def invoice_sent(self):
        [inv] = self.emulator.objects("Invoices")
        return inv

    def track(self, category1="Region", source1="team", category2=False, source2="none"):
        self.connection.write(
            {
                "tracking1_category": category1,
                "tracking1_source": source1,
                "tracking2_category": category2,
                "tracking2_source": source2,
            }
        )

    @staticmethod
    def tracking(line):
        return sorted((t["Name"], t["Option"]) for t in line.get("Tracking") or [])

    # ------------------------------------------------------------------ currency
    def test_foreign_invoice_carries_odoo_rate_and_home_totals_agree(self):
        move = self.draft(currency=self.eur)
        self.sent(move)
        inv = self.invoice_sent()
        self.assertEqual(inv["CurrencyCode"], "EUR")
        self.assertEqual(inv["CurrencyRate"], 0.8, "EUR per USD on the invoice date")
        self.assertEqual(inv["Total"], 108.25)
        self.assertEqual(round(inv["Total"] / inv["CurrencyRate"], 2), move.amount_total_signed)
        self.assertEqual(move.amount_total_signed, 135.31)

    def test_currency_not_enabled_refused_before_any_call(self):
        self.set_config(currencies=["USD"])
        error = self.refused(self.draft(currency=self.eur))
        self.assertIn("Xero does not take documents in EUR", error)
        self.assertIn("add EUR to the organisation", error)
        self.assertEqual(self.emulator.objects("Invoices"), [])
        contacts = {c["Name"] for c in self.emulator.objects("Contacts")}
        self.assertNotIn(self.partner_a.name, contacts, "nothing is created for it")

    # ------------------------------------------------------------------ terms
    def test_due_date_of_the_odoo_payment_term(self):
        move = self.draft(partner=self.partner_b)  # a term with a balance 60 days later
        self.sent(move)
        inv = self.invoice_sent()
        self.assertNotEqual(move.invoice_date_due, move.invoice_date)
        self.assertEqual(inv["DueDateString"][:10], str(move.invoice_date_due))
        self.assertNotIn("SalesTermRef", inv)

    # ------------------------------------------------------------------ tracking
    def test_two_tracking_categories_per_line(self):
        self.track("Region", "team", "sales channel", "analytic")
        move = self.draft(amounts=(100.0, 40.0), team=self.team("north"), analytic=("Online",))
        self.sent(move)
        first, second = self.invoice_sent()["LineItems"]
        self.assertEqual(
            self.tracking(first), [("Region", "North"), ("Sales channel", "Online")], "Xero's own"
        )
        self.assertEqual(self.tracking(second), [("Region", "North")], "no analytic account")

    def test_credit_note_carries_rate_and_tracking(self):
        self.track("Region", "analytic")
        self.analytic["Retail"].name = "South"
        move = self.draft(currency=self.eur, analytic=("Retail",), move_type="out_refund")
        self.sent(move)
        [note] = self.emulator.objects("CreditNotes")
        self.assertEqual(note["CurrencyRate"], 0.8)
        self.assertEqual(round(note["Total"] / note["CurrencyRate"], 2), -move.amount_total_signed)
        [line] = note["LineItems"]
        self.assertEqual(self.tracking(line), [("Region", "South")])

    def test_tracking_from_the_warehouse(self):
        self.track("Sales channel", "warehouse")
        self.warehouse.name = "Shop"
        self.sent(self.sale_invoice())
        [line] = self.invoice_sent()["LineItems"]
        self.assertEqual(self.tracking(line), [("Sales channel", "Shop")])

    def test_missing_tracking_option_refused_with_its_name(self):
        self.track("Region", "team")
        error = self.refused(self.draft(team=self.team("East")))
        self.assertIn("Xero's tracking category “Region” has no active option “East”", error)
        self.assertEqual(self.emulator.objects("Invoices"), [])

    def test_missing_tracking_category_refused_with_its_name(self):
        self.track("Department", "analytic")
        error = self.refused(self.draft(analytic=("Retail",)))
        self.assertIn("Xero has no active tracking category “Department”", error)
        self.assertEqual(self.emulator.objects("Invoices"), [])

    def test_tracking_options_need_a_category_named_once(self):
        with self.assertRaisesRegex(ValidationError, "Name the Xero tracking category"):
            self.track(False, "team")
        with self.assertRaisesRegex(ValidationError, "named twice"):
            self.track("Region", "team", "region", "analytic")

    # ------------------------------------------------------------------ reference
    def test_reference_is_xero_reference(self):
        move = self.draft()
        move.ref = "PO-77"
        self.sent(move)
        self.assertEqual(self.invoice_sent()["Reference"], "PO-77")
