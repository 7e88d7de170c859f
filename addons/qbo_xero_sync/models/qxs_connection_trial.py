from odoo import _, fields, models


class QxsConnection(models.Model):
    """Trial mode: connect, load the mappings and see what would be sent (the dry run),
    without writing anything to the provider. While it is on, the send cron holds the
    connection's pushes and voids (qxs.sync.record._lock_group); reads and polls go on."""

    _inherit = "qxs.connection"  # pylint: disable=consider-merging-classes-inherited

    trial_mode = fields.Boolean(
        string="Trial mode: nothing is written to QuickBooks / Xero",
        tracking=True,
        copy=False,
        help="While on, documents, payments and customers are queued but not sent (they stay "
        "pending); statuses are still read. Use Dry run to see what would be sent and what "
        "would fail. Turning it off sends what waited.",
    )
    trial_held_count = fields.Integer(
        string="Held by trial mode", compute="_compute_trial_held_count"
    )

    def _compute_trial_held_count(self):
        Record = self.env["qxs.sync.record"].sudo()
        counts = dict.fromkeys(self.ids, 0)
        held = Record._read_group(
            Record._trial_held_domain() + [("connection_id", "in", self.ids)],
            ["connection_id"],
            ["__count"],
        )
        counts.update({conn.id: count for conn, count in held})
        for conn in self:
            conn.trial_held_count = counts.get(conn.id, 0)

    def write(self, vals):
        ended = (
            self.filtered("trial_mode") if "trial_mode" in vals and not vals["trial_mode"] else ()
        )
        res = super().write(vals)
        if ended:
            # What waited is due now: send it.
            self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()
        return res

    def action_open_dry_run(self):
        """The dry run wizard of this connection (accountants and Settings administrators)."""
        self.ensure_one()
        self.env["qxs.dry.run.wizard"].check_access("create")
        return {
            "type": "ir.actions.act_window",
            "name": _("Dry run"),
            "res_model": "qxs.dry.run.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_connection_id": self.id},
        }
