import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import const

_logger = logging.getLogger(__name__)

SYNCED_TYPES = ("out_invoice", "out_refund")
# Sync records that are done with (whatever their outcome) and how the run counts them.
FAILED_STATES = ("error", "remote_deleted")


class QxsExportRun(models.Model):
    """A historical export: the documents posted before the connection (and their payments),
    sent on request through the existing queue, in chunks, by a cron of its own.

    The run keeps its selection (``move_ids``, ``payment_move_ids``) and how far it has queued
    them (the last id queued of each) in the database, committed with each chunk: an
    interrupted worker resumes where the last chunk ended. Documents already linked to a remote
    document when the run starts (``linked_move_ids``) are never sent again; the others are
    looked up by number before they are created (the adapters do it for every new document,
    and each record queued carries an attempt mark), so that running the same range again, or
    a document the provider already has, creates no duplicate."""

    _name = "qxs.export.run"
    _description = "QuickBooks / Xero historical export"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    connection_id = fields.Many2one(
        "qxs.connection", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    provider = fields.Selection(related="connection_id.provider")
    state = fields.Selection(
        const.EXPORT_STATES, required=True, default="running", tracking=True, readonly=True
    )
    # The criteria, as the wizard had them.
    date_from = fields.Date(readonly=True)
    date_to = fields.Date(readonly=True)
    include_invoices = fields.Boolean(string="Invoices", readonly=True)
    include_credit_notes = fields.Boolean(string="Credit notes", readonly=True)
    include_payments = fields.Boolean(string="Payments", readonly=True)
    team_ids = fields.Many2many("crm.team", string="Sales channels", readonly=True)
    chunk_size = fields.Integer(
        default=const.EXPORT_CHUNK_SIZE,
        readonly=True,
        help="Documents queued at a time; the next chunk waits until the queue has sent most "
        "of the previous one.",
    )
    # The selection, fixed at the start.
    move_ids = fields.Many2many(
        "account.move",
        "qxs_export_run_move_rel",
        "run_id",
        "move_id",
        string="Documents to send",
    )
    payment_move_ids = fields.Many2many(
        "account.move",
        "qxs_export_run_payment_rel",
        "run_id",
        "move_id",
        string="Payments to send",
    )
    linked_move_ids = fields.Many2many(
        "account.move",
        "qxs_export_run_linked_rel",
        "run_id",
        "move_id",
        string="Documents already linked",
        help="Linked to a remote document or payment when the run started: not sent again.",
    )
    document_cursor = fields.Integer(readonly=True, help="Last document queued (its id).")
    payment_cursor = fields.Integer(readonly=True, help="Last payment queued (its id).")
    sync_record_ids = fields.One2many("qxs.sync.record", "export_run_id", string="Sync records")
    # Counts, refreshed by the export cron (and kept as they were when the run ended).
    total_count = fields.Integer(string="Total", readonly=True)
    sent_count = fields.Integer(
        string="Sent or linked by number",
        readonly=True,
        help="Synced by this run: created remotely, or found there by number and linked.",
    )
    linked_count = fields.Integer(
        string="Already linked", readonly=True, help="Linked before the run: not sent again."
    )
    skipped_count = fields.Integer(
        string="Skipped",
        readonly=True,
        help="Already linked before the run, skipped by a No-sync sales channel, or a payment "
        "no longer allocated to a document.",
    )
    failed_count = fields.Integer(string="Failed", readonly=True)
    pending_count = fields.Integer(
        string="Pending", readonly=True, help="In the queue, or waiting for their chunk."
    )
    progress = fields.Float(readonly=True, aggregator="avg")
    start_date = fields.Datetime(default=fields.Datetime.now, readonly=True)
    end_date = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)

    def _compute_name(self):
        for run in self:
            run.name = _(
                "Historical export #%(id)s (%(range)s)",
                id=run.id or "",
                range=" - ".join(str(d) for d in (run.date_from, run.date_to) if d)
                or _("all dates"),
            )

    # ------------------------------------------------------------------ selection
    @api.model
    def _document_domain(self, criteria):
        """The posted customer documents of ``criteria`` (a wizard or a run), of any type."""
        domain = [
            ("company_id", "=", criteria.connection_id.company_id.id),
            ("state", "=", "posted"),
            ("move_type", "in", SYNCED_TYPES),
        ]
        if criteria.date_from:
            domain.append(("invoice_date", ">=", criteria.date_from))
        if criteria.date_to:
            domain.append(("invoice_date", "<=", criteria.date_to))
        if criteria.team_ids:
            domain.append(("team_id", "in", criteria.team_ids.ids))
        return domain

    @api.model
    def _linked_ids(self, connection, moves, purpose):
        """Ids of ``moves`` that have a remote copy for ``connection`` (a record with its id)."""
        if not moves:
            return set()
        recs = (
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", connection.id),
                    ("purpose", "=", purpose),
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", moves.ids),
                    ("remote_id", "!=", False),
                ]
            )
        )
        return set(recs.mapped("res_id"))

    @api.model
    def _selection(self, criteria):
        """{"documents", "payments", "linked"}: account.move recordsets (sudo) that ``criteria``
        (a wizard or a run) exports, and those already linked (skipped)."""
        Move = self.env["account.move"].sudo()
        empty = {"documents": Move, "payments": Move, "linked": Move}
        connection = criteria.connection_id
        if not connection:
            return empty
        types = [
            move_type
            for move_type, wanted in (
                ("out_invoice", criteria.include_invoices),
                ("out_refund", criteria.include_credit_notes),
            )
            if wanted
        ]
        in_range = Move.search(self._document_domain(criteria), order="id")
        linked_ids = self._linked_ids(connection, in_range, "document")
        documents = in_range.filtered(lambda m: m.move_type in types and m.id not in linked_ids)
        linked = in_range.filtered(lambda m: m.move_type in types and m.id in linked_ids)
        payments = Move
        if criteria.include_payments:
            units = self._payment_units(in_range, documents | in_range.browse(linked_ids))
            paid_linked = self._linked_ids(connection, units, "payment")
            payments = units.filtered(lambda m: m.id not in paid_linked)
            linked |= units.filtered(lambda m: m.id in paid_linked)
        return {"documents": documents, "payments": payments, "linked": linked}

    @api.model
    def _payment_units(self, documents, sendable):
        """The payment units (payments, credit notes applied, refunds) reconciled with
        ``documents`` whose documents are all in ``sendable`` (exported or linked): a payment
        of a document that is never sent would wait for it forever."""
        lines = documents.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        partials = lines.matched_debit_ids | lines.matched_credit_ids
        others = (partials.debit_move_id | partials.credit_move_id).move_id
        units = others.filtered(
            lambda m: m.state == "posted"
            and not m.qxs_origin_connection_id
            and m._qxs_payment_kind()
        )

        def sendable_unit(unit):
            docs = {doc.id for doc, _amount in unit._qxs_allocated_documents()}
            if unit.move_type == "out_refund":
                docs.add(unit.id)
            return docs and docs <= set(sendable.ids)

        return units.filtered(sendable_unit).sorted("id")

    # ------------------------------------------------------------------ start
    @api.model
    def _start(self, criteria, chunk_size=None):
        """Create a running run of ``criteria`` (a wizard); the export cron does the rest."""
        self.check_access("create")
        connection = criteria.connection_id
        if connection.state not in ("connected", "reconnect"):
            raise UserError(
                _("Connect %(conn)s before exporting its history.", conn=connection.display_name)
            )
        busy = self.search(
            [("connection_id", "=", connection.id), ("state", "in", ("running", "paused"))],
            limit=1,
        )
        if busy:
            raise UserError(
                _(
                    "%(run)s of this connection is not finished: resume it, or cancel it before "
                    "starting another export.",
                    run=busy.name,
                )
            )
        selection = self._selection(criteria)
        run = self.create(
            {
                "connection_id": connection.id,
                "date_from": criteria.date_from,
                "date_to": criteria.date_to,
                "include_invoices": criteria.include_invoices,
                "include_credit_notes": criteria.include_credit_notes,
                "include_payments": criteria.include_payments,
                "team_ids": [fields.Command.set(criteria.team_ids.ids)],
                "chunk_size": chunk_size
                or self.env.context.get("qxs_export_chunk_size")
                or const.EXPORT_CHUNK_SIZE,
                "move_ids": [fields.Command.set(selection["documents"].ids)],
                "payment_move_ids": [fields.Command.set(selection["payments"].ids)],
                "linked_move_ids": [fields.Command.set(selection["linked"].ids)],
            }
        )
        run.sudo()._refresh_counts()
        run.message_post(
            body=_(
                "Export started: %(count)s documents and payments to send, %(linked)s already "
                "linked (not sent again).",
                count=len(selection["documents"]) + len(selection["payments"]),
                linked=len(selection["linked"]),
            )
        )
        self.env.ref("qbo_xero_sync.ir_cron_qxs_export")._trigger()
        return run

    # ------------------------------------------------------------------ buttons
    def action_pause(self):
        self.check_access("write")  # accountants and Settings administrators
        self.filtered(lambda r: r.state == "running").write({"state": "paused"})

    def action_resume(self):
        self.check_access("write")  # accountants and Settings administrators
        self.filtered(lambda r: r.state == "paused").write({"state": "running"})
        self.env.ref("qbo_xero_sync.ir_cron_qxs_export")._trigger()

    def action_cancel(self):
        """Stop queueing; what is in the queue already is sent (it is posted and belongs
        there)."""
        self.check_access("write")  # accountants and Settings administrators
        for run in self.filtered(lambda r: r.state in ("running", "paused")):
            run.sudo()._refresh_counts()
            run.write({"state": "cancelled", "end_date": fields.Datetime.now()})
            run.message_post(body=run._report(_("Export cancelled.")))

    def _open_records(self, domain, name):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync.action_qxs_sync_record"
        )
        return dict(action, name=name, domain=[("export_run_id", "in", self.ids), *domain])

    def action_open_sent(self):
        return self._open_records([("state", "=", "synced")], _("Sent or linked by number"))

    def action_open_skipped(self):
        return self._open_records([("state", "=", "skipped")], _("Skipped"))

    def action_open_failed(self):
        return self._open_records([("state", "in", FAILED_STATES)], _("Failed"))

    def action_open_pending(self):
        return self._open_records([("state", "=", "pending")], _("Pending"))

    def action_open_linked(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Already linked"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.linked_move_ids.ids)],
        }

    # ------------------------------------------------------------------ the cron
    @api.model
    def _cron_export(self):
        """Queue the next chunk of each running run, refresh every unfinished run's counts and
        close the runs that are through. One run's failure is written on it, never raised."""
        can_commit = self.env["account.move"]._can_commit()
        for run_id in self.search([("state", "in", ("running", "paused"))], order="id").ids:
            run = self.browse(run_id)
            try:
                with self.env.cr.savepoint():
                    run._export_tick()
            except Exception as exc:  # one run's failure must not stop the others
                _logger.exception("qbo_xero_sync: historical export %s failed", run_id)
                message = _("The export could not queue its next chunk: %s", exc)
                if run.last_error != message:
                    run.write({"last_error": message})
                    run.message_post(body=message)
            if can_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _export_tick(self):
        """One step of this run: queue a chunk when the queue has room, then its counts."""
        self.ensure_one()
        # One worker at a time per run (a user's Pause waits for the chunk to be committed).
        self.env.cr.execute(
            "SELECT id FROM qxs_export_run WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
            [self.id],
        )
        if not self.env.cr.fetchone():
            return
        if self.state == "running" and self._queue_has_room():
            self._queue_chunk()
        self._refresh_counts()
        if self.state == "running" and self._through():
            self.write({"state": "done", "end_date": fields.Datetime.now()})
            self.message_post(body=self._report(_("Export done.")))
        if self.last_error:
            self.last_error = False

    def _threshold(self):
        return max(1, min(const.EXPORT_PENDING_THRESHOLD, self.chunk_size))

    def _pending_records(self):
        return (
            self.env["qxs.sync.record"]
            .sudo()
            .search([("export_run_id", "=", self.id), ("state", "=", "pending")])
        )

    def _queue_has_room(self):
        return len(self._pending_records() - self._blocked_payments()) < self._threshold()

    def _remaining(self):
        """(documents, payments) of the selection not queued yet, in the order of their ids."""
        documents = self.move_ids.filtered(lambda m: m.id > self.document_cursor).sorted("id")
        payments = self.payment_move_ids.filtered(lambda m: m.id > self.payment_cursor)
        payments = payments.sorted("id")
        return documents, payments

    def _queue_chunk(self):
        """Queue the next ``chunk_size`` documents, then payments (payments wait for their
        documents anyway), tag their records with the run, mark them as tried (so that the
        adapters look them up by number before any create) and wake the send cron."""
        documents, payments = self._remaining()
        documents = documents[: self.chunk_size]
        payments = payments[: self.chunk_size - len(documents)]
        if not documents and not payments:
            return
        connection = self.connection_id.sudo()
        Record = self.env["qxs.sync.record"].sudo()
        records = Record
        for move in documents:
            rec = Record._record_of(connection, move)
            if rec.remote_id or move.state != "posted":
                continue  # sent meanwhile, or cancelled since: nothing left to send
            if rec.state != "pending":
                # New, in error or skipped: queued (again); a No-sync channel skips it.
                rec = Record._enqueue(connection, move, skip_reason=move._qxs_skip_reason())
            records |= rec
        if payments:
            # The existing trigger computes each unit's values, allocations and skip reason.
            linked = self._linked_ids(connection, payments, "payment")
            payments.filtered(lambda m: m.id not in linked).with_context(
                qxs_from_remote=False
            )._qxs_enqueue_payments()
            for move in payments:
                rec = move._qxs_payment_record(connection)
                if rec and not rec.remote_id:
                    records |= rec
        records.write({"export_run_id": self.id})
        tried = records.filtered(lambda r: r.state == "pending" and not r.remote_id)
        self.env["qxs.send.attempt"]._mark(
            tried, {rec.id: rec.allocation_move_ids.ids for rec in tried}
        )
        self.write(
            {
                "document_cursor": documents[-1:].id or self.document_cursor,
                "payment_cursor": payments[-1:].id or self.payment_cursor,
            }
        )
        self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()

    def _blocked_payments(self):
        """Pending payment records of the run that wait for a document that is neither sent
        nor in the queue (in error, skipped...): they do not keep the run from ending."""
        payments = self._pending_records().filtered(lambda r: r.purpose == "payment")
        if not payments:
            return payments
        docs = payments.allocation_move_ids | payments.payment_move_id.filtered(
            lambda m: m.move_type == "out_refund"
        )
        synced = self._linked_ids(self.connection_id, docs, "document")
        queued = set(
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.connection_id.id),
                    ("purpose", "=", "document"),
                    ("state", "=", "pending"),
                    ("move_id", "in", docs.ids),
                ]
            )
            .mapped("move_id")
            .ids
        )

        def blocked(rec):
            waited = set(rec.allocation_move_ids.ids)
            if rec.payment_move_id.move_type == "out_refund":
                waited.add(rec.payment_move_id.id)
            return bool(waited - synced - queued)

        return payments.filtered(blocked)

    def _through(self):
        documents, payments = self._remaining()
        return (
            not documents
            and not payments
            and not (self._pending_records() - self._blocked_payments())
        )

    def _refresh_counts(self):
        for run in self:
            data = dict(
                self.env["qxs.sync.record"]
                .sudo()
                ._read_group([("export_run_id", "=", run.id)], ["state"], ["__count"])
            )
            documents, payments = run._remaining()
            selected = len(run.move_ids) + len(run.payment_move_ids)
            queued = selected - len(documents) - len(payments)
            linked = len(run.linked_move_ids)
            total = selected + linked
            recorded = sum(data.values())
            # Queued items without a record of the run: sent meanwhile by someone else (a
            # document), or no longer allocated (a payment): nothing was left for the run.
            nothing_left = max(0, queued - recorded)
            sent = data.get("synced", 0)
            failed = sum(data.get(state, 0) for state in FAILED_STATES)
            pending = data.get("pending", 0) + len(documents) + len(payments)
            skipped = linked + data.get("skipped", 0) + nothing_left
            run.write(
                {
                    "total_count": total,
                    "sent_count": sent,
                    "linked_count": linked,
                    "skipped_count": skipped,
                    "failed_count": failed,
                    "pending_count": pending,
                    "progress": 100.0 * (total - pending) / total if total else 100.0,
                }
            )

    def _report(self, title):
        """The chatter summary of the run's numbers."""
        self.ensure_one()
        report = _(
            "%(title)s %(total)s documents and payments: %(sent)s sent or linked by number, "
            "%(skipped)s skipped (%(linked)s already linked), %(failed)s failed, %(pending)s "
            "pending.",
            title=title,
            total=self.total_count,
            sent=self.sent_count,
            skipped=self.skipped_count,
            linked=self.linked_count,
            failed=self.failed_count,
            pending=self.pending_count,
        )
        blocked = len(self._blocked_payments())
        if blocked:
            report += " " + _(
                "%(count)s payments wait for documents that failed: fix those documents and "
                "send them again (or export the range again); the payments follow.",
                count=blocked,
            )
        return report
