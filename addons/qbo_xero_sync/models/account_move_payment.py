import json

from odoo import Command, _, api, fields, models

from .. import const
from ..adapters import document_kind
from ..exceptions import RETRY, SyncError

SYNCED_TYPES = ("out_invoice", "out_refund")
WAIT = "wait"  # SyncError code: the payment waits for its documents to be sent


def is_receivable(line):
    return line.account_id.account_type == "asset_receivable"


class AccountMove(models.Model):
    """Payments out: the journal entry of a payment (or of a bank statement line), or a credit
    note applied to invoices, is the unit sent to the provider with the purpose "payment"."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    qxs_origin_connection_id = fields.Many2one(
        "qxs.connection",
        string="Registered from",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Set on the payments registered from cash received in QuickBooks or Xero: they are "
        "never sent back.",
    )
    qxs_origin_document_id = fields.Many2one(
        "account.move",
        string="Registered for",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The invoice whose remote cash this payment registers.",
    )
    qxs_payment_sync_summary = fields.Char(
        string="Payments sync", compute="_compute_qxs_payment_sync"
    )
    qxs_payment_sync_error = fields.Text(
        string="Payments sync error", compute="_compute_qxs_payment_sync"
    )

    # ------------------------------------------------------------------ the form
    def _qxs_payment_records(self):
        """The payment sync records allocated to this document, or of this payment."""
        self.ensure_one()
        Record = self.env["qxs.sync.record"].sudo()
        return Record.search(
            [
                ("purpose", "=", "payment"),
                "|",
                ("allocation_move_ids", "in", self.ids),
                ("payment_move_id", "=", self.id),
            ]
        )

    @api.depends("qxs_sync_record_ids.state", "line_ids.matched_debit_ids")
    def _compute_qxs_payment_sync(self):
        labels = dict(const.SYNC_STATES)
        for move in self:
            recs = move._qxs_payment_records() if move.id else self.env["qxs.sync.record"]
            counts = {}
            for rec in recs:
                counts[rec.state] = counts.get(rec.state, 0) + 1
            move.qxs_payment_sync_summary = ", ".join(
                f"{n} {labels[state].lower()}" for state, n in sorted(counts.items())
            )
            errors = recs.filtered(lambda r: r.state == "error")
            move.qxs_payment_sync_error = "\n".join(
                f"{rec.display_name}: {rec.last_error}" for rec in errors
            )

    # ------------------------------------------------------------------ what is allocated
    def _qxs_allocated_documents(self):
        """[(document, amount in the document's currency)] that this unit's receivable lines are
        reconciled with: invoices and credit notes for a payment's entry, invoices for a credit
        note."""
        self.ensure_one()
        found = {}
        for line in self.line_ids.filtered(is_receivable):
            for partial in line.matched_debit_ids | line.matched_credit_ids:
                debit = partial.debit_move_id
                other, amount = (
                    (debit, partial.debit_amount_currency)
                    if partial.credit_move_id == line
                    else (partial.credit_move_id, partial.credit_amount_currency)
                )
                doc = other.move_id
                if doc == self or doc.move_type not in SYNCED_TYPES:
                    continue
                if self.move_type == "out_refund" and doc.move_type != "out_invoice":
                    continue
                found[doc] = found.get(doc, 0.0) + amount
        return list(found.items())

    def _qxs_payment_kind(self):
        """ "payment" (cash received), "credit" (a credit note applied) or "refund" (cash paid
        back), or None when this move is no payment unit."""
        self.ensure_one()
        if self.move_type == "out_refund":
            return "credit"
        if self.move_type != "entry" or not self.line_ids.filtered(is_receivable):
            return None
        docs = [doc for doc, _amount in self._qxs_allocated_documents()]
        if docs and all(doc.move_type == "out_refund" for doc in docs):
            return "refund"
        return "payment"

    def _qxs_payment_record(self, connection):
        self.ensure_one()
        return self.env["qxs.sync.record"]._record_of(connection, self, "payment")

    # ------------------------------------------------------------------ enqueue
    def _qxs_enqueue_payments(self):
        """The reconciliation of these moves changed (or they were cancelled): queue each
        payment unit among them to be sent (push) or removed remotely (void)."""
        if self.env.context.get("qxs_from_remote"):
            return  # a payment the addon registers from the provider's cash
        Record = self.env["qxs.sync.record"]
        for move in self:
            kind = move._qxs_payment_kind()
            if not kind or move.qxs_origin_connection_id:
                continue  # not a payment, or one that came from the provider: never sent
            connection = self.env["qxs.connection"].sudo()._for_company(move.company_id)
            if not connection:
                continue
            rec = move._qxs_payment_record(connection)
            allocated = move._qxs_allocated_documents() if move.state == "posted" else []
            if not allocated:
                if rec:
                    rec._void_or_skip(on_cancel=False)
                continue
            docs = self.browse([doc.id for doc, _amount in allocated])
            reason = move._qxs_payment_skip_reason(connection, kind, docs)
            if reason and connection.send_payments and move._qxs_payment_held_remotely(rec):
                # It paid documents the provider has, and now pays only documents it does not
                # have (a daily summary, a No sync channel): its copy there would keep paying
                # them (an update refused below that cash, then that cash read back as the
                # provider's own). Removed there first, then skipped with the reason
                # (qxs.sync.outcome._keep_in_odoo_after_removal).
                rec._void_or_skip(on_cancel=False)
                rec.sudo().write(
                    {
                        "payment_move_id": move.id,
                        "allocation_move_ids": [Command.link(doc.id) for doc in docs],
                    }
                )
                continue
            was_note = ((rec.payment_values or {}).get("note") or "") if rec else ""
            rec = Record._enqueue(connection, move, "payment", "push", skip_reason=reason)
            snapshot = move._qxs_payment_snapshot(connection)
            rec.sudo().write(
                {
                    "payment_move_id": move.id,
                    "payment_values": snapshot,
                    "allocation_move_ids": [Command.link(doc.id) for doc in docs],
                }
            )
            note = snapshot.get("note") or ""
            if note and note != was_note and not reason:
                move.sudo().message_post(body=note)

    def _qxs_check_payments_removed(self, connection):
        """A document is voided (or updated) only once the payments and credits applied to it
        that are being removed are gone remotely (no provider voids a document with a payment
        or credit applied; Xero does not edit one): a SyncError "wait" while one of them is
        pending."""
        self.ensure_one()
        removing = (
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", connection.id),
                    ("purpose", "=", "payment"),
                    ("state", "=", "pending"),
                    ("action", "in", ("push", "void")),
                    "|",
                    ("allocation_move_ids", "in", self.ids),
                    ("payment_move_id", "=", self.id),
                ]
            )
        ) | self.env["qxs.send.attempt"]._unanswered_payments_of(connection, self)

        def removes_it(rec):
            """The provider's copy pays this document, the next write of it no longer will
            (a push that still pays it is not waited for: it may wait for this document)."""
            unit = rec.payment_move_id
            if unit == self:
                return rec.action == "void"
            if str(self.id) not in rec._maybe_paid_move_ids():
                return False
            if rec.action == "void" or not unit.exists() or unit.state != "posted":
                return True
            return self not in [doc for doc, _amount in unit._qxs_allocated_documents()]

        removing = removing.filtered(removes_it)
        if removing:
            raise SyncError(
                _(
                    "Waits for the removal of %s first.",
                    ", ".join(
                        (r.payment_values or {}).get("number") or r.display_name for r in removing
                    ),
                ),
                kind=RETRY,
                code=WAIT,
            )

    def _qxs_payment_snapshot(self, connection):
        """The payment's values as plain JSON (what a removal needs once the entry is gone)."""
        try:
            values = self._qxs_payment_values(connection, strict=False)
        except SyncError:
            return {"kind": self._qxs_payment_kind(), "number": self.name}
        return json.loads(json.dumps(values, default=str))

    def _qxs_payment_skip_reason(self, connection, kind, docs):
        """Why this payment unit must not be sent (None: send it)."""
        if not connection.send_payments:
            return _("Sending payments is turned off on the connection.")
        return self._qxs_payment_documents_reason(docs)

    def _qxs_payment_documents_reason(self, docs):
        """Why a payment unit of ``docs`` stays in Odoo: every one of them is a document the
        provider does not have on purpose (a No sync channel, a daily summary). None: send it."""
        reasons = [
            doc.team_id._qxs_skip_reason("payment") or doc._qxs_summary_payment_reason()
            for doc in docs
        ]
        if reasons and all(reasons):
            return reasons[0]
        return None

    def _qxs_payment_kept_reason(self):
        """Why this payment unit, still posted and reconciled, is kept in Odoo now: the reason
        its documents give (None: it has documents to pay there, or none at all)."""
        self.ensure_one()
        if self.state != "posted" or self.qxs_origin_connection_id:
            return None
        allocated = self._qxs_allocated_documents()
        if not allocated or not self._qxs_payment_kind():
            return None
        return self._qxs_payment_documents_reason(
            self.browse([doc.id for doc, _amount in allocated])
        )

    def _qxs_payment_held_remotely(self, rec):
        """True when the provider has this unit's payment (``rec``, its record, has a live
        remote id) or may have it (tried without a known answer: an attempt mark)."""
        if not rec or rec.state == "remote_deleted" or rec.remote_status in ("voided", "deleted"):
            return False
        if rec.remote_id:
            return True
        return rec.state in ("pending", "error") and rec.id in self.env["qxs.send.attempt"]._marked(
            rec
        )

    # ------------------------------------------------------------------ payload
    def _qxs_partner_values(self, currency):
        """The customer of a document or payment, as adapters bind it (plain values: one
        description of a customer, ``res.partner._qxs_customer_values``)."""
        return self.partner_id._qxs_customer_values(currency)

    def _qxs_payment_values(self, connection, strict=True):
        """The provider-neutral description of a payment unit: plain values, no records.

        With ``strict``, a document allocated but not sent yet makes the payment wait (a
        SyncError of code "wait", retried later, never an error for the user); documents that
        are not sent on purpose (skipped) are left out. Without, what a void needs."""
        self.ensure_one()
        kind = self._qxs_payment_kind() or "payment"
        lines = self.line_ids.filtered(is_receivable)
        currency = lines[:1].currency_id or self.currency_id
        waiting, allocations, absent, unsent = [], [], [], []
        for doc, amount in self._qxs_allocated_documents():
            rec = doc._qxs_document_record()
            # A document being read again (pending pull) is sent: waiting for it would wait
            # for ever, as its read waits for this payment (_apply_remote_cash).
            sent = (
                rec.connection_id == connection
                and rec.remote_id
                and (rec.state in ("synced", "error") or rec.action == "pull")
                and rec.remote_status not in ("voided", "deleted")
            )
            if not sent:
                if not rec or rec.state in ("pending", "error"):
                    waiting.append(doc.name)
                else:
                    absent.append(doc.name)
                    unsent.append((doc, amount))
                continue
            if currency.is_zero(amount):
                continue
            if doc.currency_id != currency:
                raise SyncError(
                    _(
                        "%(pay)s is in %(c1)s but pays %(doc)s in %(c2)s: the provider takes a "
                        "payment in its document's currency only.",
                        pay=self.name,
                        c1=currency.name,
                        doc=doc.name,
                        c2=doc.currency_id.name,
                    )
                )
            allocations.append(
                {
                    "kind": document_kind(doc.move_type),
                    "remote_id": rec.remote_id,
                    "number": doc.name,
                    "amount": currency.round(amount),
                    "move_id": doc.id,
                }
            )
        credit_note = None
        if kind == "credit":
            rec = self._qxs_document_record()
            if rec.connection_id == connection and rec.remote_id:
                credit_note = {"remote_id": rec.remote_id, "number": self.name}
            elif strict and rec.state in ("skipped", "remote_deleted"):
                # Never sent, or deleted there: waiting for it would wait for ever.
                raise SyncError(
                    _(
                        "%(n)s is not in %(p)s (not sent there, or deleted there): its credit "
                        "cannot be applied there. Post it again to send it anew.",
                        n=self.name,
                        p=dict(const.PROVIDERS)[connection.provider],
                    )
                )
            else:
                waiting.append(self.name)
        if strict and waiting:
            raise SyncError(
                _("Waits for %s to be sent first.", ", ".join(waiting)), kind=RETRY, code=WAIT
            )
        if strict and kind in ("credit", "refund") and absent and not allocations:
            # A credit applied or a refund needs its documents there: nothing to link it to.
            raise SyncError(
                _(
                    "%(n)s is reconciled with %(docs)s, which %(p)s does not have (not sent "
                    "there, or deleted there): post them again to send them anew, then send "
                    "this again.",
                    n=self.name,
                    docs=", ".join(absent),
                    p=dict(const.PROVIDERS)[connection.provider],
                )
            )
        received = -sum(lines.mapped("amount_currency")) if kind == "payment" else 0.0
        if kind == "refund":
            received = sum(lines.mapped("amount_currency"))
        kept = self._qxs_unsent_cash(currency, unsent) if kind in ("payment", "refund") else 0.0
        cash = received - kept
        # Odoo's rate on the payment date (company currency per unit), not the ratio of the
        # entry's amounts (rounded to the cent).
        rate = self._qxs_rate(currency, self.date) if lines else None
        deposit = (self.journal_id.qxs_deposit_account or "").strip()
        if strict and kind != "credit" and connection.provider == "xero" and not deposit:
            raise SyncError(
                _(
                    "Set the Xero account of journal %(j)s (its deposit account, Accounting "
                    "tab of the journal) so that its payments can be sent.",
                    j=self.journal_id.display_name,
                )
            )
        return {
            "kind": kind,
            "number": self.name,
            "date": self.date,
            "currency": currency.name,
            "rate": rate,
            "amount": currency.round(cash),
            "partner": self._qxs_partner_values(currency),
            "deposit_account": deposit,
            "journal": self.journal_id.name or "",
            "allocations": allocations,
            "credit_note": credit_note,
            "received": currency.round(received),
            "kept_in_odoo": currency.round(kept),
            "note": self._qxs_unsent_note(currency, received, cash, kept, unsent),
        }

    def _qxs_unsent_cash(self, currency, unsent):
        """The cash of this unit that paid documents the provider does not have (not sent on
        purpose: a No sync channel, a daily summary; or deleted there), in ``currency``: it
        stays in Odoo. The one rule: the cash sent is the cash received less this (what no
        document received, an overpayment, is still sent: the provider's unapplied credit)."""
        total = 0.0
        for doc, amount in unsent:
            if doc.currency_id != currency:
                amount = doc.currency_id._convert(amount, currency, self.company_id, self.date)
            total += amount
        return currency.round(total)

    def _qxs_unsent_note(self, currency, received, cash, kept, unsent):
        """What the record says when part of the cash stays in Odoo (empty otherwise)."""
        if currency.is_zero(kept):
            return ""
        return _(
            "%(received)s received, %(sent)s sent: %(kept)s paid documents that are not sent "
            "(%(docs)s).",
            received=currency.format(received),
            sent=currency.format(cash),
            kept=currency.format(kept),
            docs=", ".join(f"{doc.name}: {doc._qxs_unsent_why()}" for doc, _amount in unsent),
        )

    def _qxs_unsent_why(self):
        """Why the provider does not have this document, in a few words."""
        self.ensure_one()
        rec = self._qxs_document_record()
        if rec.summary_id:
            return _("daily summary %s", rec.summary_id.display_name)
        if rec.state == "remote_deleted" or rec.remote_status in ("voided", "deleted"):
            return _("deleted or voided there")
        if self.team_id.qxs_invoice_sync_type == "none":
            return _("No sync")
        return rec.skip_reason or _("not sent")
