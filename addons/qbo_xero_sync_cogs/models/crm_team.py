from odoo import fields, models

from odoo.addons.qbo_xero_sync import const


class CrmTeam(models.Model):
    _inherit = "crm.team"

    qxs_cogs_sync_type = fields.Selection(
        const.CHANNEL_SYNC_TYPES,
        string="COGS sync",
        default="individual",
        required=True,
        help="Individual: one cost of goods sold journal per sale document. No sync: skipped.",
    )

    def _qxs_sync_type_fields(self):
        return {**super()._qxs_sync_type_fields(), "cogs": "qxs_cogs_sync_type"}
