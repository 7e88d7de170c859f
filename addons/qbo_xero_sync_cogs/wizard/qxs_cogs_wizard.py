from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class QxsCogsWizard(models.TransientModel):
    """Export the missing cost of goods sold journals of some days, or void them."""

    _name = "qxs.cogs.wizard"
    _description = "Export or void cost of goods sold journals"

    connection_id = fields.Many2one(
        "qxs.connection",
        required=True,
        default=lambda self: self.env.company.qxs_connection_id,
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    date_from = fields.Date(string="From", required=True, default=fields.Date.context_today)
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    action = fields.Selection(
        [("export", "Export"), ("void", "Void")],
        required=True,
        default="export",
        help="Export: queue the journals still missing (or failed, skipped or voided) for the "
        "invoices and credit notes dated in the range. Void: void (QuickBooks: delete) the "
        "journals sent for those documents.",
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(_("The start date must be on or before the end date."))

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
