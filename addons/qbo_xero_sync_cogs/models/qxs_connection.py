import logging

from markupsafe import Markup

from odoo import _, api, fields, models

from odoo.addons.qbo_xero_sync.models.qxs_remote_account import remote_account_domain

from ..adapters.journal_checks import role_types
from .account_move import COGS_TYPES

_logger = logging.getLogger(__name__)


class QxsConnection(models.Model):
    _inherit = "qxs.connection"

    cogs_account_code = fields.Char(
        string="COGS account",
        help="Cost of goods sold account in the provider: QuickBooks account number or name "
        "(e.g. “Cost of Goods Sold”), Xero account code of a Direct Costs account (e.g. 310).",
    )
    inventory_account_code = fields.Char(
        string="Inventory asset account",
        help="Inventory asset account in the provider: QuickBooks account number or name "
        "(e.g. “Inventory Asset”), Xero account code (e.g. 630).",
    )
    cogs_account_id = fields.Many2one(
        "qxs.remote.record",
        string="COGS account from the chart",
        compute="_compute_remote_account_pickers",
        inverse="_inverse_remote_account_pickers",
        domain=remote_account_domain(role_types("cogs")),
        help="Pick the COGS account among the accounts loaded from the provider.",
    )
    inventory_account_id = fields.Many2one(
        "qxs.remote.record",
        string="Inventory account from the chart",
        compute="_compute_remote_account_pickers",
        inverse="_inverse_remote_account_pickers",
        domain=remote_account_domain(role_types("inventory")),
        help="Pick the inventory asset account among the accounts loaded from the provider.",
    )
    cogs_start_date = fields.Date(
        string="Export COGS from",
        default=fields.Date.context_today,
        help="The daily export takes the invoices and credit notes dated from this day on "
        "(empty: all). The Export or void COGS wizard ignores it.",
    )

    def _adapter_class(self):
        """The adapters of this addon also send and void journals."""
        from ..adapters.qbo import QboJournalAdapter
        from ..adapters.xero import XeroJournalAdapter

        journal_adapters = {"qbo": QboJournalAdapter, "xero": XeroJournalAdapter}
        return journal_adapters.get(self.provider) or super()._adapter_class()

    def _qxs_account_pickers(self):
        return {
            **super()._qxs_account_pickers(),
            "cogs_account_id": "cogs_account_code",
            "inventory_account_id": "inventory_account_code",
        }

    @api.onchange("cogs_account_id", "inventory_account_id")
    def _onchange_cogs_account_pickers(self):
        self._onchange_remote_account_pickers()

    # ------------------------------------------------------------------ export
    def _cogs_documents(self, date_from=None, date_to=None):
        """Posted customer invoices and credit notes of this connection's company with
        delivered (or returned) goods, oldest first."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("state", "=", "posted"),
            ("move_type", "in", COGS_TYPES),
            ("invoice_line_ids.sale_line_ids.move_ids.state", "=", "done"),
        ]
        if date_from:
            domain.append(("invoice_date", ">=", date_from))
        if date_to:
            domain.append(("invoice_date", "<=", date_to))
        return self.env["account.move"].sudo().search(domain, order="invoice_date, id")

    def _cogs_export(self, date_from=None, date_to=None, moves=None, retry=False):
        """Queue the cost of goods sold journals still to send; return the records queued.

        Without ``retry`` (the daily run) only documents without a journal record are taken
        (or whose record a cancellation released, when they are posted again).
        With ``retry`` (the wizard, the invoice's retry button) failed, skipped and voided or
        deleted journals are computed and queued again (a voided one as a new journal).
        Documents whose goods are not delivered yet get no record: a later run takes them."""
        self.ensure_one()
        Record = self.env["qxs.sync.record"].sudo()
        if moves is None:
            moves = self._cogs_documents(date_from, date_to)
        existing = Record.search(
            [
                ("connection_id", "=", self.id),
                ("purpose", "=", "cogs"),
                ("res_model", "=", "account.move"),
            ]
        )
        by_move = {rec.res_id: rec for rec in existing}
        claimed = existing.cogs_move_ids
        queued = Record
        for move in moves.sudo():
            rec = by_move.get(move.id, Record)
            # A record without stock moves was released by a cancellation: the document was
            # posted again, its cost is computed anew.
            if rec and rec.cogs_move_ids and not (retry and rec._cogs_redo()):
                continue
            if rec.state == "pending":
                continue
            try:
                with self.env.cr.savepoint():
                    rec = self._cogs_queue(move, rec, claimed)
            except Exception as exc:  # recorded on the document's journal record, never lost
                _logger.exception("qbo_xero_sync_cogs: computing the COGS of %s failed", move)
                rec = Record._enqueue(self, move, purpose="cogs")
                rec._record_failure(exc)
            if rec:
                claimed |= rec.cogs_move_ids
                queued |= rec
        return queued

    def _cogs_queue(self, move, rec, claimed):
        """Compute one document's cost and queue its journal; return the record (an empty one
        when the goods are not delivered or returned yet: a later run takes the document)."""
        Record = self.env["qxs.sync.record"].sudo()
        found = move._qxs_cogs_compute(claimed - rec.cogs_move_ids)
        if not found:
            return Record
        stock_moves, values = found
        amount = move.company_id.currency_id.round(sum(v["amount"] for v in values))
        reason = move._qxs_skip_reason("cogs")
        if not reason and move.company_id.currency_id.is_zero(amount):
            reason = _("The goods have no cost in Odoo's stock valuation: nothing to send.")
        rec = Record._enqueue(self, move, purpose="cogs", skip_reason=reason)
        rec.write(
            {
                "cogs_move_ids": [fields.Command.set(stock_moves.ids)],
                "cogs_values": values,
                "cogs_amount": amount,
            }
        )
        return rec

    def _cogs_void(self, date_from, date_to):
        """Queue the voiding of the journals of the documents dated in the range; journals not
        sent yet are simply not sent. Return the records concerned."""
        self.ensure_one()
        recs = (
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.id),
                    ("purpose", "=", "cogs"),
                    ("move_id.invoice_date", ">=", date_from),
                    ("move_id.invoice_date", "<=", date_to),
                ]
            )
        )
        recs = recs.filtered(
            lambda r: r.state != "remote_deleted"
            and r.remote_status not in ("voided", "deleted")
            and (r.remote_id or r.state in ("pending", "error"))
        )
        recs._void_or_skip(on_cancel=False)
        return recs

    # ------------------------------------------------------------------ daily run
    @api.model
    def _cron_export_cogs(self):
        """Daily: queue the journals of every connected company, send them at once (the same
        path as the sync cron), alert the administrators of what failed, and leave the rest
        (retries) to the sync cron."""
        Record = self.env["qxs.sync.record"]
        queued = {}
        for conn in self.sudo().search([("state", "=", "connected")]):
            try:
                with self.env.cr.savepoint():
                    queued[conn] = conn._cogs_export(date_from=conn.cogs_start_date)
            except Exception:  # logged; the next daily run takes the same documents
                _logger.exception("qbo_xero_sync_cogs: the COGS export of %s failed", conn)
        if not any(queued.values()):
            return
        Record._cron_sync()
        for conn, recs in queued.items():
            conn._cogs_alert(recs)
        self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()

    def _cogs_alert(self, records):
        """Tell the Settings administrators which journals of a daily run failed."""
        self.ensure_one()
        records = records.exists()
        failed = records.filtered(
            lambda r: r.state == "error" or (r.state == "pending" and r.last_error)
        )
        if not failed:
            return
        items = Markup("").join(
            Markup("<li>%s: %s</li>") % (rec.display_name, rec.last_error) for rec in failed[:50]
        )
        body = _(
            "Cost of goods sold export: %(failed)s of %(total)s journals failed (the failures "
            "waiting for a retry included). Fix the causes, then use Export or void COGS.",
            failed=len(failed),
            total=len(records),
        )
        self._notify_admins(Markup("<p>%s</p><ul>%s</ul>") % (body, items))
        _logger.warning("qbo_xero_sync_cogs: %s COGS journals failed for %s", len(failed), self)
