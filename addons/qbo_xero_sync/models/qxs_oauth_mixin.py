import contextlib
import secrets
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac as hmac_tool

from .. import const
from ..exceptions import AUTH, RETRY, SyncError


class QxsOauthMixin(models.AbstractModel):
    """The OAuth side of a connection: the consent's ``state`` (single use, expiring) and the
    tokens, which the connection alone refreshes, under a row lock, storing every rotated
    refresh token in its own transaction at once (QuickBooks rotates refresh tokens, Xero's are
    single-use). Mixed into ``qxs.connection``, which holds the token fields."""

    _name = "qxs.oauth.mixin"
    _description = "OAuth state and tokens of a QuickBooks / Xero connection"

    def _oauth_token(self):
        """The HMAC of the pending consent: this connection, the user, the company, the nonce
        and its issue time (a state can neither be forged, nor moved to another user, nor
        used again once the nonce is spent)."""
        conn = self.sudo()
        return hmac_tool(
            self.env(su=True),
            "qbo_xero_sync-oauth",
            (
                self.id,
                self.env.uid,
                self.company_id.id,
                conn.oauth_nonce,
                fields.Datetime.to_string(conn.oauth_state_date),
            ),
        )

    def _oauth_state(self):
        """A new ``state`` for the provider's consent page (CSRF protection); it replaces any
        earlier one of this connection."""
        self.ensure_one()
        self.sudo().write(
            {
                "oauth_nonce": secrets.token_urlsafe(32),
                "oauth_state_date": fields.Datetime.now(),
            }
        )
        return f"{self.id}.{self._oauth_token()}"

    @api.model
    def _check_oauth_state(self, state):
        """The connection that ``state`` was issued for, to this user, less than
        const.OAUTH_STATE_MINUTES ago and not used yet; the nonce is spent."""
        conn_id, _sep, token = (state or "").partition(".")
        conn = self.browse(int(conn_id)) if conn_id.isdigit() else self.browse()
        if not conn.exists() or not conn.sudo().oauth_nonce:
            raise UserError(
                _(
                    "This authorisation answer was already used. Open the connection and "
                    "click Connect again."
                )
            )
        if not token or not consteq(conn._oauth_token(), token):
            raise UserError(
                _(
                    "The authorisation answer does not match this user and connection, or a "
                    "newer click on Connect replaced it. Open the connection and click Connect "
                    "again."
                )
            )
        issued = conn.sudo().oauth_state_date
        if fields.Datetime.now() - issued > timedelta(minutes=const.OAUTH_STATE_MINUTES):
            raise UserError(
                _(
                    "This authorisation answer has expired (after %(minutes)s minutes). "
                    "Open the connection and click Connect again.",
                    minutes=const.OAUTH_STATE_MINUTES,
                )
            )
        conn.sudo().write({"oauth_nonce": False, "oauth_state_date": False})
        return conn

    @staticmethod
    def _token_values(tokens):
        vals = {"access_token": tokens["access_token"]}
        if tokens.get("refresh_token"):
            vals["refresh_token"] = tokens["refresh_token"]
        vals["token_expiry"] = fields.Datetime.now() + timedelta(
            seconds=int(tokens.get("expires_in") or 1800)
        )
        return vals

    # ------------------------------------------------------------------ tokens
    @contextlib.contextmanager
    def _independent_env(self):
        """An environment whose writes are committed at once, whatever happens to the caller's
        transaction (a rotated refresh token must never be lost to a rollback). In tests, where
        nothing may be committed, a savepoint of the test transaction stands in for it."""
        if self.env["account.move"]._can_commit():
            with self.env.registry.cursor() as cr:
                # READ COMMITTED: a row lock waited for returns the row as the other worker
                # committed it (Odoo's REPEATABLE READ raises a serialization failure instead).
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                yield self.env(cr=cr, su=True)
        else:
            with self.env.cr.savepoint():
                yield self.env(su=True)

    def _token_valid(self):
        conn = self.sudo()
        margin = timedelta(seconds=const.TOKEN_REFRESH_MARGIN)
        return bool(
            conn.access_token
            and conn.token_expiry
            and conn.token_expiry > fields.Datetime.now() + margin
        )

    def _access_token(self, force_refresh=False):
        """A valid access token, refreshed under a row lock when it is about to expire."""
        self.ensure_one()
        if not force_refresh and self._token_valid():
            return self.sudo().access_token
        if self.state not in ("connected", "reconnect") or not self.sudo().refresh_token:
            raise SyncError(_("%s is not connected.", self.display_name), kind=AUTH)
        stale = self.sudo().access_token
        error = None
        with self._independent_env() as env:
            env.cr.execute("SET LOCAL lock_timeout = '15s'")
            # NO KEY UPDATE: refreshers wait for each other, while rows referring to the
            # connection can still be inserted (FOR UPDATE made the caller's later inserts of
            # customer bindings fail with a serialization error once the refresh committed).
            env.cr.execute(
                "SELECT id FROM qxs_connection WHERE id = %s FOR NO KEY UPDATE", [self.id]
            )
            conn = env["qxs.connection"].browse(self.id)
            conn.invalidate_recordset()
            # Another worker may have refreshed while we waited for the lock: use its token.
            if conn._token_valid() and conn.access_token != stale:
                token = conn.access_token
            else:
                try:
                    adapter = conn._adapter_class()(conn._settings())
                    tokens = adapter.refresh_tokens(conn.refresh_token)
                    conn.write(
                        {
                            **self._token_values(tokens),
                            "state": "connected",
                            "last_error": False,
                        }
                    )
                    token = conn.access_token
                except SyncError as exc:
                    error = exc
                    if exc.kind != RETRY:
                        conn.write({"state": "reconnect", "last_error": exc.message})
                        conn._notify_reconnect(exc.message)
        self.invalidate_recordset()
        if error and error.kind == RETRY:
            raise error
        if error:
            raise SyncError(
                _(
                    "The connection to %(name)s must be re-authorised: %(msg)s",
                    name=self.display_name,
                    msg=error.message,
                ),
                kind=AUTH,
            ) from error
        return token
