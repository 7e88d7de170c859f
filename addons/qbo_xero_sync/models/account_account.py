from odoo import fields, models


class AccountAccount(models.Model):
    _inherit = "account.account"

    qxs_revenue_code = fields.Char(
        string="Revenue code (QuickBooks / Xero)",
        company_dependent=True,
        help="The revenue code of invoice lines booked on this income account whose product has "
        "none: QuickBooks the Item name (an item named after a QuickBooks Income account is "
        "created under that account), Xero the code of a revenue account. Set by the mapping "
        "wizard of the connection.",
    )
