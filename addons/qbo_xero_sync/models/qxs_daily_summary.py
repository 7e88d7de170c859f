from collections import defaultdict

from odoo import _, api, fields, models

from .. import const
from ..exceptions import SyncError


class QxsDailySummary(models.Model):
    """One summary invoice (or credit note) of a sales channel set to "Daily summary": the
    channel's documents of one day, in one currency, sent as one document to the channel's
    summary customer, lines grouped by revenue code and tax code.

    The summary is a document of the queue like any other (its sync record, purpose
    ``summary``, is sent by the same cron through the adapters' ``push_documents`` /
    ``void_documents``); the documents it carries have their own sync record skipped with the
    reason and linked to it (``qxs.sync.record.summary_id``): they are never sent alone."""

    _name = "qxs.daily.summary"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Daily sales summary"
    _order = "date desc, id desc"

    name = fields.Char(string="Number", required=True, readonly=True, copy=False)
    connection_id = fields.Many2one(
        "qxs.connection", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    provider = fields.Selection(related="connection_id.provider")
    team_id = fields.Many2one(
        "crm.team", string="Sales channel", required=True, readonly=True, ondelete="cascade"
    )
    date = fields.Date(required=True, readonly=True, index=True)
    revision = fields.Integer(
        readonly=True,
        copy=False,
        help="Bumped when the summary is sent anew after its remote copy was voided: the "
        "providers keep a voided document's number, so the new copy's number ends with it.",
    )
    kind = fields.Selection(const.SUMMARY_KINDS, required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", related="team_id.qxs_summary_partner_id"
    )
    document_record_ids = fields.One2many(
        "qxs.sync.record", "summary_id", string="Sync records of the documents"
    )
    move_ids = fields.Many2many(
        "account.move", string="Documents", compute="_compute_moves", compute_sudo=True
    )
    move_count = fields.Integer(
        string="Number of documents", compute="_compute_moves", compute_sudo=True
    )
    amount_untaxed = fields.Monetary(string="Untaxed", compute="_compute_moves", compute_sudo=True)
    amount_tax = fields.Monetary(string="Tax", compute="_compute_moves", compute_sudo=True)
    amount_total = fields.Monetary(string="Total", compute="_compute_moves", compute_sudo=True)
    sync_record_id = fields.Many2one(
        "qxs.sync.record", string="Sync record", compute="_compute_sync", compute_sudo=True
    )
    sync_state = fields.Selection(
        const.SYNC_STATES + [("none", "Not queued")],
        string="Sync status",
        compute="_compute_sync",
        compute_sudo=True,
    )
    sync_error = fields.Text(compute="_compute_sync", compute_sudo=True)
    remote_number = fields.Char(compute="_compute_sync", compute_sudo=True)
    remote_url = fields.Char(compute="_compute_sync", compute_sudo=True)
    remote_status = fields.Selection(
        const.REMOTE_STATUSES, compute="_compute_sync", compute_sudo=True
    )
    remote_total = fields.Float(compute="_compute_sync", compute_sudo=True)
    total_mismatch = fields.Boolean(compute="_compute_sync", compute_sudo=True)

    _sql_constraints = [
        (
            "summary_uniq",
            "unique(connection_id, team_id, date, kind, currency_id)",
            "A sales channel has one summary per connection, day, kind and currency.",
        ),
    ]

    @api.depends("document_record_ids.move_id.state", "document_record_ids.move_id.amount_total")
    def _compute_moves(self):
        for summary in self:
            moves = summary._carried_moves()
            summary.move_ids = moves
            summary.move_count = len(moves)
            summary.amount_untaxed = sum(moves.mapped("amount_untaxed"))
            summary.amount_tax = sum(moves.mapped("amount_tax"))
            summary.amount_total = sum(moves.mapped("amount_total"))

    def _compute_sync(self):
        for summary in self:
            rec = summary._sync_record()
            summary.sync_record_id = rec
            summary.sync_state = rec.state or "none"
            summary.sync_error = rec.last_error
            summary.remote_number = rec.remote_number
            summary.remote_url = rec.remote_url
            summary.remote_status = rec.remote_status
            summary.remote_total = rec.remote_total
            summary.total_mismatch = rec.total_mismatch

    def _sync_record(self):
        self.ensure_one()
        return self.env["qxs.sync.record"]._record_of(self.connection_id, self, "summary")

    def _carried_moves(self):
        """The posted documents this summary carries (sudo)."""
        self.ensure_one()
        moves = self.sudo().document_record_ids.move_id
        return moves.filtered(lambda m: m.state == "posted").sorted("id")

    # ------------------------------------------------------------------ carrying documents
    @api.model
    def _number(self, team, date, kind, currency, company, revision=0):
        """Derived from the channel and the day (the same number for every update): "DS" (an
        invoice) or "DC" (a credit note), the channel's id, the date, the currency when it is
        not the company's, and the revision once a voided summary is sent anew (QuickBooks
        and Xero keep a voided document's number). At most 21 characters (QuickBooks'
        DocNumber): the date loses its century first."""
        suffix = f"-{currency.name}" if currency != company.currency_id else ""
        if revision:
            suffix += f"-{revision + 1}"
        prefix = f"{const.SUMMARY_NUMBER_PREFIXES[kind]}{team.id}-"
        number = f"{prefix}{date:%Y%m%d}{suffix}"
        if len(number) > const.QBO_DOCNUMBER_MAX:
            number = f"{prefix}{date:%y%m%d}{suffix}"
        return number

    @api.model
    def _summary_of(self, connection, move):
        """The summary that carries ``move`` on ``connection`` (created when missing)."""
        kind = "credit_note" if move.move_type == "out_refund" else "invoice"
        date = move.invoice_date or move.date
        key = {
            "connection_id": connection.id,
            "team_id": move.team_id.id,
            "date": date,
            "kind": kind,
            "currency_id": move.currency_id.id,
        }
        summary = self.sudo().search([(k, "=", v) for k, v in key.items()], limit=1)
        if not summary:
            move.team_id._qxs_summary_partner()
            summary = self.sudo().create(
                {
                    **key,
                    "name": self._number(
                        move.team_id, date, kind, move.currency_id, connection.company_id
                    ),
                }
            )
        return summary

    @api.model
    def _carries(self, connection, move):
        """True when ``move`` goes in a daily summary of ``connection``: a posted document of
        a channel set to "Daily summary" that was never sent alone (one sent before the
        channel was switched stays a document of its own)."""
        if move._name != "account.move" or move.state != "posted":
            return False
        if move.team_id.qxs_invoice_sync_type != "summary":
            return False
        rec = self.env["qxs.sync.record"]._record_of(connection, move)
        return not (rec.remote_id and rec.remote_status not in ("voided", "deleted"))

    @api.model
    def _carry(self, connection, move, queue=True):
        """Put ``move`` in its day's summary (its own sync record skipped with the reason and
        linked to it) and queue the summary (``queue`` False: the caller queues the summaries
        of a batch once); return the move's sync record."""
        Record = self.env["qxs.sync.record"].sudo()
        summary = self._summary_of(connection, move)
        rec = Record._record_of(connection, move)
        vals = {
            "state": "skipped",
            "action": "push",
            "summary_id": summary.id,
            "skip_reason": _("Sent in the daily summary %s.", summary.name),
            "attempts": 0,
            "next_attempt": False,
            "last_error": False,
        }
        previous = rec.summary_id
        if rec:
            rec.write(vals)
        else:
            rec = Record.create(
                {
                    "connection_id": connection.id,
                    "purpose": "document",
                    "res_model": move._name,
                    "res_id": move.id,
                    "move_id": move.id,
                    **vals,
                }
            )
        if previous and previous != summary:
            previous._queue()
        if queue:
            summary._queue()
        return rec

    def _release(self, moves, reason):
        """``moves`` leave their summaries (reset to draft, cancelled): their records say why,
        and each summary is sent again (voided when no document is left)."""
        recs = (
            self.env["qxs.sync.record"]
            .sudo()
            .search([("summary_id", "!=", False), ("move_id", "in", moves.ids)])
        )
        summaries = recs.summary_id
        for rec in recs:
            rec.write(
                {
                    "summary_id": False,
                    "state": "skipped",
                    "skip_reason": reason % {"summary": rec.summary_id.name},
                }
            )
        summaries._queue()
        return summaries

    def _queue(self):
        """Send these summaries (again, as an update of the same remote document); a summary
        left without documents is voided where it may exist."""
        Record = self.env["qxs.sync.record"].sudo()
        for summary in self.sudo():
            rec = summary._sync_record()
            if summary._carried_moves():
                if rec.remote_status == "voided":
                    summary._renumber()
                Record._enqueue(summary.connection_id, summary, "summary", "push")
            elif rec:
                rec._void_or_skip(on_cancel=False)

    def _renumber(self):
        """The remote copy was voided: the next copy takes the next revision's number."""
        self.ensure_one()
        revision = self.revision + 1
        name = self._number(
            self.team_id,
            self.date,
            self.kind,
            self.currency_id,
            self.connection_id.company_id,
            revision,
        )
        self.write({"revision": revision, "name": name})
        self.document_record_ids.write({"skip_reason": _("Sent in the daily summary %s.", name)})

    # ------------------------------------------------------------------ payload
    def _qxs_document_values(self, connection, strict=True):
        """The summary as one document: the plain values ``account.move._qxs_document_values``
        gives the adapters, its lines the day's lines grouped by revenue code and tax codes.

        With ``strict``, a document whose mapping is missing refuses the summary (its
        problems, named by document); without, what a void needs."""
        self.ensure_one()
        moves = self._carried_moves()
        problems = []
        groups = defaultdict(lambda: {"price_subtotal": 0.0, "price_total": 0.0})
        for move in moves:
            try:
                values = move._qxs_document_values(connection, strict=strict)
            except SyncError as exc:
                problems.append(f"{move.name}: {exc.message}")
                continue
            for line in values["lines"]:
                key = (line["revenue_code"], tuple(line["tax_codes"]), line["tax_included"])
                groups[key]["price_subtotal"] += line["price_subtotal"]
                groups[key]["price_total"] += line["price_total"]
        if problems and strict:
            raise SyncError("\n".join(problems))
        currency = self.currency_id
        lines = []
        for (code, tax_codes, included), amounts in sorted(groups.items()):
            subtotal = currency.round(amounts["price_subtotal"])
            total = currency.round(amounts["price_total"])
            description = (
                _("Sales %(code)s, tax %(tax)s", code=code, tax=", ".join(tax_codes))
                if tax_codes
                else _("Sales %(code)s, no tax", code=code)
            )
            lines.append(
                {
                    "description": description,
                    "product_name": description,
                    "product_code": "",
                    "revenue_code": code,
                    "quantity": 1.0,
                    "price_unit": total if included else subtotal,
                    "discount": 0.0,
                    "price_subtotal": subtotal,
                    "price_total": total,
                    "tax_codes": list(tax_codes),
                    "tax_included": included,
                    "class_name": self._team_source(connection.class_source),
                    "tracking": [],
                }
            )
        if strict and not lines:
            raise SyncError(_("The daily summary %s carries no document to send.", self.name))
        first = moves[:1] or self.env["account.move"]
        memo = _(
            "Daily summary of %(team)s, %(date)s: %(docs)s",
            team=self.team_id.name,
            date=self.date,
            docs=", ".join(moves.mapped("name")),
        )
        return {
            "kind": self.kind,
            "number": self.name,
            "date": self.date,
            "due_date": self.date,
            "currency": currency.name,
            "reference": "",
            "memo": memo[: const.SUMMARY_MEMO_MAX],
            "amount_untaxed": self.amount_untaxed,
            "amount_tax": self.amount_tax,
            # The sum of the documents' rounded taxes is the summary's tax, as is (QuickBooks'
            # US sales tax would otherwise be computed on the summary's total, cents apart).
            "tax_fixed": True,
            "amount_total": self.amount_total,
            "partner": self.team_id._qxs_summary_partner()._qxs_customer_values(currency),
            "lines": lines,
            "origin": None,
            "rate": first and first._qxs_rate(currency, self.date),
            "term": "",
            "class_name": self._team_source(connection.class_source),
            "location": self._team_source(connection.location_source),
            "reference_on_statement": connection.reference_on_statement,
            "ship_date": None,
        }

    def _team_source(self, source):
        """A class / location taken from the sales team is the channel's name; the other
        sources (warehouse, analytic) differ per document: none on a summary."""
        return (self.team_id.name or "") if source == "team" else ""

    def _qxs_expected_remote_total(self, connection):
        """The total the provider should have: the sum of what it would have of each document
        (a credit note's refunds taken off as for documents sent alone)."""
        self.ensure_one()
        return sum(m._qxs_expected_remote_total(connection) for m in self._carried_moves())

    # ------------------------------------------------------------------ actions
    def action_open_documents(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Documents of %s", self.name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.move_ids.ids)],
        }

    def action_open_remote(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.remote_url, "target": "new"}

    def action_send_again(self):
        """Send again (e.g. after fixing a mapping). Accountants only."""
        self.check_access("write")
        self._queue()
