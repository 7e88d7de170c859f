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

    def _search_qxs_sync_state(self, operator, value):
        """A carried document is searched by its summary's state, as it is shown."""
        if operator not in ("=", "!=", "in", "not in"):
            return super()._search_qxs_sync_state(operator, value)
        values = [value] if isinstance(value, str) else list(value)
        Record = self.env["qxs.sync.record"].sudo()
        summary_ids = Record.search([("purpose", "=", "summary"), ("state", "in", values)]).mapped(
            "res_id"
        )
        carried = [("purpose", "=", "document"), ("summary_id", "!=", False)]
        domain = [
            "|",
            "&",
            ("qxs_sync_record_ids", "not any", carried),
            *super()._search_qxs_sync_state("in", values),
            (
                "qxs_sync_record_ids",
                "any",
                [("purpose", "=", "document"), ("summary_id", "in", summary_ids)],
            ),
        ]
        return domain if operator in ("=", "in") else ["!", *domain]

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

    def _qxs_enqueue_payments(self):
        """The payments of summarized invoices changed: the deposits of their summaries follow
        (channels that send one deposit per day)."""
        res = super()._qxs_enqueue_payments()
        if self.env.context.get("qxs_from_remote"):
            return res
        Record = self.env["qxs.sync.record"].sudo()
        docs = self.env["account.move"]
        for move in self:
            if move.move_type == "out_invoice":
                docs |= move  # its payments changed (reconciled or unreconciled)
            elif move.state == "posted":
                docs |= self.browse([doc.id for doc, _amount in move._qxs_allocated_documents()])
            # What it paid before (an unreconciled or cancelled payment pays nothing now).
            docs |= Record.search([("payment_move_id", "=", move.id)]).allocation_move_ids
        summaries = docs.sudo().qxs_sync_record_ids.summary_id
        summaries.filtered(lambda s: s.kind == "invoice")._queue_deposit()
        return res

    def _qxs_summary_payment_reason(self):
        """Why the payments of this document are not sent: it is carried by a daily summary
        (None: it is not). The provider holds the summary, not this document, whatever its
        channel is set to now: switched back to Individual since, its payments still have
        nothing to pay there; switched to Daily summary after it was sent on its own, they do
        (this is the only summary rule of payments: the channel's current setting is not)."""
        self.ensure_one()
        summary = self._qxs_document_record().summary_id
        if not summary:
            return None
        if summary.team_id.qxs_summary_payment_mode == "deposit":
            return _(
                "%(doc)s is carried by the daily summary %(summary)s: sales channel %(team)s "
                "sends one deposit per day, the cash received for the summary's invoices as one "
                "payment of the summary invoice (refunds stay in Odoo).",
                doc=self.name,
                summary=summary.name,
                team=summary.team_id.name,
            )
        return _(
            "%(doc)s is carried by the daily summary %(summary)s: sales channel %(team)s keeps "
            "its payments in Odoo (Payments of summarized invoices: Keep in Odoo).",
            doc=self.name,
            summary=summary.name,
            team=summary.team_id.name,
        )
