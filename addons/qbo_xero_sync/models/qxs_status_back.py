import logging
from datetime import timedelta

from odoo import _, api, fields, models

from .. import const
from ..adapters import Result
from ..adapters.base import capture_adapters
from ..exceptions import SyncError

_logger = logging.getLogger(__name__)


class QxsStatusBack(models.AbstractModel):
    """Statuses read back from QuickBooks or Xero (the poll, webhooks, reads) and applied to the
    sync records and their Odoo documents. Mixed into ``qxs.sync.record``."""

    _name = "qxs.status.back"
    _description = "Statuses read back from QuickBooks / Xero"

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
            with capture_adapters() as adapters:  # the poll's HTTP attempts: sync history
                try:
                    if can_commit:
                        self._poll_connection(conn)
                    else:  # tests: a savepoint stands in for the transaction rolled back
                        with self.env.cr.savepoint():
                            self._poll_connection(conn)
                except Exception:  # logged; the next poll reads the same changes
                    _logger.exception("qbo_xero_sync: polling %s failed", conn.display_name)
                    if can_commit:
                        self.env.cr.rollback()  # pylint: disable=invalid-commit
            if self.env["qxs.sync.log"]._record_adapters(conn, adapters) and can_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _poll_connection(self, conn):
        can_commit = self.env["account.move"]._can_commit()
        if can_commit and not conn._token_valid():
            if not self._refresh_before_work(conn):
                return
        since = conn.last_poll_date or (fields.Datetime.now() - timedelta(days=1))
        try:
            adapter = conn._adapter()
            # No credit note on the connection: the poll reads invoices only (one request).
            adapter.poll_credit_notes = self._polls_credit_notes(conn)
            changes = adapter.fetch_changes(since)
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

    @api.model
    def _polls_credit_notes(self, conn):
        """True when ``conn`` holds a credit note sent from Odoo (or on its way): only then
        may a poll need the provider's list of credit notes."""
        return bool(
            self.env["qxs.sync.record"]
            .sudo()
            .search_count(
                [
                    ("connection_id", "=", conn.id),
                    ("purpose", "=", "document"),
                    ("move_id.move_type", "=", "out_refund"),
                ],
                limit=1,
            )
        )

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
        self._apply_remote_cash(remote, move)

    def _apply_remote_cash(self, remote, move):
        """The remote cash of a document, told apart from the cash Odoo sent (no echo):
        ``remote_paid_amount`` is the remote cash that came from the provider and is registered
        in Odoo. While a payment of this document waits to be sent, nothing is registered (a
        lost answer must never become a second payment). Cash that went down remotely (a
        payment deleted or voided there) cancels the payments the addon registered for it."""
        exported, waiting = self._exported_cash(remote, move)
        if waiting:
            if self.state == "error":
                return  # an error stays an error: a read would mark it synced, silently
            # Read again once the payment is sent (the poll will not name it again).
            self.write(
                {
                    "state": "pending",
                    "action": "pull",
                    "attempts": 0,
                    "next_attempt": fields.Datetime.now()
                    + timedelta(seconds=const.PAYMENT_WAIT_SECONDS),
                }
            )
            return
        currency = move.currency_id
        provider = self._provider_label()
        remote_cash = max((remote.amount_paid or 0.0) - exported, 0.0)
        registered = self.remote_paid_amount
        if currency.compare_amounts(remote_cash, registered) < 0:
            registered -= move._qxs_cancel_remote_payments(
                self.connection_id, registered - remote_cash, provider
            )
            registered = max(registered, 0.0)
        self.remote_paid_amount = move._qxs_apply_remote_payment(
            remote, registered, self.connection_id, self.remote_number, paid=remote_cash
        )

    def _exported_cash(self, remote, move):
        """(cash sent from Odoo that the provider has on ``move``, whether a payment of it
        waits to be sent). A sent payment that the provider no longer lists on the document
        (``remote.payment_ids``) was deleted there: its record says so, and it no longer
        counts (Odoo keeps it: it was entered in Odoo)."""
        recs = self.sudo().search(
            [
                ("connection_id", "=", self.connection_id.id),
                ("purpose", "=", "payment"),
                ("allocation_move_ids", "in", move.ids),
            ]
        )
        # Tried without a known answer: the provider may hold that cash on the document.
        unanswered = self.env["qxs.send.attempt"]._unanswered_payments_of(self.connection_id, move)
        recs |= unanswered
        cash = recs.filtered(
            lambda r: (r.payment_values or {}).get("kind") in const.CASH_PAYMENT_KINDS
        )
        # Only a payment the provider may have (sent, or tried) is waited for: one never sent
        # may itself wait for another document (in error), and would be waited for for ever.
        waiting = any(
            r.state == "pending"
            and r.action in ("push", "void")
            and (r.remote_id or r in unanswered)
            for r in cash
        )
        listed = set(remote.payment_ids) if remote.payment_ids is not None else None
        voided = set(remote.voided_payment_ids or ())
        exported = 0.0
        for rec in cash:
            if not rec.remote_id:
                continue
            # Skipped with a remote id: sent, then skipped while sending payments was turned
            # off; the provider keeps that copy, Odoo's cash, not its own.
            if rec.state not in ("synced", "error", "skipped"):
                continue
            if rec.remote_status in ("voided", "deleted"):
                continue
            if str(move.id) not in (rec.payment_allocations or {}):
                continue  # the provider's copy no longer pays it (changed in Odoo): not deleted
            # One remote payment per document (Xero): only this document's counts here.
            own = (rec.payment_remote_ids or {}).get(str(move.id))
            ids = {own} if own else set(rec.remote_id.split(const.XERO_REMOTE_ID_SEP))
            if ids & voided and rec.state == "synced" and rec.action == "push":
                # Voided there: no longer the customer's cash there, nor counted as such.
                rec._drop_remote_allocation(
                    move,
                    _(
                        "This payment was voided in %(p)s for %(doc)s. Odoo keeps it: it is "
                        "the accountant's to decide whether to cancel it here, or to reconcile "
                        "it again to send it anew.",
                        p=self._provider_label(),
                        doc=move.display_name,
                    ),
                    status="voided",
                )
                continue
            if listed is not None and not ids & listed and rec.state == "synced":
                rec._drop_remote_allocation(
                    move,
                    _(
                        "This payment was deleted in %(p)s for %(doc)s. Odoo keeps it: "
                        "reconcile it again to send it anew, or cancel it.",
                        p=self._provider_label(),
                        doc=move.display_name,
                    ),
                )
                continue
            exported += (rec.payment_allocations or {}).get(str(move.id), 0.0)
        return exported, waiting
