from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    qxs_cogs_account_code = fields.Char(
        related="company_id.qxs_connection_id.cogs_account_code", readonly=False
    )
    qxs_inventory_account_code = fields.Char(
        related="company_id.qxs_connection_id.inventory_account_code", readonly=False
    )
    qxs_cogs_start_date = fields.Date(
        related="company_id.qxs_connection_id.cogs_start_date", readonly=False
    )

    def action_qxs_open_cogs_wizard(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync_cogs.action_qxs_cogs_wizard"
        )

    def action_qxs_open_cogs_log(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync_cogs.action_qxs_cogs_log"
        )
