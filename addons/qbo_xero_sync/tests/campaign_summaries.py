"""The campaign meets the daily summary mode (issue 16). Mixed into ``campaign.Campaign``.

Choices:

* One sales channel, "Campaign shop", made at the campaign's first need (so again after each
  replay's rollback), set to **Daily summary**, payments kept in Odoo, at the start. A posted
  invoice belongs to it with ``team=1`` in its action (``post``), dated 0 to 2 days back so
  that several days' summaries exist; its credit notes (the reversal wizard) keep the channel.
  Posting, resetting to draft, cancelling and paying its documents are the existing actions.
* ``channel`` switches the channel between Individual and Daily summary, and the payments of
  summarized invoices between *Keep in Odoo* and *One deposit per day* (a Settings change by
  an administrator, sudo). A document sent alone before the switch stays a document of its own
  (the documented rule), a document posted after it goes in its day's summary.
* Invariants at every quiet point (``check_summaries``):
  - ``summary_total_differs``: a summary with documents is synced (or in error with a message)
    and its live remote document's total is the sum of what the provider should have of its
    documents (``_qxs_expected_remote_total``), or the summary is flagged as differing
    (``total_mismatch``) by at most 5 cents plus one per document: QuickBooks computes US sales
    tax on the summary's total;
  - ``summary_not_live`` / ``summary_not_voided``: a summary with documents has its live remote
    document; one with no document left has none (voided remotely);
  - ``carried_sent_alone``: a document carried by a summary has no live remote document of its
    own number (it is never sent alone);
  - ``deposit_differs``: in the deposit mode, the summary invoice's remote payment (the
    deposit) equals the cash Odoo received for its invoices (payments reconciled with them;
    credit notes applied are no cash), and no deposit is live when there is no cash.
* The receivable comparison per customer (``campaign_checks.py``) leaves summarized documents
  out as other skipped documents (skipped with the reason "Sent in the daily summary ..."),
  and their payments, skipped, with them. A payment of a sent invoice and of a summarized one
  is sent for the sent one only (``account.move._qxs_payment_values``).
"""

from odoo import fields

SHOP = "Campaign shop"
TEAM_SHARE = 0.35  # of the invoices posted, the share of the summary channel's


def channel_action(rng):
    """A ``channel`` action (generation): mostly back to or kept in the summary mode."""
    return {
        "op": "channel",
        "mode": rng.choice(("summary", "summary", "individual")),
        "payments": rng.choice(("keep", "deposit")),
    }


def summaries_summary(totals):
    """The daily summaries' line of the campaign's summary."""
    channel = {k[8:]: v for k, v in totals.items() if k.startswith("channel ")}
    return (
        f"\n  daily summaries: checked {totals['summaries checked']}, compared "
        f"{totals['summaries compared']}, documents summarized {totals['documents summarized']}"
        f", deposits compared {totals['deposits compared']}, channel switches {channel}"
    )


class CampaignSummaries:
    """The channel, its ``channel`` action and the summaries' invariants."""

    def shop(self):
        team = self.env["crm.team"].sudo().search([("name", "=", SHOP)], limit=1)
        if not team:
            team = team.create(
                {
                    "name": SHOP,
                    "qxs_invoice_sync_type": "summary",
                    "qxs_summary_payment_mode": "keep",
                }
            )
        return team

    def post_values(self, action, vals):
        """The channel and date of a summary channel's invoice (``post`` with ``team``)."""
        if action.get("team"):
            vals["team_id"] = self.shop().id
            vals["invoice_date"] = fields.Date.subtract(
                vals["invoice_date"], days=action.get("day", 0)
            )
        return vals

    def do_channel(self, action):
        team = self.shop()
        mode = "summary" if action["mode"] == "summary" else "individual"
        vals = {"qxs_invoice_sync_type": mode, "qxs_summary_payment_mode": action["payments"]}
        if all(team[k] == v for k, v in vals.items()):
            return False
        team.write(vals)
        self.totals[f"channel {mode}/{action['payments']}"] += 1
        return True

    # ------------------------------------------------------------------ invariants
    def remote_by_id(self, kind, remote_id):
        field = {"Invoice": "Id", "CreditMemo": "Id", "Invoices": "InvoiceID"}.get(
            kind, "CreditNoteID"
        )
        return next((o for o in self.emulator.objects(kind) if o.get(field) == remote_id), None)

    def check_summaries(self):
        env = self.env
        waiting = self.connection.sudo().state == "reconnect"
        summaries = (
            env["qxs.daily.summary"].sudo().search([("connection_id", "=", self.connection.id)])
        )
        for summary in summaries:
            self.totals["summaries checked"] += 1
            rec = summary._sync_record()
            moves = summary._carried_moves()
            move_type = "out_invoice" if summary.kind == "invoice" else "out_refund"
            kind = self.remote_kinds[move_type]
            remote = self.remote_by_id(kind, rec.remote_id) if rec.remote_id else None
            live = remote is not None and self.is_live(remote)
            label = (
                f"summary {summary.name} ({len(moves)} document(s), sync {rec.state or 'none'}/"
                f"{rec.action}, remote {rec.remote_id})"
            )
            if rec.state == "pending":
                if not waiting:
                    self.violate("pending_after_quiet", f"{label}: still pending")
                continue
            if rec.state == "error":
                if not rec.last_error:
                    self.violate("silent_error", f"{label}: in error without a message")
                self.errors[(rec.last_error or "")[:220]] += 1
                continue
            if not moves:
                if live:
                    self.violate("summary_not_voided", f"{label}: no document, still live")
                continue
            if not live:
                self.violate("summary_not_live", f"{label}: no live remote document")
                continue
            expected = summary._qxs_expected_remote_total(self.connection)
            gap = abs(self.remote_total(remote) - expected)
            tolerated = 0.05 + 0.01 * len(moves) + 0.005
            if gap > 0.005 and not (rec.total_mismatch and gap <= tolerated):
                self.violate(
                    "summary_total_differs",
                    f"{label}: the provider has {self.remote_total(remote):.2f}, its documents "
                    f"{expected:.2f} (flagged: {rec.total_mismatch})",
                )
                continue
            self.totals["summaries compared"] += 1
            if summary.kind == "invoice":
                self.check_deposit(summary, moves, label)
        for key, move_id in self.docs.items():
            move = env["account.move"].browse(move_id)
            rec = move.exists() and move._qxs_document_record()
            if rec and rec.summary_id and move.state == "posted":
                self.totals["documents summarized"] += 1
                if self.remote_docs(move):
                    self.violate(
                        "carried_sent_alone",
                        f"{key} {move.name}: carried by {rec.summary_id.name}, live remotely "
                        "as a document of its own",
                    )

    def check_deposit(self, summary, moves, label):
        """The deposit equals the cash Odoo received for the summary's invoices."""
        cash = 0.0
        for move in moves:
            for line in move.line_ids:
                if line.account_id.account_type != "asset_receivable":
                    continue
                for partial in line.matched_credit_ids:
                    if partial.credit_move_id.move_id.origin_payment_id:
                        cash += partial.debit_amount_currency
        dep = summary._deposit_record()
        wanted = summary.team_id.qxs_summary_payment_mode == "deposit"
        remote = None
        if dep.remote_id:
            kind, field = ("Payment", "Id") if self.provider == "qbo" else ("Payments", "PaymentID")
            remote = next(
                (o for o in self.emulator.objects(kind) if o.get(field) == dep.remote_id), None
            )
        if self.provider == "qbo":
            amount = float(remote.get("TotalAmt") or 0.0) if remote else 0.0
        else:
            amount = float(remote.get("Amount") or 0.0) if remote else 0.0
            if remote and remote.get("Status") == "DELETED":
                amount = 0.0
        if dep.state in ("error", "pending", "skipped") and (dep.last_error or dep.skip_reason):
            return  # with its message (pending: waiting for the summary, said so)
        if not wanted:
            return  # kept in Odoo (a deposit sent before the switch stays the accountant's)
        self.totals["deposits compared"] += 1
        if abs(amount - cash) > 0.005:
            self.violate(
                "deposit_differs",
                f"{label}: Odoo received {cash:.2f} for its invoices, the deposit "
                f"{dep.remote_id or '(none)'} ({dep.state}/{dep.action}) has {amount:.2f}",
            )
