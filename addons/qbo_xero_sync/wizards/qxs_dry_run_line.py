from odoo import fields, models

from .. import const


class QxsDryRunLine(models.TransientModel):
    """One document of a dry run: what the send would do with it, and why it would fail."""

    _name = "qxs.dry.run.line"
    _description = "QuickBooks / Xero dry run result"
    _order = "wizard_id, sequence, id"

    wizard_id = fields.Many2one("qxs.dry.run.wizard", required=True, ondelete="cascade")
    sequence = fields.Integer()
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    number = fields.Char(readonly=True)
    customer = fields.Char(readonly=True)
    date = fields.Date(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)
    verdict = fields.Selection(const.DRY_RUN_VERDICTS, required=True, readonly=True)
    reason = fields.Text(readonly=True, help="Why it would fail: what to fix before sending.")
    note = fields.Text(readonly=True, help="What the send would also do, e.g. create the customer.")

    def action_open_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }
