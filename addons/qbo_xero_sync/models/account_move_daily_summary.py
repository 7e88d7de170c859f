from odoo import _, api, fields, models


class AccountMove(models.Model):
    """A document carried by a daily summary: it shows the summary's sync state, number and
    link; reset to draft or cancelled, it leaves the summary, which is sent again."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    qxs_daily_summary_id = fields.Many2one(
        "qxs.daily.summary",
        string="Daily summary",
        compute="_compute_qxs_daily_summary",
        help="The daily summary of the sales channel that carries this document to the "
        "accounting system.",
    )

    @api.depends("qxs_sync_record_ids.summary_id")
    def _compute_qxs_daily_summary(self):
        for move in self:
            move.qxs_daily_summary_id = move._qxs_document_record().summary_id

    @api.depends("qxs_sync_record_ids.state", "qxs_sync_record_ids.last_error")
    def _compute_qxs_sync(self):
        res = super()._compute_qxs_sync()
        for move in self:
            summary = move._qxs_document_record().summary_id
            if not summary:
                continue
            rec = summary.sudo()._sync_record()
            move.qxs_sync_state = rec.state or "pending"
            move.qxs_sync_error = rec.last_error
            move.qxs_remote_number = rec.remote_number or summary.name
            move.qxs_remote_url = rec.remote_url
            move.qxs_total_mismatch_note = False
        return res

    def button_draft(self):
        carried = self.filtered(
            lambda m: m.state == "posted" and m._qxs_document_record().summary_id
        )
        res = super().button_draft()
        if carried:
            reason = (
                _("Cancelled: left the daily summary %(summary)s.")
                if self.env.context.get("qxs_cancelling")
                else _("Reset to draft: left the daily summary %(summary)s.")
            )
            self.env["qxs.daily.summary"]._release(carried, reason)
        return res

    def button_cancel(self):
        # Odoo resets a posted document to draft first: its note says "cancelled".
        return super(AccountMove, self.with_context(qxs_cancelling=True)).button_cancel()

    def _qxs_enqueue_void(self):
        carried = self.filtered(lambda m: m._qxs_document_record().summary_id)
        if carried:
            self.env["qxs.daily.summary"]._release(
                carried, _("Cancelled: left the daily summary %(summary)s.")
            )
        return super(AccountMove, self - carried)._qxs_enqueue_void()
