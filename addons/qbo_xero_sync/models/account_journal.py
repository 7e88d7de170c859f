from odoo import api, fields, models

from .. import const
from .qxs_remote_record import apply_picked_accounts

PICKERS = {"qxs_deposit_account_id": "qxs_deposit_account"}


class AccountJournal(models.Model):
    _inherit = "account.journal"

    qxs_deposit_account = fields.Char(
        string="Deposit account (QuickBooks / Xero)",
        help="Where this journal's payments are deposited in QuickBooks or Xero: QuickBooks "
        "takes the account name (empty: Undeposited Funds), Xero the account code (required "
        "to send payments; a bank account or one with payments enabled).",
    )
    qxs_deposit_account_id = fields.Many2one(
        "qxs.remote.record",
        string="Pick the deposit account",
        domain=lambda self: self._qxs_deposit_domain(),
        help="One of the accounts mirrored from QuickBooks or Xero (Reload on the connection, or "
        "the mapping wizard); its code is copied to the deposit account.",
    )

    @api.model
    def _qxs_deposit_domain(self):
        types = sorted({t for ts in const.DEPOSIT_ACCOUNT_TYPES.values() for t in ts})
        return [("kind", "=", "account"), ("account_type", "in", types)]

    @api.model_create_multi
    def create(self, vals_list):
        journals = super().create(vals_list)
        apply_picked_accounts(journals, PICKERS)
        return journals

    def write(self, vals):
        res = super().write(vals)
        if "qxs_deposit_account_id" in vals:
            apply_picked_accounts(self, PICKERS)
        return res
