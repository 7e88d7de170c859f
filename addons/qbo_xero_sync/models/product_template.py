from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    qxs_revenue_code = fields.Char(
        string="Revenue code",
        company_dependent=True,
        help="QuickBooks: the Item's SKU or name (a Service item is created under the default "
        "revenue account when none matches). Xero: the code of a revenue account.",
    )
