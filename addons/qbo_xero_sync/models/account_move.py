from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero, html2plaintext

from .. import const
from ..adapters import document_kind
from ..exceptions import SyncError

SYNCED_TYPES = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    qxs_sync_record_ids = fields.One2many("qxs.sync.record", "move_id", string="Sync records")
    qxs_sync_state = fields.Selection(
        const.SYNC_STATES + [("none", "Not synced")],
        string="Sync status",
        compute="_compute_qxs_sync",
        search="_search_qxs_sync_state",
    )
    qxs_sync_error = fields.Text(string="Sync error", compute="_compute_qxs_sync")
    qxs_skip_reason = fields.Char(compute="_compute_qxs_sync")
    qxs_remote_number = fields.Char(string="Remote number", compute="_compute_qxs_sync")
    qxs_remote_url = fields.Char(compute="_compute_qxs_sync")
    qxs_provider_label = fields.Char(string="Provider", compute="_compute_qxs_sync")
    qxs_total_mismatch_note = fields.Char(string="Total difference", compute="_compute_qxs_sync")

    def _qxs_document_record(self):
        """The sync record of this document for its company's current connection (sudo: who
        may read the invoice may read its sync status, not the connection's secrets)."""
        self.ensure_one()
        recs = self.sudo().qxs_sync_record_ids.filtered(lambda r: r.purpose == "document")
        return recs.sorted("id", reverse=True)[:1]

    @api.depends("qxs_sync_record_ids.state", "qxs_sync_record_ids.last_error")
    def _compute_qxs_sync(self):
        for move in self:
            rec = move._qxs_document_record()
            provider = dict(const.PROVIDERS).get(rec.provider, "")
            move.qxs_sync_state = rec.state or "none"
            move.qxs_sync_error = rec.last_error
            move.qxs_skip_reason = rec.skip_reason
            move.qxs_remote_number = rec.remote_number
            move.qxs_remote_url = rec.remote_url
            move.qxs_provider_label = provider
            move.qxs_total_mismatch_note = rec.total_mismatch and _(
                "The total in %(p)s is %(remote)s while Odoo's is %(local)s: check the taxes "
                "(QuickBooks' automated sales tax or Xero's rounding may have changed them).",
                p=provider,
                remote=move.currency_id.format(rec.remote_total),
                local=move.currency_id.format(rec.local_total),
            )

    def _search_qxs_sync_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            return [("id", "=", 0)]
        values = [value] if isinstance(value, str) else list(value)
        positive = operator in ("=", "in")
        recs = (
            self.env["qxs.sync.record"]
            .sudo()
            ._search(
                [("purpose", "=", "document"), ("state", "in", [v for v in values if v != "none"])]
            )
        )
        domain = [("qxs_sync_record_ids", "any", [("id", "in", recs)])]
        if "none" in values:
            no_document = [("qxs_sync_record_ids", "not any", [("purpose", "=", "document")])]
            domain = ["|", *no_document, *domain]
        return domain if positive else ["!"] + domain

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent_remotely(self):
        """A document that exists in QuickBooks or Xero is cancelled (which voids it there),
        never deleted: the remote copy would be left behind without a trace."""
        for move in self:
            rec = move._qxs_document_record()
            if rec.remote_id and rec.remote_status not in ("voided", "deleted"):
                raise UserError(
                    _(
                        "%(move)s exists in %(p)s as %(number)s: cancel it instead of deleting "
                        "it (cancelling voids it there).",
                        move=move.display_name,
                        p=move.qxs_provider_label,
                        number=rec.remote_number or rec.remote_id,
                    )
                )

    # ------------------------------------------------------------------ hooks
    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._qxs_enqueue_documents()
        return posted

    def button_cancel(self):
        to_void = self.filtered(lambda m: m.state in ("posted", "draft"))
        res = super().button_cancel()
        if not self.env.context.get("qxs_from_remote"):
            to_void._qxs_enqueue_void()
        return res

    def _qxs_enqueue_documents(self):
        """Record that posted customer invoices and credit notes must be sent (no network)."""
        Summary = self.env["qxs.daily.summary"]
        summaries = Summary
        for move in self.filtered(lambda m: m.move_type in SYNCED_TYPES):
            connection = self.env["qxs.connection"].sudo()._for_company(move.company_id)
            if not connection:
                continue
            skip_reason = move._qxs_skip_reason()
            if not skip_reason and Summary._carries(connection, move):
                # A channel in daily summary mode: the day's summary carries it; the summaries
                # of a batch posted together are queued once.
                summaries |= Summary._carry(connection, move, queue=False).summary_id
                continue
            self.env["qxs.sync.record"]._enqueue(connection, move, skip_reason=skip_reason)
        summaries._queue()

    def _qxs_skip_reason(self, purpose="document"):
        """Why this document must not be sent (None: send it)."""
        self.ensure_one()
        return self.team_id._qxs_skip_reason(purpose)

    def _qxs_enqueue_void(self):
        for move in self:
            move._qxs_document_record()._void_or_skip()

    # ------------------------------------------------------------------ actions
    def action_qxs_retry(self):
        """Send again (error or skipped documents), e.g. the "send skipped" action. Who may
        change the invoices may ask for it."""
        self.check_access("write")
        recs = (
            self.sudo()
            .mapped("qxs_sync_record_ids")
            .filtered(lambda r: r.purpose == "document" and r.state in ("error", "skipped"))
        )
        recs.action_retry()
        missing = self.filtered(lambda m: m.state == "posted" and not m._qxs_document_record())
        missing._qxs_enqueue_documents()

    def action_qxs_open_remote(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.qxs_remote_url, "target": "new"}

    # ------------------------------------------------------------------ statuses back
    def _qxs_apply_remote_void(self, provider):
        """Voided remotely: cancel this posted document, all or nothing (a savepoint), and say
        so; if Odoo refuses, say why and leave the document as it was."""
        self.ensure_one()
        if self.state != "posted":
            return
        move = self.with_context(qxs_from_remote=True)
        # The units reconciled with it (payments, credit notes applied, itself when a credit
        # note) lose that allocation: the provider still has it (e.g. the zero-amount
        # QuickBooks payment applying a voided credit memo), so they are queued as usual.
        units = self | self.line_ids.matched_debit_ids.debit_move_id.move_id
        units |= self.line_ids.matched_credit_ids.credit_move_id.move_id
        try:
            with self.env.cr.savepoint():
                move.button_draft()
                move.button_cancel()
        except UserError as exc:
            self.message_post(
                body=_(
                    "Voided in %(p)s, but Odoo could not cancel it: %(e)s",
                    p=provider,
                    e=exc.args[0],
                )
            )
            return
        units.exists().with_context(qxs_from_remote=False)._qxs_enqueue_payments()
        self.message_post(body=_("Voided in %s: the invoice is cancelled.", provider))

    def _qxs_apply_remote_payment(self, remote, registered, connection, remote_number, paid=None):
        """Register the cash received remotely that Odoo does not have yet, and return the
        remote cash now accounted for. ``registered`` is the remote cash already accounted for;
        ``paid`` the remote cash that did not come from Odoo (default: all of it). Credits
        allocated remotely are never cash: Odoo's reconciliation is the reference."""
        self.ensure_one()
        provider = dict(const.PROVIDERS)[connection.provider]
        currency = self.currency_id
        paid = (remote.amount_paid or 0.0) if paid is None else paid
        new_amount = paid - registered
        if new_amount < 0 or float_is_zero(new_amount, precision_rounding=currency.rounding):
            return paid
        if self.move_type == "out_refund":
            self.message_post(
                body=_(
                    "%(amount)s of this credit note was refunded in %(p)s; Odoo's reconciliation "
                    "stays the reference.",
                    amount=currency.format(new_amount),
                    p=provider,
                )
            )
            return paid
        if self.state != "posted":
            return paid
        journal = connection.payment_journal_id
        if not journal:
            self.message_post(
                body=_(
                    "A payment of %(amount)s was received in %(p)s. Set a payments journal on the "
                    "connection to register it automatically.",
                    amount=currency.format(new_amount),
                    p=provider,
                )
            )
            return paid
        memo = _("%(p)s payment for %(n)s", p=provider, n=remote_number or self.name)
        date = remote.payment_date or fields.Date.context_today(self)
        move = self.with_context(qxs_from_remote=True)
        if currency.is_zero(self.amount_residual):
            body, payments = move._qxs_register_open_credit(
                new_amount, journal, date, memo, provider
            )
        else:
            body, payments = move._qxs_register_payment(
                new_amount, journal, date, memo, provider, paid_in_full=remote.status == "paid"
            )
        # Marked: a payment registered from the provider's cash is never sent back (no echo).
        payments.move_id.sudo().write(
            {"qxs_origin_connection_id": connection.id, "qxs_origin_document_id": self.id}
        )
        self.message_post(body=body)
        return paid

    def _qxs_cancel_remote_payments(self, connection, amount, provider):
        """Cash removed remotely (a payment deleted or voided there): cancel the payments the
        addon registered for this document, newest first, until ``amount`` is covered, all or
        nothing (a savepoint). Payments entered in Odoo are never touched. Returns the amount
        cancelled."""
        self.ensure_one()
        moves = self.env["account.move"].search(
            [
                ("qxs_origin_connection_id", "=", connection.id),
                ("qxs_origin_document_id", "=", self.id),
                ("state", "=", "posted"),
            ],
            order="id desc",
        )
        todo, covered = [], 0.0
        for move in moves:
            if self.currency_id.compare_amounts(covered, amount) >= 0:
                break
            todo.append(move)
            covered += move.origin_payment_id.amount or abs(move.amount_total)
        if not todo:
            return 0.0
        cancelled = 0.0
        names = []
        try:
            with self.env.cr.savepoint():
                for move in todo:
                    payment = move.origin_payment_id.with_context(qxs_from_remote=True)
                    cancelled += payment.amount if payment else abs(move.amount_total)
                    names.append(move.name)
                    if payment:
                        payment.action_draft()
                        payment.action_cancel()
                    else:
                        move.with_context(qxs_from_remote=True).button_draft()
                        move.with_context(qxs_from_remote=True).button_cancel()
        except UserError as exc:
            self.message_post(
                body=_(
                    "A payment was removed in %(p)s, but Odoo could not cancel %(pay)s: %(e)s",
                    p=provider,
                    pay=", ".join(names),
                    e=exc.args[0],
                )
            )
            return 0.0
        self.message_post(
            body=_(
                "A payment of %(amount)s was removed in %(p)s: %(pay)s, registered from it, is "
                "cancelled.",
                amount=self.currency_id.format(amount),
                p=provider,
                pay=", ".join(names),
            )
        )
        return cancelled

    def _qxs_register_open_credit(self, amount, journal, date, memo, provider):
        """Paid or credited in Odoo while the customer paid remotely: the cash is the
        customer's, as an open credit, exactly as the provider keeps it. Returns (the note,
        the payment)."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.commercial_partner_id.id,
                "amount": amount,
                "currency_id": self.currency_id.id,
                "journal_id": journal.id,
                "date": date,
                "memo": memo,
            }
        )
        payment.action_post()
        body = _(
            "Payment of %(amount)s received in %(p)s registered as the customer's credit: "
            "nothing is left to pay on this invoice in Odoo.",
            amount=self.currency_id.format(amount),
            p=provider,
        )
        if self.payment_state in ("paid", "in_payment"):
            # Paid in Odoo by payments of its own while the customer paid remotely too: the
            # same money may have been recorded on both sides.
            body += " " + _(
                "Payments registered in Odoo also paid it: check whether the customer paid twice."
            )
        return body, payment

    def _qxs_register_payment(self, amount, journal, date, memo, provider, paid_in_full):
        """Register remote cash on this open invoice (Odoo's payment wizard); returns the note.
        Cash beyond what is open stays the customer's open credit, as in the provider. Returns
        (the note, the payments)."""
        currency = self.currency_id
        residual = self.amount_residual
        gap = residual - amount
        settle = paid_in_full and 0 < gap <= const.PAID_ROUNDING_TOLERANCE
        if settle:
            # Paid in full remotely, a few cents open in Odoo: the provider computed the tax on
            # the total, Odoo per line. The invoice is paid: close it, and say so.
            amount = residual
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=self.ids)
            .create(
                {
                    "journal_id": journal.id,
                    "amount": amount,
                    "payment_date": date,
                    "communication": memo,
                    "payment_difference_handling": "open",
                }
            )
        )
        payments = wizard._create_payments()
        body = _(
            "Payment of %(amount)s received in %(p)s registered.",
            amount=currency.format(amount),
            p=provider,
        )
        if settle:
            body += " " + _(
                "It is paid in full there; its total differs from Odoo's by %(gap)s (tax "
                "rounding), so Odoo's full amount was registered.",
                gap=currency.format(gap),
            )
        elif currency.compare_amounts(amount, residual) > 0:
            body += " " + _(
                "%(extra)s more than was open in Odoo stays the customer's credit.",
                extra=currency.format(amount - residual),
            )
        return body, payments

    # ------------------------------------------------------------------ payload
    def _qxs_document_values(self, connection, strict=True):
        """The provider-neutral description of this document that adapters translate: plain
        values, no records.

        With ``strict``, raises SyncError (for the user to fix) when a mapping is missing,
        before any call; without, the values are what a void or a read needs (the number and
        the customer), whatever the mapping."""
        self.ensure_one()
        lines = []
        problems = []
        for line in self.invoice_line_ids.filtered(lambda ln: ln.display_type == "product"):
            code = (
                line.product_id.qxs_revenue_code
                or line.account_id.qxs_revenue_code
                or connection.default_revenue_code
                or ""
            )
            code = code.strip()
            if not code:
                problems.append(
                    _(
                        "Product “%(product)s” has no revenue code: set it on the product "
                        "(Accounting tab) or set a default revenue code on the connection.",
                        product=line.product_id.display_name or line.name,
                    )
                )
            tax_codes = []
            for tax in line.tax_ids.flatten_taxes_hierarchy():
                if not tax.qxs_tax_code:
                    problems.append(
                        _(
                            "Tax “%(tax)s” has no tax code for %(p)s: set it on the tax.",
                            tax=tax.name,
                            p=dict(const.PROVIDERS)[connection.provider],
                        )
                    )
                else:
                    tax_codes.append(tax.qxs_tax_code.strip())
            lines.append(
                {
                    "description": (line.name or line.product_id.display_name or "").strip(),
                    "product_name": line.product_id.name or "",
                    "product_code": line.product_id.default_code or "",
                    "revenue_code": code,
                    "quantity": line.quantity,
                    "price_unit": line.price_unit,
                    "discount": line.discount,
                    "price_subtotal": line.price_subtotal,
                    "price_total": line.price_total,
                    "tax_codes": sorted(set(tax_codes)),
                    "tax_included": any(t.price_include for t in line.tax_ids),
                    **self._qxs_line_option_values(connection, line),
                }
            )
        if not lines:
            problems.append(_("The document has no product lines to send."))
        if problems and strict:
            raise SyncError("\n".join(dict.fromkeys(problems)))
        return {
            "kind": document_kind(self.move_type),
            "number": self.name,
            "date": self.invoice_date,
            "due_date": self.invoice_date_due,
            "currency": self.currency_id.name,
            "reference": self.ref or self.payment_reference or "",
            "memo": html2plaintext(self.narration or "").strip(),
            "amount_untaxed": self.amount_untaxed,
            "amount_tax": self.amount_tax,
            "amount_total": self.amount_total,
            "partner": self._qxs_partner_values(self.currency_id),
            "lines": lines,
            "origin": self._qxs_origin_values(connection),
            # rate, term, class_name, location, reference_on_statement, ship_date
            **self._qxs_option_values(connection),
        }

    def _qxs_origin_values(self, connection):
        """A credit note's invoice, as the provider allocates it: its number, its remote id on
        ``connection`` and the amount that Odoo reconciled between the two (None when there is
        no origin)."""
        origin = self.reversed_entry_id
        if not origin:
            return None
        origin_rec = origin._qxs_document_record()
        partials = self.line_ids.matched_debit_ids.filtered(
            lambda p: p.debit_move_id.move_id == origin
        )
        return {
            "number": origin.name,
            "remote_id": (origin_rec.connection_id == connection and origin_rec.remote_id) or None,
            "amount": sum(partials.mapped("amount")),
        }
