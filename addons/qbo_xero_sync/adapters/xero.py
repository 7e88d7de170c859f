"""Xero adapter (xero-python).

Facts honoured here (API_NOTES.md §0, §3-4 of the project notes; developer.xero.com):
- xero-python silently retries PUTs on 429/503 and has no default timeout: its urllib3 retries
  are turned off (the engine retries) and every call carries ``_request_timeout``.
- token URLs are class attributes of ``TokenApi``: they are set on the instance only, so that
  several connections (production, emulator) live side by side in one process.
- batches are not transactional: always ``summarize_errors=False``, each element's own
  ValidationErrors land on its own document; writes carry an Idempotency-Key.
- tax is rounded per line to 2 decimals: each line carries Odoo's LineAmount and TaxAmount, so
  that Xero's total equals Odoo's.
"""

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import urllib3
from xero_python.accounting import (
    AccountingApi,
    Allocation,
    Allocations,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    ManualJournal,
    ManualJournalLine,
    ManualJournals,
)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.api_client.serializer import serialize
from xero_python.exceptions import (
    AccountingBadRequestException,
    ApiException,
    HTTPStatusException,
    NotFoundException,
    RateLimitException,
)
from xero_python.identity import IdentityApi

from odoo import _

from .. import const
from ..exceptions import AUTH, GONE, RETRY, USER, SyncError
from .base import Changes, ProviderAdapter, RemoteState, Result, document_kind

_logger = logging.getLogger(__name__)

TIMEOUT = (10, 60)  # (connect, read) seconds
STATUS = {"PAID": "paid", "VOIDED": "voided", "DELETED": "deleted"}
# kind -> (AccountingApi method that updates or creates many, body wrapper, answer attribute)
SEND = {
    "invoice": ("update_or_create_invoices", lambda objs: Invoices(invoices=objs), "invoices"),
    "credit_note": (
        "update_or_create_credit_notes",
        lambda objs: CreditNotes(credit_notes=objs),
        "credit_notes",
    ),
}
# kind -> (Xero Type, list method, answer attribute, id attribute, number attribute)
XERO_KIND = {
    "invoice": ("ACCREC", "get_invoices", "invoices", "invoice_id", "invoice_number"),
    "credit_note": (
        "ACCRECCREDIT",
        "get_credit_notes",
        "credit_notes",
        "credit_note_id",
        "credit_note_number",
    ),
}
WEBHOOK_KIND = {"INVOICE": "invoice", "CREDITNOTE": "credit_note"}
NO_RETRY = urllib3.Retry(
    total=0,
    read=False,
    redirect=0,
    status=0,
    respect_retry_after_header=False,
    raise_on_status=False,
)


def _enum(value):
    """The string of an SDK enum (or the value itself)."""
    return getattr(value, "value", value)


def _quote(text):
    """A string literal of Xero's ``where`` filters, without quotes or backslashes inside (the
    answer is then checked exactly)."""
    return '"' + str(text).replace('"', "").replace("\\", "") + '"'


class XeroAdapter(ProviderAdapter):
    code = "xero"

    def __init__(self, connection):
        super().__init__(connection)
        self._client = None
        self._cache = {}
        self._sending = {}  # {sync record: document values} of the push under way

    # ------------------------------------------------------------------ endpoints and clients
    def _url(self, key):
        conn = self.connection
        if conn.environment == "custom":
            return conn.custom_base_url.rstrip("/") + const.XERO_CUSTOM_PATHS[key]
        return const.XERO_URLS[key]

    def _scopes(self):
        if self.connection.xero_scope_set == "legacy":
            return const.XERO_SCOPES_LEGACY
        return const.XERO_SCOPES_GRANULAR

    def _api_client(self, token=None):
        conn = self.connection
        tokens = {
            "access_token": token,
            "token_type": "Bearer",
            "scope": self._scopes(),
            "expires_in": 1800,
            "expires_at": time.time() + 1800,
        }
        client = ApiClient(
            Configuration(
                oauth2_token=OAuth2Token(client_id=conn.client_id, client_secret=conn.client_secret)
            ),
            pool_threads=1,
            oauth2_token_getter=lambda: tokens,
            # The connection owns refreshing; xero-python must never spend the refresh token.
            oauth2_token_saver=lambda _token: None,
        )
        client.rest_client.pool_manager.connection_pool_kw["retries"] = NO_RETRY
        client.rest_client.pool_manager.clear()
        return client

    def _token_call(self, form):
        """POST the token endpoint (authorization code or refresh); returns the token dict."""
        client = self._api_client()
        form = {
            **form,
            "client_id": self.connection.client_id,
            "client_secret": self.connection.client_secret,
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
            "client_id": self.connection.client_id,
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

    def revoke(self):
        token = self.connection.refresh_token
        if not token:
            return
        api = TokenApi(self._api_client(), self.connection.client_id, self.connection.client_secret)
        api.revoke_token_url = self._url("revoke")  # instance attribute, not the class one
        try:
            api.revoke_token(token)
        except Exception as exc:
            raise SyncError(_("Xero did not revoke the token: %s", exc), kind=RETRY) from exc

    def list_organisations(self, params):
        token = self.connection.access_token
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

    def _api(self, force_refresh=False):
        if self._client is None or force_refresh:
            token = self.connection._qxs_access_token(force_refresh=force_refresh)
            self._api_client_obj = self._api_client(token)
            self._client = AccountingApi(self._api_client_obj, base_url=self._url("api"))
        return self._client

    # ------------------------------------------------------------------ one request entry point
    def _call(self, method, *args, **kwargs):
        """Every Accounting API call goes through here: token, tenant, timeout, rate limits,
        error mapping."""
        tenant = self.connection.remote_org_id
        if not tenant:
            raise SyncError(_("Choose the Xero organisation on the connection."), kind=AUTH)
        minute = self._cache.get("minute_remaining")
        if minute is not None and minute <= 0:
            raise SyncError(
                _("Xero's 60 calls per minute are used up; retrying in a minute."),
                kind=RETRY,
                retry_after=60,
            )
        day = self._cache.get("day_remaining")
        if day is not None and day <= 0:
            raise SyncError(
                _("Xero's daily limit of 5,000 calls is used up; retrying later."),
                kind=RETRY,
                retry_after=3600,
            )
        kwargs.setdefault("_request_timeout", TIMEOUT)
        for attempt in (1, 2):
            api = self._api(force_refresh=attempt == 2)
            try:
                result = getattr(api, method)(tenant, *args, **kwargs)
                self._note_limits(self._api_client_obj.last_response)
                return result
            except RateLimitException as exc:
                retry_after = int((exc.headers or {}).get("Retry-After") or 60)
                raise SyncError(
                    _(
                        "Xero rate limit reached (%(p)s); retrying in %(s)s s.",
                        p=exc.rate_limit or "429",
                        s=retry_after,
                    ),
                    kind=RETRY,
                    retry_after=retry_after,
                    code=429,
                ) from exc
            except AccountingBadRequestException as exc:
                raise SyncError(self._bad_request_message(exc), kind=USER, code=400) from exc
            except NotFoundException as exc:
                raise SyncError(
                    _("Xero: the document no longer exists."), kind=GONE, code=404
                ) from exc
            except HTTPStatusException as exc:
                if exc.status == 401 and attempt == 1:
                    continue  # refused token: refresh once and try again
                kind = RETRY if (exc.status or 0) >= 500 else AUTH
                raise SyncError(
                    _("Xero error %(s)s: %(r)s", s=exc.status, r=exc.reason),
                    kind=kind,
                    code=exc.status,
                ) from exc
            except ApiException as exc:
                raise SyncError(
                    _("Xero could not be reached: %s", exc.reason or exc), kind=RETRY
                ) from exc
            except urllib3.exceptions.HTTPError as exc:
                raise SyncError(_("Xero could not be reached: %s", exc), kind=RETRY) from exc
        raise SyncError(_("Xero refused the access token twice."), kind=AUTH)

    def _note_limits(self, response):
        if response is None:
            return
        for header, key in (
            ("X-MinLimit-Remaining", "minute_remaining"),
            ("X-DayLimit-Remaining", "day_remaining"),
        ):
            value = response.getheader(header)
            if value is not None and value.lstrip("-").isdigit():
                self._cache[key] = int(value)

    def store_limits(self):
        """Show the remaining budget on the connection (called once per group by the engine)."""
        if "day_remaining" not in self._cache:
            return
        # In its own transaction: the connection row is never written by the sending one, which
        # may be older than a token refresh committed meanwhile (serialization failure).
        with self.connection._qxs_independent_env() as env:
            env["qxs.connection"].browse(self.connection.id).write(
                {
                    "rate_day_remaining": self._cache["day_remaining"],
                    "rate_minute_remaining": self._cache.get("minute_remaining", 0),
                }
            )

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

    @staticmethod
    def _element_errors(element):
        errors = [v.message for v in (element.validation_errors or []) if v.message]
        return "; ".join(errors) or _("Xero refused it without a message.")

    # ------------------------------------------------------------------ mapping
    def _accounts(self):
        if "accounts" not in self._cache:
            accounts = self._call("get_accounts").accounts or []
            self._cache["accounts"] = {a.code: a for a in accounts if a.code}
        return self._cache["accounts"]

    def list_accounts(self):
        return [
            {"code": code, "name": f"{code} {a.name}", "type": _enum(a.type)}
            for code, a in self._accounts().items()
            if _enum(a.status) == "ACTIVE"
        ]

    def _tax_types(self):
        if "tax_types" not in self._cache:
            rates = self._call("get_tax_rates").tax_rates or []
            self._cache["tax_types"] = {r.tax_type: r for r in rates}
        return self._cache["tax_types"]

    def _check_document(self, doc):
        """Refuse a document before sending it when a code does not exist in Xero."""
        accounts, taxes = self._accounts(), self._tax_types()
        problems = []
        for line in doc["lines"]:
            code = line["revenue_code"]
            account = accounts.get(code)
            if not account:
                problems.append(
                    _(
                        "Revenue code %s is not an account code in Xero: set the "
                        "product's revenue code to a Xero revenue account code.",
                        code,
                    )
                )
            elif _enum(account.type) not in const.XERO_REVENUE_TYPES:
                problems.append(
                    _(
                        "Xero account %(c)s is of type %(t)s, not a revenue type: "
                        "use the code of a revenue account.",
                        c=code,
                        t=_enum(account.type),
                    )
                )
            elif _enum(account.status) == "ARCHIVED":
                problems.append(_("Xero account %s is archived.", code))
            if len(line["tax_codes"]) > 1:
                problems.append(
                    _(
                        "A Xero line takes one tax rate; a line has %s.",
                        ", ".join(line["tax_codes"]),
                    )
                )
            for tax_type in line["tax_codes"]:
                rate = taxes.get(tax_type)
                if not rate:
                    problems.append(
                        _(
                            "Tax type %s does not exist in Xero: fix the tax code on "
                            "the Odoo tax.",
                            tax_type,
                        )
                    )
                elif _enum(rate.status) not in (None, "ACTIVE"):
                    problems.append(_("Xero tax rate %s is not active.", tax_type))
        if problems:
            raise SyncError("\n".join(dict.fromkeys(problems)))

    def _find_customers(self, partners):
        """{partner id: contact id} of the contacts whose AccountNumber equals the partner's
        billing account exactly (never creates one)."""
        result = {}
        for pid, p in partners.items():
            if not p["billing_account"]:
                continue
            where = f"AccountNumber=={_quote(p['billing_account'])}"
            found = self._call("get_contacts", where=where).contacts or []
            exact = [c for c in found if c.account_number == p["billing_account"]]
            if exact:
                result[pid] = exact[0].contact_id
        return result

    def _find_or_create_customers(self, todo):
        """The contact whose AccountNumber equals the billing account exactly, else a new
        contact (one PUT for all)."""
        result = self._find_customers(todo)
        todo = {pid: p for pid, p in todo.items() if pid not in result}
        if todo:
            order = list(todo)
            contacts = [
                Contact(
                    name=todo[pid]["name"][:255],
                    account_number=todo[pid]["billing_account"] or None,
                    email_address=todo[pid]["email"] or None,
                )
                for pid in order
            ]
            # The key covers everything sent (a corrected e-mail is a new request), and the
            # generation of the documents that need these contacts (sent anew: a new key).
            generation = max(
                (
                    r.generation
                    for r, d in self._sending.items()
                    if d["partner"]["record"].id in todo
                ),
                default=0,
            )
            answer = self._call(
                "create_contacts",
                Contacts(contacts=contacts),
                summarize_errors=False,
                idempotency_key=self.request_key(
                    self.env["qxs.sync.record"],
                    "contacts",
                    [[serialize(c) for c in contacts], generation],
                    64,
                ),
            )
            for pid, contact in zip(order, answer.contacts or []):
                if contact.has_validation_errors or contact.validation_errors:
                    message = self._element_errors(contact)
                    if "name" in message.lower():
                        message = _(
                            "%(m)s Set the customer's billing account to that Xero "
                            "contact's account number to use it, or rename the "
                            "customer.",
                            m=message,
                        )
                    result[pid] = SyncError(_("Xero contact: %s", message))
                else:
                    result[pid] = contact.contact_id
        return result

    # ------------------------------------------------------------------ documents
    def _amount_type(self, doc):
        """Tax-inclusive only when every taxed line is: mixed lines are sent net of tax."""
        taxed = [li for li in doc["lines"] if li["tax_codes"]]
        if not taxed:
            return LineAmountTypes.NOTAX
        if all(li["tax_included"] for li in taxed):
            return LineAmountTypes.INCLUSIVE
        return LineAmountTypes.EXCLUSIVE

    def _line_items(self, doc, amount_type):
        inclusive = amount_type == LineAmountTypes.INCLUSIVE
        items = []
        for line in doc["lines"]:
            # Odoo's own amounts: Xero's per-line rounding then gives Odoo's total.
            amount = round(line["price_total"] if inclusive else line["price_subtotal"], 2)
            description = line["description"][:4000] or line["product_name"] or "-"
            quantity, unit, discount = line["quantity"], line["price_unit"], line["discount"]
            if discount and doc["kind"] == "credit_note":
                # Xero takes no discount on credit notes: the discounted price is sent.
                description = _(
                    "%(description)s (discount %(rate)s%%)",
                    description=description,
                    rate=f"{discount:g}",
                )[:4000]
                discount, unit = 0.0, None
            if line["tax_included"] and not inclusive:
                unit = None  # Odoo's price includes the tax, this document's amounts do not
            if unit is None:
                quantity, unit, discount = self._unit_for(quantity, amount, discount)
            items.append(
                LineItem(
                    description=description,
                    quantity=quantity,
                    unit_amount=unit,
                    discount_rate=discount or None,
                    account_code=line["revenue_code"],
                    tax_type=line["tax_codes"][0] if line["tax_codes"] else "NONE",
                    line_amount=amount,
                    tax_amount=round(line["price_total"] - line["price_subtotal"], 2),
                )
            )
        return items

    @staticmethod
    def _unit_for(quantity, amount, discount):
        """(quantity, unit amount, discount) whose Xero line amount (Quantity × UnitAmount ×
        (1 - DiscountRate / 100), UnitAmount to 4 decimals) is ``amount``; one unit at
        ``amount`` when no 4-decimal unit price gives it."""
        factor = quantity * (1 - (discount or 0.0) / 100)
        unit = round(amount / factor, 4) if factor else 0.0
        if factor and round(factor * unit, 2) == amount:
            return quantity, unit, discount
        return 1.0, amount, 0.0

    @staticmethod
    def _currency(code):
        try:
            return CurrencyCode[code]
        except KeyError as exc:
            raise SyncError(_("Xero does not know the currency %s.", code)) from exc

    def _document(self, rec, doc, contact_id):
        amount_type = self._amount_type(doc)
        common = {
            "contact": Contact(contact_id=contact_id),
            "line_items": self._line_items(doc, amount_type),
            "date": doc["date"],
            "line_amount_types": amount_type,
            "reference": doc["reference"][:255] or None,
            "currency_code": self._currency(doc["currency"]),
            "status": "AUTHORISED",
        }
        if doc["kind"] == "invoice":
            return Invoice(
                type="ACCREC",
                invoice_id=rec.remote_id or None,
                invoice_number=doc["number"],
                due_date=doc["due_date"],
                **common,
            )
        return CreditNote(
            type="ACCRECCREDIT",
            credit_note_id=rec.remote_id or None,
            credit_note_number=doc["number"],
            **common,
        )

    def push_documents(self, records):
        docs, results = self._documents(records, check=self._check_document)
        if not docs:
            return results
        self._sending = docs
        contacts = self._customers(list(docs.values()))
        self._link_existing(docs, contacts, results)
        for kind in ("invoice", "credit_note"):
            group = [
                (rec, doc)
                for rec, doc in docs.items()
                if doc["kind"] == kind and rec not in results
            ]
            ready = []
            for rec, doc in group:
                contact = contacts.get(doc["partner"]["record"].id)
                if isinstance(contact, SyncError):
                    results[rec] = contact
                    continue
                try:
                    ready.append((rec, doc, self._document(rec, doc, contact)))
                except SyncError as exc:
                    results[rec] = exc
            for start in range(0, len(ready), const.XERO_BATCH_SIZE):
                chunk = ready[start : start + const.XERO_BATCH_SIZE]
                results.update(self._send_chunk(kind, chunk))
        self.store_limits()
        return results

    def _send_chunk(self, kind, chunk):
        objs = [obj for _rec, _doc, obj in chunk]
        salt = [(rec.id, rec.generation, rec.remote_id or "") for rec, _doc, _obj in chunk]
        key = self.request_key(chunk[0][0].browse(), kind, [[serialize(o) for o in objs], salt], 64)
        method, wrapper, attr = SEND[kind]
        try:
            answer = self._call(
                method, wrapper(objs), summarize_errors=False, unitdp=4, idempotency_key=key
            )
            elements = getattr(answer, attr) or []
        except SyncError as exc:
            return {rec: self._explain(exc, rec.remote_id) for rec, _doc, _obj in chunk}
        out = {}
        for (rec, doc, _obj), element in zip(chunk, elements):
            if element.has_errors or element.validation_errors:
                out[rec] = self._explain(
                    SyncError(_("Xero: %s", self._element_errors(element)), code=400),
                    rec.remote_id,
                )
                continue
            state = self._state(element, kind)
            out[rec] = Result(
                remote_id=state.remote_id,
                remote_number=state.remote_number,
                remote_total=state.total,
                remote_status=state.status,
                message=self._allocate(rec, doc, state.remote_id)
                if kind == "credit_note"
                else None,
            )
        return out

    @staticmethod
    def _explain(exc, remote_id):
        """Add what to do when Xero refuses to change a paid or voided document."""
        text = exc.message.lower()
        if remote_id and ("status" in text or "payment" in text or "allocated" in text):
            exc.message += " " + _(
                "Xero does not change an invoice that is paid, part-paid or voided. Remove the "
                "payment in Xero first, or leave this invoice as it is and correct it with a "
                "credit note."
            )
        return exc

    def _by_number(self, kind, numbers):
        """Xero's sales invoices (ACCREC) or credit notes (ACCRECCREDIT) numbered ``numbers``,
        in one call; bills may repeat a number and are left out."""
        doc_type, method, attr, _id, _number = XERO_KIND[kind]
        if not numbers:
            return []
        where = f"Type=={_quote(doc_type)}"
        if kind == "invoice":
            return self._call(method, invoice_numbers=numbers, where=where, page=1).invoices or []
        either = " OR ".join(f"CreditNoteNumber=={_quote(n)}" for n in numbers)
        return getattr(self._call(method, where=f"{where} AND ({either})", page=1), attr) or []

    def _link_existing(self, docs, contacts, results):
        """Before creating documents, look them up by number: a write applied remotely but lost
        before Odoo committed is linked (same contact, same type), never created twice nor
        refused as a duplicate number; another contact's document with that number is an error
        for the user."""
        for kind in ("invoice", "credit_note"):
            todo = {
                d["number"].lower(): rec
                for rec, d in docs.items()
                if d["kind"] == kind and not rec.remote_id and rec not in results
            }
            for element in self._by_number(kind, [docs[rec]["number"] for rec in todo.values()]):
                state = self._state(element, kind)
                rec = todo.get((state.remote_number or "").lower())
                contact = rec and contacts.get(docs[rec]["partner"]["record"].id)
                if not contact or isinstance(contact, SyncError) or state.status == "deleted":
                    continue
                if element.contact.contact_id == contact:
                    if state.status != "voided":  # voided: its number can't be used again
                        rec.write({"remote_id": state.remote_id})
                    continue
                message = (
                    _(
                        "Xero already has an invoice numbered %(number)s for another contact "
                        "(%(contact)s). Rename or delete it in Xero, then post again.",
                        number=state.remote_number,
                        contact=element.contact.name,
                    )
                    if kind == "invoice"
                    else _(
                        "Xero already has a credit note numbered %(number)s for another contact "
                        "(%(contact)s). Rename or delete it in Xero, then post again.",
                        number=state.remote_number,
                        contact=element.contact.name,
                    )
                )
                results[rec] = SyncError(message)

    def _allocate(self, rec, doc, credit_note_id):
        """Allocate the credit note to its invoice when Odoo reconciled them."""
        origin = doc["origin_move"]
        if not origin:
            return None
        origin_rec = origin._qxs_document_record()
        partials = rec.move_id.line_ids.matched_debit_ids.filtered(
            lambda p: p.debit_move_id.move_id == origin
        )
        amount = sum(partials.mapped("amount"))
        if not amount or not origin_rec.remote_id or origin_rec.connection_id != rec.connection_id:
            return None
        body = Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=origin_rec.remote_id),
                    amount=round(amount, 2),
                    date=doc["date"],
                )
            ]
        )
        try:
            self._call(
                "create_credit_note_allocation",
                credit_note_id,
                body,
                summarize_errors=False,
                idempotency_key=self.request_key(rec, "allocation", [credit_note_id, amount]),
            )
        except SyncError as exc:
            return _("The allocation to %(inv)s failed: %(msg)s", inv=origin.name, msg=exc.message)
        return _("Allocated %(amount)s to %(inv)s.", amount=amount, inv=origin.name)

    def _find_unsent(self, records):
        """{record: RemoteState} of the records without remote id whose document Xero has (a
        send whose answer was lost): same number, same type, same contact."""
        found = {}
        for kind in ("invoice", "credit_note"):
            recs = records.filtered(lambda r, k=kind: document_kind(r.move_id.move_type) == k)
            if not recs:
                continue
            contacts = self._known_contacts(recs.move_id.commercial_partner_id)
            for element in self._by_number(kind, recs.mapped("move_id.name")):
                state = self._state(element, kind)
                number = (state.remote_number or "").lower()
                for rec in recs.filtered(lambda r, n=number: r.move_id.name.lower() == n):
                    partner = rec.move_id.commercial_partner_id
                    if partner.id in contacts:
                        same = element.contact.contact_id == contacts[partner.id]
                    else:  # created under the partner's name, then the answer was lost
                        name = (element.contact.name or "").strip().lower()
                        same = name == (partner.name or "")[:255].strip().lower()
                    if same and state.status != "deleted":
                        found[rec] = state
        return found

    def _known_contacts(self, partners):
        """{partner id: contact id} of the partners bound to a contact, or whose billing account
        is a contact's AccountNumber (never creates one)."""
        bound = (
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.connection.id),
                    ("purpose", "=", "customer"),
                    ("res_id", "in", partners.ids),
                    ("remote_id", "!=", False),
                ]
            )
        )
        result = {b.res_id: b.remote_id for b in bound}
        todo = {
            p.id: {"billing_account": (p.qxs_billing_account or "").strip()}
            for p in partners
            if p.id not in result
        }
        return result | self._find_customers(todo)

    def void_documents(self, records):
        results = {}
        unsent = records.filtered(lambda r: not r.remote_id)
        try:
            found = self._find_unsent(unsent) if unsent else {}
        except SyncError as exc:
            results.update(dict.fromkeys(unsent, exc))
            records -= unsent
            found = {}
        for rec in records:
            remote_id = rec.remote_id
            if not remote_id:
                state = found.get(rec)
                if state is None:
                    results[rec] = SyncError(
                        _("%s is not in Xero: it was never sent.", rec.move_id.name), kind=GONE
                    )
                    continue
                remote_id = state.remote_id
                if state.status == "voided":
                    results[rec] = Result(remote_id=remote_id, remote_status="voided")
                    continue
            key = self.request_key(rec, "void", remote_id)
            try:
                if rec.move_id.move_type == "out_refund":
                    body = CreditNotes(
                        credit_notes=[CreditNote(credit_note_id=remote_id, status="VOIDED")]
                    )
                    self._call("update_credit_note", remote_id, body, idempotency_key=key)
                else:
                    body = Invoices(invoices=[Invoice(invoice_id=remote_id, status="VOIDED")])
                    self._call("update_invoice", remote_id, body, idempotency_key=key)
                results[rec] = Result(remote_id=remote_id, remote_status="voided")
            except SyncError as exc:
                results[rec] = self._explain(exc, remote_id)
        self.store_limits()
        return results

    # ------------------------------------------------------------------ status back
    @staticmethod
    def _state(element, kind):
        """The RemoteState of an Invoice or a CreditNote: cash received (or refunded) apart
        from credits allocated; "paid" only says that the document is closed."""
        _type, _method, _attr, id_attr, number_attr = XERO_KIND[kind]
        status = _enum(element.status)
        if kind == "invoice":
            cash = float(element.amount_paid or 0.0)
            credited = float(element.amount_credited or 0.0)
        else:  # its Payments are refunds; its Allocations went to invoices
            cash = sum(float(p.amount or 0.0) for p in element.payments or [])
            credited = sum(float(a.amount or 0.0) for a in element.allocations or [])
        dates = [p.date for p in element.payments or [] if p.date]
        return RemoteState(
            remote_id=getattr(element, id_attr),
            kind=kind,
            status=STATUS.get(status) or ("partial" if cash or credited else "open"),
            amount_paid=round(cash, 2),
            amount_credited=round(credited, 2),
            total=float(element.total or 0.0),
            remote_number=getattr(element, number_attr),
            payment_date=max(dates) if dates else None,
        )

    def read_states(self, records):
        results = {}
        invoices = records.filtered(lambda r: r.move_id.move_type != "out_refund")
        if invoices:
            try:
                found = {
                    i.invoice_id: i
                    for i in self._call(
                        "get_invoices", i_ds=invoices.mapped("remote_id"), page=1
                    ).invoices
                    or []
                }
                for rec in invoices:
                    inv = found.get(rec.remote_id)
                    results[rec] = (
                        self._state(inv, "invoice")
                        if inv
                        else RemoteState(remote_id=rec.remote_id, status="deleted", kind="invoice")
                    )
            except SyncError as exc:
                results.update(dict.fromkeys(invoices, exc))
        for rec in records - invoices:
            try:
                notes = self._call("get_credit_note", rec.remote_id).credit_notes or []
                results[rec] = self._state(notes[0], "credit_note") if notes else None
            except SyncError as exc:
                results[rec] = None if exc.kind == GONE else exc
            if results[rec] is None:
                results[rec] = RemoteState(
                    remote_id=rec.remote_id, status="deleted", kind="credit_note"
                )
        self.store_limits()
        return results

    def fetch_changes(self, since):
        """GET Invoices and CreditNotes modified since the last poll, page by page. The
        watermark is Xero's clock (the Date header of its first answer) less a minute of
        overlap: a state applied twice changes nothing."""
        states, clock = [], None
        for kind, (doc_type, method, attr, _id, _number) in XERO_KIND.items():
            page = 1
            while True:
                answer = self._call(
                    method, if_modified_since=since, where=f"Type=={_quote(doc_type)}", page=page
                )
                clock = clock or self._xero_clock()
                elements = getattr(answer, attr) or []
                states += [self._state(e, kind) for e in elements]
                if len(elements) < const.XERO_PAGE_SIZE:
                    break
                page += 1
        self.store_limits()
        return Changes(states=states, watermark=clock - timedelta(minutes=1))

    def _xero_clock(self):
        """Naive UTC time of Xero's last answer (its Date header), else the local clock."""
        response = self._api_client_obj.last_response
        try:
            moment = parsedate_to_datetime(response.getheader("Date"))
        except (AttributeError, TypeError, ValueError):
            _logger.warning("qbo_xero_sync: Xero's answer has no Date header; local clock used")
            return datetime.now(timezone.utc).replace(tzinfo=None)
        if moment.tzinfo:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment

    def remote_url(self, record):
        if not record.remote_id:
            return False
        if self.connection.environment == "custom":
            return f"{self.connection.custom_base_url.rstrip('/')}/app/invoice/{record.remote_id}"
        if record.move_id.move_type == "out_refund":
            return const.XERO_APP_CREDIT_NOTE_URL % record.remote_id
        return const.XERO_APP_INVOICE_URL % record.remote_id

    # ------------------------------------------------------------------ journals
    def push_journals(self, records):
        results, values = {}, {}
        types = {code: _enum(a.type) for code, a in self._accounts().items()}
        for rec in records:
            try:
                vals = rec._qxs_journal_values()
                self._check_journal(vals, types)
                values[rec] = vals
            except SyncError as exc:
                results[rec] = exc
        try:
            found = self._find_journals([r for r in values if not r.remote_id], values)
        except SyncError as exc:
            found = {}
            results.update({r: exc for r in values if not r.remote_id})
        for rec, vals in values.items():
            if rec in results:
                continue
            journal = ManualJournal(
                manual_journal_id=rec.remote_id or found.get(rec),
                narration=self._narration(vals)[:4000],
                date=vals["date"],
                status="POSTED",
                line_amount_types=LineAmountTypes.NOTAX,
                journal_lines=[
                    ManualJournalLine(
                        line_amount=round((li["debit"] or 0.0) - (li["credit"] or 0.0), 2),
                        account_code=li["account_code"],
                        description=li["description"][:4000],
                        tax_type="NONE",
                    )
                    for li in vals["lines"]
                ],
            )
            key = self.request_key(rec, "journal", serialize(journal), 64)
            try:
                answer = self._call(
                    "update_or_create_manual_journals",
                    ManualJournals(manual_journals=[journal]),
                    summarize_errors=False,
                    idempotency_key=key,
                )
            except SyncError as exc:
                results[rec] = exc
                continue
            element = (answer.manual_journals or [None])[0]
            if element is None or element.validation_errors:
                results[rec] = SyncError(
                    _("Xero: %s", self._element_errors(element))
                    if element
                    else _("Xero gave no answer.")
                )
                continue
            results[rec] = Result(
                remote_id=element.manual_journal_id,
                remote_number=vals["number"],
                remote_status="open",
            )
        self.store_limits()
        return results

    @staticmethod
    def _narration(vals):
        """The narration starts with the journal's number: the key of its look-up."""
        return f"{vals['number']}: {vals['narration']}"

    def _find_journals(self, records, values):
        """{record: ManualJournalID} of the live journals already sent for records without
        remote id (a write applied but its answer lost), found by their narration's start."""
        prefixes = {rec: self._narration({**values[rec], "narration": ""}) for rec in records}
        if not prefixes:
            return {}
        where = " OR ".join(f"Narration.StartsWith({_quote(p)})" for p in prefixes.values())
        journals = self._call("get_manual_journals", where=where, page=1).manual_journals or []
        return {
            rec: j.manual_journal_id
            for rec, prefix in prefixes.items()
            for j in journals
            if (j.narration or "").startswith(prefix)
            and _enum(j.status) not in ("VOIDED", "DELETED")
        }

    def void_journals(self, records):
        results = {}
        for rec in records:
            journal = ManualJournal(
                manual_journal_id=rec.remote_id, status="VOIDED", narration="void"
            )
            try:
                self._call(
                    "update_manual_journal",
                    rec.remote_id,
                    ManualJournals(manual_journals=[journal]),
                    idempotency_key=self.request_key(rec, "void", rec.remote_id),
                )
                results[rec] = Result(remote_status="voided")
            except SyncError as exc:
                results[rec] = exc
        return results

    # ------------------------------------------------------------------ webhooks
    signature_header = "x-xero-signature"

    def parse_webhook(self, payload):
        """{tenant id: {(kind, invoice or credit note id)}}; voids and deletes arrive as
        UPDATE."""
        out = {}
        for event in (payload or {}).get("events", []) if isinstance(payload, dict) else []:
            kind = WEBHOOK_KIND.get(event.get("eventCategory"))
            if kind:
                out.setdefault(event.get("tenantId"), set()).add((kind, event.get("resourceId")))
        return out
