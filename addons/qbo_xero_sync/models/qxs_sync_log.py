import logging

from odoo import api, fields, models

from .. import const
from ..adapters.base import redact

_logger = logging.getLogger(__name__)


class QxsSyncLog(models.Model):
    """The sync history: one row per HTTP attempt to QuickBooks or Xero (the audit trail).

    The adapters' clients log each attempt as a plain dict (``ProviderAdapter.log_http``,
    secrets redacted there); the engine writes them here after each group of records, each
    poll and each token call, with the records concerned. Rows are never edited; a daily job
    deletes those older than the connection's retention."""

    _name = "qxs.sync.log"
    _description = "QuickBooks / Xero sync history"
    _order = "date desc, id desc"
    _rec_name = "operation"

    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True, readonly=True)
    connection_id = fields.Many2one(
        "qxs.connection", required=True, ondelete="cascade", index=True, readonly=True
    )
    # The connection's name for everyone who reads the history (auditors and billing users
    # have no access to the connections themselves).
    connection_name = fields.Char(
        string="Connection name", related="connection_id.name", store=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    provider = fields.Selection(related="connection_id.provider", store=True)
    operation = fields.Char(index=True, readonly=True)
    method = fields.Char(string="HTTP method", readonly=True)
    endpoint = fields.Char(readonly=True, help="Path and query of the request (no host).")
    request_id = fields.Char(
        string="Request ID",
        index="btree_not_null",
        readonly=True,
        help="QuickBooks: the requestid of the write. Xero: its Idempotency-Key.",
    )
    provider_ref = fields.Char(
        string="Provider reference",
        index="btree_not_null",
        readonly=True,
        help="QuickBooks: the intuit_tid of the answer. Xero: its Xero-Correlation-Id. Give "
        "it to the provider's support.",
    )
    status_code = fields.Integer(string="HTTP status", readonly=True)
    state = fields.Selection(const.SYNC_LOG_STATES, string="Status", index=True, readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    response_excerpt = fields.Text(string="Answer (excerpt)", readonly=True)
    error = fields.Text(readonly=True)
    sync_record_ids = fields.Many2many(
        "qxs.sync.record",
        "qxs_sync_log_record_rel",
        "log_id",
        "record_id",
        string="Sync records",
        readonly=True,
    )
    move_ids = fields.Many2many(
        "account.move",
        "qxs_sync_log_move_rel",
        "log_id",
        "move_id",
        string="Documents",
        readonly=True,
    )

    @api.model
    def _values(self, connection, entry, records):
        status = entry.get("status_code") or 0
        failed = bool(entry.get("error")) or not 200 <= status < 300
        moves = records.move_id | records.payment_move_id | records.allocation_move_ids
        return {
            "date": entry.get("date") or fields.Datetime.now(),
            "connection_id": connection.id,
            "operation": entry.get("operation") or False,
            "method": entry.get("method") or False,
            # Redacted again: the adapters already did, a secret must never get here.
            "endpoint": redact(entry.get("endpoint")) or False,
            "request_id": entry.get("request_id") or False,
            "provider_ref": entry.get("provider_ref") or False,
            "status_code": status,
            "state": "error" if failed else "ok",
            "duration_ms": entry.get("duration_ms") or 0,
            "response_excerpt": redact(entry.get("response_excerpt")) or False,
            "error": redact(entry.get("error")) or False,
            "sync_record_ids": [(6, 0, records.ids)],
            "move_ids": [(6, 0, moves.ids)],
        }

    @api.model
    def _record(self, connection, entries, records=None):
        """Write ``entries`` (an adapter's HTTP log) for ``connection`` and the sync
        ``records`` concerned. Never raises: a log that cannot be written is logged on the
        server and the sync goes on."""
        if not entries or not connection:
            return self.browse()
        records = (records or self.env["qxs.sync.record"]).sudo().exists()
        try:
            with self.env.cr.savepoint():
                return self.sudo().create(
                    [self._values(connection, entry, records) for entry in entries]
                )
        except Exception:  # the history is an aid: the sync must never fail because of it
            _logger.exception("qbo_xero_sync: the sync history of %s was not written", connection)
            return self.browse()

    @api.model
    def _record_adapters(self, connection, adapters, records=None):
        """Write what ``adapters`` logged (and forget it)."""
        entries = []
        for adapter in adapters:
            entries += adapter.take_http_log()
        return self._record(connection, entries, records)
