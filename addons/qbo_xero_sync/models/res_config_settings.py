from odoo import api, fields, models

from .. import const
from .qxs_remote_account import apply_picked_accounts, remote_account_domain


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    qxs_connection_id = fields.Many2one(related="company_id.qxs_connection_id")
    qxs_state = fields.Selection(related="company_id.qxs_connection_id.state")
    qxs_provider = fields.Selection(related="company_id.qxs_connection_id.provider")
    qxs_default_income_account = fields.Char(
        related="company_id.qxs_connection_id.default_income_account", readonly=False
    )
    qxs_default_income_account_id = fields.Many2one(
        related="company_id.qxs_connection_id.default_income_account_id",
        readonly=False,
        domain=remote_account_domain(const.INCOME_ACCOUNT_TYPES, connection="qxs_connection_id"),
    )
    qxs_default_revenue_code = fields.Char(
        related="company_id.qxs_connection_id.default_revenue_code", readonly=False
    )
    qxs_payment_journal_id = fields.Many2one(
        related="company_id.qxs_connection_id.payment_journal_id", readonly=False
    )
    qxs_void_on_cancel = fields.Boolean(
        related="company_id.qxs_connection_id.void_on_cancel", readonly=False
    )
    qxs_sync_status_back = fields.Boolean(
        related="company_id.qxs_connection_id.sync_status_back", readonly=False
    )

    def _qxs_account_pickers(self):
        """{Many2one picking an account: the related Char field of its code}."""
        return {"qxs_default_income_account_id": "qxs_default_income_account"}

    @api.onchange("qxs_default_income_account_id")
    def _onchange_qxs_account_pickers(self):
        apply_picked_accounts(self, self._qxs_account_pickers())

    def action_qxs_load_remote_accounts(self):
        self.company_id.qxs_connection_id.action_load_remote_accounts()

    def action_qxs_open_connection(self):
        conn = self.company_id.qxs_connection_id
        return {
            "type": "ir.actions.act_window",
            "res_model": "qxs.connection",
            "view_mode": "form",
            "res_id": conn.id,
            "context": {"default_company_id": self.company_id.id},
        }

    def action_qxs_open_channels(self):
        return self.env["ir.actions.act_window"]._for_xml_id("qbo_xero_sync.action_qxs_channels")
