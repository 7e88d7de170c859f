import contextlib

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..exceptions import SyncError

SECRET = "base.group_system"


class QxsConnection(models.Model):
    """A change of organisation: the OAuth consent brought another QuickBooks company / Xero
    organisation than the one the connection's documents were sent to. The new organisation
    and its tokens wait (Settings administrators only) until an administrator chooses, in the
    wizard ``qxs.org.change.wizard``, between a new connection and re-linking by number;
    meanwhile the connection keeps its organisation and tokens, as before the consent."""

    _inherit = "qxs.connection"  # pylint: disable=consider-merging-classes-inherited

    pending_org_change = fields.Json(
        groups=SECRET,
        copy=False,
        readonly=True,
        help="The organisation the last consent brought, its name, tokens and the organisations "
        "it covers, until the change of organisation is chosen or cancelled.",
    )
    org_change_pending = fields.Boolean(compute="_compute_org_change_pending")
    pending_org_name = fields.Char(string="New organisation", compute="_compute_org_change_pending")

    def _compute_org_change_pending(self):
        for conn in self:
            pending = conn.sudo().pending_org_change or {}
            conn.org_change_pending = bool(pending)
            conn.pending_org_name = pending.get("org_name") or pending.get("org_id") or False

    def _token_adapter(self, access_token):
        """An adapter of this connection that uses ``access_token`` (not stored yet)."""
        return self._adapter_class()(
            self._settings(), access_token=lambda force_refresh=False: access_token
        )

    def _hold_org_change(self, tokens, params):
        """When ``tokens`` (a consent just exchanged) are for another organisation than the one
        documents were sent to, keep them aside for the administrator's choice and return the
        URL of the connection (which offers the choice); else None (connect as usual)."""
        self.ensure_one()
        if not self.remote_org_id or not self._sent_count():
            return None
        orgs = self._token_adapter(tokens["access_token"]).list_organisations(params)
        ids = [o["id"] for o in orgs]
        target = tokens.get("org_id") or (
            self.remote_org_id if self.remote_org_id in ids or not ids else ids[0]
        )
        if target == self.remote_org_id:
            return None
        name = next((o["name"] for o in orgs if o["id"] == target), target)
        self.sudo().write(
            {
                "pending_org_change": {
                    "org_id": target,
                    "org_name": name,
                    "tokens": {
                        key: tokens.get(key)
                        for key in ("access_token", "refresh_token", "expires_in")
                    },
                    "orgs": orgs,
                }
            }
        )
        self._notify_admins(
            _(
                "The authorisation was given for %(new)s, not %(old)s, to which documents were "
                "sent. Nothing changed yet: open the connection and choose how to continue "
                "(new connection, or re-link by number), or cancel to keep %(old)s.",
                new=name,
                old=self.remote_org_name or self.remote_org_id,
            )
        )
        return f"/odoo/action-qbo_xero_sync.action_qxs_connection/{self.id}"

    def action_open_org_change(self):
        self.ensure_one()
        self._check_admin()
        if not self.sudo().pending_org_change:
            raise UserError(_("No change of organisation waits for a choice on this connection."))
        wizard = self.env["qxs.org.change.wizard"].create({"connection_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": _("Change of organisation"),
            "res_model": "qxs.org.change.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _pending_org_change(self):
        self.ensure_one()
        pending = self.sudo().pending_org_change
        if not pending:
            raise UserError(_("No change of organisation waits for a choice on this connection."))
        return pending

    def _cancel_org_change(self):
        """Forget the pending organisation: its tokens are revoked, the connection keeps its
        organisation and tokens."""
        self.ensure_one()
        pending = self._pending_org_change()
        tokens = pending.get("tokens") or {}
        with contextlib.suppress(SyncError):
            self._adapter().revoke(tokens.get("refresh_token") or tokens.get("access_token"))
        self.sudo().write({"pending_org_change": False})
        self.message_post(
            body=_(
                "Change of organisation cancelled: %(org)s stays connected.",
                org=self.remote_org_name or self.remote_org_id,
            )
        )

    def _connect_pending(self, pending):
        """Connect this connection to the pending organisation with its tokens: tokens, state,
        organisations, the provider's reference data (its home currency must be the
        company's), then the queue resumes."""
        self.ensure_one()
        tokens = pending["tokens"]
        self.sudo().write(
            {
                **self._token_values(tokens),
                "state": "connected",
                "last_error": False,
                "pending_org_change": False,
                "remote_org_id": pending["org_id"],
                "remote_org_name": pending["org_name"],
            }
        )
        self.tenant_ids.sudo().unlink()
        self.env["qxs.connection.tenant"].sudo().create(
            [
                {"connection_id": self.id, "remote_id": o["id"], "name": o["name"]}
                for o in pending.get("orgs") or []
            ]
        )
        data = self._adapter().read_reference_data()
        self._check_home_currency(data.get("home_currency"))
        self.env["qxs.remote.record"]._replace_mirror(self, data)
        self._resume_queue()

    def _revoke_held(self):
        """Revoke and forget this connection's tokens (it sends nothing any more)."""
        for conn in self:
            secret = conn.sudo()
            with contextlib.suppress(SyncError):
                conn._adapter().revoke(secret.refresh_token or secret.access_token)
            secret.write(
                {
                    "access_token": False,
                    "refresh_token": False,
                    "token_expiry": False,
                    "state": "disconnected",
                }
            )

    def _org_change_new_connection(self):
        """Choice (a): this connection is archived with its links (read only: archived
        connections send nothing), a copy of its settings is connected to the new
        organisation; documents not sent yet, and those posted from now on, go to the copy."""
        self.ensure_one()
        pending = self._pending_org_change()
        old = self.sudo()
        credentials = {f: old[f] for f in ("client_id", "client_secret", "webhook_key")}
        self._revoke_held()
        old.write({"active": False, "pending_org_change": False})
        # The one-active-connection constraint is checked by the INSERT of the copy.
        old.flush_recordset(["active"])
        new = self.copy(
            {
                "name": _("%(name)s - %(org)s", name=self.name, org=pending["org_name"]),
                "active": True,
            }
        )
        new.sudo().write(credentials)
        new._connect_pending(pending)
        # What was never sent (and never tried) goes to the new organisation; payments stay:
        # the documents they pay are linked to the old one.
        waiting = (
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.id),
                    ("remote_id", "=", False),
                    ("state", "in", ("pending", "error")),
                    ("purpose", "!=", "payment"),
                ]
            )
        )
        tried = self.env["qxs.send.attempt"]._marked(waiting)
        waiting.filtered(lambda rec: rec.id not in tried).write(
            {"connection_id": new.id, "next_attempt": False}
        )
        self.message_post(
            body=_(
                "Archived after a change of organisation: its documents keep their links to "
                "%(old)s. Documents are now sent to %(new)s by the connection %(conn)s.",
                old=self.remote_org_name or self.remote_org_id,
                new=pending["org_name"],
                conn=new.display_name,
            )
        )
        new.message_post(
            body=_(
                "Created for %(new)s after a change of organisation (the previous one, %(conn)s, "
                "is archived with its links).",
                new=pending["org_name"],
                conn=self.display_name,
            )
        )
        return new

    def _org_change_relink(self):
        """Choice (b): this connection moves to the new organisation. Every linked record
        forgets its remote id and is queued again with an attempt mark, so that it is looked up
        by number before it is created (linked when the new organisation has it); customer and
        item bindings are forgotten (``write``)."""
        self.ensure_one()
        pending = self._pending_org_change()
        records = (
            self.env["qxs.sync.record"]
            .sudo()
            .search([("connection_id", "=", self.id), ("remote_id", "!=", False)])
        )
        for rec in records:
            move = rec.move_id
            rec.write(
                {
                    "remote_id": False,
                    "sync_token": False,
                    "remote_status": False,
                    "remote_total": 0.0,
                    "total_mismatch": False,
                    "payment_allocations": False,
                    "payment_remote_ids": False,
                    "state": "pending",
                    "action": "void" if move and move.state == "cancel" else "push",
                    "attempts": 0,
                    "next_attempt": False,
                    "last_error": False,
                    "skip_reason": False,
                    "generation": rec.generation + 1,
                }
            )
        self.env["qxs.send.attempt"]._mark(
            records,
            {rec.id: rec.allocation_move_ids.ids for rec in records if rec.purpose == "payment"},
        )
        old_name = self.remote_org_name or self.remote_org_id
        # The old organisation's grant is of no use any more (the new one's tokens replace it).
        secret = self.sudo()
        with contextlib.suppress(SyncError):
            self._adapter().revoke(secret.refresh_token or secret.access_token)
        self._connect_pending(pending)
        self.message_post(
            body=_(
                "Moved from %(old)s to %(new)s: %(count)s documents are looked up there by "
                "number (linked when found, created otherwise).",
                old=old_name,
                new=pending["org_name"],
                count=len(records),
            )
        )
        return self
