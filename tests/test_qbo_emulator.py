"""The QBO emulator, driven through the real SDKs (intuit-oauth, python-quickbooks) over HTTP."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import (
    AuthorizationException,
    GeneralException,
    ObjectNotFoundException,
    QuickbooksException,
    UnsupportedException,
    ValidationException,
)
from quickbooks.objects import (
    Account,
    CreditMemo,
    Customer,
    Invoice,
    Item,
    JournalEntry,
    Payment,
    TaxCode,
    Vendor,
)
from quickbooks.objects.base import CustomerMemo, LinkedTxn, Ref
from quickbooks.objects.detailline import (
    DiscountLine,
    DiscountLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.journalentry import JournalEntryLine, JournalEntryLineDetail
from quickbooks.objects.payment import PaymentLine
from quickbooks.objects.tax import TxnTaxDetail

from tests.contracts.check import expect_violations
from tests.emulators.qbo import QboEmulator

os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http to the loopback emulator only

CLIENT_ID, SECRET = "qbo-client-id", "qbo-client-secret"
REDIRECT = "http://localhost/callback"


@pytest.fixture(scope="module")
def server():
    """One running emulator for the module (stopping a server costs half a second)."""
    emu = QboEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def make_emu(server):
    """Reset the shared emulator to a freshly seeded company with the given configuration.
    python-quickbooks does not pace its calls (the addon's client does) and these tests make
    them back to back, faster than any client over a real network: the per-second limit, on
    by default, is off here unless a test asks for it (test_rate_limit_per_second*)."""

    def make(**config):
        server.config = {**QboEmulator.default_config, "rate_limit_per_second": None, **config}
        server.reset()
        server.seed()
        return server

    return make


@pytest.fixture
def emu(make_emu):
    return make_emu()


def connect(emu):
    """A python-quickbooks client holding freshly issued tokens."""
    tokens = emu.issue_tokens()
    auth = AuthClient(
        CLIENT_ID,
        SECRET,
        REDIRECT,
        environment=emu.urls()["discovery"],
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        realm_id=tokens["realm_id"],
    )
    qb = QuickBooks(
        auth_client=auth,
        refresh_token=tokens["refresh_token"],
        company_id=tokens["realm_id"],
        minorversion=75,
    )
    qb.api_url_v3 = emu.urls()["api"]
    return qb


@pytest.fixture
def qb(emu):
    return connect(emu)


def ref(value):
    r = Ref()
    r.value = value
    return r


def sales_line(item_id, qty, price, amount=None, tax="NON"):
    line = SalesItemLine()
    line.Amount = round(qty * price, 2) if amount is None else amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = ref(item_id)
    line.SalesItemLineDetail.Qty = qty
    line.SalesItemLineDetail.UnitPrice = price
    line.SalesItemLineDetail.TaxCodeRef = ref(tax)
    return line


def invoice(*lines, customer="1", doc=None, tax_code=None, cls=Invoice):
    inv = cls()
    inv.CustomerRef = ref(customer)
    inv.DocNumber = doc
    inv.Line = list(lines) or [sales_line("2", 2, 75)]
    if tax_code:
        inv.TxnTaxDetail = TxnTaxDetail()
        inv.TxnTaxDetail.TxnTaxCodeRef = ref(tax_code)
    return inv


def code_of(exc_info):
    return exc_info.value.error_code


def api_post(emu, path, token, body, **params):
    headers = {"Accept": "application/json", "Authorization": "Bearer " + token}
    url = f'{emu.urls()["api"]}/company/{emu.config["realm_id"]}/{path}'
    return requests.post(url, headers=headers, params=params, json=body, timeout=10)


def api_get(emu, path, token=None, **params):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    url = f'{emu.urls()["api"]}/company/{emu.config["realm_id"]}/{path}'
    return requests.get(url, headers=headers, params=params, timeout=10)


# ------------------------------------------------------------------------------ OAuth 2.0
def test_authorization_code_flow(emu):
    auth = AuthClient(CLIENT_ID, SECRET, REDIRECT, environment=emu.urls()["discovery"])
    assert auth.token_endpoint == emu.urls()["token"]
    url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="xyz")
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == "/callback" and params["state"] == "xyz"
    assert params["realmId"] == emu.config["realm_id"]
    auth.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert auth.access_token and auth.refresh_token and auth.expires_in == 3600
    assert auth.x_refresh_token_expires_in == 8726400
    with pytest.raises(AuthClientError) as reused:  # a code is single-use
        auth.get_bearer_token(params["code"])
    assert reused.value.status_code == 400
    bad = requests.get(url.replace(CLIENT_ID, "someone-else"), allow_redirects=False, timeout=10)
    assert bad.status_code == 400
    other = AuthClient(
        CLIENT_ID, SECRET, "http://localhost/elsewhere", environment=emu.urls()["discovery"]
    )
    code = parse_qs(
        urlsplit(requests.get(url, allow_redirects=False, timeout=10).headers["Location"]).query
    )["code"][0]
    with pytest.raises(AuthClientError):  # redirect_uri must match the authorize request
        other.get_bearer_token(code)
    wrong_secret = AuthClient(CLIENT_ID, "nope", REDIRECT, environment=emu.urls()["discovery"])
    with pytest.raises(AuthClientError) as denied:
        wrong_secret.get_bearer_token(code)
    assert denied.value.status_code == 401


def test_refresh_rotates_and_superseded_token_is_rejected(emu):
    tokens = emu.issue_tokens()
    auth = AuthClient(
        CLIENT_ID,
        SECRET,
        REDIRECT,
        environment=emu.urls()["discovery"],
        refresh_token=tokens["refresh_token"],
        realm_id=tokens["realm_id"],
    )
    # QuickBooks() refreshes at construction when it has no access token.
    qb = QuickBooks(
        auth_client=auth,
        refresh_token=tokens["refresh_token"],
        company_id=tokens["realm_id"],
        minorversion=75,
    )
    qb.api_url_v3 = emu.urls()["api"]
    assert auth.refresh_token != tokens["refresh_token"]
    assert Customer.count(qb=qb) == 3
    with pytest.raises(AuthClientError) as superseded:
        auth.refresh(refresh_token=tokens["refresh_token"])
    assert superseded.value.status_code == 400
    assert json.loads(superseded.value.content)["error"] == "invalid_grant"
    second = auth.refresh_token
    auth.refresh()
    assert auth.refresh_token != second


def test_revoke_kills_the_grant(emu, qb):
    auth = qb.auth_client
    assert auth.revoke(token=auth.refresh_token)
    with pytest.raises(AuthorizationException) as exc:
        Customer.all(qb=qb)
    assert code_of(exc) == 401
    with pytest.raises(AuthClientError):
        auth.refresh()


def test_401_without_or_with_expired_token(emu, qb):
    answer = api_get(emu, "customer/1")
    assert answer.status_code == 401
    error = answer.json()["fault"]["error"][0]
    assert error["code"] == "3200" and "AuthenticationFailed" in error["message"]
    assert answer.json()["fault"]["type"] == "AUTHENTICATION"
    assert Customer.get(1, qb=qb).DisplayName == "Amy's Bird Sanctuary"
    emu.clock.advance(3601)
    with pytest.raises(AuthorizationException) as exc:
        Customer.get(1, qb=qb)
    assert "Token expired" in exc.value.detail


def test_injected_expired_token_and_wrong_realm(emu, qb):
    emu.add_fault("expired_token", path="/customer/")
    with pytest.raises(AuthorizationException) as exc:
        Customer.get(1, qb=qb)
    assert json.loads(exc.value.detail)["fault"]["error"][0]["code"] == "3200"
    qb.company_id = "123"
    with pytest.raises(QuickbooksException) as wrong:
        Customer.get(1, qb=qb)
    assert code_of(wrong) == 10000 and "'403'" in wrong.value.message  # SDK: unparsed 403
    assert '"code": "3100"' in wrong.value.message


# ------------------------------------------------------------------------------ query
def test_query_language(emu, qb):
    assert [c.DisplayName for c in Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)] == [
        "Amy's Bird Sanctuary"
    ]  # \' escape
    assert {c.Id for c in Customer.choose(["1", "3"], qb=qb)} == {"1", "3"}  # IN
    names = [i.Name for i in Item.where("Name LIKE '%s%'", order_by="Name DESC", qb=qb)]
    assert names == ["Services", "Design"]
    page = Item.where("", order_by="Name", start_position=2, max_results=2, qb=qb)
    assert [i.Name for i in page] == ["Pump", "Rock Fountain"]
    assert Item.count("Type = 'Inventory'", qb=qb) == 2
    assert [i.Sku for i in Item.query("SELECT *, Sku FROM Item WHERE Sku = 'DES-001'", qb=qb)] == [
        "DES-001"
    ]
    assert qb.query("SELECT * FROM Invoice")["QueryResponse"] == {}
    raw = api_get(
        emu,
        "query",
        qb.auth_client.access_token,
        query="select * from Customer where Id >= '2' orderby Id desc maxresults 1",
    )
    body = raw.json()["QueryResponse"]
    assert [c["Id"] for c in body["Customer"]] == ["3"] and body["maxResults"] == 1
    for bad in (
        "SELECT * FROM Customer MAXRESULTS 1001",
        "SELECT * FROM Customer WHERE Id = '1' OR Id = '2'",
        "SELECT * FROM Customer WHERE DisplayName != 'x'",
        "SELECT FROM Customer",
    ):
        with pytest.raises(ValidationException) as exc:
            qb.query(bad)
        assert code_of(exc) == 4000, bad


def test_query_names_only_properties_of_the_entity(emu, qb):
    for bad, prop in (
        ("SELECT * FROM Customer WHERE DisplayNam = 'x'", "DisplayNam"),
        ("SELECT * FROM Invoice WHERE DocNumber IN ('1') AND Foo = '2'", "Foo"),
        ("SELECT Id, Nmae FROM Item", "Nmae"),
        ("SELECT * FROM Account ORDERBY Nme", "Nme"),
        ("SELECT * FROM Invoice WHERE MetaData.Updated > '2020-01-01'", "MetaData.Updated"),
        ("SELECT * FROM Item WHERE AcctNum = '1'", "AcctNum"),  # an Account field
        ("SELECT COUNT(*) FROM Payment WHERE Name = 'x'", "Name"),
    ):
        with pytest.raises(ValidationException) as exc:
            qb.query(bad)
        assert code_of(exc) == 4000, bad
        assert f"'{prop}'" in exc.value.detail, bad  # the detail names the property
    answer = qb.batch_operation(
        json.dumps(
            {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Term WHERE Nam = 'x'"}]}
        )
    )
    assert answer["BatchItemResponse"][0]["Fault"]["Error"][0]["code"] == "4000"
    # Names are matched case-insensitively, dotted MetaData names are known.
    assert Item.count("name = 'Design'", qb=qb) == 1
    invoice(doc="Q-1").save(qb=qb)
    assert Invoice.count("MetaData.LastUpdatedTime > '2000-01-01T00:00:00-08:00'", qb=qb) == 1
    # The shapes of the addon's own queries (adapters/qbo/, qbo_xero_sync_cogs/adapters/qbo.py).
    for query in (
        "SELECT * FROM Customer WHERE Id IN ('1') AND Active = false MAXRESULTS 1000",
        "SELECT * FROM Customer WHERE DisplayName IN ('x') MAXRESULTS 1000",
        "SELECT * FROM Item WHERE Id IN ('1') AND Active = false MAXRESULTS 1000",
        "SELECT *, Sku FROM Item WHERE Sku IN ('x') MAXRESULTS 1000",
        "SELECT * FROM Item WHERE Name IN ('x') MAXRESULTS 1000",
        "SELECT * FROM Invoice WHERE DocNumber IN ('x') MAXRESULTS 1000",
        "SELECT * FROM CreditMemo WHERE DocNumber IN ('x') MAXRESULTS 1000",
        "SELECT * FROM Payment WHERE Id IN ('1') MAXRESULTS 1000",
        "SELECT * FROM JournalEntry WHERE DocNumber IN ('x') MAXRESULTS 1000",
        "SELECT * FROM Account WHERE Name = 'x'",
        "SELECT * FROM Account WHERE Active = true MAXRESULTS 1000",
        "SELECT * FROM Account WHERE AcctNum IN ('x') MAXRESULTS 1000",
        "SELECT * FROM TaxCode MAXRESULTS 1000",
        "SELECT * FROM TaxRate WHERE Name = 'x'",
        "SELECT * FROM Term ORDERBY DueDays",
    ):
        assert isinstance(qb.query(query)["QueryResponse"], dict), query


def test_inactive_names_are_hidden_from_queries(emu, qb):
    customer = Customer.get(3, qb=qb)
    customer.Active = False
    customer.save(qb=qb)
    assert Customer.count(qb=qb) == 2
    assert [c.Id for c in Customer.where("Active = false", qb=qb)] == ["3"]


# ------------------------------------------------------------------------------ names
def test_customer_name_rules(emu, qb):
    for name in ("Cool Cars", "cool cars", "Norton Lumber and Building Materials"):
        with pytest.raises(QuickbooksException) as exc:
            Customer.from_json({"DisplayName": name}).save(qb=qb)
        assert code_of(exc) == 6240, name
    with pytest.raises(QuickbooksException) as exc:
        Customer().save(qb=qb)
    assert code_of(exc) == 6080
    for name in ("A:B", "Tab\there", "x" * 501):
        with pytest.raises(QuickbooksException):
            Customer.from_json({"DisplayName": name}).save(qb=qb)
    created = Customer.from_json({"GivenName": "Ada", "FamilyName": "Lovelace"}).save(qb=qb)
    assert created.DisplayName == "Ada Lovelace" and created.SyncToken == "0"
    with pytest.raises(QuickbooksException) as vendor:
        Vendor.from_json({"DisplayName": "Ada Lovelace"}).save(qb=qb)
    assert code_of(vendor) == 6240


def test_item_rules(emu, qb):
    income = ref("8")

    def item(name, item_type="Service", account=income):
        obj = Item()
        obj.Name, obj.Type, obj.IncomeAccountRef = name, item_type, account
        return obj

    for name, code in (("A:B", 6000), ("Back\\slash", 6000), ("x" * 101, 2050), ("design", 6240)):
        with pytest.raises(QuickbooksException) as exc:
            item(name).save(qb=qb)
        assert code_of(exc) == code, name
    for account, code in ((None, 2020), (ref("999"), 2500), (ref("12"), 6000)):
        with pytest.raises(QuickbooksException) as exc:
            item("Consulting", account=account).save(qb=qb)
        assert code_of(exc) == code
    with pytest.raises(ValidationException) as bad_type, expect_violations(emu):
        item("Consulting", item_type="Gadget").save(qb=qb)
    assert code_of(bad_type) == 2170
    consulting = item("Consulting")
    consulting.Sku = "CONS-1"
    saved = consulting.save(qb=qb)
    assert saved.Sku == "CONS-1" and saved.FullyQualifiedName == "Consulting"


def test_accounts_and_read_only_lists(emu, qb):
    account = Account()
    account.Name, account.AccountType = 'Say "hi"', "Income"
    with pytest.raises(QuickbooksException) as exc:
        account.save(qb=qb)
    assert code_of(exc) == 6000
    account.Name = "Services"
    with pytest.raises(QuickbooksException) as dup:
        account.save(qb=qb)
    assert code_of(dup) == 6240
    account.Name = "Consulting Income"
    assert account.save(qb=qb).Classification == "Revenue"
    codes = {c.Name for c in TaxCode.all(qb=qb)}
    assert {"TAX", "NON", "California"} <= codes
    with pytest.raises(UnsupportedException):
        qb.create_object("TaxCode", json.dumps({"Name": "Mine"}))


# ------------------------------------------------------------------------------ invoices
def test_us_explicit_tax_amount_is_honoured_and_prorated(emu, qb):
    """An explicit TotalTax (not zero: the SDK sends 0 by default) replaces the computed tax."""
    inv = invoice(sales_line("3", 1, 275, tax="TAX"), doc="INV/TAX1", tax_code="2")
    inv.TxnTaxDetail.TotalTax = 22.7  # computed: 22.69 (275 x 8.25 %)
    saved = inv.save(qb=qb)
    assert saved.TxnTaxDetail.TotalTax == 22.7
    assert sum(line.Amount for line in saved.TxnTaxDetail.TaxLine) == 22.7
    assert saved.TotalAmt == 275 + 22.7
    computed = invoice(sales_line("3", 1, 275, tax="TAX"), doc="INV/TAX2", tax_code="2")
    assert computed.save(qb=qb).TxnTaxDetail.TotalTax == 22.69


def test_invoice_totals_tax_discount_and_terms(emu, qb):
    discount = DiscountLine()
    discount.DiscountLineDetail = DiscountLineDetail()
    discount.DiscountLineDetail.PercentBased = True
    discount.DiscountLineDetail.DiscountPercent = 10
    discount.Amount = 0
    inv = invoice(
        sales_line("2", 2, 75),
        sales_line("3", 1, 275, tax="TAX"),
        discount,
        doc="INV/0001",
        tax_code="2",
    )
    inv.CustomerMemo = CustomerMemo()
    inv.CustomerMemo.value = "Thanks"
    inv.PrivateNote = "from odoo"
    saved = inv.save(qb=qb)
    assert saved.Id and saved.SyncToken == "0" and saved.DocNumber == "INV/0001"
    assert saved.TxnTaxDetail.TotalTax == 22.69  # 275 × 8.25 %
    assert saved.TotalAmt == 150 + 275 - 42.5 + 22.69 == saved.Balance
    kinds = [line.DetailType for line in saved.Line]
    assert kinds == [
        "SalesItemLineDetail",
        "SalesItemLineDetail",
        "SubTotalLineDetail",
        "DiscountLineDetail",
    ]
    assert saved.Line[3].Amount == 42.5
    txn = datetime.fromisoformat(saved.TxnDate)
    assert saved.DueDate == (txn + timedelta(days=30)).date().isoformat()  # customer: Net 30
    assert saved.MetaData.CreateTime == saved.MetaData.LastUpdatedTime
    assert saved.CurrencyRef.value == "USD"
    inv2 = invoice(doc="INV/0002")
    inv2.SalesTermRef = ref("1")
    assert inv2.save(qb=qb).DueDate == saved.TxnDate  # Due on receipt


def test_invoice_rejections(emu, qb):
    cases = [
        (invoice(sales_line("2", 2, 75, amount=100)), 6070),
        (invoice(sales_line("2", 2, 75, tax="2")), 6100),
        (invoice(doc="X" * 22), 6000),
        (invoice(customer="999"), 2500),
        (invoice(sales_line("999", 1, 10)), 2500),
    ]
    for inv, code in cases:
        with pytest.raises(QuickbooksException) as exc:
            inv.save(qb=qb)
        assert code_of(exc) == code
    empty = Invoice()
    empty.CustomerRef = ref("1")
    with pytest.raises(ValidationException) as no_lines:
        empty.save(qb=qb)
    assert code_of(no_lines) == 2020
    euro = invoice()
    euro.CurrencyRef = ref("EUR")
    with pytest.raises(QuickbooksException) as exc:
        euro.save(qb=qb)
    assert code_of(exc) == 6000 and "EUR" in exc.value.detail


def test_duplicate_docnumber(emu, qb):
    invoice(doc="INV/7").save(qb=qb)
    with pytest.raises(QuickbooksException) as exc:
        invoice(doc="INV/7").save(qb=qb)
    assert code_of(exc) == 6140
    assert invoice(doc="INV/7").save(qb=qb, params={"include": "allowduplicatedocnum"}).Id
    assert len(Invoice.filter(DocNumber="INV/7", qb=qb)) == 2


def test_multicurrency_invoice(make_emu):
    emu = make_emu(currencies=["USD", "EUR"])
    qb = connect(emu)
    customer = Customer.from_json({"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}})
    customer = customer.save(qb=qb)
    inv = invoice(customer=customer.Id)
    inv.CurrencyRef, inv.ExchangeRate = ref("EUR"), 1.1
    saved = inv.save(qb=qb)
    assert saved.HomeTotalAmt == 165.0 and saved.CurrencyRef.value == "EUR"
    with pytest.raises(QuickbooksException) as exc:  # no CurrencyRef = USD, the customer's is EUR
        invoice(customer=customer.Id).save(qb=qb)
    assert code_of(exc) == 6000


def test_sparse_update_and_stale_synctoken(emu, qb):
    saved = invoice(doc="S-1").save(qb=qb)
    answer = qb.update_object(
        "Invoice",
        json.dumps({"Id": saved.Id, "SyncToken": "0", "sparse": True, "PrivateNote": "edited"}),
    )
    updated = answer["Invoice"]
    assert updated["SyncToken"] == "1" and updated["PrivateNote"] == "edited"
    assert updated["TotalAmt"] == 150 and updated["DocNumber"] == "S-1"
    with pytest.raises(QuickbooksException) as exc:
        saved.save(qb=qb)  # still holds SyncToken 0
    assert code_of(exc) == 5010
    fresh = Invoice.get(saved.Id, qb=qb)
    fresh.Line[0].SalesItemLineDetail.Qty = 3
    fresh.Line[0].Amount = 225
    full = fresh.save(qb=qb)  # full update with what the SDK read back
    assert full.SyncToken == "2" and full.TotalAmt == 225


def test_void_and_delete(emu, qb):
    voided = invoice(doc="V-1").save(qb=qb)
    voided.PrivateNote = None
    result = voided.void(qb=qb)["Invoice"]
    assert result["TotalAmt"] == 0 and result["Balance"] == 0
    assert result["PrivateNote"].startswith("Voided") and result["SyncToken"] == "1"
    gone = invoice(doc="D-1").save(qb=qb)
    answer = gone.delete(qb=qb)
    assert answer["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": gone.Id}
    with pytest.raises(ObjectNotFoundException) as exc:
        Invoice.get(gone.Id, qb=qb)
    assert code_of(exc) == 610
    with pytest.raises(UnsupportedException):  # names are made inactive, not deleted
        qb.delete_object("Customer", json.dumps({"Id": "1", "SyncToken": "0"}))


def test_payment_and_credit_memo(emu, qb):
    inv = invoice(sales_line("2", 4, 75), doc="P-1").save(qb=qb)

    def pay(amount, *links, total=None):
        payment = Payment()
        payment.CustomerRef = ref("1")
        payment.TotalAmt = amount if total is None else total
        for txn_id, txn_type, line_amount in links:
            line = PaymentLine()
            line.Amount = line_amount
            link = LinkedTxn()
            link.TxnId, link.TxnType = txn_id, txn_type
            line.LinkedTxn = [link]
            payment.Line.append(line)
        return payment.save(qb=qb)

    first = pay(100, (inv.Id, "Invoice", 100))
    after = Invoice.get(inv.Id, qb=qb)
    assert after.Balance == 200 and after.SyncToken == "1"
    assert [(t.TxnId, t.TxnType) for t in after.LinkedTxn] == [(first.Id, "Payment")]
    with pytest.raises(QuickbooksException) as exc:
        pay(500, (inv.Id, "Invoice", 500))
    assert code_of(exc) == 6000
    first.void(qb=qb)
    assert Invoice.get(inv.Id, qb=qb).Balance == 300
    credit = invoice(sales_line("2", 1, 75), cls=CreditMemo).save(qb=qb)
    assert credit.RemainingCredit == 75
    pay(225, (inv.Id, "Invoice", 300), (credit.Id, "CreditMemo", 75))
    assert Invoice.get(inv.Id, qb=qb).Balance == 0
    assert CreditMemo.get(credit.Id, qb=qb).RemainingCredit == 0
    other = invoice(doc="P-2").save(qb=qb)
    payment = emu.pay_invoice(other.Id, 50)
    assert payment["TotalAmt"] == 50 and emu.objects("Invoice")[-1]["Balance"] == 100


def test_refund_receipt_needs_deposit_account(emu, qb):
    body = {
        "CustomerRef": {"value": "1"},
        "Line": [
            {
                "Amount": 75,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 1, "UnitPrice": 75},
            }
        ],
    }
    with pytest.raises(ValidationException) as exc:
        qb.create_object("RefundReceipt", json.dumps(body))
    assert code_of(exc) == 2020
    body["DepositToAccountRef"] = {"value": "1"}
    assert qb.create_object("RefundReceipt", json.dumps(body))["RefundReceipt"]["TotalAmt"] == 75


def test_journal_entry(emu, qb):
    def entry(debit, credit, account="12"):
        je = JournalEntry()
        for posting, amount, account_id in (("Debit", debit, account), ("Credit", credit, "1")):
            line = JournalEntryLine()
            line.Amount = amount
            line.JournalEntryLineDetail = JournalEntryLineDetail()
            line.JournalEntryLineDetail.PostingType = posting
            line.JournalEntryLineDetail.AccountRef = ref(account_id)
            je.Line.append(line)
        return je

    saved = entry(100, 100).save(qb=qb)
    assert saved.TotalAmt == 100
    for je in (entry(100, 90), entry(100, 100, account="2")):  # unbalanced; A/R needs a customer
        with pytest.raises(QuickbooksException) as exc:
            je.save(qb=qb)
        assert code_of(exc) == 6000
    with pytest.raises(ValidationException) as bad_account:
        entry(1, 1, account="999").save(qb=qb)
    assert code_of(bad_account) == 2500
    saved.delete(qb=qb)
    assert emu.objects("JournalEntry") == []


# ------------------------------------------------------------------------------ batch and cdc
def test_batch(emu, qb):
    good, duplicate = Customer(), Customer()
    good.DisplayName, duplicate.DisplayName = "Batch Co", "Cool Cars"
    result = batch_create([good, duplicate], qb=qb)
    assert [c.DisplayName for c in result.successes] == ["Batch Co"]
    assert result.faults[0].Error[0].code == "6240"
    first = emu.objects("Customer")[-1]
    answer = qb.batch_operation(
        json.dumps(
            {
                "BatchItemRequest": [
                    {"bId": "q1", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Batch Co'"},
                    {
                        "bId": "u1",
                        "operation": "update",
                        "Customer": {
                            "Id": first["Id"],
                            "SyncToken": "0",
                            "sparse": True,
                            "Notes": "vip",
                        },
                    },
                    {
                        "bId": "c1",
                        "operation": "create",
                        "Invoice": {"CustomerRef": {"value": "1"}},
                    },
                ]
            }
        )
    )
    items = {i["bId"]: i for i in answer["BatchItemResponse"]}
    assert items["q1"]["QueryResponse"]["Customer"][0]["Id"] == first["Id"]
    assert items["u1"]["Customer"]["Notes"] == "vip"
    assert items["c1"]["Fault"]["Error"][0]["code"] == "2020"
    too_many = [{"bId": str(n), "Query": "SELECT * FROM Item"} for n in range(31)]
    with pytest.raises(GeneralException) as exc:
        qb.batch_operation(json.dumps({"BatchItemRequest": too_many}))
    assert code_of(exc) == 1040


def test_cdc_reports_changes_and_deletions(emu, qb):
    since = (datetime.now().astimezone() - timedelta(minutes=1)).isoformat(timespec="seconds")
    kept = invoice(doc="C-1").save(qb=qb)
    gone = invoice(doc="C-2").save(qb=qb)
    gone.delete(qb=qb)
    emu.pay_invoice(kept.Id, 10)
    cdc = change_data_capture([Invoice, Payment], since, qb=qb)
    invoices = list(cdc.Invoice)
    assert [i.Id for i in invoices] == [kept.Id, gone.Id]
    assert invoices[0].Balance == 140 and invoices[1].status == "Deleted"
    assert len(list(cdc.Payment)) == 1
    later = change_data_capture([Invoice], datetime.now().astimezone() + timedelta(hours=1), qb=qb)
    assert not hasattr(later, "Invoice")
    old = (datetime.now().astimezone() - timedelta(days=31)).isoformat(timespec="seconds")
    with pytest.raises(QuickbooksException) as exc:
        change_data_capture([Invoice], old, qb=qb)
    assert code_of(exc) == 6000


def test_cdc_answers_at_most_1000_objects_oldest_first(make_emu):
    emu = make_emu(cdc_max_objects=5)
    qb = connect(emu)
    since = datetime.now().astimezone() - timedelta(minutes=1)
    ids = []
    for n in range(7):
        emu.clock.advance(1)
        ids.append(invoice(doc=f"T-{n}").save(qb=qb).Id)
    emu.clock.advance(1)
    memo = invoice(cls=CreditMemo).save(qb=qb)
    emu.clock.advance(1)
    emu.update_document("Invoice", ids[0], {"PrivateNote": "edited last"})
    cdc = change_data_capture([Invoice, CreditMemo], since.isoformat(timespec="seconds"), qb=qb)
    assert [i.Id for i in cdc.Invoice] == ids[1:6], "cut silently, the oldest changes first"
    assert not hasattr(cdc, "CreditMemo"), "the budget is per response"
    last = Invoice.get(ids[5], qb=qb).MetaData.LastUpdatedTime
    rest = change_data_capture([Invoice, CreditMemo], last, qb=qb)
    assert [i.Id for i in rest.Invoice] == [ids[5], ids[6], ids[0]]
    assert [c.Id for c in rest.CreditMemo] == [memo.Id]
    assert QboEmulator.default_config["cdc_max_objects"] == 1000


def cdc_batch(qb, *queries):
    """Answers by bId of one batch request of ``queries`` (bId, CDCQuery dict or item dict)."""
    items = [
        query if isinstance(query, dict) else {"bId": query[0], "CDCQuery": query[1]}
        for query in queries
    ]
    answer = qb.batch_operation(json.dumps({"BatchItemRequest": items}))
    return {item["bId"]: item for item in answer["BatchItemResponse"]}


def test_batch_cdc_queries_answer_each_with_its_own_cap(make_emu):
    """IntuitRestServiceDef.xsd: a BatchItemRequest may hold a CDCQuery (Entities, ChangedSince)
    and its BatchItemResponse a CDCResponse; each item is a CDC of its own: 1,000 objects
    (here 5) per item, where one GET /cdc of several entities holds 1,000 in all."""
    emu = make_emu(cdc_max_objects=5)
    qb = connect(emu)
    since = (datetime.now().astimezone() - timedelta(minutes=1)).isoformat(timespec="seconds")
    ids = []
    for n in range(6):
        emu.clock.advance(1)
        ids.append(invoice(doc=f"B-{n}").save(qb=qb).Id)
        emu.pay_invoice(ids[-1], 10)
    emu.clock.advance(1)
    memo = invoice(cls=CreditMemo).save(qb=qb)
    before = emu.counts()
    items = cdc_batch(
        qb,
        ("i", {"Entities": "Invoice", "ChangedSince": since}),
        ("p", {"Entities": "Payment", "ChangedSince": since}),
        ("m", {"Entities": "CreditMemo,Payment", "ChangedSince": since}),
        {"bId": "q", "Query": "SELECT * FROM Customer WHERE Id = '1'"},
    )
    after = emu.counts()
    assert after.get("POST /v3/company/{realm}/batch", 0) == (
        before.get("POST /v3/company/{realm}/batch", 0) + 1
    ), "one request"
    assert not any(key.endswith("/cdc") for key in set(after) - set(before))
    [invoices] = items["i"]["CDCResponse"]["QueryResponse"]
    assert [i["Id"] for i in invoices["Invoice"]] == ids[:5], "cut at the item's cap"
    [payments] = items["p"]["CDCResponse"]["QueryResponse"]
    assert len(payments["Payment"]) == 5, "a cap of its own, not what the invoices left"
    memos, rest = items["m"]["CDCResponse"]["QueryResponse"]
    assert [m["Id"] for m in memos["CreditMemo"]] == [memo.Id]
    assert len(rest["Payment"]) == 4, "the item's budget is spent entity by entity"
    assert items["q"]["QueryResponse"]["Customer"][0]["Id"] == "1"
    later = (datetime.now().astimezone() + timedelta(hours=1)).isoformat(timespec="seconds")
    nothing = cdc_batch(qb, ("l", {"Entities": "Invoice", "ChangedSince": later}))
    assert nothing["l"]["CDCResponse"] == {"QueryResponse": []}


def test_batch_cdc_query_refusals(emu, qb):
    """A CDCQuery is checked as GET /cdc checks its parameters, per item (mixed results)."""
    now = datetime.now().astimezone()
    since = (now - timedelta(minutes=1)).isoformat(timespec="seconds")
    old = (now - timedelta(days=31)).isoformat(timespec="seconds")
    items = cdc_batch(
        qb,
        ("ok", {"Entities": "Invoice", "ChangedSince": since}),
        ("no_entities", {"ChangedSince": since}),
        ("no_since", {"Entities": "Invoice"}),
        ("bad_entity", {"Entities": "Gadget", "ChangedSince": since}),
        ("bad_since", {"Entities": "Invoice", "ChangedSince": "yesterday"}),
        ("too_old", {"Entities": "Invoice", "ChangedSince": old}),
    )

    def code(bid):
        return items[bid]["Fault"]["Error"][0]["code"]

    assert "CDCResponse" in items["ok"] and "Fault" not in items["ok"]
    assert (code("no_entities"), code("no_since")) == ("2020", "2020")
    assert items["no_entities"]["Fault"]["Error"][0]["element"] == "Entities"
    assert (code("bad_entity"), code("bad_since"), code("too_old")) == ("500", "2010", "6000")
    with expect_violations(emu):  # outside the XSD: refused by the emulator too
        wrong = cdc_batch(
            qb,
            ("extra", {"Entities": "Invoice", "ChangedSince": since, "MaxResults": 10}),
            {"bId": "both", "Query": "SELECT * FROM Item", "CDCQuery": {"Entities": "Invoice"}},
        )
    assert wrong["extra"]["Fault"]["Error"][0]["code"] == "2010"
    assert wrong["both"]["Fault"]["Error"][0]["code"] == "2010"


def test_transactions_share_one_id_sequence(make_emu):
    emu = make_emu()
    qb = connect(emu)
    inv = invoice().save(qb=qb)
    memo = invoice(cls=CreditMemo).save(qb=qb)
    payment = emu.pay_invoice(inv.Id, 10)
    assert len({inv.Id, memo.Id, payment["Id"]}) == 3
    emu = make_emu(shared_txn_ids=False)  # each kind numbered on its own
    qb = connect(emu)
    assert invoice().save(qb=qb).Id == invoice(cls=CreditMemo).save(qb=qb).Id == "1"


def test_610_tells_an_inactive_reference_from_a_deleted_transaction(emu, qb):
    emu.update_document("Customer", "2", {"Active": False})
    with pytest.raises(ObjectNotFoundException) as exc:
        invoice(customer="2").save(qb=qb)
    assert code_of(exc) == 610 and "made inactive" in exc.value.detail
    emu.update_document("Item", "2", {"Active": False})
    with pytest.raises(ObjectNotFoundException) as exc:
        invoice(sales_line("2", 1, 75)).save(qb=qb)
    assert "made inactive" in exc.value.detail
    emu.update_document("Item", "2", {"Active": True})
    gone = invoice(doc="G-1").save(qb=qb)
    emu.delete_invoice(gone.Id)
    with pytest.raises(ObjectNotFoundException) as exc:
        gone.save(qb=qb)  # an update of the deleted invoice
    assert "deleted this transaction" in exc.value.detail
    with pytest.raises(ObjectNotFoundException) as exc:
        Invoice.get(gone.Id, qb=qb)
    assert "deleted this transaction" in exc.value.detail


def test_customer_currency_is_set_once_and_checked_on_invoices(make_emu):
    emu = make_emu(currencies=["USD", "EUR"])
    qb = connect(emu)
    plain = Customer.from_json({"DisplayName": "No Currency Inc"}).save(qb=qb)
    assert plain.CurrencyRef.value == "USD", "created in the home currency"
    euro = invoice(customer=plain.Id)
    euro.CurrencyRef = ref("EUR")
    with pytest.raises(QuickbooksException) as exc:
        euro.save(qb=qb)
    assert code_of(exc) == 6000 and "currency" in exc.value.detail


# ------------------------------------------------------------------------------ idempotency
def test_requestid_replays_the_first_answer(emu, qb):
    first = invoice(doc="R-1").save(qb=qb, request_id="rid-1")
    again = invoice(doc="R-1").save(qb=qb, request_id="rid-1")
    assert again.Id == first.Id and len(emu.objects("Invoice")) == 1
    emu.add_fault("drop_after_write", path="/invoice$")
    with pytest.raises(requests.exceptions.ConnectionError):
        invoice(doc="R-2").save(qb=qb, request_id="rid-2")
    assert len(emu.objects("Invoice")) == 2  # written, answer lost
    retried = invoice(doc="R-2").save(qb=qb, request_id="rid-2")
    assert retried.DocNumber == "R-2" and len(emu.objects("Invoice")) == 2
    with pytest.raises(QuickbooksException):  # ≤ 50 characters
        invoice(doc="R-3").save(qb=qb, request_id="x" * 51)
    assert emu.config["requestid_scope"] == "realm"  # Intuit: unique per company
    token = qb.auth_client.access_token
    answer = api_post(emu, "customer", token, {"DisplayName": "Reused"}, requestid="rid-1")
    assert answer.status_code == 200 and answer.json()["Invoice"]["Id"] == first.Id
    assert not Customer.filter(DisplayName="Reused", qb=qb)  # replayed, nothing written


def test_requestid_scope_endpoint(make_emu):
    emu = make_emu(requestid_scope="endpoint")
    qb = connect(emu)
    token = qb.auth_client.access_token
    first = invoice(doc="E-1").save(qb=qb, request_id="rid-1")
    customer = api_post(emu, "customer", token, {"DisplayName": "Own"}, requestid="rid-1")
    assert customer.status_code == 200 and customer.json()["Customer"]["DisplayName"] == "Own"
    again = api_post(emu, "customer", token, {"DisplayName": "Other"}, requestid="rid-1")
    assert again.json()["Customer"]["Id"] == customer.json()["Customer"]["Id"]  # same endpoint
    assert invoice(doc="E-1").save(qb=qb, request_id="rid-1").Id == first.Id
    assert len(emu.objects("Invoice")) == 1 and Customer.count(qb=qb) == 4


# ------------------------------------------------------------------------------ limits and faults
def test_rate_limit_per_second_on_by_default(monkeypatch):
    """QuickBooks' 10 requests per second per realm: the 11th call within a second is a 429."""
    with QboEmulator() as emu:  # a fresh emulator, its default configuration and clock
        emu.seed()
        qb = connect(emu)
        calls = emu.count("/v3/")
        now = [emu.clock.now()]
        monkeypatch.setattr(emu.clock, "now", lambda: now[0])  # moves only when told
        for _ in range(10):
            assert Customer.count(qb=qb) == 3
            now[0] += 0.09  # ten calls within 0.9 s
        with pytest.raises(QuickbooksException) as exc:
            Customer.count(qb=qb)
        assert code_of(exc) == 10000 and "3001" in exc.value.message  # the XML 429 body
        assert emu.throttled == 1 and emu.count("/v3/") == calls + 11
        now[0] += 0.11  # the first call is now a second old: one slot is free
        assert Customer.count(qb=qb) == 3
        assert emu.throttled == 1


def test_rate_limit_per_second(make_emu, monkeypatch):
    emu = make_emu(rate_limit_per_second=3, throttle_body="json")
    qb = connect(emu)
    now = [emu.clock.now()]
    monkeypatch.setattr(emu.clock, "now", lambda: now[0])  # a clock that moves only when told
    for _ in range(3):
        Customer.count(qb=qb)
        now[0] += 0.1
    with pytest.raises(QuickbooksException) as exc:
        Customer.count(qb=qb)
    assert code_of(exc) == 3001
    assert api_get(emu, "customer/1", qb.auth_client.access_token).status_code == 429
    now[0] += 0.75  # the first call is now more than a second old: one slot is free
    assert Customer.count(qb=qb) == 3
    with pytest.raises(QuickbooksException):
        Customer.count(qb=qb)
    now[0] += 1.0
    assert [Customer.count(qb=qb) for _ in range(3)] == [3, 3, 3]
    emu.config["rate_limit_per_second"] = None  # off
    assert len([Customer.count(qb=qb) for _ in range(12)]) == 12


@pytest.mark.parametrize("body", ["xml", "json"])
def test_rate_limit_per_minute(make_emu, body):
    emu = make_emu(rate_limit_per_minute=3, throttle_body=body)
    qb = connect(emu)
    for _ in range(3):
        Customer.count(qb=qb)
    with pytest.raises(QuickbooksException) as exc:
        Customer.count(qb=qb)
    # python-quickbooks cannot parse the XML body (10000); the JSON one maps to code 3001.
    assert code_of(exc) == (10000 if body == "xml" else 3001)
    raw = api_get(emu, "customer/1", qb.auth_client.access_token)
    assert raw.status_code == 429
    assert ("3001" in raw.text) and (raw.headers["Content-Type"] == "application/xml") == (
        body == "xml"
    )
    emu.clock.advance(61)
    assert Customer.count(qb=qb) == 3


def test_batch_rate_limit(make_emu):
    emu = make_emu(batch_rate_limit_per_minute=1)
    qb = connect(emu)
    payload = json.dumps({"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Term"}]})
    qb.batch_operation(payload)
    with pytest.raises(QuickbooksException):
        qb.batch_operation(payload)
    assert Customer.count(qb=qb) == 3  # other endpoints are not limited by the batch window


def test_concurrency_limit(make_emu):
    emu = make_emu(max_concurrent=1)
    qb = connect(emu)
    emu.add_fault("status", status=503, delay=0.6, path="/query")
    slow = {}
    thread = threading.Thread(
        target=lambda: slow.setdefault(
            "answer", api_get(emu, "query", qb.auth_client.access_token, query="SELECT * FROM Term")
        )
    )
    thread.start()
    time.sleep(0.2)
    assert api_get(emu, "customer/1", qb.auth_client.access_token).status_code == 429
    thread.join()
    assert slow["answer"].status_code == 503
    assert Customer.get(1, qb=qb).Id == "1"


@pytest.mark.parametrize("status", [500, 503])
def test_injected_server_errors(emu, qb, status):
    emu.add_fault("status", status=status, path="/customer/")
    with pytest.raises(QuickbooksException) as exc:
        Customer.get(1, qb=qb)
    assert code_of(exc) == 10000 and str(status) in exc.value.message
    assert Customer.get(1, qb=qb).Id == "1"
    assert emu.count(r"/customer/1$", "GET") == 2


# ------------------------------------------------------------------------ webhooks, admin, CLI
def test_webhook_is_signed_with_the_verifier_token(emu, qb):
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body.decode(), self.headers["intuit-signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.handle_request, daemon=True).start()
    emu.config["webhook_url"] = f"http://127.0.0.1:{server.server_address[1]}/hook"
    assert emu.send_webhook([{"name": "Invoice", "id": "1", "operation": "Create"}]) == 200
    server.server_close()
    body, signature = received[0]
    assert qb.validate_webhook_signature(body, signature, "qbo-verifier-token")
    expected = hmac.new(b"qbo-verifier-token", body.encode(), hashlib.sha256).digest()
    assert base64.b64decode(signature) == expected
    event = json.loads(body)["eventNotifications"][0]
    assert event["realmId"] == emu.config["realm_id"]
    assert event["dataChangeEvent"]["entities"][0]["operation"] == "Create"


def test_admin_actions(emu, qb):
    admin = emu.urls()["admin"]
    tokens = requests.post(admin + "/tokens", timeout=10).json()
    assert set(tokens) == {"access_token", "refresh_token", "realm_id", "expires_in"}
    inv = invoice(doc="A-1").save(qb=qb)
    paid = requests.post(admin + "/pay", json={"invoice_id": inv.Id, "amount": 50}, timeout=10)
    assert paid.json()["TotalAmt"] == 50
    assert Invoice.get(inv.Id, qb=qb).Balance == 100
    second = invoice(doc="A-2").save(qb=qb)
    voided = requests.post(admin + "/void", json={"invoice_id": second.Id}, timeout=10).json()
    assert voided["TotalAmt"] == 0
    requests.post(admin + "/delete", json={"invoice_id": second.Id}, timeout=10)
    assert [i["Id"] for i in emu.objects("Invoice")] == [inv.Id]
    assert (
        requests.post(admin + "/pay", json={"invoice_id": "999"}, timeout=10).json()["Fault"][
            "Error"
        ][0]["code"]
        == "610"
    )


def test_command_line_prints_the_urls():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators", "qbo", "--port", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        urls = json.loads(process.stdout.readline())
        assert urls["provider"] == "qbo"
        assert urls["discovery"].endswith("/.well-known/openid-configuration")
        assert requests.get(urls["discovery"], timeout=10).json()["token_endpoint"] == urls["token"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_preferences_say_how_classes_and_locations_are_tracked(make_emu):
    for class_tracking, per_txn, per_line in (
        ("line", False, True),
        ("document", True, False),
        (None, False, False),
    ):
        emu = make_emu(class_tracking=class_tracking, track_departments=class_tracking is not None)
        token = emu.issue_tokens()["access_token"]
        prefs = api_get(emu, "preferences", token).json()["Preferences"]["AccountingInfoPrefs"]
        assert (prefs["ClassTrackingPerTxn"], prefs["ClassTrackingPerTxnLine"]) == (
            per_txn,
            per_line,
        )
        assert prefs["TrackDepartments"] is (class_tracking is not None)


def test_preferences_and_company_currencies_are_queried_like_entities(make_emu):
    emu = make_emu(home_currency="USD", currencies=["USD", "EUR", "GBP"])
    token = emu.issue_tokens()["access_token"]
    answer = api_get(emu, "query", token, query="SELECT * FROM Preferences").json()
    [prefs] = answer["QueryResponse"]["Preferences"]
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "USD"
    body = {"BatchItemRequest": [{"bId": "c", "Query": "SELECT * FROM CompanyCurrency"}]}
    [item] = api_post(emu, "batch", token, body).json()["BatchItemResponse"]
    codes = [c["Code"] for c in item["QueryResponse"]["CompanyCurrency"]]
    assert codes == ["EUR", "GBP"]
