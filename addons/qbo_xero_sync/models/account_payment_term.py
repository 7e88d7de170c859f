from odoo import fields, models


class AccountPaymentTerm(models.Model):
    _inherit = "account.payment.term"

    qxs_term_name = fields.Char(
        string="QuickBooks term",
        help="The QuickBooks term (SalesTermRef) that invoices with this payment term carry, "
        "spelled exactly as in QuickBooks (Settings > Sales > Invoice terms). Empty: this "
        "payment term's own name. Xero has no terms on invoices: the due date goes instead.",
    )
