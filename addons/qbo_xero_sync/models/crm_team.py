from odoo import fields, models

from .. import const


class CrmTeam(models.Model):
    _inherit = "crm.team"

    qxs_invoice_sync_type = fields.Selection(
        const.CHANNEL_SYNC_TYPES,
        string="Invoice sync",
        default="individual",
        required=True,
        help="Individual: each invoice, credit note and their payments are sent. No sync: they "
        "are marked Skipped with the reason and never sent.",
    )
