from odoo import _, api, fields, models


class QxsConnection(models.Model):
    """Historical export from the connection: the cut-off set at the first connect (documents
    dated up to it were posted before and are not sent unless exported), the button that
    opens the export wizard pre-filled, and the progress of the running (or last) run."""

    _inherit = "qxs.connection"  # pylint: disable=consider-merging-classes-inherited

    history_cutoff_date = fields.Date(
        string="History cut-off",
        copy=False,
        help="Set to the day of the first connection: documents dated up to it were posted "
        "before and are only sent by a historical export (none by default).",
    )
    export_run_ids = fields.One2many("qxs.export.run", "connection_id", string="Historical exports")
    export_run_count = fields.Integer(compute="_compute_export_run")
    export_run_id = fields.Many2one(
        "qxs.export.run",
        string="Historical export",
        compute="_compute_export_run",
        help="The running (or paused) historical export, else the last one.",
    )
    export_progress = fields.Float(
        string="Export progress", compute="_compute_export_run", help="Percent."
    )

    @api.depends("export_run_ids.state", "export_run_ids.progress")
    def _compute_export_run(self):
        Run = self.env["qxs.export.run"]
        readable = Run.has_access("read")
        for conn in self:
            runs = Run.search([("connection_id", "=", conn.id)]) if readable and conn.id else Run
            active = runs.filtered(lambda r: r.state in ("running", "paused"))
            run = active[:1] or runs[:1]
            conn.export_run_count = len(runs)
            conn.export_run_id = run
            conn.export_progress = run.progress

    def _finish_oauth(self, code, params):
        """The first connect sets the history cut-off to today: what was posted before is
        offered to the historical export, never sent on its own."""
        first = not self.history_cutoff_date
        url = super()._finish_oauth(code, params)
        if first:
            self.sudo().history_cutoff_date = fields.Date.context_today(self)
        return url

    def action_open_export_wizard(self):
        self.ensure_one()
        self.env["qxs.export.run"].check_access("create")
        return {
            "type": "ir.actions.act_window",
            "name": _("Export history"),
            "res_model": "qxs.export.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_connection_id": self.id,
                "default_date_to": self.history_cutoff_date or fields.Date.context_today(self),
            },
        }

    def action_open_export_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync.action_qxs_export_run"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        action["context"] = {"default_connection_id": self.id}
        return action
