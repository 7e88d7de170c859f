from odoo import api, fields, models

from .. import const


class QxsSyncRecord(models.Model):
    """Daily summaries in the queue: a summary's own record (purpose ``summary``, sent by the
    adapters' document methods), and the link of a carried document's record to its summary.
    A document of a channel set to "Daily summary" is never queued alone: whatever asks to
    send it (posting, "send again", a historical export) puts it in its day's summary."""

    _inherit = "qxs.sync.record"  # pylint: disable=consider-merging-classes-inherited

    purpose = fields.Selection(
        selection_add=const.SUMMARY_PURPOSES, ondelete={"summary": "cascade"}
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
            }
        )
        return handlers

    def _kind(self):
        if self.purpose == "summary":
            return self._target().kind
        return super()._kind()

    def _job_values(self, strict=True):
        if self.purpose != "summary":
            return super()._job_values(strict)
        return self._target()._qxs_document_values(self.connection_id, strict=strict)

    def _local_total(self):
        if self.purpose == "summary":
            return self._target()._qxs_expected_remote_total(self.connection_id)
        return super()._local_total()
