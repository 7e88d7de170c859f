"""QuickBooks companies outside the US (GST / VAT): a tax code on each line and
``GlobalTaxCalculation`` instead of the US document tax code
(https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-non-us-locales).

Same set-up as the other files (``common.QxsCase``): a real Odoo company, the real SDK, real
HTTP to the in-process emulator.
"""

from odoo.tests import tagged

from .common import QxsCase

GST_RATE = {
    "Id": "20",
    "Name": "GST (sales)",
    "Description": "GST 10%",
    "Active": True,
    "RateValue": 10,
    "AgencyRef": {"value": "2"},
    "SpecialTaxType": "NONE",
    "DisplayType": "ReadOnly",
}
GST_CODE = {
    "Id": "10",
    "Name": "GST",
    "Description": "GST on sales",
    "Active": True,
    "Taxable": True,
    "TaxGroup": False,
    "SalesTaxRateList": {
        "TaxRateDetail": [
            {
                "TaxRateRef": {"value": "20", "name": "GST (sales)"},
                "TaxTypeApplicable": "TaxOnAmount",
                "TaxOrder": 0,
            }
        ]
    },
    "PurchaseTaxRateList": {"TaxRateDetail": []},
}


class QboGstCase(QxsCase):
    """A non-US QuickBooks company (GST) and its taxes, tax-excluded and tax-included."""

    emulator_config = {"country": "AU"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.qbo_tax_style = "global"
        Tax = cls.env["account.tax"]
        common = {"amount": 10.0, "type_tax_use": "sale", "qxs_tax_code": "GST"}
        cls.tax_gst = Tax.create({"name": "GST 10%", **common})
        cls.tax_gst_included = Tax.create(
            {"name": "GST 10% incl.", "price_include_override": "tax_included", **common}
        )

    def setUp(self):
        super().setUp()
        self.summary = self.emulator.seed(data={"TaxRate": [GST_RATE], "TaxCode": [GST_CODE]})


@tagged("post_install", "-at_install")
class TestQboTaxStyles(QboGstCase):
    """A non-US QuickBooks company (GST): a tax code on each line, GlobalTaxCalculation."""

    def check_sent(self, move, calculation):
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.emulator.objects("Invoice")
        lines = [li for li in inv["Line"] if li.get("DetailType") == "SalesItemLineDetail"]
        self.assertEqual(len(lines), len(move.invoice_line_ids))
        self.assertEqual(
            {li["SalesItemLineDetail"]["TaxCodeRef"]["value"] for li in lines},
            {GST_CODE["Id"]},
            "each line carries the GST code, not TAX/NON",
        )
        self.assertEqual(inv["GlobalTaxCalculation"], calculation)
        self.assertNotIn("TxnTaxCodeRef", inv["TxnTaxDetail"], "no US document tax code")
        self.assertAlmostEqual(inv["TxnTaxDetail"]["TotalTax"], move.amount_tax, 2)
        self.assertAlmostEqual(inv["TotalAmt"], move.amount_total, 2)
        self.assertFalse(rec.total_mismatch)
        return inv

    def test_tax_excluded_prices_send_the_gst_code_per_line(self):
        move = self.invoice(amounts=(100.0, 50.5), taxes=self.tax_gst)
        self.assertAlmostEqual(move.amount_total, 165.55, 2)
        self.check_sent(move, "TaxExcluded")

    def test_tax_included_prices_are_sent_tax_inclusive(self):
        move = self.invoice(amounts=(110.0, 55.55), taxes=self.tax_gst_included)
        self.assertAlmostEqual(move.amount_untaxed, 150.5, 2)
        self.assertAlmostEqual(move.amount_total, 165.55, 2)
        self.check_sent(move, "TaxInclusive")
