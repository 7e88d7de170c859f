"""Xero's SDK client and its one request entry point.

Facts honoured here (developer.xero.com; github.com/XeroAPI/xero-python):
- xero-python silently retries PUTs on 429/503 and has no default timeout: its urllib3 retries
  are turned off (the engine retries) and every call carries ``_request_timeout``.
- token URLs are class attributes of ``TokenApi``: they are set on the instance only, so that
  several connections (production, emulator) live side by side in one process.
- the remaining call budget is read from the headers of every answer and handed back to the
  engine in each Outcome (``limits``).
"""

import logging
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import (
    AccountingBadRequestException,
    ApiException,
    HTTPStatusException,
    NotFoundException,
    RateLimitException,
)

from ... import const
from ...exceptions import AUTH, GONE, RETRY, USER, SyncError
from ..base import oauth_operation
from ..i18n import _
from .pacing import MINUTE

_logger = logging.getLogger(__name__)

TIMEOUT = (10, 60)  # (connect, read) seconds
NO_RETRY = urllib3.Retry(
    total=0,
    read=False,
    redirect=0,
    status=0,
    respect_retry_after_header=False,
    raise_on_status=False,
)
# Xero's answer headers -> the keys of Outcome.limits
LIMIT_HEADERS = (
    ("X-MinLimit-Remaining", "minute_remaining"),
    ("X-DayLimit-Remaining", "day_remaining"),
)


def enum_value(value):
    """The string of an SDK enum (or the value itself)."""
    return getattr(value, "value", value)


def quote(text):
    """A string literal of Xero's ``where`` filters, without quotes or backslashes inside (the
    answer is then checked exactly)."""
    return '"' + str(text).replace('"', "").replace("\\", "") + '"'


def element_errors(element):
    """The validation messages of one element of a batch answer."""
    errors = [v.message for v in (element.validation_errors or []) if v.message]
    return "; ".join(errors) or _("Xero refused it without a message.")


class XeroClientMixin:
    """The SDK client (token, tenant, time-out, no silent retries), ``_call`` and the call
    budget. Needs ``self.settings``, ``self.access_token`` and ``self._cache``."""

    # ------------------------------------------------------------------ endpoints and clients
    @classmethod
    def group_spacing(cls, size):
        """Every Xero call counts against one budget of 60 a minute (``MINUTE.limit``)."""
        return 60.0 / (MINUTE.limit * const.STEADY_FLOW_SHARE)

    def window_wait(self):
        """Groups spaced evenly still make other calls (new contacts, accounts, a poll): a
        group that is not full waits until every call of the minute had its even share of
        it, and for room in the rolling window."""
        allowed = int(MINUTE.limit * const.STEADY_FLOW_WINDOW_SHARE)
        key = self.settings.org_id
        return max(MINUTE.paced_wait(key), MINUTE.room_in(key, allowed))

    def _url(self, key):
        if self.settings.environment == "custom":
            return self.settings.custom_base_url.rstrip("/") + const.XERO_CUSTOM_PATHS[key]
        return const.XERO_URLS[key]

    def _scopes(self):
        if self.settings.xero_scope_set == "legacy":
            return const.XERO_SCOPES_LEGACY
        return const.XERO_SCOPES_GRANULAR

    def _api_client(self, token=None):
        tokens = {
            "access_token": token,
            "token_type": "Bearer",
            "scope": self._scopes(),
            "expires_in": 1800,
            "expires_at": time.time() + 1800,
        }
        client = ApiClient(
            Configuration(
                oauth2_token=OAuth2Token(
                    client_id=self.settings.client_id, client_secret=self.settings.client_secret
                )
            ),
            pool_threads=1,
            oauth2_token_getter=lambda: tokens,
            # The connection owns refreshing; xero-python must never spend the refresh token.
            oauth2_token_saver=lambda _token: None,
        )
        client.rest_client.pool_manager.connection_pool_kw["retries"] = NO_RETRY
        client.rest_client.pool_manager.clear()
        self._log_requests(client.rest_client, token)
        return client

    def _log_requests(self, rest, token):
        """Wrap the SDK's urllib3 ``RESTClientObject.request`` of this client (the instance
        only): each HTTP attempt goes to the adapter's HTTP log (secrets redacted there)."""
        send = rest.request
        secrets = tuple(s for s in (token, self.settings.client_secret) if s)

        def request(method, url, *args, **kwargs):
            started = time.monotonic()
            response = error = None
            try:
                response = send(method, url, *args, **kwargs)
                return response
            except ApiException as exc:
                response = error = exc
                raise
            except Exception as exc:
                error = exc
                raise
            finally:
                self._log_xero_call(method, url, kwargs, started, response, error, secrets)

        rest.request = request

    def _log_xero_call(self, method, url, kwargs, started, response, error, secrets):
        try:
            headers = kwargs.get("headers") or {}
            answer = getattr(response, "urllib3_response", response)  # the SDK's or urllib3's
            answer_headers = getattr(answer, "headers", None) or {}
            body = getattr(response, "body", None) if error is not None else None
            body = body if body is not None else getattr(response, "data", None)
            if kwargs.get("query_params"):
                url += "?" + urlencode(kwargs["query_params"])
            self.log_http(
                method,
                url,
                started,
                status=getattr(response, "status", 0) or 0,
                body=body,
                error=str(getattr(error, "reason", None) or error) if error is not None else None,
                request_id=headers.get("Idempotency-Key"),
                provider_ref=answer_headers.get("Xero-Correlation-Id"),
                operation=oauth_operation(url, kwargs.get("post_params")),
                secrets=secrets,
            )
        except Exception:  # never fail a call because of its log
            _logger.exception("qbo_xero_sync: a Xero call could not be logged")

    def _api(self, force_refresh=False):
        if self._client is None or force_refresh:
            if self.access_token is None:
                raise SyncError(_("Xero: no access token for this connection."), kind=AUTH)
            token = self.access_token(force_refresh=force_refresh)
            self._api_client_obj = self._api_client(token)
            self._client = AccountingApi(self._api_client_obj, base_url=self._url("api"))
        return self._client

    # ------------------------------------------------------------------ one request entry point
    def _call(self, method, *args, **kwargs):
        """Every Accounting API call goes through here: token, tenant, timeout, rate limits,
        error mapping."""
        tenant = self.settings.org_id
        if not tenant:
            raise SyncError(_("Choose the Xero organisation on the connection."), kind=AUTH)
        self._check_budget()
        MINUTE.note(tenant)
        kwargs.setdefault("_request_timeout", TIMEOUT)
        for attempt in (1, 2):
            api = self._api(force_refresh=attempt == 2)
            try:
                with self.operation(method.replace("_", " ")):
                    result = getattr(api, method)(tenant, *args, **kwargs)
                self._note_limits(self._api_client_obj.last_response)
                return result
            except HTTPStatusException as exc:
                if exc.status == 401 and attempt == 1:
                    continue  # refused token: refresh once and try again
                raise self._sync_error(exc) from exc
            except (ApiException, urllib3.exceptions.HTTPError) as exc:
                raise self._sync_error(exc) from exc
        raise SyncError(_("Xero refused the access token twice."), kind=AUTH)

    def _check_budget(self):
        """Refuse a call, before sending it, when Xero's last answer said the budget is spent."""
        minute = self._cache.get("minute_remaining")
        if minute is not None and minute <= 0:
            raise SyncError(
                _("Xero's 60 calls per minute are used up; retrying in a minute."),
                kind=RETRY,
                retry_after=MINUTE.retry_after(self.settings.org_id),
                throttled=True,
            )
        day = self._cache.get("day_remaining")
        if day is not None and day <= 0:
            raise SyncError(
                _("Xero's daily limit of 5,000 calls is used up; retrying later."),
                kind=RETRY,
                retry_after=3600,
                throttled=True,
            )

    def _sync_error(self, exc):
        """The SyncError of an SDK or transport exception."""
        if isinstance(exc, RateLimitException):
            retry_after = int((exc.headers or {}).get("Retry-After") or 60)
            return SyncError(
                _(
                    "Xero rate limit reached (%(p)s); retrying in %(s)s s.",
                    p=exc.rate_limit or "429",
                    s=retry_after,
                ),
                kind=RETRY,
                retry_after=retry_after,
                code=429,
                throttled=True,
            )
        if isinstance(exc, AccountingBadRequestException):
            return SyncError(self._bad_request_message(exc), kind=USER, code=400)
        if isinstance(exc, NotFoundException):
            return SyncError(_("Xero: the document no longer exists."), kind=GONE, code=404)
        if isinstance(exc, HTTPStatusException):
            return SyncError(
                _("Xero error %(s)s: %(r)s", s=exc.status, r=exc.reason),
                kind=RETRY if (exc.status or 0) >= 500 else AUTH,
                code=exc.status,
            )
        if isinstance(exc, ApiException):
            return SyncError(_("Xero could not be reached: %s", exc.reason or exc), kind=RETRY)
        return SyncError(_("Xero could not be reached: %s", exc), kind=RETRY)

    @staticmethod
    def _bad_request_message(exc):
        try:
            data = exc.error_data
        except (ValueError, TypeError):
            return _("Xero refused the request: %s", exc.reason)
        messages = [
            err.get("Message")
            for el in data.get("Elements", [])
            for err in el.get("ValidationErrors", [])
        ]
        messages = [m for m in messages if m] or [data.get("Message") or data.get("Detail")]
        return _("Xero: %s", "; ".join(str(m) for m in messages if m))

    # ------------------------------------------------------------------ what the answers say
    def _note_limits(self, response):
        if response is None:
            return
        for header, key in LIMIT_HEADERS:
            value = response.getheader(header)
            if value is not None and value.lstrip("-").isdigit():
                self._cache[key] = int(value)

    @property
    def limits(self):
        """The call budget Xero's last answer left ({"minute_remaining", "day_remaining"}),
        for the engine to show on the connection; empty until Xero told the daily one."""
        if "day_remaining" not in self._cache:
            return {}
        return {key: self._cache.get(key, 0) for _header, key in LIMIT_HEADERS}

    def _xero_clock(self):
        """Naive UTC time of Xero's last answer (its Date header), else the local clock."""
        response = getattr(self._api_client_obj, "last_response", None)
        try:
            moment = parsedate_to_datetime(response.getheader("Date"))
        except (AttributeError, TypeError, ValueError):
            _logger.warning("qbo_xero_sync: Xero's answer has no Date header; local clock used")
            return datetime.now(timezone.utc).replace(tzinfo=None)
        if moment.tzinfo:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment
