"""The interface every provider adapter implements, and the values it returns to the engine."""

import base64
import dataclasses
import hashlib
import hmac
import json

from .. import const
from ..exceptions import SyncError


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
