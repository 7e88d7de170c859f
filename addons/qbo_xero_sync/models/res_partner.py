from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    qxs_billing_account = fields.Char(
        string="Billing account",
        company_dependent=True,
        help="The customer's account number in QuickBooks Online or Xero (Xero: the contact's "
        "AccountNumber, matched exactly). When empty or unmatched, the customer is found by "
        "name or created.",
    )
