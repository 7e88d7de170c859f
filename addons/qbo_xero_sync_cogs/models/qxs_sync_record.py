from odoo import _, fields, models

from odoo.addons.qbo_xero_sync import const
from odoo.addons.qbo_xero_sync.exceptions import SyncError


class QxsSyncRecord(models.Model):
    """Cost of goods sold journals: one record (purpose ``cogs``) per sale document and
    connection. The cost is computed when the record is queued and kept on it, so that every
    retry sends the same payload (and the same idempotency key)."""

    _inherit = "qxs.sync.record"

    purpose = fields.Selection(
        selection_add=[("cogs", "Cost of goods sold")], ondelete={"cogs": "cascade"}
    )
    cogs_move_ids = fields.Many2many(
        "stock.move",
        "qxs_sync_record_cogs_stock_move_rel",
        "record_id",
        "stock_move_id",
        string="Stock moves",
        copy=False,
        help="The deliveries and returns whose cost this journal carries.",
    )
    cogs_values = fields.Json(
        string="Cost per product", copy=False, help="Frozen when the journal is queued."
    )
    cogs_amount = fields.Float(
        string="Cost", copy=False, help="Cost of goods sold of the document, company currency."
    )
    cogs_date = fields.Date(related="move_id.invoice_date", string="Document date")

    def _handlers(self):
        handlers = super()._handlers()
        handlers.update(
            {
                ("cogs", "push"): lambda adapter, jobs: adapter.push_journals(jobs),
                ("cogs", "void"): lambda adapter, jobs: adapter.void_journals(jobs),
            }
        )
        return handlers

    def _kind(self):
        return "journal" if self.purpose == "cogs" else super()._kind()

    def _job_values(self, strict=True):
        if self.purpose != "cogs":
            return super()._job_values(strict)
        if strict:
            return self._journal_values()
        try:
            return self._journal_values()
        except SyncError:  # a void needs no account mapping
            return {"number": self._cogs_number(self.move_id)}

    def _cogs_redo(self):
        """True when the journal may be computed and sent again (failed, skipped, or voided
        or deleted remotely)."""
        self.ensure_one()
        return self.state in ("error", "skipped", "remote_deleted") or (
            self.state == "synced" and self.remote_status in ("voided", "deleted")
        )

    # ------------------------------------------------------------------ payload
    def _cogs_number(self, move):
        """ "COGS " + the document's name, cut from the left so that the sequence number stays
        (QuickBooks' DocNumber holds 21 characters)."""
        prefix = "COGS "
        room = const.QBO_DOCNUMBER_MAX - len(prefix)
        name = move.name or ""
        return prefix + (name if len(name) <= room else name[-room:])

    def _journal_values(self):
        """The provider-neutral journal of a cost of goods sold record.

        Goods out (an invoice): debit the COGS account, credit the inventory account; goods
        back (a credit note for returned goods): the reverse. Raises SyncError before any call
        when an account is not mapped."""
        self.ensure_one()
        if self.purpose != "cogs":
            parent = getattr(super(), "_journal_values", None)
            if parent is None:
                raise SyncError(_("This record has no journal."))
            return parent()
        conn = self.connection_id
        move = self._target()
        cogs_code = (conn.cogs_account_code or "").strip()
        stock_code = (conn.inventory_account_code or "").strip()
        problems = []
        if not cogs_code:
            problems.append(
                _(
                    "No cost of goods sold account is set for %(conn)s: set it in Settings > "
                    "QuickBooks Online / Xero > Cost of goods sold.",
                    conn=conn.display_name,
                )
            )
        if not stock_code:
            problems.append(
                _(
                    "No inventory asset account is set for %(conn)s: set it in Settings > "
                    "QuickBooks Online / Xero > Cost of goods sold.",
                    conn=conn.display_name,
                )
            )
        if problems:
            raise SyncError("\n".join(problems))
        currency = move.company_id.currency_id
        lines = []
        total = 0.0
        for item in self.cogs_values or []:
            amount = currency.round(item["amount"])
            if currency.is_zero(amount):
                continue
            total += amount
            lines.append(
                {
                    "account_code": cogs_code,
                    "role": "cogs",
                    "debit": amount if amount > 0 else 0.0,
                    "credit": -amount if amount < 0 else 0.0,
                    "description": item["description"],
                }
            )
        total = currency.round(total)
        if currency.is_zero(total):
            raise SyncError(_("The document has no cost of goods sold to export."))
        lines.append(
            {
                "account_code": stock_code,
                "role": "inventory",
                "debit": -total if total < 0 else 0.0,
                "credit": total if total > 0 else 0.0,
                "description": _("Inventory: %s", move.name),
            }
        )
        kind = _("credit note") if move.move_type == "out_refund" else _("invoice")
        return {
            "number": self._cogs_number(move),
            "date": move.invoice_date or move.date,
            "narration": _(
                "Cost of goods sold of %(kind)s %(doc)s (%(partner)s), from Odoo's stock "
                "valuation.",
                kind=kind,
                doc=move.name,
                partner=move.commercial_partner_id.display_name,
            ),
            "currency": currency.name,
            "lines": lines,
        }

    # ------------------------------------------------------------------ outcomes
    def _after_success(self, target, action, result):
        if self.purpose != "cogs":
            return super()._after_success(target, action, result)
        provider = self._provider_label()
        if action == "void":
            body = _(
                "Cost of goods sold journal %(status)s in %(provider)s.",
                status=_("deleted") if self.remote_status == "deleted" else _("voided"),
                provider=provider,
            )
        else:
            body = _(
                "Cost of goods sold journal sent to %(provider)s as %(number)s " "(%(amount)s).",
                provider=provider,
                number=self.remote_number or self.remote_id,
                amount=target.company_id.currency_id.format(self.cogs_amount),
            )
        if result.message:
            body = f"{body} {result.message}"
        target.message_post(body=body)
