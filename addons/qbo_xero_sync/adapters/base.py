"""The interface every provider adapter implements, and the values it returns to the engine."""

import base64
import dataclasses
import hashlib
import hmac
import json

from odoo import _

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


class ProviderAdapter:
    """Base class of the adapters; subclasses set ``code`` and implement every method."""

    code = None
    registry = {}

    def __init_subclass__(cls, **kwargs):
        if cls.code:
            ProviderAdapter.registry[cls.code] = cls
        return super().__init_subclass__(**kwargs)

    def __init__(self, connection):
        self.connection = connection  # sudo'd qxs.connection
        self.env = connection.env

    # -- OAuth --------------------------------------------------------------------------------
    def authorize_url(self, state, redirect_uri):
        raise NotImplementedError

    def exchange_code(self, code, params, redirect_uri):
        """Return a dict with access_token, refresh_token, expires_in."""
        raise NotImplementedError

    def refresh_tokens(self, refresh_token):
        raise NotImplementedError

    def revoke(self):
        raise NotImplementedError

    def list_organisations(self, params):
        """[{"id", "name"}] of the organisations the consent covers."""
        raise NotImplementedError

    def list_accounts(self):
        """[{"code", "name", "type"}] of the provider's active accounts: ``code`` is what the
        account settings hold (QuickBooks: the account name; Xero: the account code), ``name`` a
        label, ``type`` the provider's account type (e.g. "Income", "REVENUE")."""
        raise NotImplementedError

    # -- documents ----------------------------------------------------------------------------
    def push_documents(self, records):
        """Create or update the documents of ``records`` (qxs.sync.record, purpose 'document').
        Returns {record: Result | SyncError}."""
        raise NotImplementedError

    def void_documents(self, records):
        """Void (or delete, where the provider requires it) the remote documents.

        A record without ``remote_id`` (its answer may have been lost) is first looked up by
        number, for the same customer and type: found, it is voided and its Result carries the
        ``remote_id``; not found, its result is ``SyncError(kind=GONE)`` (it never got there)."""
        raise NotImplementedError

    def read_states(self, records):
        """{record: RemoteState | SyncError} for the records' remote documents."""
        raise NotImplementedError

    def fetch_changes(self, since):
        """A :class:`Changes` with the RemoteStates changed since ``since`` (naive UTC)."""
        raise NotImplementedError

    def remote_url(self, record):
        return False

    # -- journals (e.g. cost of goods sold) -------------------------------------------------------
    def push_journals(self, records):
        """Create (or replace) one journal per record from ``record._qxs_journal_values()``:
        {"number", "date", "narration", "currency", "lines": [{"account_code", "debit",
        "credit", "description"}]}. Returns {record: Result | SyncError}."""
        raise NotImplementedError

    def _check_journal(self, vals, account_types):
        """Refuse a journal, before any call, whose account codes are unknown to the provider
        ({code: account type}) or whose account type does not fit the line's ``role``."""
        expected = const.JOURNAL_ACCOUNT_TYPES.get(self.code, {})
        provider = dict(const.PROVIDERS)[self.code]
        problems = []
        for line in vals["lines"]:
            code, role = line["account_code"], line.get("role")
            if code not in account_types:
                problems.append(
                    _(
                        "%(p)s has no account %(c)s: fix the account mapping in the settings.",
                        p=provider,
                        c=code,
                    )
                )
            elif role in expected and account_types[code] not in expected[role]:
                problems.append(
                    _(
                        "%(p)s account %(c)s is of type %(t)s; this line needs an account of "
                        "type %(e)s: fix the account mapping in the settings.",
                        p=provider,
                        c=code,
                        t=account_types[code],
                        e=" or ".join(expected[role]),
                    )
                )
        if problems:
            raise SyncError("\n".join(dict.fromkeys(problems)))

    def void_journals(self, records):
        """Void (or delete, where the provider can't void) the records' remote journals."""
        raise NotImplementedError

    # -- webhooks -----------------------------------------------------------------------------
    signature_header = None

    def verify_webhook(self, raw, headers):
        """True when the signature header is base64(HMAC-SHA256(webhook key, raw body))."""
        key = self.connection.webhook_key
        signature = headers.get(self.signature_header) or ""
        if not key or not signature:
            return False
        digest = hmac.new(key.encode(), raw, hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), signature.strip())

    def parse_webhook(self, payload):
        """{organisation id: {(kind, remote id)}} named by a verified notification; ``kind`` is
        "invoice", "credit_note" or "other" (e.g. a payment: found by the next poll)."""
        raise NotImplementedError

    # -- shared steps of the adapters --------------------------------------------------------
    def _documents(self, records, check=None):
        """({record: neutral document values}, {record: SyncError}) for sync records; ``check``
        (doc) may refuse a document, before any call, with a SyncError."""
        docs, errors = {}, {}
        for rec in records:
            try:
                doc = rec.move_id._qxs_document_values(self.connection)
                if check:
                    check(doc)
                docs[rec] = doc
            except SyncError as exc:
                errors[rec] = exc
        return docs, errors

    def _customers(self, docs):
        """{partner id: remote customer id | SyncError} for the documents' customers: the ones
        bound earlier, then the provider's own look-up or creation (bound for next time)."""
        Binding = self.env["qxs.sync.record"].sudo()
        partners = {d["partner"]["record"].id: d["partner"] for d in docs}
        bound = Binding.search(
            [
                ("connection_id", "=", self.connection.id),
                ("purpose", "=", "customer"),
                ("res_id", "in", list(partners)),
                ("remote_id", "!=", False),
            ]
        )
        result = {b.res_id: b.remote_id for b in bound}
        todo = {pid: p for pid, p in partners.items() if pid not in result}
        if todo:
            for pid, cid in self._find_or_create_customers(todo).items():
                result[pid] = cid
                if not isinstance(cid, SyncError):
                    Binding._qxs_bind(self.connection, "customer", todo[pid]["record"], cid)
        return result

    def _find_or_create_customers(self, partners):
        """{partner id: remote id | SyncError} for unbound partners ({id: partner values})."""
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def request_key(record, operation, payload, max_len=32):
        """Idempotency key of one write: stable while the same payload is retried, new when
        the document is deliberately sent again (the record's generation changes)."""
        dbuuid = record.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        blob = json.dumps(payload, sort_keys=True, default=str)
        raw = f"{dbuuid}:{record.id}:{record.generation}:{operation}:{blob}"
        return hashlib.sha256(raw.encode()).hexdigest()[:max_len]
