import logging

from werkzeug.exceptions import Forbidden

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request

from ..exceptions import SyncError

_logger = logging.getLogger(__name__)


class QxsController(http.Controller):
    """Thin endpoints: the OAuth return and the providers' webhooks (verify, enqueue, answer)."""

    @http.route("/qbo_xero_sync/oauth/callback", type="http", auth="user", methods=["GET"])
    def oauth_callback(self, state=None, code=None, error=None, **params):
        connection = request.env["qxs.connection"]._check_oauth_state(state)
        if error or not code:
            raise UserError(
                _(
                    "The provider gave no authorisation (%(error)s). Open the connection and "
                    "click Connect again.",
                    error=error or _("no authorisation code"),
                )
            )
        try:
            landing = connection._finish_oauth(code, params)
        except SyncError as exc:
            raise UserError(exc.message) from exc
        return request.redirect(
            landing or f"/odoo/action-qbo_xero_sync.action_qxs_connection/{connection.id}"
        )

    @http.route(
        "/qbo_xero_sync/webhook/<string:provider>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def webhook(self, provider, **_kw):
        raw = request.httprequest.get_data()
        env = request.env(su=True)
        if provider not in ("qbo", "xero"):
            raise Forbidden()
        if not env["qxs.connection"]._handle_webhook(provider, raw, request.httprequest.headers):
            return request.make_response("", status=401)
        return request.make_response("", status=200)
