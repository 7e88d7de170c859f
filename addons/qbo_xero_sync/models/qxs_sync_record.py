import dataclasses
import logging

from odoo import _, api, fields, models

from .. import const
from ..adapters import Outcome, document_kind
from ..exceptions import SyncError

_logger = logging.getLogger(__name__)


class QxsSyncRecord(models.Model):
    """The queue and the binding in one: one record per (connection, purpose, Odoo record).

    Posting only records intent here (state ``pending``); the cron sends pending records outside
    any user transaction, and one method (:meth:`_apply_result`) writes every outcome back.
    """

    _name = "qxs.sync.record"
    _inherit = ["qxs.sync.outcome", "qxs.status.back", "qxs.sync.jobs", "qxs.sync.queue"]
    _description = "Accounting sync record"
    _order = "id desc"
    _rec_name = "display_name"

    connection_id = fields.Many2one("qxs.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    provider = fields.Selection(related="connection_id.provider", store=True)
    purpose = fields.Selection(
        const.SYNC_PURPOSES + const.CUSTOMER_SYNC_PURPOSES, required=True, default="document"
    )
    res_model = fields.Char(required=True, index=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, index=True)
    move_id = fields.Many2one("account.move", string="Document", index=True, ondelete="cascade")
    state = fields.Selection(const.SYNC_STATES, required=True, default="pending", index=True)
    action = fields.Selection(const.SYNC_ACTIONS, required=True, default="push")
    attempts = fields.Integer(default=0)
    next_attempt = fields.Datetime(index=True)
    last_error = fields.Text()
    skip_reason = fields.Char()
    remote_id = fields.Char(index=True, copy=False)
    remote_number = fields.Char(copy=False)
    sync_token = fields.Char(copy=False)
    remote_status = fields.Selection(const.REMOTE_STATUSES, copy=False)
    remote_total = fields.Float(copy=False)
    local_total = fields.Float(copy=False)
    total_mismatch = fields.Boolean(copy=False)
    remote_paid_amount = fields.Float(
        copy=False, help="Amount of the provider's payments already registered in Odoo."
    )
    generation = fields.Integer(
        default=0, help="Bumped when the document is deliberately sent anew (new request ids)."
    )
    payment_move_id = fields.Many2one(
        "account.move",
        string="Payment entry",
        index="btree_not_null",
        ondelete="set null",
        help="Payments: the journal entry sent (a payment's, a bank statement line's, or a "
        "credit note applied).",
    )
    payment_values = fields.Json(
        copy=False,
        help="Payments: the values last queued (what a removal needs once the " "entry is gone).",
    )
    payment_allocations = fields.Json(
        copy=False,
        help="Payments: {document id: amount} of what the provider has, as last sent.",
    )
    payment_remote_ids = fields.Json(
        copy=False,
        help="Payments sent as one remote payment per document (Xero): {document id: remote "
        "payment id}, so that one of them deleted remotely is told apart from the others.",
    )
    allocation_move_ids = fields.Many2many(
        "account.move",
        "qxs_sync_record_allocation_rel",
        "record_id",
        "move_id",
        string="Allocated to",
        copy=False,
        help="Payments: the documents they pay (or paid, until that is removed remotely).",
    )
    last_sync_date = fields.Datetime(string="Done on", copy=False)
    last_attempt_date = fields.Datetime(string="Last attempt", copy=False)
    remote_url = fields.Char(compute="_compute_remote_url")

    _sql_constraints = [
        (
            "record_uniq",
            "unique(connection_id, purpose, res_model, res_id)",
            "An Odoo record is bound once per connection and purpose.",
        ),
    ]

    @api.depends("res_model", "res_id", "purpose")
    def _compute_display_name(self):
        purposes = dict(self._fields["purpose"]._description_selection(self.env))
        for rec in self:
            target = self.env[rec.res_model].browse(rec.res_id) if rec.res_model else None
            label = target.display_name if target and target.exists() else f"#{rec.res_id}"
            rec.display_name = f"{purposes.get(rec.purpose)}: {label}"

    def _compute_remote_url(self):
        for rec in self:
            if rec.purpose == "customer":
                rec.remote_url = False  # the adapters link documents only
                continue
            rec.remote_url = rec.remote_id and rec.connection_id._adapter().remote_url(
                rec._kind(), rec.remote_id
            )

    def _maybe_paid_move_ids(self):
        """{str(move id)} of the documents the provider may have this payment on: those of its
        last known answer, and, while it has no remote id, those its tries paid."""
        self.ensure_one()
        ids = set(self.payment_allocations or {})
        if not self.remote_id:
            ids |= self.env["qxs.send.attempt"]._attempted_move_ids(self)
        return ids

    # ------------------------------------------------------------------ enqueue
    @api.model
    def _record_of(self, connection, target, purpose="document"):
        """The sync record of ``target`` for ``connection`` and ``purpose`` (sudo), or empty."""
        return self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("purpose", "=", purpose),
                ("res_model", "=", target._name),
                ("res_id", "=", target.id),
            ],
            limit=1,
        )

    @api.model
    def _enqueue(self, connection, target, purpose="document", action="push", skip_reason=None):
        """Record the intent to send ``target`` (or void it); return the sync record."""
        rec = self._record_of(connection, target, purpose)
        vals = {
            "state": "skipped" if skip_reason else "pending",
            "action": action,
            "skip_reason": skip_reason or False,
            "attempts": 0,
            "next_attempt": False,
            "last_error": False,
        }
        gone = rec.state == "remote_deleted" or rec.remote_status in ("voided", "deleted")
        if rec and gone and action == "push":
            # The remote copy is gone or frozen: send anew, with fresh request ids.
            vals.update(
                {
                    "generation": rec.generation + 1,
                    "remote_id": False,
                    "sync_token": False,
                    "remote_status": False,
                }
            )
        elif rec.state == "error":
            # Sent again after a refusal: new request ids, so that the provider does not
            # replay its stored refusal of the same request (the fix may be on its side).
            vals["generation"] = rec.generation + 1
        if rec:
            rec.write(vals)
        else:
            rec = self.sudo().create(
                {
                    "connection_id": connection.id,
                    "purpose": purpose,
                    "res_model": target._name,
                    "res_id": target.id,
                    # A payment's entry may be deleted (a cancelled payment's is) while its
                    # removal waits to be sent: payments link it apart (payment_move_id).
                    "move_id": target.id
                    if target._name == "account.move" and purpose != "payment"
                    else False,
                    **vals,
                }
            )
        if not skip_reason:
            self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()
        return rec

    def _void_or_skip(self, on_cancel=True):
        """Void what may exist remotely, else skip (the Odoo record was cancelled, or a user
        asked to void it: ``on_cancel`` False, which ignores the "Void when cancelled" option).

        A record without a remote id may still exist there (its answer may have been lost):
        the void looks it up by number first, and only when it is not found is the record
        "cancelled before it was sent" (see :meth:`_apply_error`)."""
        for rec in self.sudo():
            if rec.state == "remote_deleted" or rec.remote_status in ("voided", "deleted"):
                continue
            if rec.state == "skipped" and not rec.remote_id:
                continue  # never sent (e.g. a No sync channel)
            if rec.connection_id.void_on_cancel or not on_cancel:
                rec._enqueue(rec.connection_id, rec._target(), rec.purpose, "void")
            elif not rec.remote_id:
                rec.write(
                    {
                        "state": "skipped",
                        "skip_reason": _("Cancelled; voiding on cancel is turned off."),
                    }
                )

    def _target(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id)

    def _kind(self):
        """The kind of remote document of this record ("invoice", "credit_note" or "payment").
        Extended by other modules (e.g. "journal")."""
        if self.purpose in ("payment", "customer"):
            return self.purpose
        return document_kind(self.move_id.move_type)

    def _process_group(self, adapters=None):
        """Send one group (same connection, purpose and action) and write every outcome.
        ``adapters`` ({connection id: adapter}) keeps one adapter per connection for a whole
        cron run, so that what it read once (accounts, tax codes, items) is not read again;
        what it read of the reference data is kept on the connection for the next runs."""
        connection = self.connection_id
        adapters = {} if adapters is None else adapters
        self._run_adapter(adapters, connection)
        handler = self._handlers().get((self[:1].purpose, self[:1].action))
        if (self[:1].purpose, self[:1].action) == ("document", "push"):
            # New customers of the pending documents in full batches, not a few per group.
            self._prepare_customers(adapters[connection.id])
        jobs, refused = self._jobs(strict=self[:1].action == "push")
        if self[:1].action == "push":
            # Before any request: a crash after the provider's write must not hide this try.
            sent = {
                job.key: [a["move_id"] for a in (job.values or {}).get("allocations", ())]
                for job in jobs
                if not job.remote_id
            }
            self.env["qxs.send.attempt"]._mark(self.filtered(lambda rec: rec.id in sent), sent)
        outcome = Outcome(results=dict(refused))
        try:
            if jobs:
                answered = handler(adapters[connection.id], jobs)
                outcome = dataclasses.replace(answered, results={**answered.results, **refused})
        except SyncError as exc:
            outcome.results.update(dict.fromkeys([job.key for job in jobs], exc))
        except Exception as exc:  # a bug must not stop the queue: record it on the documents
            _logger.exception("qbo_xero_sync: unexpected error while sending %s", self)
            error = SyncError(_("Unexpected error: %s", exc))
            outcome.results.update(dict.fromkeys([job.key for job in jobs], error))
        self._apply_outcome(outcome)
        # Reference data read (or found stale) by the adapter: kept for the next runs.
        connection._qxs_store_reference(adapters[connection.id])
        # The group's HTTP attempts, with its records, to the sync history (never raises).
        self.env["qxs.sync.log"]._record_adapters(connection, [adapters[connection.id]], self)
        return outcome

    @api.model
    def _run_adapter(self, adapters, connection):
        """The adapter of ``connection`` for this cron run (``adapters``: {connection id:
        adapter}), made on first use."""
        if connection.id not in adapters:
            adapters[connection.id] = connection._adapter()
            # Plain options of the connection that the adapters' customer and item steps need.
            adapters[connection.id].create_customers = connection._qxs_creates_customers()
            adapters[connection.id].refuse_inventory_items = connection._qxs_exports_cogs()
        return adapters[connection.id]

    def _apply_outcome(self, outcome):
        """Write back all that an adapter answered: each record's outcome (in a savepoint of
        its own), the customers and items it found or created, the call budget left."""
        connection = self.connection_id
        Binding = self.env["qxs.binding"]
        Binding._remember(connection, "customer", outcome.customers)
        Binding._forget(connection, "customer", outcome.forget_customers)
        Binding._remember(connection, "item", outcome.items)
        Binding._forget(connection, "item", outcome.forget_items)
        connection._store_limits(outcome.limits)
        for rec in self:
            rec._apply_result_isolated(
                outcome.results.get(rec.id) or SyncError(_("No answer for this record."))
            )

    def _handlers(self):
        """(purpose, action) -> callable(adapter, jobs) -> Outcome. Extended by other modules
        (e.g. COGS journals)."""
        return {
            ("document", "push"): lambda adapter, jobs: adapter.push_documents(jobs),
            ("document", "void"): lambda adapter, jobs: adapter.void_documents(jobs),
            ("document", "pull"): lambda adapter, jobs: adapter.read_states(jobs),
            ("payment", "push"): lambda adapter, jobs: adapter.push_payments(jobs),
            ("payment", "void"): lambda adapter, jobs: adapter.void_payments(jobs),
            ("customer", "push"): lambda adapter, jobs: adapter.push_customers(jobs),
        }

    def _provider_label(self):
        return dict(const.PROVIDERS)[self.connection_id.provider]

    # ------------------------------------------------------------------ user actions
    def action_retry(self):
        """Send again now (errors and skipped records); a failed read is read again."""
        for rec in self:
            if rec.action == "pull" and rec.remote_id:
                rec.write(
                    {"state": "pending", "attempts": 0, "next_attempt": False, "last_error": False}
                )
                self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()
                continue
            self._enqueue(
                rec.connection_id,
                rec._target(),
                rec.purpose,
                "void" if rec.action == "void" else "push",
            )

    def action_open_target(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
