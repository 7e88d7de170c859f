from odoo import _, fields, models
from odoo.exceptions import UserError


class QxsCogsWizard(models.TransientModel):
    """Export the missing cost of goods sold journals of some days, or void them."""

    _name = "qxs.cogs.wizard"
    _inherit = "qxs.date.range.mixin"
    _description = "Export or void cost of goods sold journals"

    connection_id = fields.Many2one(
        "qxs.connection",
        required=True,
        default=lambda self: self.env.company.qxs_connection_id,
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    action = fields.Selection(
        [("export", "Export"), ("void", "Void")],
        required=True,
        default="export",
        help="Export: queue the journals still missing (or failed, skipped or voided) for the "
        "invoices and credit notes dated in the range. Void: void (QuickBooks: delete) the "
        "journals sent for those documents.",
    )

    def action_apply(self):
        self.ensure_one()
        conn = self.connection_id
        if conn.state not in ("connected", "reconnect"):
            raise UserError(_("%s is not connected.", conn.display_name))
        if self.action == "void":
            recs = conn._cogs_void(self.date_from, self.date_to)
        else:
            recs = conn._cogs_export(self.date_from, self.date_to, retry=True)
        if not recs:
            raise UserError(_("Nothing to do for these days."))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync_cogs.action_qxs_cogs_log"
        )
        action["domain"] = [("id", "in", recs.ids)]
        return action
