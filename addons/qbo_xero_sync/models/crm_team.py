from odoo import _, fields, models

from .. import const


class CrmTeam(models.Model):
    _inherit = "crm.team"

    qxs_invoice_sync_type = fields.Selection(
        const.INVOICE_SYNC_TYPES,
        string="Invoice sync",
        default="individual",
        required=True,
        help="Individual: each invoice, credit note and their payments are sent. No sync: they "
        "are marked Skipped with the reason and never sent. Daily summary: the channel's "
        "invoices (and credit notes) of one day are sent as one summary invoice (and one "
        "summary credit note) to the channel's summary customer, lines grouped by revenue "
        "code and tax.",
    )
    qxs_summary_partner_id = fields.Many2one(
        "res.partner",
        string="Summary customer",
        copy=False,
        help="The customer of this channel's daily summaries (created on the first summary "
        'as "<channel> (daily sales)" when empty).',
    )
    qxs_summary_payment_mode = fields.Selection(
        const.SUMMARY_PAYMENT_MODES,
        string="Payments of summarized invoices",
        default="keep",
        required=True,
        help="Keep in Odoo: the payments of the documents a daily summary carries are not "
        "sent (marked Skipped with the reason). One deposit per day: the cash received for "
        "the invoices of a day's summary is sent as one payment of that summary invoice, "
        "updated when it changes.",
    )

    def _qxs_sync_type_fields(self):
        """{sync purpose: the field of the channel that turns it off}. Extended by other
        modules (e.g. COGS)."""
        return {"document": "qxs_invoice_sync_type", "payment": "qxs_invoice_sync_type"}

    def _qxs_skip_reason(self, purpose):
        """Why this channel's documents of ``purpose`` must not be sent (None: send them).

        Only "No sync" answers here. A daily summary channel's payments are judged by their
        documents (``account.move._qxs_summary_payment_reason``), not by the channel's current
        setting: an invoice sent on its own before the channel was switched to "Daily summary"
        is in the provider, and so must its payments be."""
        field = self._qxs_sync_type_fields().get(purpose)
        if not self or not field or self[field] != "none":
            return None
        return _(
            "Sales channel %(team)s is set to No sync for %(what)s.",
            team=self.name,
            what=self._fields[field].string,
        )

    def write(self, vals):
        before = {team.id: team.qxs_summary_payment_mode for team in self}
        res = super().write(vals)
        # Switched to one deposit per day: the cash already received for the summaries'
        # invoices is queued now, not at the next change of each day. Whatever the channel's
        # invoice sync is now: its summaries keep their documents, and want their deposits.
        switched = self.filtered(
            lambda team: before[team.id] != "deposit" and team.qxs_summary_payment_mode == "deposit"
        )
        if switched:
            self.env["qxs.daily.summary"].sudo().search(
                [("team_id", "in", switched.ids), ("kind", "=", "invoice")]
            )._queue_deposit()
        return res

    def _qxs_summary_partner(self):
        """The customer of this channel's daily summaries, created on demand (sudo: posting an
        invoice may create it)."""
        self.ensure_one()
        team = self.sudo()
        if not team.qxs_summary_partner_id:
            team.qxs_summary_partner_id = (
                self.env["res.partner"]
                .sudo()
                .create(
                    {
                        "name": _("%s (daily sales)", team.name),
                        "is_company": True,
                        "company_id": team.company_id.id or False,
                    }
                )
            )
        return team.qxs_summary_partner_id
