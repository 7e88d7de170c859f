"""The interface every provider adapter implements, and the values it returns to the engine."""

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

from .. import const
from ..exceptions import SyncError

_logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- the HTTP log
# Every HTTP attempt of an adapter is appended to its ``http_log`` as a plain dict (the engine
# writes them as qxs.sync.log rows). Secrets never get there: no request header is kept, and
# tokens, client secrets and authorization codes in URLs and bodies are replaced by "***".
REDACTED = "***"
_SECRET_NAMES = "access_token|refresh_token|id_token|client_secret|client_assertion|token"
_SECRET_JSON = re.compile(r'("(?:' + _SECRET_NAMES + r')"\s*:\s*)"[^"]*"', re.I)
_SECRET_FORM = re.compile(r"((?:^|[?&;\s])(?:" + _SECRET_NAMES + r"|code)=)[^&;\s#\"']*", re.I)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
_CAPTURE = threading.local()


def redact(text, secrets=()):
    """``text`` without tokens or secrets: bearer strings, the values of token, secret and
    (form-encoded) authorization code parameters, and each of ``secrets`` (the values known to
    be secret, e.g. the access token in use) become "***"."""
    if not text:
        return text
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text)
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, REDACTED)
    text = _SECRET_JSON.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    text = _SECRET_FORM.sub(lambda m: m.group(1) + REDACTED, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def oauth_operation(url, form=None):
    """The operation of an OAuth call, from its URL and form (a dict, a list of pairs or an
    url-encoded string), or None for an API call."""
    if isinstance(form, dict | list | tuple):
        form = urlencode(list(form.items()) if isinstance(form, dict) else list(form))
    form = form.decode() if isinstance(form, bytes) else str(form or "")
    path = urlsplit(url or "").path.lower()
    if "grant_type=refresh_token" in form:
        return "token refresh"
    if "grant_type=authorization_code" in form:
        return "token exchange (connect)"
    if "revoke" in path or "revocation" in path:
        return "token revoke"
    if "openid_configuration" in path or "openid-configuration" in path:
        return "OAuth discovery"
    if path.rstrip("/").endswith("/connections"):
        return "list organisations"
    return None


@contextlib.contextmanager
def capture_adapters():
    """Collect the adapters built while the block runs (innermost capture only): their
    ``http_log`` is then the block's HTTP attempts, e.g. a token refresh's."""
    stack = _CAPTURE.__dict__.setdefault("stack", [])
    created = []
    stack.append(created)
    try:
        yield created
    finally:
        stack.remove(created)


@dataclasses.dataclass
class Result:
    """What happened to one sync record after a write (or a read)."""

    remote_id: str = None
    remote_number: str = None
    sync_token: str = None
    remote_total: float = None
    remote_status: str = None  # one of const.REMOTE_STATUSES
    message: str = None  # a note for the chatter (e.g. "linked to the existing document")


def document_kind(move_type):
    """ "invoice" or "credit_note": the kind of remote document an Odoo move type becomes (the
    one place that decides it)."""
    return "credit_note" if move_type == "out_refund" else "invoice"


@dataclasses.dataclass
class RemoteState:
    """A document's state as the provider reports it (polling, webhook or read).

    Providers number invoices and credit notes separately (QuickBooks: per entity), so a state
    is keyed by ``(kind, remote_id)``, never by the id alone."""

    remote_id: str
    status: str  # one of const.REMOTE_STATUSES
    kind: str = "invoice"  # "invoice" or "credit_note" (see document_kind)
    amount_paid: float = 0.0  # cash received (payments only; never credit allocations)
    amount_credited: float = 0.0  # credit notes / overpayments allocated to it (not cash)
    total: float = None
    sync_token: str = None
    remote_number: str = None
    payment_date: str = None
    # Ids of the provider's payments on the document (None: not known): a payment sent from
    # Odoo that is no longer listed was deleted there.
    payment_ids: tuple = None
    # Ids of those payments voided there (QuickBooks: still listed, amounts zeroed).
    voided_payment_ids: tuple = ()


@dataclasses.dataclass
class Changes:
    """What a poll found: the states changed since the watermark, and the next watermark.

    ``watermark`` is a naive UTC datetime on the provider's clock (never the local one); when
    the provider truncated its answer, it is the time of the last change applied, so that the
    next poll reads the rest. ``note`` is a warning for the administrators (e.g. changes older
    than the provider keeps could not be read)."""

    states: list
    watermark: object
    note: str = None
    limits: dict = dataclasses.field(default_factory=dict)  # as Outcome.limits


@dataclasses.dataclass(frozen=True)
class Settings:
    """What an adapter knows of its connection: plain values, read once by the engine (the
    adapter never reads an Odoo record)."""

    provider: str
    environment: str = "production"
    custom_base_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    webhook_key: str = ""
    org_id: str = ""  # QuickBooks realm ID / Xero tenant ID
    xero_scope_set: str = "granular"
    qbo_tax_style: str = "us"
    default_income_account: str = ""  # QuickBooks: the Income account of created items
    request_salt: str = ""  # the database's uuid: two databases never share a request id
    label: str = ""  # the connection's name, for messages
    lang: str = ""  # the language of the messages (adapters/i18n.py)


@dataclasses.dataclass
class Job:
    """One piece of work for an adapter: a document or a journal to send, void or read.

    ``values`` are plain values (no records): for documents those of
    ``account.move._qxs_document_values``, for journals those of the COGS addon. Results are
    keyed by ``key`` (the queue record's id, which also salts the request ids)."""

    key: int
    kind: str  # "invoice", "credit_note" or "journal"
    values: dict = None
    remote_id: str = None
    sync_token: str = None
    remote_number: str = None
    generation: int = 0  # bumped when the document is deliberately sent anew
    customer_id: str = None  # the remote customer bound to values["partner"], when known
    # Tried before without a known answer (no remote id yet): the provider may have it, so a
    # create looks it up by number first. A first send creates at once.
    maybe_sent: bool = False
    # Remote ids that other records hold under this job's number (a look-up leaves them alone).
    others_ids: frozenset = frozenset()


@dataclasses.dataclass
class Outcome:
    """What an adapter answers for a group of jobs. The engine writes all of it back."""

    results: dict = dataclasses.field(
        default_factory=dict
    )  # {job key: Result|RemoteState|SyncError}
    customers: dict = dataclasses.field(default_factory=dict)  # {partner id: remote id} found/made
    forget_customers: set = dataclasses.field(default_factory=set)  # partner ids: stale links
    items: dict = dataclasses.field(default_factory=dict)  # {revenue code: remote item id}
    forget_items: set = dataclasses.field(default_factory=set)  # revenue codes: stale links
    limits: dict = dataclasses.field(default_factory=dict)  # {"minute_remaining", "day_remaining"}


class ProviderAdapter:
    """Base class of the adapters: they translate between plain values and a provider's API,
    and nothing else. Subclasses set ``code`` and implement every method.

    ``access_token(force_refresh=False)`` gives a valid access token (the connection owns the
    tokens and refreshes them); ``items`` are the remote items already known ({code: id})."""

    code = None
    registry = {}

    def __init_subclass__(cls, **kwargs):
        # Only a class that names its own provider is registered: the COGS addon's subclasses
        # (journals) are chosen by the connection's hook, never by the registry.
        if "code" in cls.__dict__ and cls.code:
            ProviderAdapter.registry[cls.code] = cls
        return super().__init_subclass__(**kwargs)

    def __init__(self, settings, access_token=None, items=None):
        self.settings = settings
        self.access_token = access_token
        self.known_items = dict(items or {})
        self.provider_label = dict(const.PROVIDERS)[settings.provider]
        # Plain dicts, one per HTTP attempt (see log_http); the engine takes and writes them.
        self.http_log = []
        self.http_operation = None  # what the calls being made are for (set by the clients)
        # Reference data kept across cron runs (plain, JSON-able values: a chart of accounts,
        # tax codes...): seeded by the engine (seed_reference), stored again by the engine when
        # ``reference_changed``. ``_fresh``: the keys this adapter read from the provider.
        self.reference = {}
        self.reference_changed = False
        self._fresh = set()
        stack = getattr(_CAPTURE, "stack", None)
        if stack:
            stack[-1].append(self)

    @classmethod
    def group_spacing(cls, size):
        """Seconds between two groups of one connection's records under a steady flow, for a
        group of ``size`` records that is not full: the provider's minute budget of the call
        such a group takes, spread evenly (``const.STEADY_FLOW_SHARE`` of it; the rest is left
        for polls and reads). 0: no wait (the engine sends at once)."""
        return 0.0

    def window_wait(self):
        """Seconds until this process's calls of the last minute to this organisation leave
        room for a group that is not full: at most ``const.STEADY_FLOW_WINDOW_SHARE`` of the
        minute limit (the rest is kept for full groups, polls, reads and other processes'
        calls). 0: room now."""
        return 0.0

    def seed_reference(self, data):
        """Start from the reference data an earlier adapter of the connection read (a dict
        of plain values; unknown or malformed keys are ignored by the readers)."""
        self.reference = dict(data or {}) if isinstance(data, dict) else {}
        self.reference_changed = False

    # -- OAuth --------------------------------------------------------------------------------
    def authorize_url(self, state, redirect_uri):
        raise NotImplementedError

    def exchange_code(self, code, params, redirect_uri):
        """A dict with access_token, refresh_token, expires_in, and ``org_id`` when the answer
        names the organisation (QuickBooks' realmId)."""
        raise NotImplementedError

    def refresh_tokens(self, refresh_token):
        raise NotImplementedError

    def revoke(self, token):
        raise NotImplementedError

    def list_organisations(self, params):
        """[{"id", "name"}] of the organisations the consent covers."""
        raise NotImplementedError

    def read_reference_data(self):
        """The provider's reference data, plain values: ``{"home_currency": "USD",
        "account": [...], "tax": [...], "term": [...], "class": [...], "location": [...],
        "tracking": [...], "currency": [...]}``, each item a dict of ``code`` (what the settings
        hold: QuickBooks a name, Xero an account code or tax type), ``name`` and, as they apply,
        ``remote_id``, ``type`` (an account's), ``rate`` (a tax's percent, None when unknown),
        ``days`` (a term's) and ``category`` (a tracking option's category)."""
        raise NotImplementedError

    # -- documents (jobs of kind "invoice" / "credit_note") -----------------------------------
    def push_documents(self, jobs):
        """Create or update the jobs' documents: an :class:`Outcome` whose results are
        Result | SyncError, with the customers (and items) found or created on the way."""
        raise NotImplementedError

    def void_documents(self, jobs):
        """Void (or delete, where the provider requires it) the remote documents: an Outcome.

        A job without ``remote_id`` (its answer may have been lost) is first looked up by
        number, for the same customer and type: found, it is voided and its Result carries the
        ``remote_id``; not found, its result is ``SyncError(kind=GONE)`` (it never got there)."""
        raise NotImplementedError

    def read_states(self, jobs):
        """An Outcome whose results are the RemoteState (or SyncError) of each job."""
        raise NotImplementedError

    def fetch_changes(self, since):
        """A :class:`Changes` with the RemoteStates changed since ``since`` (naive UTC)."""
        raise NotImplementedError

    def remote_url(self, kind, remote_id):
        """The provider's web page of a remote document (False when unknown)."""
        return False

    # -- webhooks -----------------------------------------------------------------------------
    signature_header = None

    def verify_webhook(self, raw, headers):
        """True when the signature header is base64(HMAC-SHA256(webhook key, raw body))."""
        key = self.settings.webhook_key
        signature = headers.get(self.signature_header) or ""
        if not key or not signature:
            return False
        digest = hmac.new(key.encode(), raw, hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), signature.strip())

    def parse_webhook(self, payload):
        """{organisation id: {(kind, remote id)}} named by a verified notification; ``kind`` is
        "invoice", "credit_note" or "other" (e.g. a payment: found by the next poll)."""
        raise NotImplementedError

    # -- shared steps ---------------------------------------------------------------------------
    def _customers(self, jobs, outcome):
        """{partner id: remote customer id | SyncError} for the jobs' customers: the one the
        engine bound (``job.customer_id``), else the one found or created now (reported in
        ``outcome.customers``, for the engine to bind)."""
        result, todo = {}, {}
        for job in jobs:
            partner = job.values["partner"]
            if job.customer_id:
                result[partner["id"]] = job.customer_id
            else:
                todo.setdefault(partner["id"], partner)
        todo = {pid: p for pid, p in todo.items() if pid not in result}
        if todo:
            for pid, remote_id in self._find_or_create_customers(todo, jobs).items():
                result[pid] = remote_id
                if not isinstance(remote_id, SyncError):
                    outcome.customers[pid] = remote_id
        return result

    def _find_or_create_customers(self, todo, jobs):
        """{partner id: remote id | SyncError} for the partners of ``todo`` ({id: values})."""
        raise NotImplementedError

    # -- the HTTP log ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def operation(self, label):
        """Name the HTTP attempts made in the block (the innermost name wins)."""
        previous, self.http_operation = self.http_operation, label
        try:
            yield
        finally:
            self.http_operation = previous

    def log_http(
        self,
        method,
        url,
        started,
        status=0,
        body=None,
        error=None,
        request_id=None,
        provider_ref=None,
        operation=None,
        secrets=(),
    ):
        """Append one HTTP attempt to ``http_log``: plain values, secrets redacted. Never
        raises (a log must never fail a call)."""
        try:
            parts = urlsplit(url or "")
            endpoint = parts.path + (f"?{parts.query}" if parts.query else "")
            self.http_log.append(
                {
                    "date": datetime.now(timezone.utc).replace(tzinfo=None),
                    "operation": operation or self.http_operation or f"{method} {parts.path}",
                    "method": (method or "").upper(),
                    "endpoint": redact(endpoint, secrets)[: const.SYNC_LOG_ENDPOINT_MAX],
                    "status_code": int(status or 0),
                    "duration_ms": int((time.monotonic() - started) * 1000),
                    "request_id": request_id or False,
                    "provider_ref": provider_ref or False,
                    "response_excerpt": redact(body, secrets)[: const.SYNC_LOG_EXCERPT_MAX]
                    if body
                    else False,
                    "error": redact(error, secrets) if error else False,
                }
            )
        except Exception:  # the log is an aid: a call never fails because of it
            _logger.exception("qbo_xero_sync: an HTTP attempt could not be logged")

    def take_http_log(self):
        """The HTTP attempts logged so far, removed from the adapter."""
        entries, self.http_log[:] = list(self.http_log), []
        return entries

    # -- helpers ------------------------------------------------------------------------------
    def request_key(self, job, operation, payload, max_len=32):
        """Idempotency key of one write: stable while the same payload is retried, new when
        the document is deliberately sent again (the job's generation changes). ``job`` may
        be None for a write that belongs to no single job (a batch of customers)."""
        blob = json.dumps(payload, sort_keys=True, default=str)
        key, generation = (job.key, job.generation) if job else ("", 0)
        raw = f"{self.settings.request_salt}:{key}:{generation}:{operation}:{blob}"
        return hashlib.sha256(raw.encode()).hexdigest()[:max_len]

    # -- customers and the match screen (jobs of kind "customer") -------------------------------
    def push_customers(self, jobs):
        """Create the jobs' customers (``values["partner"]``) unless found, or send a linked
        one's name, e-mail and address (``job.customer_id``): an Outcome whose results are
        Result (the remote customer's id) | SyncError, the customers found or created in
        ``outcome.customers``."""
        raise NotImplementedError

    def list_remote(self, kind):
        """[{"id", "name", "email", "code"}] of the provider's active customers (``kind``
        "customer") or items ("item"), read page by page, for the match screen."""
        raise NotImplementedError
