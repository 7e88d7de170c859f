from odoo import api, fields, models

from odoo.addons.qbo_xero_sync.models.qxs_remote_account import remote_account_domain

from ..adapters.journal_checks import role_types


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    qxs_cogs_account_code = fields.Char(
        related="company_id.qxs_connection_id.cogs_account_code", readonly=False
    )
    qxs_inventory_account_code = fields.Char(
        related="company_id.qxs_connection_id.inventory_account_code", readonly=False
    )
    qxs_cogs_account_id = fields.Many2one(
        related="company_id.qxs_connection_id.cogs_account_id",
        readonly=False,
        domain=remote_account_domain(role_types("cogs"), connection="qxs_connection_id"),
    )
    qxs_inventory_account_id = fields.Many2one(
        related="company_id.qxs_connection_id.inventory_account_id",
        readonly=False,
        domain=remote_account_domain(role_types("inventory"), connection="qxs_connection_id"),
    )
    qxs_cogs_start_date = fields.Date(
        related="company_id.qxs_connection_id.cogs_start_date", readonly=False
    )

    def _qxs_account_pickers(self):
        return {
            **super()._qxs_account_pickers(),
            "qxs_cogs_account_id": "qxs_cogs_account_code",
            "qxs_inventory_account_id": "qxs_inventory_account_code",
        }

    @api.onchange("qxs_cogs_account_id", "qxs_inventory_account_id")
    def _onchange_qxs_cogs_account_pickers(self):
        self._onchange_qxs_account_pickers()

    def action_qxs_open_cogs_wizard(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync_cogs.action_qxs_cogs_wizard"
        )

    def action_qxs_open_cogs_log(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync_cogs.action_qxs_cogs_log"
        )
