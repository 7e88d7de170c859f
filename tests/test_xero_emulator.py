"""The Xero emulator driven through the real xero-python SDK over HTTP (plain pytest, no Odoo)."""

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import urllib3
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import (
    Account,
    AccountType,
    Allocation,
    Allocations,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    LineItemTracking,
    ManualJournal,
    ManualJournalLine,
    ManualJournals,
    Payment,
    PaymentDelete,
)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import (
    AccountingBadRequestException,
    HTTPStatusException,
    RateLimitException,
)
from xero_python.identity import IdentityApi

from tests.contracts.check import expect_violations
from tests.emulators.xero import XeroEmulator

T = (5, 10)  # xero-python has no default timeout (github.com/XeroAPI/xero-python)
ROOT = Path(__file__).resolve().parent.parent
REDIRECT = "http://127.0.0.1:8069/xero/callback"


# ---------------------------------------------------------------------- fixtures and helpers
@pytest.fixture
def emu():
    with XeroEmulator() as emulator:
        emulator.seed()
        yield emulator
    """xero-python wired to the emulator, its hidden urllib3 retries off."""


class Client:
    """xero-python wired to the emulator, its hidden urllib3 retries off."""

    def __init__(self, emu, tokens=None):
        TokenApi.refresh_token_url = emu.urls()["token"]
        tokens = tokens or emu.issue_tokens()
        self.tenant = tokens.get("tenant_id") or emu.config["tenants"][0]["tenantId"]
        self.token = {
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "token_type": "Bearer",
            "expires_in": tokens["expires_in"],
            "expires_at": time.time() + tokens["expires_in"],
            "scope": tokens.get("scope", "offline_access").split(),
        }
        self.api_client = ApiClient(
            Configuration(
                oauth2_token=OAuth2Token(
                    client_id=emu.config["client_id"], client_secret=emu.config["client_secret"]
                )
            ),
            pool_threads=1,
            oauth2_token_getter=lambda: self.token,
            oauth2_token_saver=self._save,
        )
        pool = self.api_client.rest_client.pool_manager
        pool.connection_pool_kw["retries"] = urllib3.Retry(
            total=0,
            read=False,
            redirect=0,
            status=0,
            respect_retry_after_header=False,
            raise_on_status=False,
        )
        pool.clear()
        self.api = emu.urls()["api"]
        self.acc = AccountingApi(self.api_client, base_url=self.api)
        self.identity = IdentityApi(self.api_client, base_url=emu.urls()["base"])

    def _save(self, token):
        self.token = token

    def header(self, name):
        return self.api_client.last_response.getheader(name)

    def raw(self, method, path, body=None, **params):
        """A request the SDK would refuse to build (it checks some lengths itself)."""
        return requests.request(
            method,
            self.api + path,
            json=body,
            params=params,
            timeout=5,
            headers={
                "Authorization": "Bearer " + self.token["access_token"],
                "xero-tenant-id": self.tenant,
                "Accept": "application/json",
            },
        )


@pytest.fixture
def xero(emu):
    return Client(emu)


def line(amount, qty=1, account="200", tax="OUTPUT", **kw):
    return LineItem(
        description="Widget",
        quantity=qty,
        unit_amount=amount,
        account_code=account,
        tax_type=tax,
        **kw,
    )


def invoice(contact_id, lines=None, status="AUTHORISED", **kw):
    return Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        line_items=lines or [line(100)],
        date=date(2026, 11, 23),
        due_date=date(2026, 12, 23),
        status=status,
        **kw,
    )


def contact_id(emu, name="Ridgeway University"):
    return next(c["ContactID"] for c in emu.objects("Contacts") if c["Name"] == name)


def create(xero, *invs, summarize=False, **kw):
    return xero.acc.create_invoices(
        xero.tenant,
        Invoices(invoices=list(invs)),
        summarize_errors=summarize,
        _request_timeout=T,
        **kw,
    ).invoices


def val(value):
    """Plain value of an SDK enum or string."""
    return getattr(value, "value", value)


def nums(*values):
    """Floats of the SDK's Decimal amounts."""
    return tuple(float(v) for v in values)


def messages(obj):
    return [e.message for e in obj.validation_errors or []]


def bad_request(call):
    with pytest.raises(AccountingBadRequestException) as info:
        call()
    return info.value.error_data


def error_messages(error_data):
    return [m["Message"] for el in error_data["Elements"] for m in el["ValidationErrors"]]


def status_error(call):
    with pytest.raises(HTTPStatusException) as info:
        call()
    return info.value


def accounts_status(xero):
    return status_error(lambda: xero.acc.get_accounts(xero.tenant, _request_timeout=T)).status


# ---------------------------------------------------------------------- OAuth and identity
def test_authorize_code_exchange_and_connections(emu):
    urls = emu.urls()
    scope = "openid offline_access accounting.invoices accounting.payments accounting.settings"
    params = {
        "response_type": "code",
        "client_id": "xero-client-id",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "csrf-123",
    }
    resp = requests.get(urls["authorize"], params=params, allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == "/xero/callback" and query["state"] == "csrf-123"
    bad = requests.get(
        urls["authorize"], params={**params, "client_id": "nope"}, allow_redirects=False, timeout=5
    )
    assert bad.status_code == 400
    assert requests.get(
        urls["authorize"],
        params={**params, "scope": "accounting.everything"},
        allow_redirects=False,
        timeout=5,
    ).json() == {"error": "invalid_scope"}

    form = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT}
    wrong = requests.post(
        urls["token"],
        data={**form, "redirect_uri": "http://x/cb"},
        auth=("xero-client-id", "xero-client-secret"),
        timeout=5,
    )
    assert wrong.json() == {"error": "invalid_grant"}  # and the code is spent
    resp = requests.get(urls["authorize"], params=params, allow_redirects=False, timeout=5)
    form["code"] = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    assert requests.post(
        urls["token"], data=form, auth=("xero-client-id", "bad"), timeout=5
    ).json() == {"error": "invalid_client"}
    resp = requests.post(
        urls["token"], data=form, auth=("xero-client-id", "xero-client-secret"), timeout=5
    )
    tokens = resp.json()
    assert resp.status_code == 200
    assert set(tokens) == {
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
        "scope",
        "id_token",
    }
    assert tokens["expires_in"] == 1800 and tokens["scope"] == scope
    again = requests.post(
        urls["token"], data=form, auth=("xero-client-id", "xero-client-secret"), timeout=5
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # single use

    xero = Client(emu, tokens)
    connections = xero.identity.get_connections(_request_timeout=T)
    assert [(c.tenant_id, c.tenant_type, c.tenant_name) for c in connections] == [
        (emu.config["tenants"][0]["tenantId"], "ORGANISATION", "Demo Company (US)")
    ]
    assert connections[0].auth_event_id
    # granular scopes: invoices yes, contacts (not granted) no
    assert xero.acc.get_invoices(xero.tenant, _request_timeout=T).invoices == []
    err = status_error(lambda: xero.acc.get_contacts(xero.tenant, _request_timeout=T))
    assert err.status == 401 and json.loads(err.body)["Detail"] == "AuthorizationUnsuccessful"


def test_refresh_is_single_use_with_grace_window(emu, xero):
    old, old_access = xero.token["refresh_token"], xero.token["access_token"]
    new = xero.api_client.refresh_oauth2_token()  # saved through oauth2_token_saver
    assert (new["refresh_token"], new["access_token"]) != (old, old_access)
    assert xero.token["refresh_token"] == new["refresh_token"]
    assert xero.acc.get_accounts(xero.tenant, _request_timeout=T).accounts
    form = {
        "grant_type": "refresh_token",
        "refresh_token": old,
        "client_id": "xero-client-id",
        "client_secret": "xero-client-secret",
    }
    replay = requests.post(emu.urls()["token"], data=form, timeout=5).json()
    assert (replay["access_token"], replay["refresh_token"]) == (
        new["access_token"],
        new["refresh_token"],
    )
    emu.clock.advance(1801)
    late = requests.post(emu.urls()["token"], data=form, timeout=5)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    fresh = requests.post(
        emu.urls()["token"], timeout=5, data={**form, "refresh_token": new["refresh_token"]}
    )
    assert fresh.status_code == 200
    requests.post(
        emu.urls()["revoke"],
        timeout=5,
        auth=("xero-client-id", "xero-client-secret"),
        data={"token": fresh.json()["refresh_token"]},
    )
    xero.token = {**xero.token, "access_token": fresh.json()["access_token"]}
    assert accounts_status(xero) == 401


def test_expired_token_and_unknown_tenant(emu, xero):
    emu.clock.advance(1801)  # the SDK's own clock still thinks the token is fresh
    err = status_error(lambda: xero.acc.get_accounts(xero.tenant, _request_timeout=T))
    body = json.loads(err.body)
    assert err.status == 401 and body["Title"] == "Unauthorized"
    assert body["Detail"].startswith("TokenExpired: token expired at ")
    xero = Client(emu)
    err = status_error(
        lambda: xero.acc.get_accounts("00000000-0000-0000-0000-000000000000", _request_timeout=T)
    )
    assert err.status == 403
    emu.add_fault("expired_token", path="Accounts")
    assert accounts_status(xero) == 401


def test_second_organisation_is_isolated():
    second = {"tenantId": "11111111-2222-3333-4444-555555555555", "tenantName": "Second Org"}
    with XeroEmulator(tenants=[*XeroEmulator.default_config["tenants"], second]) as emu:
        emu.seed()
        xero = Client(emu, emu.issue_tokens(tenant_index=1))
        assert xero.tenant == second["tenantId"]
        names = [c.tenant_name for c in xero.identity.get_connections(_request_timeout=T)]
        assert names == ["Demo Company (US)", "Second Org"]
        cid = next(c["ContactID"] for c in emu.objects("Contacts", tenant_index=1))
        create(xero, invoice(cid))
        assert len(emu.objects("Invoices", tenant_index=1)) == 1 and not emu.objects("Invoices")


# ---------------------------------------------------------------------- contacts and settings
def test_contacts_name_and_account_number_rules(emu, xero):
    made = xero.acc.create_contacts(
        xero.tenant,
        Contacts(
            contacts=[Contact(name="Acme Corp", account_number="ACME-1", contact_number="ODOO-42")]
        ),
        _request_timeout=T,
    ).contacts[0]
    assert made.contact_status == "ACTIVE" and made.contact_id
    data = bad_request(
        lambda: xero.acc.create_contacts(
            xero.tenant, Contacts(contacts=[Contact(name="acme corp")]), _request_timeout=T
        )
    )
    assert data["ErrorNumber"] == 10 and error_messages(data) == [
        "The contact name acme corp is already assigned to another contact. The contact name "
        "must be unique across all active contacts."
    ]
    data = bad_request(
        lambda: xero.acc.create_contacts(
            xero.tenant,
            Contacts(contacts=[Contact(name="Other Corp", account_number="ACME-1")]),
            _request_timeout=T,
        )
    )
    assert "already assigned to another contact" in error_messages(data)[0]
    with expect_violations(emu):
        long_number = xero.raw(
            "PUT",
            "/Contacts",
            {"Contacts": [{"Name": "Long", "AccountNumber": "X" * 51}]},
            summarizeErrors="false",
        ).json()
    assert long_number["Contacts"][0]["StatusAttributeString"] == "ERROR"
    # archiving frees the name; POST finds the contact by ContactID
    xero.acc.update_contact(
        xero.tenant,
        made.contact_id,
        Contacts(contacts=[Contact(contact_id=made.contact_id, contact_status="ARCHIVED")]),
        _request_timeout=T,
    )
    again = xero.acc.create_contacts(
        xero.tenant, Contacts(contacts=[Contact(name="Acme Corp")]), _request_timeout=T
    ).contacts[0]
    assert again.contact_id != made.contact_id
    found = xero.acc.get_contacts(xero.tenant, where='Name.Contains("acme")', _request_timeout=T)
    assert [c.contact_id for c in found.contacts] == [again.contact_id]  # archived ones hidden


def test_accounts_where_and_tax_rates(xero):
    revenue = xero.acc.get_accounts(xero.tenant, where='Type=="REVENUE"', _request_timeout=T)
    assert [a.code for a in revenue.accounts] == ["200"]
    by_code = xero.acc.get_accounts(xero.tenant, where='Code=="090"', _request_timeout=T)
    account = by_code.accounts[0]
    assert (account.name, val(account.type), account.enable_payments_to_account) == (
        "Business Bank Account",
        "BANK",
        True,
    )
    income = xero.acc.get_accounts(
        xero.tenant,
        where='Class=="REVENUE" AND Status=="ACTIVE"',
        order="Code DESC",
        _request_timeout=T,
    )
    assert [a.code for a in income.accounts] == ["270", "260", "200"]
    with pytest.raises(AccountingBadRequestException):
        xero.acc.get_accounts(xero.tenant, where='Code=="200" AND', _request_timeout=T)
    rates = xero.acc.get_tax_rates(xero.tenant, _request_timeout=T).tax_rates
    assert {r.tax_type: r.effective_rate for r in rates}["OUTPUT"] == 8.25
    assert int(xero.header("X-MinLimit-Remaining")) == 55
    assert int(xero.header("X-DayLimit-Remaining")) == 4995
    assert xero.header("X-AppMinLimit-Remaining") == "9995"


def test_contact_number_is_unique_across_all_contacts(emu, xero):
    taken = "The contact number ODOO-P-7 is already assigned to another contact. The contact "
    taken += "number must be unique across all contacts."
    data = bad_request(
        lambda: xero.acc.create_contacts(
            xero.tenant,
            Contacts(contacts=[Contact(name="Harbour Club", contact_number="ODOO-P-7")]),
            _request_timeout=T,
        )
    )
    assert error_messages(data) == [taken]
    # POST with the number alone updates its contact; giving it to another contact fails
    same = xero.acc.update_or_create_contacts(
        xero.tenant,
        Contacts(
            contacts=[Contact(contact_number="ODOO-P-7", email_address="new@bayside.example")]
        ),
        _request_timeout=T,
    ).contacts[0]
    assert (same.name, same.contact_id) == ("Bayside Club", contact_id(emu, "Bayside Club"))
    other = contact_id(emu, "City Agency")
    data = bad_request(
        lambda: xero.acc.update_contact(
            xero.tenant,
            other,
            Contacts(contacts=[Contact(contact_id=other, contact_number="ODOO-P-7")]),
            _request_timeout=T,
        )
    )
    assert error_messages(data) == [taken]
    # an archived contact keeps its number taken
    xero.acc.update_contact(
        xero.tenant,
        same.contact_id,
        Contacts(contacts=[Contact(contact_id=same.contact_id, contact_status="ARCHIVED")]),
        _request_timeout=T,
    )
    data = bad_request(
        lambda: xero.acc.create_contacts(
            xero.tenant,
            Contacts(contacts=[Contact(name="Harbour Club", contact_number="ODOO-P-7")]),
            _request_timeout=T,
        )
    )
    assert error_messages(data) == [taken]
    made = xero.acc.create_contacts(
        xero.tenant,
        Contacts(contacts=[Contact(name="Harbour Club", contact_number="ODOO-P-8")]),
        _request_timeout=T,
    ).contacts[0]
    assert made.contact_number == "ODOO-P-8"
    assert [c["Name"] for c in emu.objects("Contacts") if c.get("ContactNumber") == "ODOO-P-7"] == [
        "Bayside Club"
    ]


def test_create_account(emu, xero):
    made = xero.acc.create_account(
        xero.tenant,
        Account(code="4400", name="Food Sales", type=AccountType.REVENUE, description="Food"),
        _request_timeout=T,
    ).accounts[0]
    assert (made.code, made.name, val(made.type), made.status, made._class) == (
        "4400",
        "Food Sales",
        "REVENUE",
        "ACTIVE",
        "REVENUE",
    )
    assert (made.tax_type, made.description, made.enable_payments_to_account) == (
        "OUTPUT",
        "Food",
        False,
    )
    assert made.account_id and made.updated_date_utc
    fetched = xero.acc.get_account(xero.tenant, made.account_id, _request_timeout=T).accounts[0]
    assert fetched.code == "4400"
    expense = xero.acc.create_account(
        xero.tenant,
        Account(code="123456", name="Foobar", type=AccountType.EXPENSE),
        _request_timeout=T,
    ).accounts[0]
    assert (expense._class, expense.tax_type) == ("EXPENSE", "INPUT")  # the spec's example
    # the new revenue account is usable on invoice lines
    inv = create(xero, invoice(contact_id(emu), [line(10, account="4400")]))[0]
    assert inv.line_items[0].account_code == "4400"
    # Code and Name unique (Name: the spec's message), Code <= 10, Type required
    data = bad_request(
        lambda: xero.acc.create_account(
            xero.tenant,
            Account(code="4400", name="Sales", type=AccountType.REVENUE),
            _request_timeout=T,
        )
    )
    assert data["ErrorNumber"] == 10 and error_messages(data) == [
        "Please enter a unique Code.",
        "Please enter a unique Name.",
    ]
    assert data["Elements"][0]["Code"] == "4400"
    with expect_violations(emu):
        refused = xero.raw(
            "PUT", "/Accounts", {"Code": "12345678901", "Name": "Long code", "Type": "NOPE"}
        )
    assert refused.status_code == 400
    assert [m["Message"] for m in refused.json()["Elements"][0]["ValidationErrors"]] == [
        "Code must be 10 characters or fewer.",
        "Account Type 'NOPE' is not valid.",
    ]
    missing = xero.raw("PUT", "/Accounts", {"Description": "nothing else"}).json()
    assert len(missing["Elements"][0]["ValidationErrors"]) == 3
    assert len(emu.objects("Accounts")) == 16
    # accounting.settings is the scope it needs
    narrow = Client(emu, emu.issue_tokens(scope="offline_access accounting.contacts"))
    assert (
        status_error(
            lambda: narrow.acc.create_account(
                narrow.tenant,
                Account(code="4500", name="X", type=AccountType.SALES),
                _request_timeout=T,
            )
        ).status
        == 401
    )


def wordy_line(description):
    return LineItem(
        description=description, quantity=1, unit_amount=1, account_code="200", tax_type="OUTPUT"
    )


def test_request_body_over_the_size_limit_is_refused(emu, xero):
    cid = contact_id(emu)
    big = invoice(cid, [wordy_line("x" * 3_700_000)])
    error = status_error(lambda: create(xero, big))
    assert error.status == 413
    assert json.loads(error.body)["Title"] == "RequestEntityTooLarge"
    assert emu.objects("Invoices") == []
    assert emu.count(r"Invoices$", "PUT") == 1
    xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
    assert xero.header("X-MinLimit-Remaining") == "59"  # the refused call did not count
    fits = invoice(cid, [wordy_line("x" * 3_500_000)])
    assert create(xero, fits)[0].invoice_id  # 3.5 MB + the rest, under 3.5 MiB
    emu.config["max_request_bytes"] = 2000  # the limit is a config key
    assert status_error(lambda: create(xero, invoice(cid, [wordy_line("y" * 2000)]))).status == 413
    assert create(xero, invoice(cid))[0].invoice_id


# ---------------------------------------------------------------------- invoices
def test_invoice_tax_is_rounded_per_line(emu, xero):
    cid = contact_id(emu)
    lines = [line(1.00), line(1.00), line(1.00), line(2.35, qty=3, discount_rate=10)]
    inv = create(xero, invoice(cid, lines, reference="SO-1"))[0]
    assert inv.status_attribute_string == "OK" and val(inv.status) == "AUTHORISED"
    assert [nums(ln.line_amount, ln.tax_amount) for ln in inv.line_items] == [
        (1.0, 0.08),
        (1.0, 0.08),
        (1.0, 0.08),
        (6.35, 0.52),
    ]
    assert nums(inv.sub_total, inv.total_tax, inv.total, inv.amount_due, inv.amount_paid) == (
        9.35,
        0.76,
        10.11,
        10.11,
        0.0,
    )  # invoice-level rounding would give 0.77
    assert inv.invoice_number == "INV-0001" and inv.date == date(2026, 11, 23)
    inclusive = create(
        xero, invoice(cid, [line(10.00)], line_amount_types=LineAmountTypes.INCLUSIVE)
    )[0]
    assert nums(inclusive.sub_total, inclusive.total_tax, inclusive.total) == (9.24, 0.76, 10)
    fetched = xero.acc.get_invoice(xero.tenant, inv.invoice_id, _request_timeout=T).invoices[0]
    assert nums(fetched.total) == (10.11,) and len(fetched.line_items) == 4


def test_invoice_line_validation(emu, xero):
    cid = contact_id(emu)
    results = create(
        xero,
        invoice(cid, [line(10, account="999")]),
        invoice(cid, [line(10, account="400")]),
        invoice(cid, [line(10, tax="INPUT")]),
        invoice(cid, [line(10, tax="BOGUS")]),
        invoice("9b2e4a55-0000-4000-8000-000000000000"),
    )
    assert [messages(r) for r in results] == [
        ["Account code '999' is not a valid code for this document."],
        ["Account code '400' is not a valid code for this document."],
        [
            "The TaxType code 'INPUT' does not exist or cannot be used for this type of "
            "transaction."
        ],
        [
            "The TaxType code 'BOGUS' does not exist or cannot be used for this type of "
            "transaction."
        ],
        ["The contact with ContactID 9b2e4a55-0000-4000-8000-000000000000 could not be found."],
    ]
    assert all(r.has_errors for r in results) and not emu.objects("Invoices")
    mismatch = create(xero, invoice(cid, [line(10, qty=2, line_amount=25)]))[0]
    assert messages(mismatch) == [
        "The line total 25.00 does not match the expected line total 20.00"
    ]
    no_due = Invoice(
        type="ACCREC", contact=Contact(contact_id=cid), line_items=[line(5)], status="AUTHORISED"
    )
    assert messages(create(xero, no_due)[0]) == ["Due date cannot be empty."]


def test_batch_with_one_bad_invoice(emu, xero):
    cid = contact_id(emu)
    good, bad = invoice(cid), invoice(cid, [line(10, account="400")])
    results = create(xero, good, bad, invoice(cid))
    assert [r.has_errors for r in results] == [False, True, False]
    assert [r.status_attribute_string for r in results] == ["OK", "ERROR", "OK"]
    assert len(emu.objects("Invoices")) == 2
    # summarized (the default): 400, yet the valid siblings are created (not transactional)
    data = bad_request(lambda: create(xero, invoice(cid), bad, summarize=True))
    assert data["Type"] == "ValidationException" and len(data["Elements"]) == 1
    assert len(emu.objects("Invoices")) == 3


def test_status_rules_update_pay_void_delete(emu, xero):
    cid = contact_id(emu)
    inv = create(xero, invoice(cid, [line(50)]))[0]
    upd = xero.acc.update_invoice(
        xero.tenant,
        inv.invoice_id,
        Invoices(invoices=[Invoice(reference="changed", line_items=[line(60)])]),
        _request_timeout=T,
    ).invoices[0]
    assert (upd.reference, *nums(upd.total)) == ("changed", 64.95)  # AUTHORISED, unpaid: editable
    payment = emu.pay_invoice(inv.invoice_id, 10)
    assert payment["Amount"] == 10.0
    data = bad_request(
        lambda: xero.acc.update_invoice(
            xero.tenant,
            inv.invoice_id,
            Invoices(invoices=[Invoice(reference="again")]),
            _request_timeout=T,
        )
    )
    assert error_messages(data) == [
        "Invoice not of valid status for modification",
        "This document cannot be edited as it has a payment or credit note allocated to it.",
    ]
    line_id = upd.line_items[0].line_item_id
    recoded = xero.acc.update_invoice(
        xero.tenant,
        inv.invoice_id,
        Invoices(
            invoices=[Invoice(line_items=[LineItem(line_item_id=line_id, account_code="260")])]
        ),
        _request_timeout=T,
    ).invoices[0]  # account codes stay editable
    assert recoded.line_items[0].account_code == "260" and nums(recoded.amount_due) == (54.95,)
    data = bad_request(
        lambda: xero.acc.update_invoice(
            xero.tenant,
            inv.invoice_id,
            Invoices(invoices=[Invoice(status="VOIDED")]),
            _request_timeout=T,
        )
    )
    assert "Invoice not of valid status for modification" in error_messages(data)
    with pytest.raises(ValueError):
        emu.void_invoice(inv.invoice_id)
    emu.delete_payment_by_user(payment["PaymentID"])
    voided = xero.acc.update_invoice(
        xero.tenant,
        inv.invoice_id,
        Invoices(invoices=[Invoice(status="VOIDED")]),
        _request_timeout=T,
    ).invoices[0]
    assert val(voided.status) == "VOIDED"
    data = bad_request(
        lambda: xero.acc.update_invoice(
            xero.tenant,
            inv.invoice_id,
            Invoices(invoices=[Invoice(reference="zombie")]),
            _request_timeout=T,
        )
    )
    assert error_messages(data) == ["Invoice not of valid status for modification"]
    # delete: DRAFT yes, AUTHORISED no
    draft, auth = create(xero, invoice(cid, status="DRAFT"), invoice(cid))
    results = xero.acc.update_or_create_invoices(
        xero.tenant,
        Invoices(
            invoices=[
                Invoice(invoice_id=draft.invoice_id, status="DELETED"),
                Invoice(invoice_id=auth.invoice_id, status="DELETED"),
            ]
        ),
        summarize_errors=False,
        _request_timeout=T,
    ).invoices
    assert val(results[0].status) == "DELETED"
    assert messages(results[1]) == ["Invoice not of valid status for modification"]
    assert emu.void_invoice(auth.invoice_id)["Status"] == "VOIDED"
    with pytest.raises(ValueError):
        emu.delete_invoice(auth.invoice_id)


def test_invoice_number_uniqueness(emu, xero):
    cid = contact_id(emu)
    first = create(xero, invoice(cid, invoice_number="S00042", status="DRAFT"))[0]
    dup = create(xero, invoice(cid, invoice_number="S00042"))[0]
    assert messages(dup) == ["Invoice # must be unique."]
    emu.delete_invoice(first.invoice_id)
    reused = create(xero, invoice(cid, invoice_number="S00042"))[0]  # deleted: reusable
    assert not reused.has_errors
    emu.void_invoice(reused.invoice_id)
    assert messages(create(xero, invoice(cid, invoice_number="S00042"))[0]) == [
        "Invoice # must be unique."
    ]  # voided: not reusable
    with expect_violations(emu):
        too_long = xero.raw(
            "PUT",
            "/Invoices",
            {
                "Invoices": [
                    {"Type": "ACCREC", "Contact": {"ContactID": cid}, "InvoiceNumber": "X" * 256}
                ]
            },
        )
    assert too_long.status_code == 400


def test_if_modified_since_and_paging():
    with XeroEmulator(page_size=2) as emu:
        emu.seed()
        xero = Client(emu)
        cid = contact_id(emu)
        made = create(xero, *[invoice(cid, [line(10 + i)]) for i in range(5)])
        pages = [xero.acc.get_invoices(xero.tenant, page=n, _request_timeout=T) for n in (1, 2, 3)]
        assert [len(p.invoices) for p in pages] == [2, 2, 1]
        assert pages[0].pagination.item_count == 5 and pages[0].pagination.page_count == 3
        assert pages[0].invoices[0].line_items  # paged: with lines
        unpaged = xero.acc.get_invoices(xero.tenant, _request_timeout=T).invoices
        assert len(unpaged) == 5 and not unpaged[0].line_items  # ⚠ summary without page=
        emu.clock.advance(120)
        since = datetime.fromtimestamp(emu.clock.now(), timezone.utc).replace(tzinfo=None)
        emu.clock.advance(5)
        emu.pay_invoice(made[3].invoice_id)
        changed = xero.acc.get_invoices(
            xero.tenant, if_modified_since=since, page=1, _request_timeout=T
        ).invoices
        assert [(i.invoice_id, val(i.status)) for i in changed] == [(made[3].invoice_id, "PAID")]
        filtered = xero.acc.get_invoices(
            xero.tenant,
            statuses=["AUTHORISED"],
            invoice_numbers=["INV-0001", "INV-0004"],
            _request_timeout=T,
        ).invoices
        assert [i.invoice_number for i in filtered] == ["INV-0001"]
        by_where = xero.acc.get_invoices(
            xero.tenant,
            where=f'Contact.ContactID==guid("{cid}") ' "AND AmountDue > 12",
            _request_timeout=T,
        ).invoices
        assert sorted(nums(*(i.amount_due for i in by_where))) == [12.99, 15.16]  # INV-0004 is paid


# ---------------------------------------------------------------------- credit notes, payments
def test_credit_note_allocation(emu, xero):
    cid = contact_id(emu)
    inv = create(xero, invoice(cid, [line(100)]))[0]  # 108.25
    note = xero.acc.create_credit_notes(
        xero.tenant,
        CreditNotes(
            credit_notes=[
                CreditNote(
                    type="ACCRECCREDIT",
                    contact=Contact(contact_id=cid),
                    status="AUTHORISED",
                    date=date(2026, 11, 24),
                    line_items=[line(150)],
                )
            ]
        ),
        _request_timeout=T,
    ).credit_notes[0]
    assert nums(note.total, note.remaining_credit) == (162.38, 162.38)

    def allocate(amount):
        return xero.acc.create_credit_note_allocation(
            xero.tenant,
            note.credit_note_id,
            Allocations(
                allocations=[
                    Allocation(
                        invoice=Invoice(invoice_id=inv.invoice_id),
                        amount=amount,
                        date=date(2026, 11, 24),
                    )
                ]
            ),
            summarize_errors=False,
            _request_timeout=T,
        ).allocations[0]

    assert messages(allocate(120)) == [
        "Payment amount exceeds the amount outstanding on this document"
    ]
    assert not allocate(100).validation_errors
    after = xero.acc.get_invoice(xero.tenant, inv.invoice_id, _request_timeout=T).invoices[0]
    assert nums(after.amount_due, after.amount_credited) == (8.25, 100)
    allocate(8.25)
    paid = xero.acc.get_invoice(xero.tenant, inv.invoice_id, _request_timeout=T).invoices[0]
    assert val(paid.status) == "PAID" and paid.amount_due == 0
    left = xero.acc.get_credit_note(xero.tenant, note.credit_note_id, _request_timeout=T)
    assert nums(left.credit_notes[0].remaining_credit) == (54.13,)
    assert messages(allocate(60)) == ["Invoice not of valid status for modification"]


def test_payment_then_delete(emu, xero):
    inv = create(xero, invoice(contact_id(emu), [line(40)]))[0]  # 43.30

    def pay(amount, code="090"):
        return xero.acc.create_payment(
            xero.tenant,
            Payment(
                invoice=Invoice(invoice_id=inv.invoice_id),
                account=Account(code=code),
                amount=amount,
                date=date(2026, 11, 25),
            ),
            _request_timeout=T,
        ).payments[0]

    data = bad_request(lambda: pay(50))
    assert error_messages(data) == [
        "Payment amount exceeds the amount outstanding on this document"
    ]
    assert "bank account" in error_messages(bad_request(lambda: pay(10, code="400")))[0]
    payment = pay(43.30)
    paid = xero.acc.get_invoice(xero.tenant, inv.invoice_id, _request_timeout=T).invoices[0]
    assert (val(paid.status), *nums(paid.amount_paid, paid.amount_due)) == ("PAID", 43.3, 0.0)
    deleted = xero.acc.delete_payment(
        xero.tenant, payment.payment_id, PaymentDelete(status="DELETED"), _request_timeout=T
    ).payments[0]
    assert val(deleted.status) == "DELETED"
    back = xero.acc.get_invoice(xero.tenant, inv.invoice_id, _request_timeout=T).invoices[0]
    assert (val(back.status), *nums(back.amount_due), back.payments) == ("AUTHORISED", 43.3, [])


def test_manual_journals(emu, xero):
    def journal(*amounts, status="POSTED", **kw):
        lines = [ManualJournalLine(line_amount=a, account_code=c) for a, c in amounts]
        return ManualJournal(
            narration="COGS 2026-11",
            status=status,
            journal_lines=lines,
            date=date(2026, 11, 30),
            **kw,
        )

    made = xero.acc.create_manual_journals(
        xero.tenant,
        ManualJournals(
            manual_journals=[
                journal((125.5, "310"), (-125.5, "630")),
                journal((100, "310"), (-10, "630")),
            ]
        ),
        summarize_errors=False,
        _request_timeout=T,
    ).manual_journals
    assert not made[0].validation_errors
    assert messages(made[1]) == ["The total debits (100.00) must equal total credits (-10.00)"]
    draft = xero.acc.create_manual_journals(
        xero.tenant,
        ManualJournals(manual_journals=[journal((5, "310"), status="DRAFT")]),
        _request_timeout=T,
    ).manual_journals[0]
    assert val(draft.status) == "DRAFT"  # ⚠ drafts may be unbalanced
    voided = xero.acc.update_manual_journal(
        xero.tenant,
        made[0].manual_journal_id,
        ManualJournals(manual_journals=[ManualJournal(narration="COGS 2026-11", status="VOIDED")]),
        _request_timeout=T,
    ).manual_journals[0]
    assert val(voided.status) == "VOIDED"
    data = bad_request(
        lambda: xero.acc.create_manual_journals(
            xero.tenant,
            ManualJournals(manual_journals=[ManualJournal(narration=" ")]),
            _request_timeout=T,
        )
    )
    assert "Narration cannot be empty." in error_messages(data)


def test_credit_note_refund_and_allocation_amounts(emu, xero):
    """Invoice: AmountPaid is cash, AmountCredited credit notes; credit note: AppliedAmount is
    what went to invoices (spec), a cash refund is one of its Payments; both cut
    RemainingCredit."""
    cid = contact_id(emu)
    inv = create(xero, invoice(cid, [line(100)]))[0]  # 108.25
    note = xero.acc.create_credit_notes(
        xero.tenant,
        CreditNotes(
            credit_notes=[
                CreditNote(
                    type="ACCRECCREDIT",
                    contact=Contact(contact_id=cid),
                    status="AUTHORISED",
                    credit_note_number="CN-77",
                    date=date(2026, 11, 24),
                    line_items=[line(50)],  # 54.13
                )
            ]
        ),
        _request_timeout=T,
    ).credit_notes[0]
    xero.acc.create_credit_note_allocation(
        xero.tenant,
        note.credit_note_id,
        Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=inv.invoice_id), amount=30, date=date(2026, 11, 24)
                )
            ]
        ),
        _request_timeout=T,
    )
    xero.acc.create_payment(
        xero.tenant,
        Payment(
            credit_note=CreditNote(credit_note_id=note.credit_note_id),
            account=Account(code="090"),
            amount=4.13,
            date=date(2026, 11, 25),
        ),
        _request_timeout=T,
    )
    emu.pay_invoice(inv.invoice_id, 20)
    after = xero.acc.get_invoice(xero.tenant, inv.invoice_id, _request_timeout=T).invoices[0]
    assert nums(after.amount_paid, after.amount_credited, after.amount_due) == (20, 30, 58.25)
    [cn] = xero.acc.get_credit_notes(
        xero.tenant, where='Type=="ACCRECCREDIT" AND CreditNoteNumber=="cn-77"', page=1
    ).credit_notes
    assert nums(cn.applied_amount, cn.remaining_credit) == (30, 20)
    assert [nums(p.amount) for p in cn.payments] == [(4.13,)]
    assert [nums(a.amount) for a in cn.allocations] == [(30,)]


def test_bill_numbers_may_repeat_sales_ones(emu, xero):
    """InvoiceNumber is unique among ACCREC invoices only (Xero's docs): a bill (entered in the
    app) may carry the same number, and InvoiceNumbers= lists both."""
    bill = emu.enter_document("Invoices", "S-100", "Marine Systems", doc_type="ACCPAY", total=12)
    assert (bill["Type"], bill["Total"], bill["AmountDue"]) == ("ACCPAY", 12.0, 12.0)
    made = create(xero, invoice(contact_id(emu), invoice_number="S-100"))[0]
    assert not made.has_errors
    assert messages(create(xero, invoice(contact_id(emu), invoice_number="s-100"))[0]) == [
        "Invoice # must be unique."
    ]
    both = xero.acc.get_invoices(xero.tenant, invoice_numbers=["S-100"], _request_timeout=T)
    assert sorted(val(i.type) for i in both.invoices) == ["ACCPAY", "ACCREC"]


def test_contact_email_must_be_valid(emu, xero):
    data = bad_request(
        lambda: xero.acc.create_contacts(
            xero.tenant,
            Contacts(contacts=[Contact(name="Mail Corp", email_address="ap@@mail.example")]),
            _request_timeout=T,
        )
    )
    assert error_messages(data) == ["Email address must be valid."]
    made = xero.acc.create_contacts(
        xero.tenant,
        Contacts(contacts=[Contact(name="Mail Corp", email_address="ap@mail.example")]),
        _request_timeout=T,
    ).contacts[0]
    assert made.email_address == "ap@mail.example"


def test_date_header_follows_the_emulator_clock(emu, xero):
    emu.clock.advance(-3600)
    xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
    sent = parsedate_to_datetime(xero.header("Date"))
    assert abs(sent.timestamp() - emu.clock.now()) < 2
    assert time.time() - sent.timestamp() > 3000


def test_manual_journals_where_narration_starts_with(emu, xero):
    def journal(narration):
        lines = [
            ManualJournalLine(line_amount=a, account_code=c) for a, c in ((5, "310"), (-5, "630"))
        ]
        return ManualJournal(
            narration=narration, status="POSTED", journal_lines=lines, date=date(2026, 11, 30)
        )

    xero.acc.create_manual_journals(
        xero.tenant,
        ManualJournals(manual_journals=[journal("COGS INV/1: a"), journal("COGS INV/12: b")]),
        _request_timeout=T,
    )
    found = xero.acc.get_manual_journals(
        xero.tenant, where='Narration.StartsWith("COGS INV/1: ")', _request_timeout=T
    ).manual_journals
    assert [j.narration for j in found] == ["COGS INV/1: a"]


# ---------------------------------------------------------------------- idempotency, faults
def test_idempotency_key_replays(emu, xero):
    cid = contact_id(emu)
    first = create(xero, invoice(cid), idempotency_key="odoo-move-7-v1")[0]
    replay = create(xero, invoice(cid), idempotency_key="odoo-move-7-v1")[0]
    assert replay.invoice_id == first.invoice_id and len(emu.objects("Invoices")) == 1
    data = bad_request(
        lambda: create(xero, invoice(cid, [line(1)]), idempotency_key="odoo-move-7-v1")
    )
    assert "different request" in data["Message"]
    emu.add_fault("drop_after_write", path="Invoices", method="PUT")
    with pytest.raises(urllib3.exceptions.HTTPError):  # the connection drops, no answer
        create(xero, invoice(cid, [line(7)]), idempotency_key="odoo-move-8-v1")
    assert len(emu.objects("Invoices")) == 2  # written, answer lost
    again = create(xero, invoice(cid, [line(7)]), idempotency_key="odoo-move-8-v1")[0]
    assert nums(again.total) == (7.58,) and len(emu.objects("Invoices")) == 2


def test_injected_server_errors(xero, emu):
    for status in (500, 503):
        emu.add_fault("status", status=status, path="Invoices")
        assert (
            status_error(lambda: xero.acc.get_invoices(xero.tenant, _request_timeout=T)).status
            == status
        )
    assert xero.acc.get_invoices(xero.tenant, _request_timeout=T).invoices == []
    assert emu.count(r"Invoices$", "GET") == 3


# ---------------------------------------------------------------------- rate limits
def test_minute_and_day_limits():
    with XeroEmulator(rate_limit_per_minute=3, rate_limit_per_day=5) as emu:
        emu.seed()
        xero = Client(emu)
        for _ in range(3):
            xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        with pytest.raises(RateLimitException) as info:
            xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        assert info.value.rate_limit == "minute"
        assert 0 < int(info.value.headers["Retry-After"]) <= 60
        emu.clock.advance(61)
        xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        assert xero.header("X-DayLimit-Remaining") == "1"
        xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        emu.clock.advance(61)
        with pytest.raises(RateLimitException) as info:
            xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        assert info.value.rate_limit == "day"
        assert int(info.value.headers["Retry-After"]) > 80000
        emu.clock.advance(86400)
        xero = Client(emu)  # the old access token died long ago
        xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)


def test_concurrent_limit():
    with XeroEmulator(max_concurrent=2, latency=0.4) as emu:
        emu.seed()
        xero = Client(emu)
        outcomes = []

        def call():
            try:
                xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
                outcomes.append("ok")
            except RateLimitException as exc:
                outcomes.append(exc.rate_limit)

        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["concurrent", "concurrent", "ok", "ok"]


# ---------------------------------------------------------------------- webhooks, CLI
def test_webhook_signature_and_intent_to_receive(emu):
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = base64.b64encode(
                hmac.new(b"xero-webhook-key", body, hashlib.sha256).digest()
            ).decode()
            ok = hmac.compare_digest(expected, self.headers["x-xero-signature"])
            received.append(json.loads(body))
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        emu.config["webhook_url"] = f"http://127.0.0.1:{server.server_address[1]}/xero/webhook"
        assert emu.send_intent_to_receive() == {"correct": 200, "incorrect": 401, "ok": True}
        assert received[0]["events"] == []
        status = emu.send_webhook(
            [{"resourceId": "abc", "eventCategory": "INVOICE", "eventType": "UPDATE"}]
        )
        assert status == 200
        event = received[-1]["events"][0]
        assert event["resourceUrl"].endswith("/api.xro/2.0/Invoices/abc")
        assert event["tenantId"] == emu.config["tenants"][0]["tenantId"]
        assert received[-1]["firstEventSequence"] == received[-1]["lastEventSequence"] == 1
    finally:
        server.shutdown()
        server.server_close()


def test_admin_api(emu):
    admin = emu.urls()["admin"]
    tokens = requests.post(admin + "/tokens", json={}, timeout=5).json()
    assert set(tokens) == {"access_token", "refresh_token", "expires_in", "tenant_id"}
    xero = Client(emu, tokens)
    inv = create(xero, invoice(contact_id(emu), [line(10)]))[0]
    paid = requests.post(
        admin + "/pay", json={"invoice_id": inv.invoice_id, "amount": 4}, timeout=5
    ).json()
    assert paid["Amount"] == 4.0
    refused = requests.post(admin + "/void", json={"invoice_id": inv.invoice_id}, timeout=5)
    assert refused.status_code == 400


def test_cli_prints_urls():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators", "xero", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        urls = json.loads(proc.stdout.readline())
        assert urls["provider"] == "xero" and urls["api"].endswith("/api.xro/2.0")
        assert requests.get(urls["admin"] + "/objects/Accounts", timeout=5).json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_organisation_currencies_and_tracking_categories(emu, xero):
    org = xero.acc.get_organisations(xero.tenant, _request_timeout=T).organisations[0]
    assert (org.name, val(org.base_currency), val(org.country_code)) == (
        emu.config["tenants"][0]["tenantName"],
        "USD",
        "US",
    )
    assert (org.payment_terms.sales.day, val(org.payment_terms.sales.type)) == (
        30,
        "DAYSAFTERBILLDATE",
    )
    emu.config["currencies"] = ["EUR", "USD"]
    codes = [val(c.code) for c in xero.acc.get_currencies(xero.tenant).currencies]
    assert codes == ["USD", "EUR"]  # the base currency first
    categories = xero.acc.get_tracking_categories(xero.tenant).tracking_categories
    assert [(c.name, [o.name for o in c.options]) for c in categories] == [
        ("Region", ["North", "South"]),
        ("Sales channel", ["Online", "Shop"]),
    ]


def test_invoice_line_tracking_must_name_an_active_category_and_option(emu, xero):
    cid = contact_id(emu)
    good = line(10, tracking=[LineItemTracking(name="region", option="north")])
    results = create(
        xero,
        invoice(cid, [good]),
        invoice(cid, [line(10, tracking=[LineItemTracking(name="Colour", option="Red")])]),
        invoice(cid, [line(10, tracking=[LineItemTracking(name="Region", option="East")])]),
    )
    assert [messages(r) for r in results] == [
        [],
        ["Tracking category 'Colour' does not exist."],
        ["Tracking option 'East' does not exist in tracking category 'Region'."],
    ]
    stored = results[0].line_items[0].tracking[0]
    assert (stored.name, stored.option) == ("Region", "North")
    assert stored.tracking_category_id and stored.tracking_option_id
