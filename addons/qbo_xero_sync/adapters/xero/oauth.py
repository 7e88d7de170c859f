"""Xero's OAuth 2.0: consent URL, token exchange and refresh, revocation, organisations."""

import json
from urllib.parse import urlencode

import urllib3
from xero_python.api_client.oauth2 import TokenApi
from xero_python.exceptions import ApiException
from xero_python.identity import IdentityApi

from ...exceptions import AUTH, RETRY, SyncError
from ..i18n import _
from .client import TIMEOUT


class XeroOAuthMixin:
    """The token endpoints. The connection owns the tokens: these methods get and return them,
    and never store them."""

    def _token_call(self, form):
        """POST the token endpoint (authorization code or refresh); returns the token dict."""
        client = self._api_client()
        form = {
            **form,
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
        }
        try:
            response, status, _headers = client.call_api(
                self._url("token"),
                "POST",
                header_params={
                    "Accept": "application/json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                post_params=form,
                auth_settings=None,
                _preload_content=False,
                _request_timeout=TIMEOUT,
            )
        except ApiException as exc:
            status = exc.status or 0
            kind = RETRY if status in (0, 429) or status >= 500 else AUTH
            raise SyncError(
                _(
                    "Xero refused the authorisation: %(s)s %(b)s",
                    s=status,
                    b=getattr(exc.http_resp, "data", b"")[:300],
                ),
                kind=kind,
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise SyncError(_("Xero could not be reached: %s", exc), kind=RETRY) from exc
        data = json.loads(response.data or b"{}")
        if status != 200 or "access_token" not in data:
            raise SyncError(
                _("Xero refused the authorisation: %(s)s %(e)s", s=status, e=data.get("error", "")),
                kind=AUTH,
            )
        return data

    def authorize_url(self, state, redirect_uri):
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self._scopes()),
            "state": state,
        }
        return f"{self._url('authorize')}?{urlencode(query)}"

    def exchange_code(self, code, params, redirect_uri):
        return self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def refresh_tokens(self, refresh_token):
        return self._token_call(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "scope": " ".join(self._scopes()),
            }
        )

    def revoke(self, token):
        """Revoke ``token`` (the connection's refresh token: Xero revokes the whole grant)."""
        if not token:
            return
        api = TokenApi(self._api_client(), self.settings.client_id, self.settings.client_secret)
        api.revoke_token_url = self._url("revoke")  # instance attribute, not the class one
        try:
            api.revoke_token(token)
        except Exception as exc:
            raise SyncError(_("Xero did not revoke the token: %s", exc), kind=RETRY) from exc

    def list_organisations(self, params):
        token = self.access_token() if self.access_token else None
        identity = IdentityApi(self._api_client(token), base_url=self._url("connections"))
        try:
            connections = identity.get_connections(_request_timeout=TIMEOUT)
        except ApiException as exc:
            raise SyncError(_("Xero did not list the organisations: %s", exc.reason)) from exc
        return [
            {"id": c.tenant_id, "name": c.tenant_name}
            for c in connections
            if (c.tenant_type or "ORGANISATION") == "ORGANISATION"
        ]
