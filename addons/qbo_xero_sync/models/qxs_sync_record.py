import dataclasses
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .. import const
from ..adapters import Job, Outcome, RemoteState, Result, document_kind
from ..exceptions import AUTH, GONE, RETRY, SyncError

_logger = logging.getLogger(__name__)

# First key of the advisory lock taken on a connection while its records are sent ("QXS").
CONNECTION_LOCK = 0x515853


class QxsSyncRecord(models.Model):
    """The queue and the binding in one: one record per (connection, purpose, Odoo record).

    Posting only records intent here (state ``pending``); the cron sends pending records outside
    any user transaction, and one method (:meth:`_apply_result`) writes every outcome back.
    """

    _name = "qxs.sync.record"
    _description = "Accounting sync record"
    _order = "id desc"
    _rec_name = "display_name"

    connection_id = fields.Many2one("qxs.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    provider = fields.Selection(related="connection_id.provider", store=True)
    purpose = fields.Selection(const.SYNC_PURPOSES, required=True, default="document")
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
            rec.remote_url = rec.remote_id and rec.connection_id._adapter().remote_url(
                rec._kind(), rec.remote_id
            )

    # ------------------------------------------------------------------ enqueue
    @api.model
    def _enqueue(self, connection, target, purpose="document", action="push", skip_reason=None):
        """Record the intent to send ``target`` (or void it); return the sync record."""
        rec = self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("purpose", "=", purpose),
                ("res_model", "=", target._name),
                ("res_id", "=", target.id),
            ],
            limit=1,
        )
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
                    "move_id": target.id if target._name == "account.move" else False,
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

    # ------------------------------------------------------------------ the queue
    def _due_domain(self):
        return [
            ("state", "=", "pending"),
            "|",
            ("next_attempt", "=", False),
            ("next_attempt", "<=", fields.Datetime.now()),
        ]

    def _lock_group(self, seen_ids):
        """Lock the next group of due records (one connection, purpose and action).

        One worker at a time sends a connection's records: a transaction-level advisory lock on
        the connection, released by the commit after the group, is taken first (two workers
        sending one company's groups at once both created its new customers and items, and
        the slower one's documents failed as duplicate names). The records are then locked
        with FOR UPDATE SKIP LOCKED, so that concurrent workers never take the same record."""
        self.env.flush_all()  # the SQL below must see every pending write
        now = fields.Datetime.now()
        self.env.cr.execute(
            """
            SELECT connection_id FROM qxs_sync_record
             WHERE state = 'pending' AND (next_attempt IS NULL OR next_attempt <= %s)
               AND NOT (id = ANY(%s))
             GROUP BY connection_id ORDER BY min(id)
            """,
            [now, list(seen_ids)],
        )
        for (conn_id,) in self.env.cr.fetchall():
            self.env.cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", [CONNECTION_LOCK, conn_id]
            )
            if not self.env.cr.fetchone()[0]:
                continue  # another worker is sending this connection's records
            self.env.cr.execute(
                """
                SELECT purpose, action FROM qxs_sync_record
                 WHERE state = 'pending' AND (next_attempt IS NULL OR next_attempt <= %s)
                   AND connection_id = %s AND NOT (id = ANY(%s))
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                """,
                [now, conn_id, list(seen_ids)],
            )
            row = self.env.cr.fetchone()
            if not row:
                continue
            purpose, action = row
            self.env.cr.execute(
                """
                SELECT id FROM qxs_sync_record
                 WHERE state = 'pending' AND (next_attempt IS NULL OR next_attempt <= %s)
                   AND connection_id = %s AND purpose = %s AND action = %s
                   AND NOT (id = ANY(%s))
                 ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                """,
                [now, conn_id, purpose, action, list(seen_ids), self._group_size(conn_id)],
            )
            return self.browse([r[0] for r in self.env.cr.fetchall()])
        return self.browse()

    def _group_size(self, connection_id):
        provider = self.env["qxs.connection"].browse(connection_id).provider
        return const.XERO_BATCH_SIZE if provider == "xero" else const.QBO_BATCH_SIZE

    @api.model
    def _cron_sync(self, limit=const.CRON_BATCH_LIMIT):
        """Send due records, one locked group at a time, committing after each group."""
        can_commit = self.env["account.move"]._can_commit()
        seen = set()
        refreshed = set()
        adapters = {}
        while len(seen) < limit:
            group = self._lock_group(seen)
            if not group:
                break
            conn = group.connection_id
            if can_commit and conn.id not in refreshed and not conn._token_valid():
                # Take the group again in a new transaction that sees the refreshed token.
                refreshed.add(conn.id)
                self._refresh_before_work(conn)
                continue
            seen.update(group.ids)
            # In the documents' company: revenue codes and billing accounts are per company.
            group.with_company(group.connection_id.company_id)._process_group(adapters)
            if can_commit:
                # One commit per sent group, as account's own sending cron does: what was
                # sent must be recorded even if a later group fails.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if len(seen) >= limit:
            self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()
        return len(seen)

    @api.model
    def _refresh_before_work(self, conn):
        """Make sure of a valid token before a cron works for ``conn``: refresh it now (it is
        stored by its own transaction), then start a new transaction that sees it (a write to
        the connection in a transaction older than the refresh fails with a serialization
        error). False when the connection cannot be used now (the failure is recorded by the
        connection: reconnect needed, or retried later)."""
        try:
            conn._access_token()
        except SyncError as exc:
            _logger.info("qbo_xero_sync: %s: %s", conn.display_name, exc.message)
            return False
        finally:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return True

    def _process_group(self, adapters=None):
        """Send one group (same connection, purpose and action) and write every outcome.
        ``adapters`` ({connection id: adapter}) keeps one adapter per connection for a whole
        cron run, so that what it read once (accounts, tax codes, items) is not read again."""
        connection = self.connection_id
        adapters = {} if adapters is None else adapters
        if connection.id not in adapters:
            adapters[connection.id] = connection._adapter()
        handler = self._handlers().get((self[:1].purpose, self[:1].action))
        jobs, refused = self._jobs(strict=self[:1].action == "push")
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
        }

    def _jobs(self, strict=True):
        """(list of Job, {record id: SyncError}): what the adapter is given for these records,
        in their order. ``strict``: a mapping the provider would refuse (a product without a
        revenue code...) refuses the record before any call; voids and reads only need the
        document's number and customer."""
        Binding = self.env["qxs.binding"]
        jobs, refused = [], {}
        for rec in self:
            try:
                values = rec._job_values(strict)
            except SyncError as exc:
                refused[rec.id] = exc
                continue
            partner = (values or {}).get("partner") or {}
            customer_id = None
            if partner.get("id"):
                customer_id = Binding._known(rec.connection_id, "customer", [partner["id"]]).get(
                    partner["id"]
                )
            jobs.append(
                Job(
                    key=rec.id,
                    kind=rec._kind(),
                    values=values,
                    remote_id=rec.remote_id or None,
                    sync_token=rec.sync_token or None,
                    remote_number=rec.remote_number or None,
                    generation=rec.generation,
                    customer_id=customer_id,
                )
            )
        return jobs, refused

    def _job_values(self, strict=True):
        """The plain values of this record's Odoo document. Extended by other modules."""
        self.ensure_one()
        return self.move_id._qxs_document_values(self.connection_id, strict=strict)

    # ------------------------------------------------------------------ outcomes
    def _apply_result_isolated(self, result):
        """Write one record's outcome inside a savepoint: whatever goes wrong while applying it
        in Odoo (a UserError, an access error, an answer nobody foresaw) is written on that
        record, visibly, and the other records of the run go on."""
        self.ensure_one()
        self.last_attempt_date = fields.Datetime.now()
        try:
            with self.env.cr.savepoint():
                self._apply_result(result)
        except Exception as exc:  # recorded on the record, never lost
            _logger.exception("qbo_xero_sync: could not apply the outcome of %s", self)
            self.invalidate_recordset()
            self._record_failure(exc, result)

    def _record_failure(self, exc, result=None):
        """The record goes to "error" with Odoo's own message; a remote id that the provider
        gave is kept (the document exists there), and the accountant gets an activity."""
        message = exc.args[0] if isinstance(exc, UserError) and exc.args else str(exc)
        if isinstance(exc, SyncError):
            message = exc.message
        vals = {
            "state": "error",
            "attempts": self.attempts + 1,
            "last_error": _(
                "Odoo could not apply what %(p)s answered: %(msg)s",
                p=self._provider_label(),
                msg=message,
            ),
        }
        if isinstance(result, RemoteState):
            vals["action"] = "pull"  # "send again" reads it again
        if isinstance(result, Result) and result.remote_id and not self.remote_id:
            vals["remote_id"] = result.remote_id
            vals["remote_number"] = result.remote_number or False
        with self.env.cr.savepoint():
            self.write(vals)
            self._note_failure(vals["last_error"])

    def _apply_result(self, result):
        """The one place where an outcome (success, failure, remote state) is written."""
        self.ensure_one()
        if isinstance(result, RemoteState):
            self._apply_remote_state(result)
            return
        if isinstance(result, SyncError):
            self._apply_error(result)
            return
        vals = {
            "state": "synced",
            "attempts": 0,
            "next_attempt": False,
            "last_error": False,
            "last_sync_date": fields.Datetime.now(),
        }
        for key in ("remote_id", "remote_number", "sync_token", "remote_status"):
            if getattr(result, key) is not None:
                vals[key] = getattr(result, key)
        target = self._target()
        was_action = self.action
        if result.remote_total is not None:
            vals["remote_total"] = result.remote_total
            vals["local_total"] = self._local_total()
            vals["total_mismatch"] = bool(
                float_compare(result.remote_total, vals["local_total"], precision_digits=2)
            )
        self.write(vals)
        self._clear_failure_activity()
        self._after_success(target, was_action, result)

    def _local_total(self):
        target = self._target()
        return target.amount_total if target._name == "account.move" else 0.0

    def _after_success(self, target, action, result):
        if action == "void":
            body = _("Voided in %(provider)s.", provider=self._provider_label())
        else:
            body = _(
                "Sent to %(provider)s as %(number)s.",
                provider=self._provider_label(),
                number=self.remote_number or self.remote_id,
            )
        if result.message:
            body = f"{body} {result.message}"
        if self.total_mismatch:
            body += " " + _(
                "Warning: the total in %(provider)s (%(remote)s) differs from Odoo's "
                "(%(local)s); check the taxes.",
                provider=self._provider_label(),
                remote=self.remote_total,
                local=self.local_total,
            )
        self._note(body)

    def _apply_error(self, exc):
        if exc.kind == GONE and self.action == "void":
            if not self.remote_id:
                # The adapter looked it up by number: the document never got there.
                self.write(
                    {
                        "state": "skipped",
                        "skip_reason": _("Cancelled before it was sent."),
                        "last_error": False,
                        "next_attempt": False,
                    }
                )
                self._clear_failure_activity()
                return
            # Nothing left to void: the document no longer exists remotely.
            self._mark_deleted(_("The document no longer exists remotely."))
            return
        attempts = self.attempts + 1
        if exc.kind == GONE and self.remote_id and attempts < const.MAX_TRANSIENT_ATTEMPTS:
            # Deleted remotely while Odoo still wanted it there: drop the link and create it
            # anew on the next run (a new generation, so that no request id is replayed).
            self.write(
                {
                    "generation": self.generation + 1,
                    "remote_id": False,
                    "sync_token": False,
                    "next_attempt": False,
                    "attempts": attempts,
                }
            )
            self._note(
                _(
                    "%(msg)s The remote document was deleted; it will be created anew.",
                    msg=exc.message,
                )
            )
            return
        if exc.kind == AUTH:
            # The connection needs an administrator (reconnect): the document waits in the
            # queue, and is sent as soon as the connection is authorised again.
            self.write(
                {
                    "next_attempt": fields.Datetime.now() + timedelta(hours=1),
                    "last_error": _("%(msg)s (waiting for the connection)", msg=exc.message),
                }
            )
            return
        if exc.kind == RETRY and attempts < const.MAX_TRANSIENT_ATTEMPTS:
            delay = const.RETRY_DELAYS[min(attempts - 1, len(const.RETRY_DELAYS) - 1)]
            delay = max(delay, int(exc.retry_after or 0))
            self.write(
                {
                    "attempts": attempts,
                    "next_attempt": fields.Datetime.now() + timedelta(seconds=delay),
                    "last_error": _("%(msg)s (will retry automatically)", msg=exc.message),
                }
            )
            return
        # A user error, a transient one that kept failing, or a document that a create
        # could not find (GONE without a remote id: a referenced record is missing there).
        noted = self.state == "error" and self.last_error == exc.message
        self.write({"state": "error", "attempts": attempts, "last_error": exc.message})
        if not noted:
            self._note_failure(exc.message)

    def _mark_deleted(self, note):
        self.write(
            {
                "state": "remote_deleted",
                "remote_status": "deleted",
                "remote_id": False,
                "sync_token": False,
                "generation": self.generation + 1,
                "last_error": False,
            }
        )
        self._clear_failure_activity()
        self._note(note)

    # ------------------------------------------------------------------ telling the users
    def _note(self, body):
        """A chatter note on the synced Odoo record, when it has a chatter."""
        target = self._target()
        if hasattr(target, "message_post") and target.exists():
            target.sudo().message_post(body=body)

    def _note_failure(self, message):
        """A failure: a chatter note, and one activity for the accountant (not one per retry;
        it is closed when the document syncs)."""
        self._note(_("Sync failed: %s", message))
        target = self._target()
        if not hasattr(target, "activity_schedule") or not target.exists():
            return
        if self._failure_activities():
            return
        user = (getattr(target, "invoice_user_id", False) or self.env.user).sudo()
        if user.share or self.company_id not in user.company_ids:
            user = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        target.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Fix the %s sync", self._provider_label()),
            note=message,
            user_id=user.id,
        )

    def _failure_activities(self):
        target = self._target()
        if not hasattr(target, "activity_ids") or not target.exists():
            return self.env["mail.activity"]
        summary = _("Fix the %s sync", self._provider_label())
        return target.sudo().activity_ids.filtered(lambda a: a.summary == summary)

    def _clear_failure_activity(self):
        self._failure_activities().unlink()

    def _provider_label(self):
        return dict(const.PROVIDERS)[self.connection_id.provider]

    # ------------------------------------------------------------------ status back
    @api.model
    def _cron_poll(self):
        """Ask every connected provider what changed since the last poll. Each connection is
        polled on its own: one that fails (or whose changes fail to apply) never keeps the
        others' statuses from coming back."""
        conns = (
            self.env["qxs.connection"]
            .sudo()
            .search([("state", "=", "connected"), ("sync_status_back", "=", True)])
        )
        can_commit = self.env["account.move"]._can_commit()
        for conn in conns:
            try:
                if can_commit:
                    self._poll_connection(conn)
                else:  # tests: a savepoint stands in for the transaction that is rolled back
                    with self.env.cr.savepoint():
                        self._poll_connection(conn)
            except Exception:  # logged; the next poll reads the same changes
                _logger.exception("qbo_xero_sync: polling %s failed", conn.display_name)
                if can_commit:
                    self.env.cr.rollback()  # pylint: disable=invalid-commit

    def _poll_connection(self, conn):
        can_commit = self.env["account.move"]._can_commit()
        if can_commit and not conn._token_valid():
            if not self._refresh_before_work(conn):
                return
        since = conn.last_poll_date or (fields.Datetime.now() - timedelta(days=1))
        try:
            changes = conn._adapter().fetch_changes(since)
            conn._store_limits(changes.limits)
        except SyncError as exc:
            _logger.warning("qbo_xero_sync: polling %s failed: %s", conn.display_name, exc)
            return
        # Payments are registered in the connection's company (its journals, its accounts).
        # Each state is applied in a savepoint: one that fails is recorded on its document.
        self.with_company(conn.company_id)._apply_remote_states(conn, changes.states)
        if changes.note:
            conn._notify_admins(changes.note)
        if can_commit:
            # The states first, then the watermark in a transaction of its own: it sees
            # what the adapter stored meanwhile (call budgets), and a failure before this
            # point re-reads the same changes next time instead of losing them.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        if changes.watermark:
            conn.last_poll_date = changes.watermark
        if can_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _kind(self):
        """The kind of remote document of this record ("invoice" or "credit_note"). Extended by
        other modules (e.g. "journal")."""
        return document_kind(self.move_id.move_type)

    @api.model
    def _records_by_key(self, connection, keys, states=None):
        """{(kind, remote id): document record} of a connection. Providers number invoices and
        credit notes separately: the id alone does not name a document."""
        keys = {(kind, str(rid)) for kind, rid in keys}
        domain = [
            ("connection_id", "=", connection.id),
            ("purpose", "=", "document"),
            ("remote_id", "in", [rid for _kind, rid in keys]),
        ]
        if states:
            domain.append(("state", "in", states))
        recs = self.sudo().search(domain)
        return {
            (rec._kind(), rec.remote_id): rec
            for rec in recs
            if (rec._kind(), rec.remote_id) in keys
        }

    @api.model
    def _apply_remote_states(self, connection, states):
        by_key = self._records_by_key(connection, [(s.kind, s.remote_id) for s in states])
        for state in states:
            rec = by_key.get((state.kind, str(state.remote_id)))
            if rec:
                rec._apply_result_isolated(state)

    @api.model
    def _enqueue_pull(self, connection, keys):
        """Webhooks land here: mark the synced records named by ``keys`` ((kind, remote id)) to
        be read again by the cron. Returns the records marked."""
        recs = self.browse(
            [rec.id for rec in self._records_by_key(connection, keys, ["synced"]).values()]
        ).sudo()
        recs.write({"state": "pending", "action": "pull", "attempts": 0, "next_attempt": False})
        if recs:
            self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()
        return recs

    @api.model
    def _enqueue_reread(self, connection):
        """Read every synced document of a connection again (e.g. after an outage longer than
        the provider keeps its changes). Returns the number of records marked."""
        recs = self.sudo().search(
            [
                ("connection_id", "in", connection.ids),
                ("purpose", "=", "document"),
                ("state", "=", "synced"),
                ("remote_id", "!=", False),
            ]
        )
        recs.write({"state": "pending", "action": "pull", "attempts": 0, "next_attempt": False})
        if recs:
            self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()
        return len(recs)

    def _apply_remote_state(self, remote):
        """Apply a provider's state to Odoo: paid -> payment, voided -> cancel, deleted ->
        unlink; whichever way the news came (poll, webhook, read).

        A local change that waits to be sent (a push or a void) wins: the record is left as it
        is, unless the provider already did what the void asks. An error stays an error (its
        banner says what to fix), while the provider's payments and voids still apply."""
        self.ensure_one()
        if self.state == "pending" and self.action in ("push", "void"):
            if self.action == "void" and remote.status in ("voided", "deleted"):
                self._apply_result(Result(remote_status=remote.status))
            return
        if self.state not in ("synced", "error", "pending"):
            return  # skipped, or deleted remotely: nothing is linked any more
        if remote.status == "deleted":
            self._mark_deleted(
                _(
                    "The document was deleted in %s; the link is dropped. Post "
                    "it again to send it anew.",
                    self._provider_label(),
                )
            )
            return
        vals = {"remote_status": remote.status}
        if self.state == "pending" or (self.state == "error" and remote.status == "voided"):
            vals.update({"state": "synced", "action": "push", "last_error": False})
        if remote.sync_token:
            vals["sync_token"] = remote.sync_token
        self.write(vals)
        if self.state == "synced":
            self._clear_failure_activity()
        move = self.move_id
        if not move or not self.connection_id.sync_status_back:
            return
        if remote.status == "voided":
            move._qxs_apply_remote_void(self._provider_label())
            return
        self.remote_paid_amount = move._qxs_apply_remote_payment(
            remote, self.remote_paid_amount, self.connection_id, self.remote_number
        )

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
