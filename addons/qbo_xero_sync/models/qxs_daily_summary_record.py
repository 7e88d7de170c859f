from odoo import _, api, fields, models

from .. import const


class QxsSyncRecord(models.Model):
    """Daily summaries in the queue: a summary's own record (purpose ``summary``, sent by the
    adapters' document methods), and the link of a carried document's record to its summary.
    A document of a channel set to "Daily summary" is never queued alone: whatever asks to
    send it (posting, "send again", a historical export) puts it in its day's summary."""

    _inherit = "qxs.sync.record"  # pylint: disable=consider-merging-classes-inherited

    purpose = fields.Selection(
        selection_add=const.SUMMARY_PURPOSES,
        ondelete={"summary": "cascade", "summary_deposit": "cascade"},
    )
    summary_id = fields.Many2one(
        "qxs.daily.summary",
        string="Daily summary",
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        help="Documents: the daily summary that carries this document (it is not sent alone).",
    )

    @api.model
    def _enqueue(self, connection, target, purpose="document", action="push", skip_reason=None):
        Summary = self.env["qxs.daily.summary"]
        if (
            purpose == "document"
            and action == "push"
            and not skip_reason
            and Summary._carries(connection, target)
        ):
            return Summary._carry(connection, target)
        return super()._enqueue(connection, target, purpose, action, skip_reason)

    def _handlers(self):
        handlers = super()._handlers()
        handlers.update(
            {
                ("summary", "push"): lambda adapter, jobs: adapter.push_documents(jobs),
                ("summary", "void"): lambda adapter, jobs: adapter.void_documents(jobs),
                ("summary_deposit", "push"): lambda adapter, jobs: adapter.push_payments(jobs),
                ("summary_deposit", "void"): lambda adapter, jobs: adapter.void_payments(jobs),
            }
        )
        return handlers

    def _kind(self):
        if self.purpose == "summary":
            return self._target().kind
        if self.purpose == "summary_deposit":
            return "payment"
        return super()._kind()

    def _job_values(self, strict=True):
        summary = self._target()
        if self.purpose == "summary_deposit":
            return summary._deposit_values(self.connection_id, strict=strict)
        if self.purpose != "summary":
            return super()._job_values(strict)
        summary._check_deposit_removed(self)
        return summary._qxs_document_values(self.connection_id, strict=strict)

    def _local_total(self):
        if self.purpose == "summary":
            return self._target()._qxs_expected_remote_total(self.connection_id)
        if self.purpose == "summary_deposit":
            return self._target()._deposit_cash()
        return super()._local_total()

    def _after_success(self, target, action, result):
        if self.purpose == "summary_deposit":
            summary = target
            if action == "void":
                # The summary that waited for its deposit to be removed is due now.
                summary._sync_record().filtered(lambda r: r.state == "pending").write(
                    {"next_attempt": False}
                )
                self.payment_values = {}
                body = _("Deposit %(n)s removed from %(p)s.")
            else:
                values = summary._deposit_values(self.connection_id, strict=False)
                self.payment_values = {
                    "amount": values["amount"],
                    "summary_remote_id": values["summary_remote_id"],
                }
                body = _("Deposit %(n)s of %(amount)s sent to %(p)s.")
            self._note(
                body
                % {
                    "n": summary._deposit_number(),
                    "p": self._provider_label(),
                    "amount": summary.currency_id.format(summary._deposit_cash()),
                }
            )
            return None
        res = super()._after_success(target, action, result)
        if self.purpose == "summary" and action == "push":
            # Sent anew or updated: its deposit follows (Xero's was removed for the update).
            target._queue_deposit()
        return res
