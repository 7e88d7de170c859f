from odoo import _, fields, models

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

    def _qxs_sync_type_fields(self):
        """{sync purpose: the field of the channel that turns it off}. Extended by other
        modules (e.g. COGS)."""
        return {"document": "qxs_invoice_sync_type", "payment": "qxs_invoice_sync_type"}

    def _qxs_skip_reason(self, purpose):
        """Why this channel's documents of ``purpose`` must not be sent (None: send them)."""
        field = self._qxs_sync_type_fields().get(purpose)
        if not self or not field or self[field] != "none":
            return None
        return _(
            "Sales channel %(team)s is set to No sync for %(what)s.",
            team=self.name,
            what=self._fields[field].string,
        )
