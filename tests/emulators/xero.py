"""Strict local emulator of the Xero Accounting API, its OAuth2 identity server and webhooks.

Built on :class:`tests.emulators.base.Emulator`. Rules and their sources are listed in
``XERO_RULES.md`` next to this file; ⚠ there marks documented guesses, which are configurable.
Each tenant (organisation) has its own store ``self.orgs[tenant_id]`` of kind -> {id: object};
``self.state`` is the first tenant's store, so ``objects(kind)`` reads the first organisation.
Objects are stored in their API output form (dates as ``/Date(ms+0000)/``).
"""

import base64
import copy
import hashlib
import hmac
import json
import math
import re
import secrets
import time
import uuid
from collections import Counter, deque
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlencode

from ..contracts.check import xero_contract
from .base import Emulator, Response

DEMO_TENANT_ID = "7f3c2a4e-9b1d-4c8e-a5f6-0d2e4b6a8c10"

# Legacy scopes and the granular ones of apps created from 2 March 2026 (https://developer.xero.com/documentation/guides/oauth2/scopes/).
SCOPE_GROUPS = {
    "contacts": {"accounting.contacts"},
    "settings": {"accounting.settings"},
    "invoices": {"accounting.transactions", "accounting.invoices"},
    "payments": {"accounting.transactions", "accounting.payments"},
    "journals": {"accounting.transactions", "accounting.manualjournals"},
    "items": {"accounting.settings", "accounting.transactions", "accounting.invoices"},
}
KNOWN_SCOPES = {
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.attachments",
    "accounting.banktransactions",
    "accounting.classicexpenses",
    "accounting.journals.read",
    "accounting.budgets.read",
    "accounting.reports.read",
} | set().union(*SCOPE_GROUPS.values())
DEFAULT_SCOPE = (
    "openid profile email offline_access accounting.transactions accounting.settings "
    "accounting.contacts"
)

ACCOUNT_CLASS = {
    **dict.fromkeys(("BANK", "CURRENT", "FIXED", "INVENTORY", "NONCURRENT", "PREPAYMENT"), "ASSET"),
    **dict.fromkeys(("CURRLIAB", "LIABILITY", "TERMLIAB", "PAYG"), "LIABILITY"),
    **dict.fromkeys(("DEPRECIATN", "DIRECTCOSTS", "EXPENSE", "OVERHEADS"), "EXPENSE"),
    **dict.fromkeys(("OTHERINCOME", "REVENUE", "SALES"), "REVENUE"),
    "EQUITY": "EQUITY",
}
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
EDITABLE = ("DRAFT", "SUBMITTED")
ALLOCATED = "This document cannot be edited as it has a payment or credit note allocated to it."

# Invoices and credit notes share their line, total and status rules.
DOCS = {
    "Invoices": {
        "id": "InvoiceID",
        "number": "InvoiceNumber",
        "type": "ACCREC",
        "label": "Invoice",
        "prefix": "INV-",
        "unique": "Invoice # must be unique.",
    },
    "CreditNotes": {
        "id": "CreditNoteID",
        "number": "CreditNoteNumber",
        "type": "ACCRECCREDIT",
        "label": "Credit Note",
        "prefix": "CN-",
        "unique": "Credit Note # must be unique.",
    },  # ⚠ wording
}
ID_KEYS = {
    "Contacts": "ContactID",
    "Accounts": "AccountID",
    "TaxRates": "TaxType",
    "Items": "ItemID",
    "Payments": "PaymentID",
    "ManualJournals": "ManualJournalID",
    "TrackingCategories": "TrackingCategoryID",
    **{kind: spec["id"] for kind, spec in DOCS.items()},
}

CENT = Decimal("0.01")
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "EUR": "Euro",
    "GBP": "British Pound",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "CAD": "Canadian Dollar",
}
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Invalid(Exception):
    """Raised while validating one element; carries the validation messages."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = list(messages)


class Answer(Exception):
    """Raised by a handler to answer at once with ``response``."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


# ---------------------------------------------------------------------- value helpers
def to_datetime(value):
    """Parse ``/Date(ms[+zzzz])/``, ISO 8601 or RFC 1123 into an aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    m = _MS_DATE.match(text)
    if m:
        return datetime.fromtimestamp(int(m.group(1)) / 1000, timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise ValueError(f"not a date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def ms_date(moment):
    """Xero's JSON date form ``/Date(ms+0000)/`` of a date or datetime."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def money(value, places=CENT):
    """Decimal rounded half away from zero (Xero rounds each line to 2 dp)."""
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def dec(value, name):
    """Decimal from a JSON number or numeric string; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Invalid(f"{name} must be a number.")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Invalid(f"{name} must be a number.") from None


def field(obj, path):
    """Value at a dotted path, keys matched case-insensitively."""
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        if part not in obj:
            part = next((k for k in obj if k.lower() == part.lower()), part)
        obj = obj.get(part)
    return obj


# ---------------------------------------------------------------------- where= filters
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)'
    r"|(?P<op>==|!=|>=|<=|&&|\|\||[()<>,!])|(?P<word>[A-Za-z_][\w.]*))"
)


def _comparable(value):
    if isinstance(value, str) and _MS_DATE.match(value):
        return to_datetime(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _compare(left, op, right):
    left, right = _comparable(left), _comparable(right)
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()  # ⚠ Xero string filters ignore case
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    try:
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
    except TypeError:
        return False


class WhereParser:
    """Recursive-descent parser of Xero's ``where`` expressions into a predicate.

    Supports ``==, !=, <, >, <=, >=``, ``AND/&&``, ``OR/||``, ``NOT/!``, parentheses,
    ``"strings"``, numbers, ``true/false/null``, ``guid("…")``, ``DateTime(y, m, d)`` and the
    string methods ``Contains``, ``StartsWith``, ``EndsWith`` on dotted field paths.
    """

    METHODS = {
        "contains": lambda a, b: b in a,
        "startswith": str.startswith,
        "endswith": str.endswith,
    }

    def __init__(self, text):
        self.tokens, pos = [], 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"unexpected character at {pos}: {text[pos:pos + 10]!r}")
            self.tokens.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
        self.pos = 0

    def parse(self):
        predicate = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos][1]!r}")
        return predicate

    def _peek(self, *values):
        if self.pos < len(self.tokens):
            kind, value = self.tokens[self.pos]
            if kind in ("op", "word") and value.upper() in values:
                return True
        return False

    def _next(self):
        if self.pos >= len(self.tokens):
            raise ValueError("unexpected end of expression")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _expect(self, value):
        if not self._peek(value):
            raise ValueError(f"expected {value!r}")
        self.pos += 1

    def _or(self):
        left = self._and()
        while self._peek("OR", "||"):
            self.pos += 1
            right = self._and()
            left = (lambda a, b: lambda o: a(o) or b(o))(left, right)
        return left

    def _and(self):
        left = self._unary()
        while self._peek("AND", "&&"):
            self.pos += 1
            right = self._unary()
            left = (lambda a, b: lambda o: a(o) and b(o))(left, right)
        return left

    def _unary(self):
        if self._peek("NOT", "!"):
            self.pos += 1
            inner = self._unary()
            return lambda o: not inner(o)
        if self._peek("("):
            self.pos += 1
            inner = self._or()
            self._expect(")")
            return inner
        left = self._operand()
        if self._peek("==", "!=", "<", ">", "<=", ">="):
            op = self._next()[1]
            right = self._operand()
            return lambda o: _compare(left(o), op, right(o))
        return lambda o: bool(left(o))

    def _args(self):
        self._expect("(")
        args = []
        while not self._peek(")"):
            args.append(self._operand()(None))
            if not self._peek(")"):
                self._expect(",")
        self.pos += 1
        return args

    def _operand(self):
        kind, value = self._next()
        if kind == "str":
            text = json.loads(value)
            return lambda o: text
        if kind == "num":
            number = Decimal(value)
            return lambda o: number
        if kind != "word":
            raise ValueError(f"unexpected {value!r}")
        low = value.lower()
        if low in ("true", "false", "null"):
            const = {"true": True, "false": False, "null": None}[low]
            return lambda o: const
        if low == "guid":
            (text,) = self._args()
            return lambda o: text
        if low == "datetime":
            moment = datetime(*[int(a) for a in self._args()], tzinfo=timezone.utc)
            return lambda o: moment
        path, _, method = value.rpartition(".")
        if path and method.lower() in self.METHODS and self._peek("("):
            (arg,) = self._args()
            func = self.METHODS[method.lower()]
            return lambda o: isinstance(field(o, path), str) and func(
                field(o, path).lower(), str(arg).lower()
            )
        return lambda o: field(o, value)


# ---------------------------------------------------------------------- the emulator
class XeroEmulator(Emulator):
    """Xero Accounting API, identity server (OAuth2, connections) and webhook sender."""

    name = "xero"
    default_config = {
        "client_id": "xero-client-id",
        "client_secret": "xero-client-secret",
        "tenants": [{"tenantId": DEMO_TENANT_ID, "tenantName": "Demo Company (US)"}],
        "redirect_uris": None,  # None = any redirect URI is registered
        "access_token_ttl": 1800,
        "refresh_token_ttl": 60 * 86400,  # unused refresh tokens expire after 60 days
        "refresh_token_grace": 1800,
        "code_ttl": 300,
        "rate_limit_per_minute": 60,
        "rate_limit_per_day": 5000,
        "app_rate_limit_per_minute": 10000,
        "max_concurrent": 5,
        "latency": 0.0,  # seconds every API call stays in flight (to test the concurrent limit)
        "idempotency_ttl": 86400,  # ⚠ undocumented
        "webhook_url": None,
        "webhook_key": "xero-webhook-key",
        "base_currency": "USD",
        "currencies": ["USD"],
        "country_code": "US",
        "org_version": "US",
        # Organisation.PaymentTerms.Sales: the default due date of sales invoices (None: none)
        "sales_payment_terms": {"Day": 30, "Type": "DAYSAFTERBILLDATE"},
        "page_size": 100,
        "max_page_size": 1000,  # ⚠ pageSize cap
        "invoice_account_classes": ["REVENUE"],  # ⚠ account classes allowed on sales lines
        "contact_account_number_unique": True,  # ⚠
        # Xero's 3.5 MB request size limit, read as MiB ⚠ (and applied to every method's body)
        "max_request_bytes": 3_670_016,
        "due_date_required": True,  # ⚠ for SUBMITTED/AUTHORISED documents
        "journal_draft_must_balance": False,  # ⚠ DRAFT manual journals may be unbalanced
        "unpaged_line_items": False,  # ⚠ lists without page= omit LineItems
        "provider_name": "qbo_xero_sync emulator",
    }

    # ------------------------------------------------------------------ set-up
    def urls(self):
        base = self.base_url
        return {
            "base": base,
            "authorize": base + "/identity/connect/authorize",
            "token": base + "/connect/token",
            "revoke": base + "/connect/revocation",
            "connections": base + "/connections",
            "api": base + "/api.xro/2.0",
            "admin": base + "/_admin",
        }

    def _make_handler(self):
        """The base handler, whose HTTP ``Date`` header follows the movable clock: Xero's
        answers carry its own clock there, and clients take polling watermarks from it."""
        clock = self.clock

        class Handler(super()._make_handler()):
            def date_time_string(self, timestamp=None):
                return super().date_time_string(clock.now() if timestamp is None else timestamp)

        return Handler

    def on_reset(self):
        self.orgs = {t["tenantId"]: {kind: {} for kind in ID_KEYS} for t in self.config["tenants"]}
        self.state = self.orgs[self.config["tenants"][0]["tenantId"]]
        self.grants, self.codes, self.access_tokens, self.refresh_tokens = {}, {}, {}, {}
        self.connections = {}
        self.idempotency = {tid: {} for tid in self.orgs}
        self.day_calls = {tid: deque() for tid in self.orgs}
        self.app_calls = deque()
        self.in_flight = Counter()
        self.event_sequence = 0

    def objects(self, kind, tenant_index=0):
        """Stored objects of one kind in one organisation (copies)."""
        with self.lock:
            store = self.orgs[self._tenant_id(tenant_index)].get(kind, {})
            return copy.deepcopy(list(store.values()))

    def _tenant_id(self, tenant_index=0):
        return self.config["tenants"][tenant_index]["tenantId"]

    def register_routes(self):
        self.route("GET", r"/identity/connect/authorize", self.authorize)
        self.route("POST", r"/connect/token", self.token)
        self.route("POST", r"/connect/revocation", self.revoke)
        self.route("GET", r"/connections", self.get_connections)
        self.route("DELETE", r"/connections/(?P<id>[^/]+)", self.delete_connection)
        api = r"/api\.xro/2\.0/"
        table = [
            ("GET", "Contacts", "contacts", self.list_contacts),
            ("GET", "Contacts/(?P<id>[^/]+)", "contacts", self.get_one),
            ("PUT|POST", "Contacts", "contacts", self.write_contacts),
            ("POST", "Contacts/(?P<id>[^/]+)", "contacts", self.write_contacts),
            ("GET", "Accounts", "settings", self.list_plain),
            ("GET", "Accounts/(?P<id>[^/]+)", "settings", self.get_one),
            ("PUT", "Accounts", "settings", self.write_accounts),
            ("GET", "TaxRates", "settings", self.list_plain),
            ("GET", "TrackingCategories", "settings", self.list_plain),
            ("GET", "Organisation", "settings", self.get_organisation),
            ("GET", "Currencies", "settings", self.list_currencies),
            ("GET", "Items", "items", self.list_plain),
            ("GET", "Items/(?P<id>[^/]+)", "items", self.get_one),
            ("PUT|POST", "Items", "items", self.write_items),
            ("GET", "Invoices", "invoices", self.list_documents),
            ("GET", "Invoices/(?P<id>[^/]+)", "invoices", self.get_one),
            ("PUT|POST", "Invoices", "invoices", self.write_documents),
            ("POST", "Invoices/(?P<id>[^/]+)", "invoices", self.write_documents),
            ("GET", "CreditNotes", "invoices", self.list_documents),
            ("GET", "CreditNotes/(?P<id>[^/]+)", "invoices", self.get_one),
            ("PUT|POST", "CreditNotes", "invoices", self.write_documents),
            ("POST", "CreditNotes/(?P<id>[^/]+)", "invoices", self.write_documents),
            ("PUT", "CreditNotes/(?P<id>[^/]+)/Allocations", "invoices", self.write_allocations),
            ("GET", "Payments", "payments", self.list_plain),
            ("GET", "Payments/(?P<id>[^/]+)", "payments", self.get_one),
            ("PUT|POST", "Payments", "payments", self.write_payments),
            ("POST", "Payments/(?P<id>[^/]+)", "payments", self.delete_payment),
            ("GET", "ManualJournals", "journals", self.list_plain),
            ("GET", "ManualJournals/(?P<id>[^/]+)", "journals", self.get_one),
            ("PUT|POST", "ManualJournals", "journals", self.write_journals),
            ("POST", "ManualJournals/(?P<id>[^/]+)", "journals", self.write_journals),
        ]
        for methods, path, group, handler in table:
            kind = path.split("/")[0]
            for method in methods.split("|"):
                self.route(method, api + path, self._api(handler, group, kind), endpoint=path)

    def contract_for(self, req):
        """The schema contract of an Accounting API call (tests/contracts); identity and
        connection calls have none."""
        prefix = "/api.xro/2.0"
        if not req.path.startswith(prefix):
            return None
        return xero_contract(req.method, req.path[len(prefix) :])

    # ------------------------------------------------------------------ demo organisation
    def seed(self, data=None):
        """Replace every tenant's objects with the demo organisation; ``data`` = {kind: [objects]}
        is added to the first (or ``data["tenant_index"]``) organisation. Returns a summary."""
        data = dict(data or {})
        target = self._tenant_id(data.pop("tenant_index", 0))
        with self.lock:
            for tid, store in self.orgs.items():
                for objs in store.values():
                    objs.clear()
                for kind, items in self._demo_objects().items():
                    for item in items:
                        self._insert(tid, kind, item)
            for kind, items in data.items():
                for item in items:
                    self._insert(target, kind, item)
            store = self.orgs[target]
            return {
                "tenant_id": target,
                "tenants": list(self.orgs),
                "counts": {kind: len(objs) for kind, objs in store.items()},
                "accounts": {a["Code"]: a["AccountID"] for a in store["Accounts"].values()},
                "contacts": {c["Name"]: c["ContactID"] for c in store["Contacts"].values()},
                "items": {i["Code"]: i["ItemID"] for i in store["Items"].values()},
            }

    def _insert(self, tid, kind, obj):
        """Store a seed object as is, filling its id and modification time."""
        obj = copy.deepcopy(obj)
        key = ID_KEYS[kind]
        obj.setdefault(key, str(uuid.uuid4()))
        # Tax rates and tracking categories have no UpdatedDateUTC (XERO_RULES.md, contracts)
        if kind not in ("TaxRates", "TrackingCategories"):
            obj.setdefault("UpdatedDateUTC", self._stamp())
        if kind == "Accounts":
            obj.setdefault("Status", "ACTIVE")
            obj.setdefault("Class", ACCOUNT_CLASS[obj["Type"]])
            obj.setdefault("EnablePaymentsToAccount", False)
        self.orgs[tid][kind][obj[key]] = obj
        return obj

    @staticmethod
    def _demo_objects():
        def account(code, name, kind, tax="NONE", **extra):
            return {"Code": code, "Name": name, "Type": kind, "TaxType": tax, **extra}

        def rate(name, tax_type, pct, revenue=True, expenses=True):
            return {
                "Name": name,
                "TaxType": tax_type,
                "Status": "ACTIVE",
                "ReportTaxType": "OUTPUT" if revenue else "INPUT",
                "CanApplyToRevenue": revenue,
                "CanApplyToExpenses": expenses,
                "CanApplyToAssets": expenses,
                "CanApplyToEquity": expenses,
                "CanApplyToLiabilities": expenses,
                "DisplayTaxRate": pct,
                "EffectiveRate": pct,
                "TaxComponents": [
                    {"Name": name, "Rate": pct, "IsCompound": False, "IsNonRecoverable": False}
                ],
            }

        def contact(name, account_number, email, contact_number=None):
            return {
                "Name": name,
                "AccountNumber": account_number,
                "EmailAddress": email,
                "ContactStatus": "ACTIVE",
                "IsCustomer": True,
                "IsSupplier": False,
                "Addresses": [],
                "Phones": [],
                "HasAttachments": False,
                **({"ContactNumber": contact_number} if contact_number else {}),
            }

        def tracking(name, *options):
            return {
                "Name": name,
                "Status": "ACTIVE",
                "Options": [
                    {"TrackingOptionID": str(uuid.uuid4()), "Name": o, "Status": "ACTIVE"}
                    for o in options
                ],
            }

        def item(code, name, price, account_code="200", tax="OUTPUT"):
            return {
                "Code": code,
                "Name": name,
                "Description": name,
                "IsSold": True,
                "IsPurchased": False,
                "IsTrackedAsInventory": False,
                "SalesDetails": {"UnitPrice": price, "AccountCode": account_code, "TaxType": tax},
            }

        return {
            "Accounts": [
                account(
                    "090",
                    "Business Bank Account",
                    "BANK",
                    BankAccountNumber="121-000-4567",
                    BankAccountType="BANK",
                    CurrencyCode="USD",
                    EnablePaymentsToAccount=True,
                ),
                account(
                    "091",
                    "Business Savings Account",
                    "BANK",
                    BankAccountType="BANK",
                    BankAccountNumber="121-000-8910",
                    CurrencyCode="USD",
                ),
                account("200", "Sales", "REVENUE", "OUTPUT"),
                account("260", "Other Revenue", "OTHERINCOME", "OUTPUT"),
                account("270", "Interest Income", "OTHERINCOME"),
                account("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT"),
                account("400", "Advertising", "OVERHEADS", "INPUT"),
                account("429", "General Expenses", "OVERHEADS", "INPUT"),
                account("610", "Accounts Receivable", "CURRENT", SystemAccount="DEBTORS"),
                account("630", "Inventory", "INVENTORY"),
                account("800", "Accounts Payable", "CURRLIAB", SystemAccount="CREDITORS"),
                account("820", "Sales Tax", "CURRLIAB", SystemAccount="GST"),
                account("855", "Payment Clearing", "CURRLIAB", EnablePaymentsToAccount=True),
                account("960", "Retained Earnings", "EQUITY", SystemAccount="RETAINEDEARNINGS"),
            ],
            "TaxRates": [
                rate("Tax on Sales", "OUTPUT", 8.25, expenses=False),
                rate("State Tax 15%", "TAX001", 15.0, expenses=False),
                rate("Tax Exempt", "NONE", 0.0),
                rate("Exempt Sales", "EXEMPTOUTPUT", 0.0, expenses=False),
                rate("Tax on Purchases", "INPUT", 0.0, revenue=False),
            ],
            "Contacts": [
                contact("Ridgeway University", "RIDGE-001", "accounts@ridgeway.example"),
                contact("Bayside Club", "BAYS-002", "treasurer@bayside.example", "ODOO-P-7"),
                contact("Marine Systems", "MARI-003", "ap@marine.example"),
                contact("City Agency", "CITY-004", "finance@city.example"),
            ],
            "TrackingCategories": [
                tracking("Region", "North", "South"),
                tracking("Sales channel", "Online", "Shop"),
            ],
            "Items": [
                item("DESK", "Office Desk", 450.0),
                item("CHAIR", "Office Chair", 120.5),
                item("CONSULT", "Consulting hour", 150.0, tax="NONE"),
            ],
        }

    # ------------------------------------------------------------------ small helpers
    def _stamp(self):
        return ms_date(datetime.fromtimestamp(self.clock.now(), timezone.utc))

    def _today(self):
        return datetime.fromtimestamp(self.clock.now(), timezone.utc).date()

    @staticmethod
    def _oauth_error(error, status=400):
        return Response(status, {"error": error})

    @staticmethod
    def _problem(status, title, detail):
        return Response(
            status,
            {
                "Type": None,
                "Title": title,
                "Status": status,
                "Detail": detail,
                "Instance": str(uuid.uuid4()),
                "Extensions": {},
            },
        )

    @staticmethod
    def _api_error(number, kind, message, status=400):
        return Response(status, {"ErrorNumber": number, "Type": kind, "Message": message})

    def not_found(self, req):
        return Response(
            404, "The resource you're looking for cannot be found", content_type="text/plain"
        )

    def expired_token_response(self, req, expired_at=None):
        stamp = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(expired_at or self.clock.now()))
        return self._problem(401, "Unauthorized", f"TokenExpired: token expired at {stamp}")

    def _envelope(self, kind, items, pagination=None):
        body = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": self.config["provider_name"],
            "DateTimeUTC": f"/Date({int(self.clock.now() * 1000)})/",
        }
        if pagination:
            body["pagination"] = pagination
        body[kind] = copy.deepcopy(items)
        return Response(200, body)

    def _find(self, tid, kind, ident):
        """Object of a kind by id (case-insensitive) or by its number/code."""
        store = self.orgs[tid][kind]
        ident = str(ident or "")
        obj = store.get(ident) or next(
            (o for key, o in store.items() if key.lower() == ident.lower()), None
        )
        if obj is None and ident:
            alt = {
                "Invoices": "InvoiceNumber",
                "CreditNotes": "CreditNoteNumber",
                "Contacts": "ContactNumber",
                "Accounts": "Code",
                "Items": "Code",
            }.get(kind)
            obj = next((o for o in store.values() if alt and o.get(alt) == ident), None)
        return obj

    def _body_items(self, req, kind):
        """Elements of a write request: ``{"<Kind>": [...]}`` or one bare object."""
        try:
            data = req.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise Answer(
                self._api_error(
                    14, "PostDataInvalidException", f"JSON for post data was invalid, {exc}"
                )
            ) from None
        if isinstance(data, dict) and isinstance(data.get(kind), list):
            return data[kind]
        if isinstance(data, dict) and data:
            return [data]
        raise Answer(
            self._api_error(14, "PostDataInvalidException", f"The request body must contain {kind}")
        )

    # ------------------------------------------------------------------ OAuth 2.0
    def _client_ok(self, req, form):
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = req.header("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
        return client_id == self.config["client_id"] and hmac.compare_digest(
            secret or "", self.config["client_secret"]
        )

    def authorize(self, req):
        """Consent screen: the user approves at once, every configured tenant is connected."""
        if req.arg("client_id") != self.config["client_id"]:
            return self._oauth_error("unauthorized_client")
        redirect_uri = req.arg("redirect_uri")
        allowed = self.config["redirect_uris"]
        if not redirect_uri or (allowed is not None and redirect_uri not in allowed):
            return self._oauth_error("invalid_request")
        if req.arg("response_type") != "code":
            return self._oauth_error("unsupported_response_type")
        scopes = (req.arg("scope") or "").split()
        if not scopes or not all(self._known_scope(s) for s in scopes):
            return self._oauth_error("invalid_scope")
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "scope": scopes,
                "expires_at": self.clock.now() + self.config["code_ttl"],
                "challenge": req.arg("code_challenge"),
                "challenge_method": req.arg("code_challenge_method", "plain"),
            }
        query = {"code": code, "scope": " ".join(scopes)}
        if req.arg("state") is not None:
            query["state"] = req.arg("state")
        sep = "&" if "?" in redirect_uri else "?"
        return Response(302, b"", {"Location": redirect_uri + sep + urlencode(query)})

    @staticmethod
    def _known_scope(scope):
        base = scope[:-5] if scope.endswith(".read") else scope
        return (
            base in KNOWN_SCOPES
            or scope in KNOWN_SCOPES
            or (scope.startswith("accounting.reports.") and scope.endswith(".read"))
        )

    def token(self, req):
        """Token endpoint: authorization_code and refresh_token grants (form encoded)."""
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8")).items()}
        if not self._client_ok(req, form):
            return self._oauth_error("invalid_client")
        grant_type = form.get("grant_type")
        with self.lock:
            if grant_type == "authorization_code":
                return self._exchange_code(form)
            if grant_type == "refresh_token":
                return self._refresh(form.get("refresh_token"))
        return self._oauth_error("unsupported_grant_type")

    def _exchange_code(self, form):
        code = self.codes.pop(form.get("code"), None)  # single use
        if not code or code["expires_at"] < self.clock.now():
            return self._oauth_error("invalid_grant")
        if form.get("redirect_uri") != code["redirect_uri"]:
            return self._oauth_error("invalid_grant")
        if code["challenge"]:
            verifier = form.get("code_verifier") or ""
            if code["challenge_method"] == "S256":
                verifier = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
            if not hmac.compare_digest(verifier, code["challenge"]):
                return self._oauth_error("invalid_grant")
        grant = self._new_grant(code["scope"], list(self.orgs))
        return Response(200, self._issue_pair(grant))

    def _new_grant(self, scopes, tenant_ids):
        grant = {
            "id": str(uuid.uuid4()),
            "scope": list(scopes),
            "tenants": list(tenant_ids),
            "revoked": False,
            "user_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "xero-user")),
        }
        self.grants[grant["id"]] = grant
        stamp = datetime.fromtimestamp(self.clock.now(), timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.%f0"
        )
        for tid in tenant_ids:
            conn = self.connections.setdefault(
                tid,
                {
                    "id": str(uuid.uuid4()),
                    "tenantId": tid,
                    "tenantType": "ORGANISATION",
                    "tenantName": self._tenant_name(tid),
                    "createdDateUtc": stamp,
                },
            )
            conn.update(authEventId=grant["id"], updatedDateUtc=stamp)
        return grant

    def _tenant_name(self, tid):
        return next(t["tenantName"] for t in self.config["tenants"] if t["tenantId"] == tid)

    def _jwt(self, claims):
        def part(obj):
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing = part({"alg": "HS256", "typ": "JWT"}) + "." + part(claims)
        sig = hmac.new(
            self.config["client_secret"].encode(), signing.encode(), hashlib.sha256
        ).digest()
        return signing + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()

    def _issue_pair(self, grant):
        """A new access + refresh token pair; the body has only keys xero-python accepts."""
        now = self.clock.now()
        ttl = int(self.config["access_token_ttl"])
        access = self._jwt(
            {
                "nbf": int(now),
                "exp": int(now) + ttl,
                "iss": self.base_url,
                "client_id": self.config["client_id"],
                "sub": grant["user_id"],
                "xero_userid": grant["user_id"],
                "jti": secrets.token_hex(16),
                "authentication_event_id": grant["id"],
                "scope": grant["scope"],
            }
        )
        refresh = secrets.token_urlsafe(32)
        self.access_tokens[access] = {"grant": grant["id"], "expires_at": now + ttl}
        self.refresh_tokens[refresh] = {
            "grant": grant["id"],
            "issued_at": now,
            "used_at": None,
            "successor": None,
        }
        body = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": ttl,
            "token_type": "Bearer",
            "scope": " ".join(grant["scope"]),
        }
        if "openid" in grant["scope"]:
            body["id_token"] = self._jwt(
                {
                    "iss": self.base_url,
                    "aud": self.config["client_id"],
                    "sub": grant["user_id"],
                    "iat": int(now),
                    "exp": int(now) + 300,
                    "email": "user@example.com",
                }
            )
        return body

    def _refresh(self, token):
        """Single-use refresh: the old token replays the same new pair during the grace."""
        record = self.refresh_tokens.get(token or "")
        now = self.clock.now()
        if not record or self.grants[record["grant"]]["revoked"]:
            return self._oauth_error("invalid_grant")
        if record["successor"] is None:
            if now - record["issued_at"] > self.config["refresh_token_ttl"]:
                return self._oauth_error("invalid_grant")
            record["successor"] = self._issue_pair(self.grants[record["grant"]])
            record["used_at"] = now
            return Response(200, record["successor"])
        if now - record["used_at"] > self.config["refresh_token_grace"]:
            return self._oauth_error("invalid_grant")
        pair = dict(record["successor"])
        left = self.access_tokens[pair["access_token"]]["expires_at"] - now
        pair["expires_in"] = max(int(left), 0)
        return Response(200, pair)

    def revoke(self, req):
        """Revoke a refresh token: its grant's tokens die and its connections are removed."""
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8")).items()}
        if not self._client_ok(req, form):
            return self._oauth_error("invalid_client")
        with self.lock:
            record = self.refresh_tokens.get(form.get("token") or "")
            if record:
                grant = self.grants[record["grant"]]
                grant["revoked"] = True
                for tid in grant["tenants"]:
                    if self.connections.get(tid, {}).get("authEventId") == grant["id"]:
                        del self.connections[tid]
        return Response(200, b"")

    def issue_tokens(self, tenant_index=0, scope=DEFAULT_SCOPE):
        """Tokens as after a completed consent (no HTTP), for tests and the demo."""
        with self.lock:
            grant = self._new_grant(scope.split(), list(self.orgs))
            pair = self._issue_pair(grant)
        return {
            "access_token": pair["access_token"],
            "refresh_token": pair["refresh_token"],
            "expires_in": pair["expires_in"],
            "tenant_id": self._tenant_id(tenant_index),
        }

    def _bearer(self, req):
        """(grant, None) for a valid bearer token, else (None, 401 response)."""
        auth = req.header("Authorization") or ""
        record = (
            self.access_tokens.get(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        )
        if not record or self.grants[record["grant"]]["revoked"]:
            return None, self._problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        if record["expires_at"] <= self.clock.now():
            return None, self.expired_token_response(req, record["expires_at"])
        return self.grants[record["grant"]], None

    def get_connections(self, req):
        with self.lock:
            grant, denied = self._bearer(req)
            if denied:
                return denied
            return Response(
                200,
                [
                    dict(self.connections[tid])
                    for tid in grant["tenants"]
                    if tid in self.connections
                ],
            )

    def delete_connection(self, req):
        with self.lock:
            grant, denied = self._bearer(req)
            if denied:
                return denied
            tid = next(
                (t for t, c in self.connections.items() if c["id"] == req.params["id"]), None
            )
            if tid is None or tid not in grant["tenants"]:
                return self.not_found(req)
            del self.connections[tid]
        return Response(204, b"")

    # ------------------------------------------------------------------ API gate
    def _api(self, handler, group, kind):
        def call(req):
            return self._api_call(req, handler, group, kind)

        call.__doc__ = handler.__doc__
        return call

    def _api_call(self, req, handler, group, kind):
        """Bearer, tenant, scope, rate limits, idempotency, then the handler."""
        with self.lock:
            grant, denied = self._bearer(req)
            if denied:
                return denied
            tid = req.header("xero-tenant-id") or ""
            tid = next((t for t in grant["tenants"] if t.lower() == tid.lower().strip()), None)
            if tid is None or tid not in self.connections:
                return self._problem(403, "Forbidden", "AuthenticationUnsuccessful")
            granted = set(grant["scope"])
            allowed = SCOPE_GROUPS[group]
            if req.method == "GET":
                allowed = allowed | {s + ".read" for s in allowed}
            if not granted & allowed:
                return self._problem(401, "Unauthorized", "AuthorizationUnsuccessful")  # ⚠
            limit = self.config["max_request_bytes"]
            if limit and len(req.body) > limit:  # ⚠ status and body, not counted
                return self._problem(413, "RequestEntityTooLarge", "PayloadTooLarge")
            limited = self._take_slot(tid)
            if limited:
                return limited
        try:
            if self.config["latency"]:
                time.sleep(float(self.config["latency"]))
            with self.lock:
                if "json" not in (req.header("Accept") or "").lower():
                    resp = Response(
                        406,
                        "This emulator answers JSON only: send Accept: application/json",
                        content_type="text/plain",
                    )
                else:
                    resp = self._idempotent(req, tid, lambda: handler(req, tid, kind))
        finally:
            with self.lock:
                self.in_flight[tid] -= 1
        with self.lock:
            resp.headers.update(self._limit_headers(tid))
        return resp

    def _run(self, func):
        try:
            return func()
        except Answer as answer:
            return answer.response

    def _idempotent(self, req, tid, func):
        """Replay the stored answer of a write with the same Idempotency-Key and request."""
        key = req.header("Idempotency-Key")
        if not key or req.method not in ("PUT", "POST", "PATCH"):
            return self._run(func)
        if len(key) > 128:
            return self._api_error(
                10, "ValidationException", "Idempotency-Key must be 128 characters or fewer"
            )  # ⚠ wording
        query = sorted((k.lower(), v) for k, v in req.query.items())
        digest = hashlib.sha256(
            json.dumps([req.method, req.path.lower(), query]).encode() + req.body
        ).hexdigest()
        store = self.idempotency[tid]
        now = self.clock.now()
        hit = store.get(key)
        if hit and now - hit["time"] < self.config["idempotency_ttl"]:
            if hit["digest"] != digest:
                return self._api_error(
                    10,
                    "ValidationException",  # ⚠ wording and status
                    "The Idempotency-Key has already been used for a different request",
                )
            return Response(
                hit["status"], copy.deepcopy(hit["body"]), dict(hit["headers"]), hit["content_type"]
            )
        resp = self._run(func)
        store[key] = {
            "digest": digest,
            "time": now,
            "status": resp.status,
            "body": copy.deepcopy(resp.body),
            "headers": dict(resp.headers),
            "content_type": resp.content_type,
        }
        return resp

    def _take_slot(self, tid):
        """Count a call against the tenant and app limits, or answer 429."""
        now = self.clock.now()
        day, app = self.day_calls[tid], self.app_calls
        while day and day[0] <= now - 86400:
            day.popleft()
        while app and app[0] <= now - 60:
            app.popleft()
        minute = [t for t in day if t > now - 60]
        cfg = self.config
        problem = None
        if len(day) >= cfg["rate_limit_per_day"]:
            problem, wait = "day", day[0] + 86400 - now
        elif len(minute) >= cfg["rate_limit_per_minute"]:
            problem, wait = "minute", minute[0] + 60 - now
        elif len(app) >= cfg["app_rate_limit_per_minute"]:
            problem, wait = "appminute", app[0] + 60 - now
        elif self.in_flight[tid] >= cfg["max_concurrent"]:
            problem, wait = "concurrent", 1
        if problem:
            headers = {
                "Retry-After": max(1, math.ceil(self.clock.real_seconds(wait))),
                "X-Rate-Limit-Problem": problem,
                **self._limit_headers(tid),
            }
            return Response(
                429,
                {
                    "Title": "Too Many Requests",
                    "Status": 429,
                    "Detail": f"Rate limit exceeded: {problem}",
                },
                headers,
            )
        day.append(now)
        app.append(now)
        self.in_flight[tid] += 1
        return None

    def _limit_headers(self, tid):
        now = self.clock.now()
        day = self.day_calls[tid]
        cfg = self.config
        return {
            "X-DayLimit-Remaining": max(0, cfg["rate_limit_per_day"] - len(day)),
            "X-MinLimit-Remaining": max(
                0, cfg["rate_limit_per_minute"] - sum(1 for t in day if t > now - 60)
            ),
            "X-AppMinLimit-Remaining": max(
                0, cfg["app_rate_limit_per_minute"] - sum(1 for t in self.app_calls if t > now - 60)
            ),
        }

    # ------------------------------------------------------------------ reads
    def get_one(self, req, tid, kind):
        """GET /<Kind>/{id or number}: one object with every detail."""
        obj = self._find(tid, kind, req.params["id"])
        if obj is None:
            raise Answer(self.not_found(req))
        return self._envelope(kind, [obj])

    def list_plain(self, req, tid, kind):
        """GET list of Accounts, TaxRates, Items, Payments, ManualJournals."""
        return self._list(req, tid, kind, list(self.orgs[tid][kind].values()))

    def get_organisation(self, req, tid, kind):
        """GET /Organisation: the connected organisation (base currency, default sales payment
        terms)."""
        tenant = next(t for t in self.config["tenants"] if t["tenantId"] == tid)
        org = {
            "OrganisationID": tid,
            "Name": tenant["tenantName"],
            "LegalName": tenant["tenantName"],
            "BaseCurrency": self.config["base_currency"],
            "CountryCode": self.config["country_code"],
            "OrganisationStatus": "ACTIVE",
            "PaysTax": True,
            "Version": self.config["org_version"],
            "OrganisationType": "COMPANY",
            "IsDemoCompany": False,
            "FinancialYearEndDay": 31,
            "FinancialYearEndMonth": 12,
            "SalesTaxBasis": "ACCRUALS",
            "Timezone": "PACIFICSTANDARDTIME",
        }
        terms = self.config["sales_payment_terms"]
        if terms:
            org["PaymentTerms"] = {"Sales": dict(terms)}
        return self._envelope("Organisations", [org])

    def list_currencies(self, req, tid, kind):
        """GET /Currencies: the currencies enabled in the organisation (the base one first)."""
        codes = [self.config["base_currency"]] + [
            c for c in self.config["currencies"] if c != self.config["base_currency"]
        ]
        return self._envelope(
            "Currencies", [{"Code": c, "Description": CURRENCY_NAMES.get(c, c)} for c in codes]
        )

    def list_contacts(self, req, tid, kind):
        """GET /Contacts: archived contacts only with includeArchived=true."""
        objs = list(self.orgs[tid][kind].values())
        if (req.arg("includeArchived") or "").lower() != "true":
            objs = [o for o in objs if o.get("ContactStatus") != "ARCHIVED"]
        term = (req.arg("searchTerm") or "").lower()
        if term:
            objs = [
                o
                for o in objs
                if any(
                    term in (o.get(k) or "").lower()
                    for k in ("Name", "FirstName", "LastName", "EmailAddress", "ContactNumber")
                )
            ]
        return self._list(req, tid, kind, objs)

    def list_documents(self, req, tid, kind):
        """GET /Invoices or /CreditNotes with InvoiceNumbers, ContactIDs and Statuses too."""
        objs = list(self.orgs[tid][kind].values())
        for param, path in (
            ("InvoiceNumbers", "InvoiceNumber"),
            ("ContactIDs", "Contact.ContactID"),
            ("Statuses", "Status"),
        ):
            wanted = req.arg(param)
            if wanted and kind == "Invoices":
                values = {v.strip().lower() for v in wanted.split(",")}
                objs = [o for o in objs if str(field(o, path) or "").lower() in values]
        return self._list(req, tid, kind, objs, summary=not self.config["unpaged_line_items"])

    def _list(self, req, tid, kind, objs, summary=False):
        """IDs, where, If-Modified-Since, order and page, then the envelope."""
        ids = req.arg("IDs")
        if ids:
            wanted = {i.strip().lower() for i in ids.split(",")}
            objs = [o for o in objs if str(o[ID_KEYS[kind]]).lower() in wanted]
        where = req.arg("where")
        if where:
            try:
                predicate = WhereParser(where).parse()
                objs = [o for o in objs if predicate(o)]
            except (ValueError, TypeError) as exc:
                raise Answer(self._api_error(16, "QueryParseException", str(exc))) from None
        since = req.header("If-Modified-Since")
        if since:
            try:
                since = to_datetime(since)
            except ValueError:
                since = None  # an unreadable header is ignored ⚠
            if since:  # ⚠ inclusive boundary
                objs = [
                    o
                    for o in objs
                    if "UpdatedDateUTC" not in o or to_datetime(o["UpdatedDateUTC"]) >= since
                ]
        order = req.arg("order")
        if order:
            for clause in reversed(order.split(",")):
                path, _, direction = clause.strip().partition(" ")
                objs.sort(
                    key=lambda o, p=path: (field(o, p) is None, _comparable(field(o, p) or 0)),
                    reverse=direction.strip().upper() == "DESC",
                )
        page = req.arg("page")
        if page is None:
            if summary:
                objs = [{k: v for k, v in o.items() if k != "LineItems"} for o in objs]
            return self._envelope(kind, objs)
        try:
            page = int(page)
            size = int(req.arg("pageSize") or self.config["page_size"])
        except ValueError:
            raise Answer(
                self._api_error(10, "ValidationException", "page and pageSize must be integers")
            ) from None
        page, size = max(page, 1), min(max(size, 1), self.config["max_page_size"])
        chunk = objs[(page - 1) * size : page * size]
        return self._envelope(
            kind,
            chunk,
            {
                "page": page,
                "pageSize": size,
                "pageCount": math.ceil(len(objs) / size),
                "itemCount": len(objs),
            },
        )

    # ------------------------------------------------------------------ batch writes
    def _batch(self, req, kind, elements, upsert):
        """Apply each element on its own (Xero batches are not transactional) and answer
        per element (summarizeErrors=false) or 400 with the failed ones (the default)."""
        results, failed = [], []
        for element in elements:
            if not isinstance(element, dict):
                element = {}
            try:
                obj = upsert(element)
                # an account is answered as stored (createAccount's example answer)
                flags = (
                    {}
                    if kind == "Accounts"
                    else {"HasErrors": False, "StatusAttributeString": "OK"}
                )
                results.append({**copy.deepcopy(obj), **flags})
            except Invalid as exc:
                out = {
                    **copy.deepcopy(element),
                    "HasErrors": True,
                    "StatusAttributeString": "ERROR",
                    "ValidationErrors": [{"Message": m} for m in exc.messages],
                }
                results.append(out)
                failed.append(out)
        if failed and (req.arg("summarizeErrors") or "true").lower() != "false":
            return Response(
                400,
                {
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": "A validation exception occurred",
                    "Elements": failed,
                },
            )
        return self._envelope(kind, results)

    def _target(self, req, tid, kind, element, method_creates_only=True):
        """The stored object an element updates, or None when it creates one."""
        ident = req.params.get("id") or element.get(ID_KEYS[kind])
        if not ident:
            return None
        obj = self._find(tid, kind, ident)
        label = DOCS.get(kind, {}).get("label", kind[:-1])
        if obj is None:
            raise Invalid(
                f"An existing {label} with the specified {ID_KEYS[kind]} could not be found"
            )
        if req.method == "PUT" and method_creates_only:
            raise Invalid(f"PUT creates {kind} only: use POST to update {obj[ID_KEYS[kind]]}")  # ⚠
        return obj

    # ------------------------------------------------------------------ contacts and items
    def write_contacts(self, req, tid, kind):
        """PUT creates, POST creates or updates contacts (by ContactID or ContactNumber)."""
        return self._batch(
            req, kind, self._body_items(req, kind), lambda el: self._upsert_contact(req, tid, el)
        )

    def _upsert_contact(self, req, tid, el):
        store = self.orgs[tid]["Contacts"]
        current = self._target(req, tid, "Contacts", el)
        if current is None and req.method == "POST" and el.get("ContactNumber"):
            current = next(
                (c for c in store.values() if c.get("ContactNumber") == el["ContactNumber"]), None
            )
        contact = (
            copy.deepcopy(current)
            if current
            else {
                "ContactID": str(uuid.uuid4()),
                "ContactStatus": "ACTIVE",
                "Addresses": [],
                "Phones": [],
                "IsSupplier": False,
                "IsCustomer": False,
                "HasAttachments": False,
            }
        )
        for key, value in el.items():
            if key not in (
                "ContactID",
                "UpdatedDateUTC",
                "HasValidationErrors",
                "ValidationErrors",
                "StatusAttributeString",
                "HasErrors",
            ):
                contact[key] = value
        errors = []
        name = (contact.get("Name") or "").strip()
        if not name:
            errors.append("The contact name cannot be empty.")  # ⚠ wording
        elif len(name) > 255:
            errors.append("The contact name must be 255 characters or fewer.")
        if contact.get("ContactStatus") not in ("ACTIVE", "ARCHIVED"):
            errors.append("ContactStatus must be ACTIVE or ARCHIVED.")
        for key in ("AccountNumber", "ContactNumber"):
            if len(contact.get(key) or "") > 50:
                errors.append(f"{key} must be 50 characters or fewer.")
        email = contact.get("EmailAddress") or ""
        if email and (len(email) > 255 or not _EMAIL.match(email)):
            errors.append("Email address must be valid.")  # ⚠ wording
        others = [c for c in store.values() if c["ContactID"] != contact["ContactID"]]
        if (
            name
            and contact.get("ContactStatus") == "ACTIVE"
            and any(
                c.get("ContactStatus") == "ACTIVE" and c["Name"].strip().lower() == name.lower()
                for c in others
            )
        ):
            errors.append(
                f"The contact name {name} is already assigned to another contact. "
                "The contact name must be unique across all active contacts."
            )
        number = contact.get("AccountNumber")
        if (
            number
            and self.config["contact_account_number_unique"]
            and any(c.get("AccountNumber") == number for c in others)
        ):
            errors.append(
                f"The Account Number {number} is already assigned to another contact."
            )  # ⚠ wording
        contact_number = contact.get("ContactNumber")
        if contact_number and any(c.get("ContactNumber") == contact_number for c in others):
            errors.append(
                f"The contact number {contact_number} is already assigned to another contact. "
                "The contact number must be unique across all contacts."
            )
        if errors:
            raise Invalid(*errors)
        contact["Name"] = name
        contact["UpdatedDateUTC"] = self._stamp()
        store[contact["ContactID"]] = contact
        return contact

    def write_accounts(self, req, tid, kind):
        """PUT /Accounts: create accounts (Code, Name and Type required; Code and Name unique)."""
        return self._batch(
            req, kind, self._body_items(req, kind), lambda el: self._create_account(tid, el)
        )

    def _create_account(self, tid, el):
        store = self.orgs[tid]["Accounts"]
        errors = []
        code = str(el.get("Code") or "").strip()
        name = str(el.get("Name") or "").strip()
        kind = el.get("Type") if isinstance(el.get("Type"), str) else None
        status = el.get("Status") or "ACTIVE"
        if not code:
            errors.append("Please enter a Code.")  # ⚠ wording
        elif len(code) > 10:
            errors.append("Code must be 10 characters or fewer.")  # ⚠ wording
        elif any(str(a.get("Code") or "").lower() == code.lower() for a in store.values()):
            errors.append("Please enter a unique Code.")  # ⚠ wording and case
        if not name:
            errors.append("Please enter a Name.")  # ⚠ wording
        elif len(name) > 150:
            errors.append("Name must be 150 characters or fewer.")  # ⚠ wording
        elif any(str(a.get("Name") or "").lower() == name.lower() for a in store.values()):
            errors.append("Please enter a unique Name.")
        if kind not in ACCOUNT_CLASS:
            errors.append(f"Account Type '{kind or ''}' is not valid.")  # ⚠ wording
        tax = str(el.get("TaxType") or "")
        if tax and tax not in self.orgs[tid]["TaxRates"]:
            errors.append(f"The TaxType code '{tax}' does not exist.")  # ⚠ wording
        if status not in ("ACTIVE", "ARCHIVED"):
            errors.append("Status must be ACTIVE or ARCHIVED.")  # ⚠ wording
        if errors:
            raise Invalid(*errors)
        account = {
            "AccountID": str(uuid.uuid4()),
            "Code": code,
            "Name": name,
            "Status": status,
            "Type": kind,
            # ⚠ default tax type by class, as the spec's example (an EXPENSE account gets INPUT)
            "TaxType": tax
            or {"REVENUE": "OUTPUT", "EXPENSE": "INPUT"}.get(ACCOUNT_CLASS[kind], "NONE"),
            "Class": ACCOUNT_CLASS[kind],
            "EnablePaymentsToAccount": bool(el.get("EnablePaymentsToAccount", False)),
            "ShowInExpenseClaims": bool(el.get("ShowInExpenseClaims", False)),
            "HasAttachments": False,
        }
        for key in (
            "Description",
            "BankAccountNumber",
            "BankAccountType",
            "CurrencyCode",
            "ReportingCode",
            "AddToWatchlist",
        ):
            if el.get(key) not in (None, ""):
                account[key] = el[key]
        account["UpdatedDateUTC"] = self._stamp()
        store[account["AccountID"]] = account
        return account

    def write_items(self, req, tid, kind):
        """PUT/POST /Items: Code (≤ 30, unique) required."""
        return self._batch(
            req, kind, self._body_items(req, kind), lambda el: self._upsert_item(req, tid, el)
        )

    def _upsert_item(self, req, tid, el):
        store = self.orgs[tid]["Items"]
        current = self._target(req, tid, "Items", el, method_creates_only=False)
        item = (
            copy.deepcopy(current)
            if current
            else {
                "ItemID": str(uuid.uuid4()),
                "IsSold": True,
                "IsPurchased": False,
                "IsTrackedAsInventory": False,
            }
        )
        item.update({k: v for k, v in el.items() if k not in ("ItemID", "UpdatedDateUTC")})
        code = item.get("Code") or ""
        if not code or len(code) > 30:
            raise Invalid("Item Code must be between 1 and 30 characters long.")  # ⚠ wording
        if any(i["Code"] == code and i["ItemID"] != item["ItemID"] for i in store.values()):
            raise Invalid(f"Price List Item with Code '{code}' already exists")
        item["UpdatedDateUTC"] = self._stamp()
        store[item["ItemID"]] = item
        return item

    # ------------------------------------------------------------------ invoices / credit notes
    def write_documents(self, req, tid, kind):
        """PUT creates; POST creates or updates; POST /<Kind>/{id} updates one."""
        unitdp = 4 if req.arg("unitdp") == "4" else 2
        return self._batch(
            req,
            kind,
            self._body_items(req, kind),
            lambda el: self._upsert_document(req, tid, kind, el, unitdp),
        )

    def _upsert_document(self, req, tid, kind, el, unitdp):
        spec = DOCS[kind]
        current = self._target(req, tid, kind, el)
        if current is None:
            return self._create_document(tid, kind, el, unitdp)
        status, new_status = current["Status"], (el.get("Status") or current["Status"]).upper()
        invalid = f"{spec['label']} not of valid status for modification"
        if status in ("VOIDED", "DELETED"):
            raise Invalid(invalid)
        if self._doc_allocated(current) or status == "PAID":
            return self._update_locked(tid, kind, current, el, new_status, unitdp)
        allowed = {
            "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
            "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
            "AUTHORISED": ("AUTHORISED", "VOIDED"),
        }[status]
        if new_status not in allowed:
            raise Invalid(invalid)
        if new_status in ("DELETED", "VOIDED"):
            return self._set_status(tid, kind, current, new_status)
        doc = copy.deepcopy(current)
        self._apply_document(tid, kind, doc, el, new_status, unitdp)
        return self._commit_document(tid, kind, doc)

    def _create_document(self, tid, kind, el, unitdp):
        spec = DOCS[kind]
        doc_type = el.get("Type")
        if not doc_type:
            raise Invalid(f"{spec['label']} Type must be specified.")  # ⚠ wording
        if doc_type != spec["type"]:
            raise Invalid(f"This emulator supports only {spec['type']} documents on {kind}.")
        status = (el.get("Status") or "DRAFT").upper()
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            raise Invalid(f"{spec['label']} Status '{status}' is not valid for a new document.")
        doc = {
            spec["id"]: str(uuid.uuid4()),
            "Type": doc_type,
            "LineItems": [],
            "LineAmountTypes": "Exclusive",
            "CurrencyCode": self.config["base_currency"],
            "CurrencyRate": 1.0,
            "HasAttachments": False,
            "Payments": [],
            "SentToContact": False,
        }
        doc.update(
            {
                "Overpayments": [],
                "Prepayments": [],
                "CreditNotes": [],
                "AmountPaid": 0.0,
                "AmountCredited": 0.0,
            }
            if kind == "Invoices"
            else {"Allocations": [], "AppliedAmount": 0.0}
        )
        self._apply_document(tid, kind, doc, el, status, unitdp)
        return self._commit_document(tid, kind, doc)

    def _apply_document(self, tid, kind, doc, el, status, unitdp):
        """Validate ``el`` onto ``doc`` (a working copy); raise Invalid with every message."""
        spec = DOCS[kind]
        errors = []
        doc["Status"] = status
        if "Contact" in el or "Contact" not in doc:
            try:
                doc["Contact"] = self._resolve_contact(tid, el.get("Contact"))
            except Invalid as exc:
                errors += exc.messages
        for key in ("Date", "DueDate"):
            if el.get(key):
                try:
                    day = to_datetime(el[key]).date()
                    doc[key], doc[key + "String"] = ms_date(day), day.isoformat() + "T00:00:00"
                except ValueError:
                    errors.append(f"{key} '{el[key]}' is not a valid date.")  # ⚠ wording
        if "Date" not in doc:
            doc["Date"], doc["DateString"] = (
                ms_date(self._today()),
                (self._today().isoformat() + "T00:00:00"),
            )
        if (
            kind == "Invoices"
            and status in ("SUBMITTED", "AUTHORISED")
            and not doc.get("DueDate")
            and self.config["due_date_required"]
        ):
            errors.append("Due date cannot be empty.")
        for key in ("Reference", "BrandingThemeID", "Url", "SentToContact", "ExpectedPaymentDate"):
            if key in el:
                doc[key] = el[key]
        if "CurrencyCode" in el:
            doc["CurrencyCode"] = el["CurrencyCode"]
            if el["CurrencyCode"] not in self.config["currencies"]:
                errors.append(
                    f"The currency code '{el['CurrencyCode']}' is not valid for this "
                    "organisation."
                )  # ⚠ wording
        if "CurrencyRate" in el and el["CurrencyRate"] is not None:
            doc["CurrencyRate"] = float(el["CurrencyRate"])
        if "LineAmountTypes" in el:
            mode = next(
                (m for m in LINE_AMOUNT_TYPES if m.lower() == str(el["LineAmountTypes"]).lower()),
                None,
            )
            if mode is None:
                errors.append(f"LineAmountTypes '{el['LineAmountTypes']}' is not valid.")
            doc["LineAmountTypes"] = mode or "Exclusive"
        number = el.get(spec["number"])
        if number is not None:
            number = str(number).strip()
            if len(number) > 255:
                errors.append(f"{spec['label']} Number must be 255 characters or fewer.")
            elif any(
                (o.get(spec["number"]) or "").lower() == number.lower()
                and o.get("Type") == doc["Type"]  # bills (ACCPAY) may repeat a number
                and o["Status"] != "DELETED"
                and o[spec["id"]] != doc[spec["id"]]
                for o in self.orgs[tid][kind].values()
            ):
                errors.append(spec["unique"])
            doc[spec["number"]] = number
        old = {ln["LineItemID"]: ln for ln in doc["LineItems"]}
        if "LineItems" in el:  # a known LineItemID keeps the fields the element leaves out
            raw = [
                {
                    **{
                        k: v
                        for k, v in old.get((ln or {}).get("LineItemID"), {}).items()
                        if k not in ("LineAmount", "TaxAmount")
                    },
                    **ln,
                }
                for ln in el["LineItems"] or []
                if isinstance(ln, dict)
            ]
        else:  # recompute the stored lines (LineAmountTypes may have changed)
            raw = [{k: v for k, v in ln.items() if k != "TaxAmount"} for ln in old.values()]
        try:
            doc["LineItems"] = self._lines(tid, kind, raw, doc, unitdp)
        except Invalid as exc:
            errors += exc.messages
        else:
            errors += self._approval_errors(spec, doc, status)
        self._totals(doc)
        if doc["Total"] < 0:
            errors.append("The Total for this document must be greater than or equal to zero.")
        if errors:
            raise Invalid(*errors)

    @staticmethod
    def _approval_errors(spec, doc, status):
        """Lines a SUBMITTED or AUTHORISED document needs."""
        errors = []
        if status in ("SUBMITTED", "AUTHORISED"):
            if not doc["LineItems"]:
                errors.append(f"{spec['label']} must have at least one line item.")  # ⚠ wording
            if any(
                line.get("LineAmount") and not line.get("AccountCode") for line in doc["LineItems"]
            ):
                errors.append("Account code must be specified")
        return errors

    def _resolve_contact(self, tid, ref):
        """Contact by ContactID, ContactNumber or Name; an unknown Name makes a new contact."""
        if not isinstance(ref, dict) or not any(
            ref.get(k) for k in ("ContactID", "ContactNumber", "Name")
        ):
            raise Invalid(
                "The Contact must contain at least 1 of the following elements to "
                "identify the contact: Name, ContactID, ContactNumber"
            )
        store = self.orgs[tid]["Contacts"]
        if ref.get("ContactID"):
            contact = self._find(tid, "Contacts", ref["ContactID"])
            if contact is None or contact["ContactID"].lower() != ref["ContactID"].lower():
                raise Invalid(
                    f"The contact with ContactID {ref['ContactID']} could not be found."
                )  # ⚠ wording
        else:
            contact = next(
                (
                    c
                    for c in store.values()
                    if ref.get("ContactNumber") and c.get("ContactNumber") == ref["ContactNumber"]
                ),
                None,
            ) or next(
                (
                    c
                    for c in store.values()
                    if c.get("ContactStatus") == "ACTIVE"
                    and ref.get("Name")
                    and c["Name"].lower() == str(ref["Name"]).strip().lower()
                ),
                None,
            )
            if contact is None:
                if not ref.get("Name"):
                    raise Invalid(f"No contact has ContactNumber {ref['ContactNumber']}.")
                contact = {
                    "ContactID": str(uuid.uuid4()),
                    "Name": str(ref["Name"]).strip(),
                    "ContactNumber": ref.get("ContactNumber"),
                    "_new": True,
                }
        return {
            k: contact[k]
            for k in ("ContactID", "Name", "ContactNumber", "AccountNumber", "_new")
            if contact.get(k) is not None
        }

    @staticmethod
    def _tracking(store, given):
        """Each line's tracking: an active category (by TrackingCategoryID or Name) and one of
        its active options (by Option name or TrackingOptionID). Returns (the tracking as
        stored, with ids and names; the errors)."""
        tracking, errors = [], []
        categories = [c for c in store["TrackingCategories"].values() if c["Status"] == "ACTIVE"]
        for raw in given:
            raw = raw if isinstance(raw, dict) else {}
            category = next(
                (
                    c
                    for c in categories
                    if raw.get("TrackingCategoryID") == c["TrackingCategoryID"]
                    or (raw.get("Name") or "").lower() == c["Name"].lower()
                ),
                None,
            )
            if category is None:
                # ⚠ wording
                errors.append(f"Tracking category '{raw.get('Name')}' does not exist.")
                continue
            option = next(
                (
                    o
                    for o in category["Options"]
                    if o["Status"] == "ACTIVE"
                    and (
                        (raw.get("Option") or "").lower() == o["Name"].lower()
                        or raw.get("TrackingOptionID") == o["TrackingOptionID"]
                    )
                ),
                None,
            )
            if option is None:
                errors.append(  # ⚠ wording
                    f"Tracking option '{raw.get('Option')}' does not exist in tracking "
                    f"category '{category['Name']}'."
                )
                continue
            tracking.append(
                {
                    "TrackingCategoryID": category["TrackingCategoryID"],
                    "TrackingOptionID": option["TrackingOptionID"],
                    "Name": category["Name"],
                    "Option": option["Name"],
                }
            )
        return tracking, errors

    def _lines(self, tid, kind, raw_lines, doc, unitdp):
        """Validate line items and compute LineAmount and TaxAmount per line (2 dp)."""
        store = self.orgs[tid]
        errors, lines = [], []
        mode = doc.get("LineAmountTypes", "Exclusive")
        for raw in raw_lines:
            raw = raw if isinstance(raw, dict) else {}
            line = {
                "LineItemID": raw.get("LineItemID") or str(uuid.uuid4()),
                "Description": raw.get("Description"),
                "Tracking": raw.get("Tracking") or [],
            }
            item = None
            if raw.get("ItemCode"):
                item = self._find(tid, "Items", raw["ItemCode"])
                if item is None or item["Code"] != raw["ItemCode"]:
                    errors.append(f"Item code '{raw['ItemCode']}' is not valid.")  # ⚠ wording
                    item = None
                else:
                    line["ItemCode"] = item["Code"]
                    line["Item"] = {
                        "ItemID": item["ItemID"],
                        "Code": item["Code"],
                        "Name": item.get("Name"),
                    }
            sales = (item or {}).get("SalesDetails") or {}
            line["Description"] = line["Description"] or (item or {}).get("Description")
            try:
                qty = dec(raw.get("Quantity"), "Quantity")
                unit = dec(raw.get("UnitAmount", sales.get("UnitPrice")), "UnitAmount")
                given = dec(raw.get("LineAmount"), "LineAmount")
                discount = dec(raw.get("DiscountRate"), "DiscountRate") or Decimal(0)
                tax_given = dec(raw.get("TaxAmount"), "TaxAmount")
            except Invalid as exc:
                errors += exc.messages
                continue
            if discount and kind == "CreditNotes":
                errors.append("Discounts are not supported on credit notes.")  # spec LineItem
            if len(line["Tracking"]) > 2:
                errors.append("A line item can have at most 2 tracking categories.")
            line["Tracking"], tracking_errors = self._tracking(store, line["Tracking"])
            errors += tracking_errors
            if qty is None and unit is None and given is None:
                if not line["Description"]:
                    errors.append("Description needs to be at least 1 char long")
                lines.append(line)  # a description-only line
                continue
            qty = Decimal(1) if qty is None else qty
            if unit is None:
                unit = (
                    given / qty / (1 - discount / 100)
                    if given is not None and qty and discount < 100
                    else given or Decimal(0)
                )
            unit = money(unit, Decimal(1).scaleb(-unitdp))
            amount = money(qty * unit * (1 - discount / 100))
            if given is not None and money(given) != amount:
                errors.append(
                    f"The line total {money(given)} does not match the expected line "
                    f"total {amount}"
                )  # ⚠ wording
            line.update(Quantity=float(qty), UnitAmount=float(unit), LineAmount=float(amount))
            if discount:
                line["DiscountRate"] = float(discount)
            code = raw.get("AccountCode") or sales.get("AccountCode")
            account = None
            if raw.get("AccountID") and not code:
                account = store["Accounts"].get(raw["AccountID"])
                code = account and account["Code"]
            if code:
                account = next((a for a in store["Accounts"].values() if a["Code"] == code), None)
                if (
                    account is None
                    or account["Status"] != "ACTIVE"
                    or account.get("SystemAccount")
                    or account["Class"] not in self.config["invoice_account_classes"]
                ):
                    errors.append(f"Account code '{code}' is not a valid code for this document.")
                    account = None
                line["AccountCode"] = code
                if account:
                    line["AccountID"] = account["AccountID"]
            tax_type = (
                raw.get("TaxType")
                or sales.get("TaxType")
                or (account or {}).get("TaxType")
                or "NONE"
            )
            rate = next(
                (
                    r
                    for r in store["TaxRates"].values()
                    if r["TaxType"] == tax_type
                    and r["Status"] == "ACTIVE"
                    and r.get("CanApplyToRevenue")
                ),
                None,
            )
            if rate is None:
                errors.append(
                    f"The TaxType code '{tax_type}' does not exist or cannot be used "
                    "for this type of transaction."
                )
                continue
            line["TaxType"] = tax_type
            pct = Decimal(str(rate["EffectiveRate"]))
            if mode == "NoTax":
                tax = Decimal(0)
            elif tax_given is not None:  # the spec lets the caller override the line's tax
                tax = money(tax_given)
            elif mode == "Inclusive":
                tax = money(amount * pct / (100 + pct))
            else:
                tax = money(amount * pct / 100)
            line["TaxAmount"] = float(tax)
            lines.append(line)
        if errors:
            raise Invalid(*errors)
        return lines

    @staticmethod
    def _totals(doc):
        """SubTotal, TotalTax, Total from the per-line rounded amounts."""
        amounts = sum(
            (Decimal(str(ln.get("LineAmount", 0))) for ln in doc["LineItems"]), Decimal(0)
        )
        tax = sum((Decimal(str(ln.get("TaxAmount", 0))) for ln in doc["LineItems"]), Decimal(0))
        if doc["LineAmountTypes"] == "Inclusive":
            subtotal, total = amounts - tax, amounts
        else:
            subtotal, total = amounts, amounts + tax
        discount = sum(
            (
                Decimal(str(ln["Quantity"])) * Decimal(str(ln["UnitAmount"]))
                - Decimal(str(ln["LineAmount"]))
                for ln in doc["LineItems"]
                if ln.get("DiscountRate")
            ),
            Decimal(0),
        )
        doc.update(SubTotal=float(subtotal), TotalTax=float(tax), Total=float(total))
        if discount:
            doc["TotalDiscount"] = float(money(discount))
        if "AmountPaid" in doc:
            doc["AmountDue"] = float(
                total - Decimal(str(doc["AmountPaid"])) - Decimal(str(doc["AmountCredited"]))
            )
        else:  # AppliedAmount: allocated to invoices; refunds are the credit note's Payments
            refunds = sum(
                (Decimal(str(p["Amount"])) for p in doc.get("Payments") or []), Decimal(0)
            )
            doc["RemainingCredit"] = float(total - Decimal(str(doc["AppliedAmount"])) - refunds)

    def _commit_document(self, tid, kind, doc):
        """Store a validated document (creating a contact named on the fly)."""
        spec = DOCS[kind]
        contact = doc["Contact"]
        if contact.pop("_new", False):
            self.orgs[tid]["Contacts"][contact["ContactID"]] = {
                **contact,
                "ContactStatus": "ACTIVE",
                "Addresses": [],
                "Phones": [],
                "IsCustomer": True,
                "IsSupplier": False,
                "HasAttachments": False,
                "UpdatedDateUTC": self._stamp(),
            }
        if not doc.get(spec["number"]):
            used = {o[spec["number"]] for o in self.orgs[tid][kind].values()}
            seq = 1
            while f"{spec['prefix']}{seq:04d}" in used:
                seq += 1
            doc[spec["number"]] = f"{spec['prefix']}{seq:04d}"
        doc["UpdatedDateUTC"] = self._stamp()
        self.orgs[tid][kind][doc[spec["id"]]] = doc
        return doc

    def _update_locked(self, tid, kind, current, el, new_status, unitdp):
        """A document with payments or allocations: only account codes and tracking change."""
        if new_status != current["Status"]:
            raise Invalid(f"{DOCS[kind]['label']} not of valid status for modification", ALLOCATED)
        doc = copy.deepcopy(current)
        self._apply_document(tid, kind, doc, el, current["Status"], unitdp)

        def frozen(d):
            keep = {
                k: v
                for k, v in d.items()
                if k
                not in (
                    "LineItems",
                    "UpdatedDateUTC",
                    "BrandingThemeID",
                    "SentToContact",
                    "Contact",
                )
            }
            keep["ContactID"] = d["Contact"]["ContactID"]
            lines = [
                {
                    k: v
                    for k, v in ln.items()
                    if k not in ("AccountCode", "AccountID", "Tracking", "LineItemID")
                }
                for ln in d["LineItems"]
            ]
            return json.dumps([keep, lines], sort_keys=True, default=str)

        if frozen(doc) != frozen(current):
            raise Invalid(f"{DOCS[kind]['label']} not of valid status for modification", ALLOCATED)
        return self._commit_document(tid, kind, doc)

    def _set_status(self, tid, kind, doc, status):
        doc["Status"] = status
        if status in ("VOIDED", "DELETED"):
            if kind in ("Invoices", "CreditNotes"):  # a manual journal has neither
                doc["AmountDue" if kind == "Invoices" else "RemainingCredit"] = 0.0
        doc["UpdatedDateUTC"] = self._stamp()
        return doc

    @staticmethod
    def _doc_allocated(doc):
        return bool(doc.get("Payments") or doc.get("CreditNotes") or doc.get("Allocations"))

    # ------------------------------------------------------------------ allocations
    def write_allocations(self, req, tid, kind):
        """PUT /CreditNotes/{id}/Allocations: apply credit to ACCREC invoices."""
        note = self._find(tid, "CreditNotes", req.params["id"])
        if note is None:
            raise Answer(self.not_found(req))
        return self._batch(
            req,
            "Allocations",
            self._body_items(req, "Allocations"),
            lambda el: self._allocate(tid, note, el),
        )

    def _allocate(self, tid, note, el):
        if note["Status"] != "AUTHORISED":
            raise Invalid("Credit Note must be AUTHORISED before it can be allocated.")  # ⚠
        invoice = self._find(tid, "Invoices", (el.get("Invoice") or {}).get("InvoiceID"))
        if invoice is None:
            raise Invalid("Invoice could not be found.")  # ⚠ wording
        if invoice["Status"] != "AUTHORISED":
            raise Invalid("Invoice not of valid status for modification")
        amount = money(dec(el.get("Amount"), "Amount") or 0)
        if amount <= 0:
            raise Invalid("Amount must be greater than zero.")  # ⚠ wording
        if amount > money(note["RemainingCredit"]):
            raise Invalid("The amount to allocate exceeds the remaining credit.")  # ⚠ wording
        if amount > money(invoice["AmountDue"]):
            raise Invalid("Payment amount exceeds the amount outstanding on this document")
        if invoice["CurrencyCode"] != note["CurrencyCode"]:
            raise Invalid("The currencies of the credit note and the invoice must match.")  # ⚠
        day = self._day(el.get("Date"))
        alloc_id = str(uuid.uuid4())
        note["RemainingCredit"] = float(money(note["RemainingCredit"]) - amount)
        note["AppliedAmount"] = float(money(note["AppliedAmount"]) + amount)
        note["Allocations"].append(
            {
                "AllocationID": alloc_id,
                "Amount": float(amount),
                "Date": ms_date(day),
                "Invoice": {
                    "InvoiceID": invoice["InvoiceID"],
                    "InvoiceNumber": invoice["InvoiceNumber"],
                },
            }
        )
        invoice["AmountCredited"] = float(money(invoice["AmountCredited"]) + amount)
        invoice["AmountDue"] = float(money(invoice["AmountDue"]) - amount)
        invoice["CreditNotes"].append(
            {
                "CreditNoteID": note["CreditNoteID"],
                "CreditNoteNumber": note["CreditNoteNumber"],
                "AppliedAmount": float(amount),
                "Total": note["Total"],
                "Date": ms_date(day),
            }
        )
        for doc, left in ((note, "RemainingCredit"), (invoice, "AmountDue")):
            if doc[left] == 0:
                doc["Status"] = "PAID"
                doc["FullyPaidOnDate"] = ms_date(day)
            doc["UpdatedDateUTC"] = self._stamp()
        return {
            "AllocationID": alloc_id,
            "Amount": float(amount),
            "Date": ms_date(day),
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice["InvoiceNumber"],
            },
            "CreditNote": {
                "CreditNoteID": note["CreditNoteID"],
                "CreditNoteNumber": note["CreditNoteNumber"],
            },
        }

    def _day(self, value):
        if not value:
            return self._today()
        try:
            return to_datetime(value).date()
        except ValueError:
            raise Invalid(f"'{value}' is not a valid date.") from None

    # ------------------------------------------------------------------ payments
    def write_payments(self, req, tid, kind):
        """PUT/POST /Payments: pay an AUTHORISED invoice or refund a credit note."""
        return self._batch(
            req, kind, self._body_items(req, kind), lambda el: self._create_payment(tid, el)
        )

    def _create_payment(self, tid, el):
        if el.get("PaymentID"):
            raise Invalid("Payments can't be updated, only deleted.")  # ⚠ wording
        doc, kind = None, None
        for key, kind in (("Invoice", "Invoices"), ("CreditNote", "CreditNotes")):
            ref = el.get(key)
            if isinstance(ref, dict):
                spec = DOCS[kind]
                doc = self._find(tid, kind, ref.get(spec["id"]) or ref.get(spec["number"]))
                break
        if doc is None:
            raise Invalid("The document with the supplied id was not found for this endpoint.")
        account_ref = el.get("Account") or {}
        account = next(
            (
                a
                for a in self.orgs[tid]["Accounts"].values()
                if (account_ref.get("AccountID") or "").lower() == a["AccountID"].lower()
                or (account_ref.get("Code") and account_ref.get("Code") == a["Code"])
            ),
            None,
        )
        errors = []
        if (
            account is None
            or account["Status"] != "ACTIVE"
            or not (account["Type"] == "BANK" or account.get("EnablePaymentsToAccount"))
        ):
            errors.append("Account must be a bank account or have payments enabled.")  # ⚠
        if doc["Status"] != "AUTHORISED":
            errors.append("Payments can only be made against AUTHORISED documents.")  # ⚠ wording
        try:
            amount = money(dec(el.get("Amount"), "Amount") or 0)
        except Invalid as exc:
            errors += exc.messages
            amount = Decimal(0)
        due = "AmountDue" if kind == "Invoices" else "RemainingCredit"
        if amount <= 0:
            errors.append("Payment amount must be greater than zero.")  # ⚠ wording
        elif doc["Status"] == "AUTHORISED" and amount > money(doc[due]):
            errors.append("Payment amount exceeds the amount outstanding on this document")
        try:
            day = self._day(el.get("Date"))
        except Invalid as exc:
            errors += exc.messages
        rate = None
        foreign = doc["CurrencyCode"] != self.config["base_currency"]
        if el.get("CurrencyRate") is not None and foreign:
            try:  # the payment's own rate: only for documents in a foreign currency (spec)
                rate = dec(el["CurrencyRate"], "CurrencyRate")
            except Invalid as exc:
                errors += exc.messages
            if rate is not None and rate <= 0:
                errors.append("The currency rate must be greater than zero.")  # ⚠ wording
        if errors:
            raise Invalid(*errors)
        return self._record_payment(
            tid, kind, doc, account, amount, day, el.get("Reference"), rate=rate
        )

    def _record_payment(self, tid, kind, doc, account, amount, day, reference=None, rate=None):
        spec = DOCS[kind]
        rate = Decimal(str(rate or doc.get("CurrencyRate") or 1))
        bank_amount = amount
        if doc["CurrencyCode"] != account.get("CurrencyCode", self.config["base_currency"]):
            # A foreign-currency payment into a base-currency account: the rate is units of the
            # document's currency per unit of base currency ⚠.
            bank_amount = money(amount / rate)
        payment = {
            "PaymentID": str(uuid.uuid4()),
            "Date": ms_date(day),
            "Amount": float(amount),
            "BankAmount": float(bank_amount),
            "CurrencyRate": float(rate),
            "Reference": reference or "",
            "IsReconciled": False,
            "Status": "AUTHORISED",
            "PaymentType": "ACCRECPAYMENT" if kind == "Invoices" else "ARCREDITPAYMENT",
            "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
            "HasAccount": True,
            "HasValidationErrors": False,
            "Invoice" if kind == "Invoices" else "CreditNote": {
                spec["id"]: doc[spec["id"]],
                spec["number"]: doc[spec["number"]],
                "Type": doc["Type"],
                "Contact": copy.deepcopy(doc["Contact"]),
                "CurrencyCode": doc["CurrencyCode"],
            },
            "UpdatedDateUTC": self._stamp(),
        }
        self.orgs[tid]["Payments"][payment["PaymentID"]] = payment
        self._apply_payment(kind, doc, payment, +1)
        return payment

    def _apply_payment(self, kind, doc, payment, sign):
        """Add (+1) or remove (-1) a payment's effect on its document."""
        amount = Decimal(str(payment["Amount"])) * sign
        summary = {
            "PaymentID": payment["PaymentID"],
            "Date": payment["Date"],
            "Amount": payment["Amount"],
            "Reference": payment["Reference"],
        }
        if kind == "Invoices":
            doc["AmountPaid"] = float(money(doc["AmountPaid"]) + amount)
            doc["AmountDue"] = float(money(doc["AmountDue"]) - amount)
            left = doc["AmountDue"]
        else:  # a refund: the credit left shrinks, nothing is applied to an invoice
            doc["RemainingCredit"] = float(money(doc["RemainingCredit"]) - amount)
            left = doc["RemainingCredit"]
        if sign > 0:
            doc["Payments"].append(summary)
        else:
            doc["Payments"] = [p for p in doc["Payments"] if p["PaymentID"] != payment["PaymentID"]]
        if left == 0:
            doc["Status"], doc["FullyPaidOnDate"] = "PAID", payment["Date"]
        else:
            doc["Status"] = "AUTHORISED"
            doc.pop("FullyPaidOnDate", None)
        doc["UpdatedDateUTC"] = self._stamp()

    def delete_payment(self, req, tid, kind):
        """POST /Payments/{id} {"Status": "DELETED"}: remove a payment, reopen its document."""
        payment = self._find(tid, "Payments", req.params["id"])
        if payment is None:
            raise Answer(self.not_found(req))
        items = self._body_items(req, "Payments")

        def delete(el):
            if (el.get("Status") or "").upper() != "DELETED":
                raise Invalid("Payments can only be deleted: send Status DELETED.")  # ⚠ wording
            if payment["Status"] == "DELETED":
                raise Invalid("This payment has already been deleted.")  # ⚠ wording
            self._remove_payment(tid, payment)
            return payment

        return self._batch(req, "Payments", items, delete)

    def _remove_payment(self, tid, payment):
        kind = "Invoices" if "Invoice" in payment else "CreditNotes"
        doc = self.orgs[tid][kind][
            payment["Invoice" if kind == "Invoices" else "CreditNote"][DOCS[kind]["id"]]
        ]
        payment["Status"] = "DELETED"
        payment["UpdatedDateUTC"] = self._stamp()
        self._apply_payment(kind, doc, payment, -1)

    # ------------------------------------------------------------------ manual journals
    def write_journals(self, req, tid, kind):
        """PUT creates, POST creates or updates manual journals."""
        return self._batch(
            req, kind, self._body_items(req, kind), lambda el: self._upsert_journal(req, tid, el)
        )

    def _upsert_journal(self, req, tid, el):
        current = self._target(req, tid, "ManualJournals", el)
        label = "Manual Journal not of valid status for modification"  # ⚠ wording
        status = (el.get("Status") or (current or {}).get("Status") or "DRAFT").upper()
        if current:
            allowed = {"DRAFT": ("DRAFT", "POSTED", "DELETED"), "POSTED": ("POSTED", "VOIDED")}
            if status not in allowed.get(current["Status"], ()):
                raise Invalid(label)
            if status in ("DELETED", "VOIDED"):
                return self._set_status(tid, "ManualJournals", current, status)
        elif status not in ("DRAFT", "POSTED"):
            raise Invalid(f"Manual Journal Status '{status}' is not valid for a new journal.")
        journal = (
            copy.deepcopy(current)
            if current
            else {
                "ManualJournalID": str(uuid.uuid4()),
                "LineAmountTypes": "NoTax",
                "ShowOnCashBasisReports": True,
                "HasAttachments": False,
                "JournalLines": [],
            }
        )
        journal["Status"] = status
        for key in ("Narration", "Url", "ShowOnCashBasisReports", "LineAmountTypes"):
            if key in el:
                journal[key] = el[key]
        errors, warnings = [], []
        journal["Date"] = ms_date(
            self._day(el.get("Date"))
            if el.get("Date") or not current
            else to_datetime(journal["Date"]).date()
        )
        if not (journal.get("Narration") or "").strip():
            errors.append("Narration cannot be empty.")  # ⚠ wording
        if "JournalLines" in el:
            journal["JournalLines"] = []
            for raw in el["JournalLines"] or []:
                code = (raw or {}).get("AccountCode")
                account = next(
                    (
                        a
                        for a in self.orgs[tid]["Accounts"].values()
                        if a["Code"] == code or a["AccountID"] == raw.get("AccountID")
                    ),
                    None,
                )
                if account is None:  # spec example: the line is dropped with a warning
                    warnings.append(
                        {
                            "Message": f"Account code '{code}' has been removed as it "
                            "does not match a recognised account."
                        }
                    )
                    continue
                try:
                    amount = money(dec(raw.get("LineAmount"), "LineAmount") or 0)
                except Invalid as exc:
                    errors += exc.messages
                    continue
                journal["JournalLines"].append(
                    {
                        "LineAmount": float(amount),
                        "AccountCode": account["Code"],
                        "AccountID": account["AccountID"],
                        **({"Description": raw["Description"]} if raw.get("Description") else {}),
                        "TaxType": raw.get("TaxType") or "NONE",
                        "Tracking": raw.get("Tracking") or [],
                        "IsBlank": False,
                    }
                )
        lines = journal["JournalLines"]
        if status == "POSTED" or self.config["journal_draft_must_balance"]:
            if len(lines) < 2:
                errors.append("A manual journal must have at least two journal lines.")  # ⚠
            debits = sum(
                (Decimal(str(ln["LineAmount"])) for ln in lines if ln["LineAmount"] > 0), Decimal(0)
            )
            credits = sum(
                (Decimal(str(ln["LineAmount"])) for ln in lines if ln["LineAmount"] < 0), Decimal(0)
            )
            if debits + credits != 0:
                errors.append(
                    f"The total debits ({debits:.2f}) must equal total credits " f"({credits:.2f})"
                )
        if errors:
            raise Invalid(*errors)
        if warnings:
            journal["Warnings"] = warnings
        journal["UpdatedDateUTC"] = self._stamp()
        self.orgs[tid]["ManualJournals"][journal["ManualJournalID"]] = journal
        return journal

    # ------------------------------------------------------------------ user-side actions
    def _locate(self, kind, ident):
        with self.lock:
            for tid in self.orgs:
                obj = self._find(tid, kind, ident)
                if obj is not None:
                    return tid, obj
        raise KeyError(f"no {kind} {ident!r}")

    def pay_invoice(self, invoice_id, amount=None, account_code="090", day=None):
        """A Xero user records a payment (default: the whole amount due) to the bank account."""
        with self.lock:
            tid, invoice = self._locate("Invoices", invoice_id)
            if invoice["Status"] != "AUTHORISED":
                raise ValueError(f"invoice is {invoice['Status']}, not AUTHORISED")
            amount = money(invoice["AmountDue"] if amount is None else amount)
            if not 0 < amount <= money(invoice["AmountDue"]):
                raise ValueError("Payment amount exceeds the amount outstanding on this document")
            account = self._find(tid, "Accounts", account_code)
            day = to_datetime(day).date() if day else self._today()
            return copy.deepcopy(
                self._record_payment(tid, "Invoices", invoice, account, amount, day)
            )

    def enter_document(
        self, kind, number, contact_name, doc_type=None, total=100.0, tenant_index=0
    ):
        """A Xero user enters an AUTHORISED document of one no-tax line in the app, for an
        existing contact; any ``Type``, e.g. a bill (ACCPAY), which this API does not create."""
        spec = DOCS[kind]
        with self.lock:
            tid = self._tenant_id(tenant_index)
            contact = next(
                c for c in self.orgs[tid]["Contacts"].values() if c["Name"] == contact_name
            )
            today = self._today()
            doc = {
                spec["id"]: str(uuid.uuid4()),
                spec["number"]: number,
                "Type": doc_type or spec["type"],
                "Status": "AUTHORISED",
                "Contact": {k: contact[k] for k in ("ContactID", "Name") if k in contact},
                "Date": ms_date(today),
                "DateString": today.isoformat() + "T00:00:00",
                "DueDate": ms_date(today),
                "LineAmountTypes": "NoTax",
                "LineItems": [
                    {
                        "LineItemID": str(uuid.uuid4()),
                        "Description": "Entered in Xero",
                        "Quantity": 1.0,
                        "UnitAmount": float(total),
                        "LineAmount": float(total),
                        "TaxType": "NONE",
                        "TaxAmount": 0.0,
                    }
                ],
                "CurrencyCode": self.config["base_currency"],
                "CurrencyRate": 1.0,
                "Payments": [],
                **(
                    {"CreditNotes": [], "AmountPaid": 0.0, "AmountCredited": 0.0}
                    if kind == "Invoices"
                    else {"Allocations": [], "AppliedAmount": 0.0}
                ),
            }
            self._totals(doc)
            return copy.deepcopy(self._commit_document(tid, kind, doc))

    def delete_payment_by_user(self, payment_id):
        """A Xero user removes a payment ("Remove and Redo")."""
        with self.lock:
            tid, payment = self._locate("Payments", payment_id)
            if payment["Status"] == "DELETED":
                raise ValueError("payment already deleted")
            self._remove_payment(tid, payment)
            return copy.deepcopy(payment)

    def _user_status(self, kind, ident, status):
        with self.lock:
            tid, doc = self._locate(kind, ident)
            allowed = ("AUTHORISED",) if status == "VOIDED" else EDITABLE
            if doc["Status"] not in allowed or (status == "VOIDED" and self._doc_allocated(doc)):
                raise ValueError(f"{DOCS[kind]['label']} not of valid status for modification")
            return copy.deepcopy(self._set_status(tid, kind, doc, status))

    def void_invoice(self, invoice_id):
        """A user voids an AUTHORISED invoice without payments."""
        return self._user_status("Invoices", invoice_id, "VOIDED")

    def delete_invoice(self, invoice_id):
        """A user deletes a DRAFT or SUBMITTED invoice."""
        return self._user_status("Invoices", invoice_id, "DELETED")

    def void_credit_note(self, credit_note_id):
        """A user voids an AUTHORISED credit note without allocations."""
        return self._user_status("CreditNotes", credit_note_id, "VOIDED")

    def delete_credit_note(self, credit_note_id):
        """A user deletes a DRAFT or SUBMITTED credit note."""
        return self._user_status("CreditNotes", credit_note_id, "DELETED")

    # ------------------------------------------------------------------ webhooks
    def _post_webhook(self, url, body, signature):
        return self.post_signed(url, body, "x-xero-signature", signature)

    def _sign(self, body, key=None):
        return self.sign(key or self.config["webhook_key"], body)

    def send_webhook(self, events, url=None):
        """POST signed events; each event needs resourceId, eventCategory (INVOICE, CONTACT,
        CREDITNOTE, …) and eventType (CREATE/UPDATE); the rest is filled in. Returns the status."""
        url = url or self.config["webhook_url"]
        if not url:
            raise ValueError("no webhook_url configured")
        paths = {
            "INVOICE": "Invoices",
            "CONTACT": "Contacts",
            "CREDITNOTE": "CreditNotes",
            "PAYMENT": "Payments",
            "MANUALJOURNAL": "ManualJournals",
        }
        stamp = datetime.fromtimestamp(self.clock.now(), timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.%f"
        )[:-3]
        full = []
        for event in events:
            event = dict(event)
            category = event["eventCategory"]
            event.setdefault("tenantId", self._tenant_id())
            event.setdefault("tenantType", "ORGANISATION")
            event.setdefault("eventDateUtc", stamp)
            event.setdefault(
                "resourceUrl",
                f"{self.base_url}/api.xro/2.0/"
                f"{paths.get(category, category.title())}/{event['resourceId']}",
            )
            full.append(event)
        with self.lock:
            first = self.event_sequence + 1
            self.event_sequence += len(full)
        body = json.dumps(
            {
                "events": full,
                "firstEventSequence": first,
                "lastEventSequence": self.event_sequence,
                "entropy": secrets.token_hex(10).upper(),
            }
        ).encode()
        return self._post_webhook(url, body, self._sign(body))

    def send_intent_to_receive(self, url=None):
        """Xero's intent-to-receive check: one correctly and one wrongly signed empty payload.
        The receiver passes when it answers 200 then 401."""
        url = url or self.config["webhook_url"]
        if not url:
            raise ValueError("no webhook_url configured")
        statuses = {}
        for label, key in (("correct", None), ("incorrect", secrets.token_hex(16))):
            body = json.dumps(
                {
                    "events": [],
                    "firstEventSequence": 0,
                    "lastEventSequence": 0,
                    "entropy": secrets.token_hex(10).upper(),
                }
            ).encode()
            statuses[label] = self._post_webhook(url, body, self._sign(body, key))
        statuses["ok"] = statuses["correct"] == 200 and statuses["incorrect"] == 401
        return statuses

    # ------------------------------------------------------------------ admin API
    def admin_action(self, action, req, data):
        """tokens, pay, void, delete, webhook (POST, JSON bodies)."""
        if req.method != "POST":
            return None
        data = data or {}
        try:
            if action == "tokens":
                return Response(
                    200,
                    self.issue_tokens(
                        data.get("tenant_index", 0), data.get("scope", DEFAULT_SCOPE)
                    ),
                )
            if action == "pay":
                return Response(200, self.pay_invoice(data["invoice_id"], data.get("amount")))
            if action in ("void", "delete"):
                if data.get("credit_note_id"):
                    kind, ident = "CreditNotes", data["credit_note_id"]
                else:
                    kind, ident = "Invoices", data["invoice_id"]
                status = "VOIDED" if action == "void" else "DELETED"
                return Response(200, self._user_status(kind, ident, status))
            if action == "webhook":
                if data.get("intent"):
                    return Response(200, self.send_intent_to_receive(data.get("url")))
                return Response(200, {"status": self.send_webhook(data["events"], data.get("url"))})
        except (KeyError, ValueError) as exc:
            return Response(400, {"error": str(exc)})
        return None
