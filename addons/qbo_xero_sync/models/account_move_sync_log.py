from odoo import fields, models


class AccountMove(models.Model):
    """The "Sync history" smart button of an invoice: the HTTP attempts made for it."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    qxs_sync_log_count = fields.Integer(
        string="Sync history", compute="_compute_qxs_sync_log_count"
    )

    def _compute_qxs_sync_log_count(self):
        Log = self.env["qxs.sync.log"]
        counts = {}
        if self.ids and Log.has_access("read"):
            data = Log._read_group([("move_ids", "in", self.ids)], ["move_ids"], ["__count"])
            counts = {move.id: count for move, count in data}
        for move in self:
            move.qxs_sync_log_count = counts.get(move.id, 0)

    def action_qxs_open_sync_log(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("qbo_xero_sync.action_qxs_sync_log")
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {}
        return action
