"""QuickBooks Online clients (python-quickbooks + intuit-oauth) and the one request entry point.

Facts honoured here (API_NOTES.md §0-2 of the project notes; Intuit's API reference):
- python-quickbooks refreshes by itself when built without an access token: it is always handed
  a valid token from the engine's ``access_token`` function, and the connection alone refreshes.
- it hides HTTP statuses: ``QboClient.process_request`` keeps the last response (status,
  ``intuit_tid``) and adds a timeout; every fault (of a request or of a batch item) is
  classified by :meth:`QboClientMixin._fault`, by status and fault code.
- ``requestid`` makes a write idempotent; a batch (≤ 30 items) carries one for the whole request.
- 10 requests per second (and 10 in flight) per company: every call is paced (pacing.py); a 429
  that still comes is a retry error, after its Retry-After or ``QBO_THROTTLE_WAIT``.
"""

import json
import logging
import time
from datetime import datetime, timezone

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException

from ... import const
from ...exceptions import AUTH, GONE, RETRY, USER, SyncError
from ..base import oauth_operation
from ..i18n import _
from .pacing import PACER

_logger = logging.getLogger(__name__)


def log_response(on_http, method, url, started, response=None, error=None, **values):
    """Hand one HTTP attempt of ``requests`` to ``on_http`` (the adapter's ``log_http``)."""
    if on_http is None:
        return
    try:
        headers = response.headers if response is not None else {}
        on_http(
            method,
            url,
            started,
            status=response.status_code if response is not None else 0,
            body=response.text[:4000] if response is not None else None,
            error=str(error) if error is not None else None,
            provider_ref=headers.get("intuit_tid"),
            **values,
        )
    except Exception:  # never fail a call because of its log
        _logger.exception("qbo_xero_sync: a QuickBooks call could not be logged")


class QboAuthClient(AuthClient):
    """intuit-oauth's client (a requests.Session) with a timeout on every call, each call
    handed to ``on_http`` (the adapter's HTTP log; secrets are redacted there)."""

    def __init__(self, *args, on_http=None, **kwargs):
        self.on_http = on_http  # before the discovery request of AuthClient.__init__
        super().__init__(*args, **kwargs)

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", const.HTTP_TIMEOUT)
        started = time.monotonic()
        response = error = None
        try:
            response = super().request(method, url, *args, **kwargs)
            return response
        except requests.RequestException as exc:
            error = exc
            raise
        finally:
            secrets = (getattr(self, "client_secret", ""), getattr(self, "access_token", ""))
            log_response(
                getattr(self, "on_http", None),
                method,
                url,
                started,
                response,
                error,
                operation=oauth_operation(url, kwargs.get("data")) or "OAuth",
                secrets=tuple(s for s in secrets if s),
            )


class QboClient(QuickBooks):
    """python-quickbooks' client that keeps the HTTP response and sends with a timeout, paced
    per company (pacing.py); each attempt is handed to ``on_http`` (the adapter's HTTP log)."""

    last_response = None
    on_http = None

    def process_request(self, request_type, url, headers="", params="", data=""):
        token = self.auth_client.access_token
        headers.update({"Authorization": "Bearer " + token})
        started = time.monotonic()
        response = error = None
        try:
            with PACER.slot(self.company_id, url):
                response = self.last_response = requests.request(
                    request_type,
                    url,
                    headers=headers,
                    params=params,
                    data=data,
                    timeout=const.HTTP_TIMEOUT,
                )
        except requests.RequestException as exc:
            error = exc
            raise
        finally:
            log_response(
                self.on_http,
                request_type,
                url,
                started,
                response,
                error,
                request_id=(params or {}).get("requestid"),
                secrets=(token,),
            )
        return self.last_response


class _LightAuth:
    """What python-quickbooks needs of an auth client when it is handed a valid token: API
    calls need no OAuth discovery round trip (intuit-oauth's AuthClient is used for tokens)."""

    environment = "custom"
    client_id = "unused"
    refresh_token = "unused"

    def __init__(self, access_token):
        self.access_token = access_token


def operation_of(method, path, body, params):
    """The operation of one QuickBooks call, for the HTTP log: "query", "read invoice",
    "create customer", "void invoice"..."""
    entity = path.split("/")[0].split("?")[0]
    if entity == "query":
        return "query"
    if method == "GET":
        return f"read {entity}"
    operation = (params or {}).get("operation")
    if operation:
        return f"{operation} {entity}"
    return f"update {entity}" if isinstance(body, dict) and body.get("Id") else f"create {entity}"


def batch_operation(items, label):
    """ "create invoices (batch)": the operations and entities of a batch's items."""
    names = []
    for item in items:
        entity = next((key for key in item if key not in ("bId", "operation")), "")
        name = "query" if entity == "Query" else f"{item.get('operation') or 'create'} "
        name += "" if entity == "Query" else f"{entity.lower()}s"
        if name not in names:
            names.append(name)
    return f"{', '.join(names) or label} (batch)"


def quote(value):
    """A string literal of QuickBooks' query language."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def utc(text):
    """Naive UTC datetime of a QuickBooks timestamp (ISO 8601 with an offset), or None."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def names_inactive(text):
    """True when a 610 detail says that a referenced name (customer, item, account) is inactive,
    rather than that the transaction itself was deleted (Intuit's "handling common errors")."""
    return "inactive" in (text or "").lower()


def fault_text(message, detail):
    """A fault's message with its detail, once."""
    message = message or ""
    if detail and detail not in message:
        return f"{message}: {detail}"
    return message


class QboClientMixin:
    """Endpoints, OAuth, the API client, and every call to QuickBooks."""

    @classmethod
    def group_spacing(cls, size):
        """A group of up to ``const.QBO_PLAIN_ITEMS`` records goes in plain requests (500 a
        minute); a larger one in a batch request (40 a minute): see :meth:`_batch`."""
        per_minute = (
            PACER.requests_per_minute if size <= const.QBO_PLAIN_ITEMS else PACER.batches_per_minute
        )
        return 60.0 / (per_minute * const.STEADY_FLOW_SHARE)

    def __init__(self, settings, access_token=None, items=None):
        super().__init__(settings, access_token=access_token, items=items)
        self._client = None
        self._realm = settings.org_id  # the company (realm) the calls go to
        self._tax_code_index = None
        self._prefetched = {}  # {query text: QueryResponse} read ahead in one batch request

    # ------------------------------------------------------------------ endpoints and clients
    def _environment(self):
        settings = self.settings
        if settings.environment == "custom":
            return settings.custom_base_url.rstrip("/") + const.QBO_DISCOVERY_PATH
        return settings.environment

    def _api_url(self):
        settings = self.settings
        if settings.environment == "custom":
            return settings.custom_base_url.rstrip("/") + "/v3"
        return const.QBO_API_URLS[settings.environment]

    def _auth_client(self, redirect_uri="", **tokens):
        try:
            return QboAuthClient(
                self.settings.client_id,
                self.settings.client_secret,
                redirect_uri or "",
                self._environment(),
                on_http=self.log_http,
                **tokens,
            )
        except (requests.RequestException, AuthClientError, ValueError, KeyError) as exc:
            # AuthClientError: the discovery request answered an error status.
            raise SyncError(
                _("QuickBooks' OAuth discovery document could not be read: %s", exc), kind=RETRY
            ) from exc

    def _auth_call(self, func, *args, **kwargs):
        try:
            func(*args, **kwargs)
        except AuthClientError as exc:
            kind = RETRY if exc.status_code >= 500 or exc.status_code == 429 else AUTH
            raise SyncError(
                _(
                    "QuickBooks refused the authorisation: %(s)s %(c)s",
                    s=exc.status_code,
                    c=exc.content,
                ),
                kind=kind,
            ) from exc
        except requests.RequestException as exc:
            raise SyncError(_("QuickBooks could not be reached: %s", exc), kind=RETRY) from exc

    def authorize_url(self, state, redirect_uri):
        # intuit-oauth takes its own Scopes enum, not the scope strings.
        scopes = [Scopes(scope) for scope in const.QBO_SCOPES]
        return self._auth_client(redirect_uri).get_authorization_url(scopes, state)

    def exchange_code(self, code, params, redirect_uri):
        realm = params.get("realmId")
        if not realm:
            raise SyncError(_("QuickBooks did not say which company was connected (realmId)."))
        client = self._auth_client(redirect_uri)
        self._auth_call(client.get_bearer_token, code, realm_id=realm)
        self._use_realm(realm)
        return {**self._tokens(client), "org_id": realm}

    def list_organisations(self, params):
        realm = params.get("realmId") or self._realm
        self._use_realm(realm)
        name = realm
        try:
            info = self._get(f"companyinfo/{realm}").get("CompanyInfo", {})
            name = info.get("CompanyName") or realm
        except SyncError as exc:
            _logger.info("qbo_xero_sync: company name not read: %s", exc)
        return [{"id": realm, "name": name}]

    def refresh_tokens(self, refresh_token):
        client = self._auth_client()
        self._auth_call(client.refresh, refresh_token=refresh_token)
        return self._tokens(client)

    def revoke(self, token):
        if token:
            self._auth_call(self._auth_client().revoke, token=token)

    @staticmethod
    def _tokens(client):
        return {
            "access_token": client.access_token,
            "refresh_token": client.refresh_token,
            "expires_in": client.expires_in,
        }

    def _use_realm(self, realm):
        """Send the next calls to company ``realm`` (the one just connected)."""
        if realm and realm != self._realm:
            self._realm = realm
            self._client = None

    def _qb(self, force_refresh=False):
        if self._client is None or force_refresh:
            client = QboClient(
                auth_client=_LightAuth(self.access_token(force_refresh=force_refresh)),
                refresh_token="unused",
                company_id=self._realm,
                minorversion=const.QBO_MINOR_VERSION,
            )
            client.api_url_v3 = self._api_url()
            client.on_http = self.log_http
            self._client = client
        return self._client

    # ------------------------------------------------------------------ one request entry point
    def _request(
        self, method, path, body=None, params=None, request_id=None, content_type="application/json"
    ):
        """Every API call goes through here: token, timeout, request id, error mapping."""
        # A read, void, delete or update names an existing object: only there may a 610 mean
        # that this object is gone (on a create, it names an inactive reference).
        own = (
            method == "GET"
            or (params or {}).get("operation") in ("void", "delete")
            or (isinstance(body, dict) and bool(body.get("Id")))
        )
        for attempt in (1, 2):
            qb = self._qb(force_refresh=attempt == 2)
            url = f"{qb.api_url}/company/{qb.company_id}/{path}"
            data = body if isinstance(body, str) or body is None else json.dumps(body)
            operation = self.http_operation or operation_of(method, path, body, params)
            try:
                with self.operation(operation):
                    return qb.make_request(
                        method,
                        url,
                        data,
                        content_type=content_type,
                        params=dict(params or {}),
                        request_id=request_id,
                    )
            except AuthorizationException as exc:
                status = qb.last_response.status_code if qb.last_response is not None else 0
                if status == 401 and attempt == 1:
                    continue  # the token was refused: refresh once and try again
                raise self._error(exc, qb, own) from exc
            except QuickbooksException as exc:
                raise self._error(exc, qb, own) from exc
            except requests.RequestException as exc:
                raise SyncError(_("QuickBooks could not be reached: %s", exc), kind=RETRY) from exc
        raise SyncError(_("QuickBooks refused the access token twice."), kind=AUTH)

    def _error(self, exc, qb, own=True):
        """The SyncError of an exception python-quickbooks raised for the last response."""
        resp = qb.last_response
        return self._fault(
            exc.error_code,
            fault_text(exc.message, exc.detail),
            own,
            status=resp.status_code if resp is not None else 0,
            headers=resp.headers if resp is not None else {},
        )

    def _fault(self, code, text, own, status=0, headers=None):
        """The one classifier of QuickBooks faults, of a request (its HTTP ``status`` and
        ``headers``) or of a batch item (status 0). ``own``: the write names an existing object
        (an update, void or delete, or a read), so that a 610 may mean that it is gone."""
        headers = headers or {}
        message = _("QuickBooks error %(code)s: %(text)s", code=code, text=text)
        if headers.get("intuit_tid"):
            message += f" (intuit_tid {headers['intuit_tid']})"
        if status == 429 or code == 3001:
            return SyncError(
                _("QuickBooks throttled the requests (429); retrying later."),
                kind=RETRY,
                retry_after=int(
                    headers.get("Retry-After")
                    or PACER.retry_after(self._realm)
                    or const.QBO_THROTTLE_WAIT
                ),
                code=3001,
                throttled=True,
            )
        if status >= 500 or (status == 0 and code == 10000):
            return SyncError(message, kind=RETRY, code=code)
        if status == 401:
            return SyncError(message, kind=AUTH, code=code)
        if code == 610 and own and not names_inactive(text):
            return SyncError(message, kind=GONE, code=code)
        if code == 610:
            return SyncError(self._inactive_message(message), kind=USER, code=code)
        return SyncError(message, kind=USER, code=code)

    def _inactive_message(self, text):
        return _(
            "QuickBooks says something this document uses (a customer, item, account or tax "
            "code) is inactive or deleted there: reactivate it in QuickBooks, then retry. "
            "(%(text)s)",
            text=text,
        )
