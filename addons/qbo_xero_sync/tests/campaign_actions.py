"""The campaign's Odoo and provider actions (see ``campaign.py``, whose docstring states the
choices). Mixed into ``campaign.Campaign``."""

import logging

from odoo import Command, fields

_logger = logging.getLogger(__name__)


class CampaignActions:
    """``do_<operation>(action)`` of the users' actions: True when it changed something."""

    def do_post(self, action):
        partner = self.partners[action["partner"]]
        tax = self.case.tax_sale
        vals = {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": fields.Date.context_today(self.case.tax_sale),
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": self.products[product].id,
                        "quantity": qty,
                        "price_unit": price,
                        "tax_ids": [Command.set(tax.ids)],
                    }
                )
                for product, qty, price in action["lines"]
            ],
        }
        vals = self.post_values(action, vals)  # campaign_summaries.py: the summary channel
        created = []

        def post():
            move = self.as_user(action, self.env["account.move"]).create(vals)
            move.action_post()
            created.append(move.id)

        if self.attempt(post):
            self.docs[action["key"]] = created[0]
            return True
        return False

    def do_edit_customer(self, action):
        """A customer's name (with a ':' QuickBooks refuses, half of the time), e-mail or
        street changed in Odoo by the action's user: sent when the customer is linked."""
        partner = self.partners[action["partner"]]
        n, field = action["n"], action["field"]
        value = {
            "name": f"Campaign{':' if n % 2 else ''} Customer {action['partner']} e{n}",
            "email": f"customer{action['partner']}.e{n}@example.com",
            "street": f"{n} Campaign Street",
        }[field]
        return self.attempt(lambda: self.as_user(action, partner).write({field: value}))

    def do_repost(self, action):
        move = self.move(action["doc"])
        if not move or move.state != "posted":
            return False

        def repost():
            mine = self.as_user(action, move)
            mine.button_draft()
            line = mine.invoice_line_ids.filtered(lambda li: li.display_type == "product")[:1]
            line.price_unit = action["price"]
            mine.action_post()

        return self.attempt(repost)

    def do_credit(self, action):
        """A full or partial credit note through the reversal wizard, reconciled with the
        invoice (a partial one: a smaller amount)."""
        invoice = self.move(action["doc"])
        if not invoice or invoice.state != "posted" or invoice.move_type != "out_invoice":
            return False
        created = []

        def credit():
            wizard = (
                self.as_user(action, self.env["account.move.reversal"])
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"reason": "campaign", "journal_id": invoice.journal_id.id})
            )
            wizard.refund_moves()
            refund = wizard.new_move_ids
            if action["fraction"] < 1.0:
                lines = refund.invoice_line_ids.filtered(lambda li: li.display_type == "product")
                for line in lines:
                    line.price_unit = round(line.price_unit * action["fraction"], 2) or 0.01
            refund.action_post()
            receivable = (invoice + refund).line_ids.filtered(
                lambda li: li.account_id.account_type == "asset_receivable" and not li.reconciled
            )
            if len(receivable.move_id) == 2:
                receivable.reconcile()
            created.append(refund.id)

        if self.attempt(credit):
            self.docs[action["key"]] = created[0]
            return True
        return False

    def open_invoices(self, keys):
        moves = [self.move(k) for k in keys]
        return [
            m
            for m in moves
            if m and m.state == "posted" and m.move_type == "out_invoice" and m.amount_residual > 0
        ]

    def register_payment(self, action, invoices):
        """Odoo's "Register payment" on ``invoices`` (one payment, grouped) by the action's user,
        to the cash journal; a partial one leaves the difference open."""
        invoices = invoices[0].browse([m.id for m in invoices])
        total = sum(invoices.mapped("amount_residual"))
        currency = invoices[0].currency_id
        amount = currency.round(total * action["fraction"]) or 0.01
        created = []

        def pay():
            vals = {"amount": amount, "journal_id": self.cash_journal.id, "group_payment": True}
            if action["fraction"] < 1.0:
                vals["payment_difference_handling"] = "open"
            wizard = (
                self.as_user(action, self.env["account.payment.register"])
                .with_context(active_model="account.move", active_ids=invoices.ids)
                .create(vals)
            )
            created.append(wizard._create_payments().id)

        if self.attempt(pay):
            self.payments[action["key"]] = created[0]
            self.totals["odoo payments registered"] += 1
            return True
        return False

    def do_odoo_pay(self, action):
        """A payment of one invoice registered in Odoo (sent to the provider)."""
        invoices = self.open_invoices([action["doc"]])
        return bool(invoices) and self.register_payment(action, invoices)

    def do_odoo_pay_multi(self, action):
        """One payment for several open invoices of a customer."""
        invoices = self.open_invoices(action["docs"])
        return bool(invoices) and self.register_payment(action, invoices)

    def payment(self, key):
        payment_id = self.payments.get(key)
        payment = self.env["account.payment"].browse(payment_id) if payment_id else None
        return payment if payment and payment.exists() else None

    def do_unreconcile(self, action):
        payment = self.payment(action["payment"])
        if not payment:
            return False
        lines = payment.move_id.line_ids.filtered(
            lambda li: li.account_id.account_type == "asset_receivable" and li.reconciled
        )
        if not lines:
            return False
        return self.attempt(
            lambda: self.as_user({"user": "accountant"}, lines).remove_move_reconcile()
        )

    def do_cancel_payment(self, action):
        """Reset a posted payment to draft, then cancel it."""
        payment = self.payment(action["payment"])
        if not payment or payment.state in ("draft", "canceled", "rejected"):
            return False

        def cancel():
            mine = self.as_user(action, payment)
            mine.action_draft()
            mine.action_cancel()

        return self.attempt(cancel)

    def do_repost_payment(self, action):
        """Reset a posted payment to draft, post it again, and reconcile it again with the
        invoices it paid that are still open (the "Add" of the outstanding credit)."""
        payment = self.payment(action["payment"])
        if not payment or payment.state in ("draft", "canceled", "rejected"):
            return False
        invoices = payment.reconciled_invoice_ids

        def repost():
            mine = self.as_user(action, payment)
            mine.action_draft()
            mine.action_post()
            for invoice in self.as_user(action, invoices):
                line = mine.move_id.line_ids.filtered(
                    lambda li: li.account_id.account_type == "asset_receivable"
                    and not li.reconciled
                )
                if line and invoice.state == "posted" and invoice.amount_residual > 0:
                    invoice.js_assign_outstanding_line(line.id)

        return self.attempt(repost)

    def do_apply_credit(self, action):
        """The open credit of a credit note applied to an open invoice of the customer in Odoo
        (the invoice's "Add" of an outstanding credit): a credit applied, sent as such."""
        credit = self.move(action["credit"])
        invoices = self.open_invoices([action["doc"]])
        if not credit or not invoices or credit.state != "posted":
            return False
        invoice = invoices[0]
        line = credit.line_ids.filtered(
            lambda li: li.account_id.account_type == "asset_receivable" and not li.reconciled
        )
        if not line or credit.commercial_partner_id != invoice.commercial_partner_id:
            return False
        return self.attempt(
            lambda: self.as_user(action, invoice).js_assign_outstanding_line(line.id)
        )

    def do_refund(self, action):
        """Cash paid back against a credit note: not generated yet (OPERATIONS weight 0), a
        later issue. Today such an outbound payment is "skipped" with the reason "Refunds paid
        out are not sent ... yet", which ``check_payment`` accepts."""
        return False

    def do_cancel(self, action):
        move = self.move(action["doc"])
        if not move or move.state != "posted":
            return False

        def cancel():
            mine = self.as_user({"user": "accountant"}, move)
            mine.button_draft()
            mine.button_cancel()

        return self.attempt(cancel)

    def do_bad_mapping(self, action):
        product = self.products[action["product"]]
        return self.attempt(
            lambda: self.as_user({"user": "accountant"}, product).write(
                {"qxs_revenue_code": self.bad_code}
            )
        )

    def do_restore_mapping(self, action):
        product = self.products[action["product"]]
        code = self.codes[action["product"]]
        return self.attempt(
            lambda: self.as_user({"user": "accountant"}, product).write({"qxs_revenue_code": code})
        )

    # ------------------------------------------------------------------ provider actions
    def remote_of(self, key):
        move = self.move(key)
        if not move:
            return None, None
        live = self.remote_docs(move)
        return move, (live[0] if live else None)

    def do_remote_pay(self, action):
        move, obj = self.remote_of(action["doc"])
        if not obj or move.move_type != "out_invoice":
            return False
        balance = round(self.remote_open(obj), 2)
        amount = balance if action["fraction"] >= 1.0 else round(balance * action["fraction"], 2)
        if amount <= 0:
            return False
        try:
            paid = self.emulator.pay_invoice(self.remote_id(obj), amount)
        except Exception as exc:  # the provider refused (its own rules)
            _logger.debug("campaign: remote payment refused: %s", exc)
            return False
        self.remote_cash[action["doc"]] += amount
        self.user_payments[paid["Id" if self.provider == "qbo" else "PaymentID"]] = (
            action["doc"],
            amount,
        )
        return True

    def remote_payments(self, obj):
        """The provider's live payments (cash: QuickBooks TotalAmt > 0) of a remote invoice."""
        if self.provider == "qbo":
            return [
                p
                for p in self.emulator.objects("Payment")
                if float(p.get("TotalAmt") or 0) > 0
                and any(
                    t.get("TxnId") == obj["Id"] and t.get("TxnType") == "Invoice"
                    for line in p.get("Line", [])
                    for t in line.get("LinkedTxn", [])
                )
            ]
        return [
            p
            for p in self.emulator.objects("Payments")
            if p.get("Status") != "DELETED"
            and (p.get("Invoice") or {}).get("InvoiceID") == obj["InvoiceID"]
        ]

    def do_remote_unpay(self, action):
        """The provider's user deletes (QuickBooks: or voids) a payment of an invoice: one the
        provider's user entered, or one the addon sent from Odoo."""
        _move, obj = self.remote_of(action["doc"])
        if not obj:
            return False
        found = self.remote_payments(obj)
        if not found:
            return False
        payment = found[action["pick"] % len(found)]
        pid = payment["Id" if self.provider == "qbo" else "PaymentID"]
        try:
            if self.provider == "xero":
                self.emulator.delete_payment_by_user(pid)
            elif action["how"] == "void":
                self.emulator.void_document("Payment", pid)
            else:
                self.emulator.delete_document("Payment", pid)
        except Exception as exc:
            _logger.debug("campaign: remote payment removal refused: %s", exc)
            return False
        if pid in self.user_payments:
            doc, amount = self.user_payments.pop(pid)
            self.remote_cash[doc] -= amount
        else:
            self.totals["remote removals of payments sent from Odoo"] += 1
        return True

    def do_remote_void(self, action):
        move, obj = self.remote_of(action["doc"])
        if not obj:
            return False
        try:
            if self.provider == "qbo":
                self.emulator.void_document(self.remote_kinds[move.move_type], self.remote_id(obj))
            elif move.move_type == "out_refund":
                self.emulator.void_credit_note(self.remote_id(obj))
            else:
                self.emulator.void_invoice(self.remote_id(obj))
        except Exception as exc:
            _logger.debug("campaign: remote void refused: %s", exc)
            return False
        return True

    def do_remote_delete(self, action):
        move, obj = self.remote_of(action["doc"])
        if not obj:
            return False
        try:
            if self.provider == "qbo":
                self.emulator.delete_document(
                    self.remote_kinds[move.move_type], self.remote_id(obj)
                )
            elif move.move_type == "out_refund":
                self.emulator.delete_credit_note(self.remote_id(obj))
            else:
                self.emulator.delete_invoice(self.remote_id(obj))  # Xero: DRAFT/SUBMITTED only
        except Exception as exc:
            _logger.debug("campaign: remote delete refused: %s", exc)
            return False
        return True

    def do_remote_touch(self, action):
        """A QuickBooks user edits the memo of a document (its SyncToken moves on)."""
        move, obj = self.remote_of(action["doc"])
        if not obj or self.provider != "qbo":
            return False
        try:
            self.emulator.update_document(
                self.remote_kinds[move.move_type],
                self.remote_id(obj),
                {"CustomerMemo": {"value": f"edited at step {self.step}"}},
            )
        except Exception as exc:
            _logger.debug("campaign: remote edit refused: %s", exc)
            return False
        return True

    def do_remote_allocate(self, action):
        """The provider's user applies a credit note to an invoice of the same customer."""
        credit, note = self.remote_of(action["credit"])
        invoice, inv = self.remote_of(action["doc"])
        if not note or not inv or credit.move_type != "out_refund":
            return False
        if invoice.move_type != "out_invoice":
            return False
        if credit.commercial_partner_id != invoice.commercial_partner_id:
            return False  # a credit note applies to its own customer's invoices only
        left = self.remote_open(note) if self.provider == "qbo" else note["RemainingCredit"]
        amount = round(min(float(left), self.remote_open(inv)) * action["fraction"], 2)
        if amount <= 0:
            return False
        emulator = self.emulator
        try:
            with emulator.lock:
                if self.provider == "qbo":
                    emulator.apply_credit(note["Id"], inv["Id"], amount)
                else:
                    tid, stored = emulator._locate("CreditNotes", note["CreditNoteID"])
                    emulator._allocate(
                        tid, stored, {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": amount}
                    )
        except Exception as exc:
            _logger.debug("campaign: remote allocation refused: %s", exc)
            return False
        return True
