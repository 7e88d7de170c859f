from odoo import _, api, fields, models

from .. import const


class QxsSyncRecord(models.Model):
    """Credits the provider applied on its own (QuickBooks' "Automatically apply credits": a
    re-exported invoice takes the customer's pending credits at once). On the way back they are
    shown (a chatter note, the document's banner, an activity for the accountant), never
    imported: the customer would otherwise end with an overpayment."""

    _inherit = "qxs.sync.record"

    remote_credit_warning = fields.Text(
        copy=False,
        readonly=True,
        help="Credit the provider applied to this invoice on its own, not imported.",
    )
    remote_credit_amount = fields.Float(copy=False, readonly=True)

    def _apply_remote_cash(self, remote, move):
        res = super()._apply_remote_cash(remote, move)
        if (
            move.move_type == "out_invoice"
            and self.provider in const.AUTO_APPLY_CREDIT_PROVIDERS
            and not (self.state == "pending" and self.action == "pull")
        ):
            self._check_remote_credit(remote, move)
        return res

    def _sent_credit(self, move):
        """Credit Odoo sent to ``move`` (credit notes applied, synced)."""
        recs = self.sudo().search(
            [
                ("connection_id", "=", self.connection_id.id),
                ("purpose", "=", "payment"),
                ("allocation_move_ids", "in", move.ids),
                ("state", "in", ("synced", "error")),
            ]
        )
        return sum(
            (rec.payment_allocations or {}).get(str(move.id), 0.0)
            for rec in recs
            if (rec.payment_values or {}).get("kind") == "credit"
            and rec.remote_status not in ("voided", "deleted")
        )

    def _check_remote_credit(self, remote, move):
        """The credit the provider applied to ``move`` beyond what Odoo applied: shown once per
        amount, cleared when it is gone."""
        currency = move.currency_id
        foreign = currency.round((remote.amount_credited or 0.0) - self._sent_credit(move))
        if currency.compare_amounts(foreign, 0.0) <= 0:
            if self.remote_credit_warning:
                self.write({"remote_credit_warning": False, "remote_credit_amount": 0.0})
                self._remote_credit_activities().action_feedback(
                    feedback=_("The credit is no longer applied remotely.")
                )
            return
        provider = self._provider_label()
        overpaid = currency.round(foreign - move.amount_residual)
        message = _(
            "%(provider)s applied %(credit)s of the customer's credits to this invoice on its "
            "own (e.g. its \u201cAutomatically apply credits\u201d setting, when the invoice "
            "was sent again); Odoo has %(open)s open on it. Nothing was imported as a payment.",
            provider=provider,
            credit=currency.format(foreign),
            open=currency.format(move.amount_residual),
        )
        if currency.compare_amounts(overpaid, 0.0) > 0:
            message += " " + _(
                "The customer is overpaid by %(over)s in %(provider)s: remove the credit "
                "applied there, or apply the same credit note in Odoo.",
                over=currency.format(overpaid),
                provider=provider,
            )
        else:
            message += " " + _(
                "Apply the same credit note to this invoice in Odoo, or remove the credit "
                "applied in %(provider)s, so that both agree.",
                provider=provider,
            )
        if message == self.remote_credit_warning:
            return  # already shown
        self.write({"remote_credit_warning": message, "remote_credit_amount": foreign})
        self._note(message)
        if not self._remote_credit_activities():
            user = (move.invoice_user_id or self.env.user).sudo()
            if user.share or self.company_id not in user.company_ids:
                user = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
            move.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self._remote_credit_summary(),
                note=message,
                user_id=user.id,
            )

    def _remote_credit_summary(self):
        return _("Check the credit applied in %s", self._provider_label())

    def _remote_credit_activities(self):
        move = self.move_id
        if not move:
            return self.env["mail.activity"]
        summary = self._remote_credit_summary()
        return move.sudo().activity_ids.filtered(lambda a: a.summary == summary)


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    qxs_remote_credit_warning = fields.Text(
        string="Credit applied remotely", compute="_compute_qxs_remote_credit_warning"
    )

    @api.depends("qxs_sync_record_ids.remote_credit_warning")
    def _compute_qxs_remote_credit_warning(self):
        for move in self:
            move.qxs_remote_credit_warning = move._qxs_document_record().remote_credit_warning
