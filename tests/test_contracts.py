"""The contract checks themselves (tests/contracts): conversion, cache, checker and hook."""

import json
from collections import Counter

import pytest
import requests

from tests.contracts import check, convert
from tests.contracts.check import expect_violations
from tests.emulators.qbo import QboEmulator
from tests.emulators.xero import XeroEmulator


@pytest.mark.parametrize("provider", ["xero", "qbo"])
def test_cache_is_the_conversion_of_the_source(provider):
    """With the source present, converting it gives exactly the committed cache; in a clean
    clone (no source) the committed cache is complete and is what the checks load."""
    cached = convert.CACHES[provider].read_bytes()
    document = json.loads(cached)
    if convert.source_root() is not None:
        assert convert.dump(convert.convert(provider)) == cached
        assert document["source_sha256"] == convert.source_hashes(provider)
    else:
        assert document["source_sha256"] and len(document["$defs"]) > 100
        assert check.document(provider)["source_sha256"] == document["source_sha256"]


def test_a_stale_cache_is_rebuilt_when_the_source_is_present(tmp_path, monkeypatch):
    stale = json.loads(convert.CACHES["xero"].read_text())
    stale["source_sha256"] = {"xero_accounting.yaml": "0" * 64}
    stale["$defs"] = {}
    target = tmp_path / "xero.schema.json"
    target.write_text(json.dumps(stale))
    monkeypatch.setattr(convert, "CACHES", {**convert.CACHES, "xero": target})
    monkeypatch.setattr(check, "_documents", {})
    loaded = check.document("xero")
    if convert.source_root() is not None:
        assert loaded["$defs"] and target.read_bytes() == convert.dump(convert.convert("xero"))
    else:  # no source: the committed (here: stale) cache is used as is
        assert loaded["$defs"] == {}


def test_rules_of_the_conversion():
    # Xero: a wrong field name, an enum, a type; the answer envelope's extra keys are allowed
    op = ("PUT /Invoices", "request")
    body = {"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": "x"}, "Totl": 1}]}
    assert check.violations("xero", op, body) == [
        "$.Invoices[0]: not in the schema ('Totl' was unexpected)"
    ]
    body = {"Invoices": [{"Type": "SALE", "LineItems": [{"Quantity": "2"}]}]}
    found = check.violations("xero", op, body)
    assert any(v.startswith("$.Invoices[0].Type: enum: 'SALE'") for v in found)
    assert any(v.startswith("$.Invoices[0].LineItems[0].Quantity: type:") for v in found)
    envelope = {"Id": "1", "Status": "OK", "ProviderName": "p", "DateTimeUTC": "/Date(1)/"}
    answer = {**envelope, "Invoices": []}
    assert check.violations("xero", ("PUT /Invoices", "200"), answer, "answer") == []
    assert check.violations("xero", op, answer) == [  # an exception holds in its direction only
        "$: not in the schema ('DateTimeUTC', 'Id', 'ProviderName', 'Status' were unexpected)"
    ]
    # QuickBooks: an unknown key, a repeated element is an array, simple content is {"value"}
    assert check.violations("qbo", "Invoice", {"Line": {"Amount": 1}}) == [
        "$.Line: type: {'Amount': 1} is not of type 'array'"
    ]
    assert check.violations("qbo", "Invoice", {"CustomerRef": {"value": "1", "nom": "A"}}) == [
        "$.CustomerRef: not in the schema ('nom' was unexpected)"
    ]
    # an xs:choice of elements: at most one of them
    line = {"Amount": 1, "SalesItemLineDetail": {}, "DiscountLineDetail": {}}
    assert check.violations("qbo", "Invoice", {"Line": [line]}) == [
        "$.Line[0]: x-choice: only one of ['DiscountLineDetail', 'SalesItemLineDetail'] "
        "may be present (xs:choice)"
    ]
    # required as the XSD says, except in a sparse update
    assert check.violations("qbo", "Error", {"Message": "m"}) == [
        "$: required: 'code' is a required property"
    ]
    assert check.violations("qbo", "PriceLevel", {"Name": "p"})
    assert not check.violations("qbo", "PriceLevel", {"Name": "p", "sparse": True})


def test_the_emulator_records_violations_and_answers_unchanged(monkeypatch):
    monkeypatch.setattr(check, "TOTALS", Counter())  # this test's violations are not the suite's
    with QboEmulator() as emu:
        emu.seed()
        token = emu.issue_tokens()["access_token"]
        url = f"{emu.urls()['api']}/company/{emu.config['realm_id']}/customer"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        ok = requests.post(url, json={"DisplayName": "Fine Ltd"}, headers=headers, timeout=5)
        assert ok.status_code == 200 and emu.contract_violations == []
        assert emu.contract_counts == {"request": 1, "answer": 1}
        body = {"DisplayName": "Typo Ltd", "PrimaryEmail": {"Address": "a@b.c"}}
        answer = requests.post(url, json=body, headers=headers, timeout=5)
        assert answer.status_code == 200  # the answer is not changed
        requests_seen = [v for v in emu.contract_violations if v["direction"] == "request"]
        assert requests_seen == [
            {
                "provider": "qbo",
                "method": "POST",
                "path": f"/v3/company/{emu.config['realm_id']}/customer",
                "direction": "request",
                "json_path": "$",
                "rule": "not in the schema ('PrimaryEmail' was unexpected)",
            }
        ]
        recorded = len(emu.contract_violations)  # the emulator echoes the key: answer too
        assert check.take_violations() == emu.contract_violations
        with expect_violations(emu) as seen:
            requests.post(url, json=body, headers=headers, timeout=5)
        assert seen and len(emu.contract_violations) == recorded
        assert check.TOTALS[("violations", "qbo")] == recorded
        with pytest.raises(AssertionError, match="broke no contract"):
            with expect_violations(emu):
                requests.post(url, json={"DisplayName": "X"}, headers=headers, timeout=5)


def test_admin_and_oauth_calls_are_outside_the_contracts():
    with XeroEmulator() as emu:
        requests.post(emu.urls()["admin"] + "/seed", json={"Nope": []}, timeout=5)
        requests.post(emu.urls()["token"], data={"grant_type": "nothing"}, timeout=5)
        assert emu.contract_counts == {} and emu.contract_violations == []
