from odoo import fields, models


class AccountTax(models.Model):
    _inherit = "account.tax"

    qxs_tax_code = fields.Char(
        string="QuickBooks / Xero tax code",
        help="QuickBooks: the TaxCode name or ID (US companies: TAX or NON; GST/VAT companies: "
        "the tax code). Xero: the TaxType of the tax rate (e.g. OUTPUT, NONE).",
    )
