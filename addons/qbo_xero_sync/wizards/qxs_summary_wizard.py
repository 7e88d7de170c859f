from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from .. import const


class QxsSummaryWizard(models.TransientModel):
    """Maintenance of daily summaries: void, or export again, the summaries of some days and
    sales channels (accountants only)."""

    _name = "qxs.summary.wizard"
    _inherit = "qxs.date.range.mixin"
    _description = "Void or re-export daily summaries"

    connection_id = fields.Many2one(
        "qxs.connection",
        required=True,
        default=lambda self: self.env.company.qxs_connection_id,
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales channels",
        domain="[('qxs_invoice_sync_type', '=', 'summary')]",
        help="Empty: every channel set to Daily summary.",
    )
    action = fields.Selection(
        const.SUMMARY_WIZARD_ACTIONS,
        required=True,
        default="export",
        help="Re-export: build the summaries of the range again from the posted documents of "
        "the channels (those not in a summary yet are added) and send them (an update of the "
        "same remote document, or a new one where it was voided). Void: void the summaries "
        "sent for these days; their documents stay in them until they are exported again.",
    )

    def _teams(self):
        return self.team_ids or self.env["crm.team"].search(
            [("qxs_invoice_sync_type", "=", "summary")]
        )

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(_("Only accountants may void or re-export daily summaries."))
        conn = self.connection_id
        if conn.state not in ("connected", "reconnect"):
            raise UserError(_("%s is not connected.", conn.display_name))
        teams = self._teams()
        Summary = self.env["qxs.daily.summary"].sudo()
        domain = [
            ("connection_id", "=", conn.id),
            ("team_id", "in", teams.ids),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]
        if self.action == "void":
            summaries = Summary.search(domain)
            recs = summaries.mapped(lambda s: s._sync_record())
            recs = recs.filtered(lambda r: r.remote_id or r.state != "skipped")
            recs._void_or_skip(on_cancel=False)
        else:
            moves = (
                self.env["account.move"]
                .sudo()
                .search(
                    [
                        ("company_id", "=", conn.company_id.id),
                        ("move_type", "in", ("out_invoice", "out_refund")),
                        ("state", "=", "posted"),
                        ("team_id", "in", teams.ids),
                        ("invoice_date", ">=", self.date_from),
                        ("invoice_date", "<=", self.date_to),
                    ]
                )
            )
            for move in moves:
                if not move._qxs_document_record().summary_id and Summary._carries(conn, move):
                    Summary._carry(conn, move)
            summaries = Summary.search(domain)
            summaries._queue()
        if not summaries:
            raise UserError(_("No daily summary for these days and sales channels."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Daily summaries"),
            "res_model": "qxs.daily.summary",
            "view_mode": "list,form",
            "domain": [("id", "in", summaries.ids)],
        }
