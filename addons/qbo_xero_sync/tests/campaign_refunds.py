"""The campaign's refunds and QuickBooks' auto-applied credits (see ``campaign.py``, whose
docstring states the choices). Mixed into ``campaign.Campaign``; ``refund_action`` is called by
``campaign.generate``.

Choices:

* ``odoo_refund``: cash paid back on a posted credit note through Odoo's "Register payment"
  (an outbound customer payment, the cash journal: its deposit account is "Checking" for
  QuickBooks, "090" for Xero), in full or in part; kept with the campaign's payments, so that
  ``unreconcile`` / ``cancel_payment`` / ``repost_payment`` pick refunds too.
* ``odoo_over_refund``: an outbound payment larger than what is open on the credit note,
  reconciled with it: its record must be in error with the product's message, and nothing of
  it on the provider (``check_over_refunds``).
* QuickBooks only: ``auto_credit`` turns the emulator's "Automatically apply credits" on or off
  for the rest of the run (the run starts with it off, ``generate`` turns it on for the middle
  third and draws more toggles; a replay starts from the same config),
  and ``remote_void_repost``: the QuickBooks user voids an invoice, the poll cancels it in
  Odoo, the accountant resets it to draft and posts it again (sent anew: with the setting on,
  QuickBooks applies the customer's open credit memos to it).
* Invariants: a live Refund Receipt (QuickBooks) / a live payment on a credit note (Xero) for
  each synced refund record, none more (``check_refunds``; the remote ids of refund records
  not clean, in error or pending, may or may not be there: counted); an invoice with credit
  applied in QuickBooks beyond what Odoo sent shows its ``remote_credit_warning``, and no
  payment the addon registered for it exceeds the provider's cash (``check_remote_credits``).
  The Credit Memo's total is compared with ``_qxs_expected_remote_total`` (``check_document``).
  Each customer's receivable holds as is: a credit applied by QuickBooks lowers the invoice's
  balance and the memo's remaining credit by the same amount (both included, nothing differs;
  one left out: ``remote_credit_links`` leaves the other out, counted).
"""

import logging

_logger = logging.getLogger(__name__)

REFUND_OPERATIONS = ("odoo_refund", "odoo_over_refund", "auto_credit", "remote_void_repost")
QBO_ONLY = ("auto_credit", "remote_void_repost")


def refund_action(rng, op, provider, key, user, invoices, credits, payments):
    """The action of a refund operation drawn by ``campaign.generate`` (None: cannot be made)."""
    if op in QBO_ONLY and provider != "qbo":
        return None
    if op == "odoo_refund" and credits:
        amount = "full" if rng.random() < 0.4 else round(rng.uniform(0.1, 0.9), 2)
        payments.append(key)
        return {
            "op": op,
            "key": key,
            "credit": rng.choice(credits),
            "fraction": amount,
            "user": user,
        }
    if op == "odoo_over_refund" and credits:
        payments.append(key)
        return {
            "op": op,
            "key": key,
            "credit": rng.choice(credits),
            "extra": round(rng.uniform(1, 50), 2),
            "user": user,
        }
    if op == "auto_credit":
        return {"op": op, "on": rng.random() < 0.6}
    if op == "remote_void_repost" and invoices:
        return {"op": op, "doc": rng.choice(invoices)}
    return None


class CampaignRefunds:
    """Refund actions (Odoo, QuickBooks user) and their invariants."""

    # ------------------------------------------------------------------ actions
    def open_credit(self, key):
        credit = self.move(key)
        if (
            not credit
            or credit.move_type != "out_refund"
            or credit.state != "posted"
            or credit.amount_residual <= 0
        ):
            return None
        return credit

    def pay_out(self, action, credit, amount):
        """Odoo's "Register payment" on a credit note: an outbound customer payment of
        ``amount`` from the cash journal, the difference left open."""
        created = []

        def pay():
            vals = {
                "amount": amount,
                "journal_id": self.cash_journal.id,
                "payment_difference_handling": "open",
            }
            wizard = (
                self.as_user(action, self.env["account.payment.register"])
                .with_context(active_model="account.move", active_ids=credit.ids)
                .create(vals)
            )
            payment = wizard._create_payments()
            if payment.payment_type != "outbound":
                raise AssertionError(f"a refund of {credit.name} is {payment.payment_type}")
            created.append(payment.id)

        if self.attempt(pay):
            self.payments[action["key"]] = created[0]
            return created[0]
        return None

    def do_odoo_refund(self, action):
        """Cash paid back on a credit note, in full or in part."""
        credit = self.open_credit(action["credit"])
        if not credit:
            return False
        residual = credit.amount_residual
        fraction = action["fraction"]
        amount = residual if fraction == "full" else credit.currency_id.round(residual * fraction)
        if self.pay_out(action, credit, amount or 0.01):
            self.totals["odoo refunds registered"] += 1
            return True
        return False

    def do_odoo_over_refund(self, action):
        """An outbound payment larger than what is open on the credit note, reconciled with it:
        refused by the product before any call."""
        credit = self.open_credit(action["credit"])
        if not credit:
            return False
        payment_id = self.pay_out(action, credit, credit.amount_residual + action["extra"])
        if payment_id:
            self.over_refunds[action["key"]] = payment_id
            self.totals["odoo over-refunds registered"] += 1
            return True
        return False

    def do_auto_credit(self, action):
        """QuickBooks' "Automatically apply credits" turned on or off by its user."""
        if self.emulator.config.get("auto_apply_credit") == action["on"]:
            return False
        self.emulator.config["auto_apply_credit"] = action["on"]
        return True

    def do_remote_void_repost(self, action):
        """The QuickBooks user voids an invoice; Odoo learns it (poll: cancelled); the
        accountant resets it to draft and posts it again (sent anew)."""
        move, obj = self.remote_of(action["doc"])
        if not obj or move.move_type != "out_invoice":
            return False
        try:
            self.emulator.void_document("Invoice", self.remote_id(obj))
        except Exception as exc:  # the provider refused (its own rules)
            _logger.debug("campaign: remote void refused: %s", exc)
            return False
        self.emulator.clock.advance(61)
        self.poll()
        self.sync()
        move.invalidate_recordset()
        if move.state == "cancel":

            def repost():
                mine = self.as_user({"user": "accountant"}, move)
                mine.button_draft()
                mine.action_post()

            if self.attempt(repost):
                self.totals["invoices reposted after a remote void"] += 1
        self.sync()
        return True

    # ------------------------------------------------------------------ invariants
    def refund_records(self):
        recs = (
            self.env["qxs.sync.record"]
            .sudo()
            .search([("connection_id", "=", self.connection.id), ("purpose", "=", "payment")])
        )
        return recs.filtered(lambda r: (r.payment_values or {}).get("kind") == "refund")

    def live_remote_refunds(self):
        """{remote id: number} of the provider's live refunds (QuickBooks Refund Receipts;
        Xero payments on credit notes)."""
        if self.provider == "qbo":
            return {
                o["Id"]: o.get("PaymentRefNum") or o.get("DocNumber")
                for o in self.emulator.objects("RefundReceipt")
                if not (o.get("PrivateNote") or "").startswith("Voided")
            }
        return {
            p["PaymentID"]: p.get("Reference")
            for p in self.emulator.objects("Payments")
            if p.get("Status") != "DELETED" and p.get("CreditNote")
        }

    def check_refunds(self):
        """Live remote refunds = the synced refund records, none more, none less."""
        expected, unclear = set(), set()
        for rec in self.refund_records():
            ids = {rid for rid in (rec.remote_id or "").split(",") if rid}
            if rec.state == "synced" and rec.action == "push":
                if rec.remote_status not in ("voided", "deleted"):
                    expected |= ids
            elif rec.state != "synced":
                unclear |= ids
        live = self.live_remote_refunds()
        self.totals["refunds compared"] += len(expected)
        self.totals["refund records not clean (remote ids tolerated)"] += len(unclear)
        missing = expected - set(live)
        extra = set(live) - expected - unclear
        if missing:
            self.violate(
                "refund_not_live_remotely",
                f"synced refund(s) {sorted(missing)} not live remotely (live: {live})",
            )
        if extra:
            self.violate(
                "refund_extra_remote",
                f"live remote refund(s) {sorted((i, live[i]) for i in extra)} that no synced "
                f"refund record has (synced: {sorted(expected)})",
            )
        self.check_over_refunds()
        if self.provider == "qbo":
            self.check_remote_credits()

    def check_over_refunds(self):
        """An over-refund still reconciled beyond its credit is in error, nothing sent."""
        live_numbers = set(self.live_remote_refunds().values())
        for key, payment_id in self.over_refunds.items():
            payment = self.env["account.payment"].browse(payment_id)
            if not payment.exists() or payment.state in ("draft", "canceled", "rejected"):
                continue
            move = payment.move_id
            if not move._qxs_refund_excess():
                continue  # unreconciled or reposted since: no longer an over-refund
            rec = move._qxs_payment_record(self.connection)
            label = f"over-refund {key} {move.name} (record {rec.state}/{rec.action})"
            if (
                rec.state == "skipped"
                and rec.skip_reason
                and rec.allocation_move_ids
                and all(doc._qxs_document_record().summary_id for doc in rec.allocation_move_ids)
            ):
                # Its credit notes are in a daily summary: nothing of it is ever sent, skipped
                # with the reason (campaign_summaries.py).
                self.totals["over-refunds of summarized credit notes skipped"] += 1
                continue
            self.totals["over-refunds checked"] += 1
            if rec.state != "error" or "more than is open" not in (rec.last_error or ""):
                self.violate(
                    "over_refund_not_refused",
                    f"{label}: expected in error with its message, got {rec.state}: "
                    f"{rec.last_error or rec.skip_reason or ''}",
                )
            if rec.remote_id or move.name in live_numbers:
                self.violate(
                    "over_refund_sent",
                    f"{label}: sent to the provider (remote {rec.remote_id})",
                )

    def remote_applied_credit(self, remote_invoice_id):
        """Credit applied in QuickBooks to an invoice, not sent from Odoo (Payments of
        TotalAmt 0: QuickBooks' own auto-apply, or its user)."""
        total = 0.0
        for pay in self.emulator.objects("Payment"):
            if float(pay.get("TotalAmt") or 0) > 0:
                continue
            if (pay.get("PrivateNote") or "").startswith(("Odoo ", "Voided")):
                continue
            for line in pay.get("Line", []):
                txn = (line.get("LinkedTxn") or [{}])[0]
                if txn.get("TxnType") == "Invoice" and txn.get("TxnId") == remote_invoice_id:
                    total += float(line.get("Amount") or 0)
        return round(total, 2)

    def check_remote_credits(self):
        """An invoice with credit QuickBooks applied (not Odoo) shows its warning, and no
        payment the addon registered for it exceeds the cash the provider received."""
        records = {}
        for rec in (
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.connection.id),
                    ("purpose", "=", "document"),
                    ("move_id", "in", list(self.docs.values())),
                ],
                order="id",
            )
        ):
            records[rec.move_id.id] = rec
        for key, move_id in self.docs.items():
            move = self.env["account.move"].browse(move_id)
            rec = records.get(move_id)
            if not rec or not move.exists() or move.move_type != "out_invoice":
                continue
            if move.state != "posted" or rec.state != "synced" or not rec.remote_id:
                continue
            live = [o for o in self.remote_docs(move) if o["Id"] == rec.remote_id]
            if not live:
                continue
            applied = self.remote_applied_credit(rec.remote_id)
            sent = rec._sent_credit(move)
            if applied - sent <= 0.005:
                continue
            self.totals["invoices with credit applied remotely"] += 1
            if rec.remote_credit_warning:
                self.totals["remote credit shown (allowed difference)"] += 1
            else:
                self.violate(
                    "remote_credit_not_shown",
                    f"{key} {move.name}: QuickBooks applied {applied:.2f} of credit to "
                    f"{rec.remote_id} (Odoo sent {sent:.2f}), the invoice shows no warning",
                )
            registered = sum(
                self.env["account.move"]
                .sudo()
                .search([("qxs_origin_document_id", "=", move.id), ("state", "=", "posted")])
                .mapped("amount_total")
            )
            if registered > self.remote_cash[key] + 0.05 + 0.005:
                self.violate(
                    "remote_credit_imported",
                    f"{key} {move.name}: the addon registered {registered:.2f} of payments, "
                    f"the provider received {self.remote_cash[key]:.2f} in cash (credit "
                    f"applied there: {applied:.2f})",
                )


def refund_summary(totals, exported):
    """The summary's refunds line."""
    names = (
        "odoo refunds registered",
        "odoo over-refunds registered",
        "refunds compared",
        "refund records not clean (remote ids tolerated)",
        "over-refunds checked",
        "invoices reposted after a remote void",
        "invoices with credit applied remotely",
        "remote credit shown (allowed difference)",
    )
    figures = ", ".join(f"{name} {totals[name]}" for name in names)
    return f"\n  refunds: exported {exported.get('refund', 0)}, {figures}"
