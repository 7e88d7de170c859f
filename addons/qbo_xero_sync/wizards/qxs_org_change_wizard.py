from odoo import api, fields, models

from .. import const


class QxsOrgChangeWizard(models.TransientModel):
    """The administrator's choice when a connection was authorised for another organisation
    than the one its documents were sent to: a new connection (the current one archived with
    its links), or re-linking every document by number in the new organisation. Cancelling
    keeps the current organisation connected as before."""

    _name = "qxs.org.change.wizard"
    _description = "QuickBooks / Xero change of organisation"

    connection_id = fields.Many2one("qxs.connection", required=True, ondelete="cascade")
    current_org_name = fields.Char(
        string="Current organisation", related="connection_id.remote_org_name"
    )
    new_org_name = fields.Char(string="New organisation", compute="_compute_summary")
    sent_count = fields.Integer(string="Documents linked", compute="_compute_summary")
    choice = fields.Selection(const.ORG_CHANGE_CHOICES, required=True, default="new_connection")

    @api.depends("connection_id")
    def _compute_summary(self):
        for wizard in self:
            conn = wizard.connection_id
            wizard.new_org_name = conn.pending_org_name
            wizard.sent_count = conn._sent_count() if conn else 0

    def action_apply(self):
        self.ensure_one()
        conn = self.connection_id
        conn._check_admin()
        if self.choice == "new_connection":
            target = conn._org_change_new_connection()
        else:
            target = conn._org_change_relink()
        return {
            "type": "ir.actions.act_window",
            "res_model": "qxs.connection",
            "res_id": target.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_cancel(self):
        self.ensure_one()
        self.connection_id._check_admin()
        self.connection_id._cancel_org_change()
        return {"type": "ir.actions.act_window_close"}
