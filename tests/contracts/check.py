"""Validates the JSON bodies the emulators receive and answer against the providers' schemas.

``Emulator.dispatch`` (tests/emulators/base.py) asks its subclass which contract a call has
(``contract_for(req)`` -> ``Contract`` or None) and hands the request and the answer to
:func:`check_exchange`. A violation is recorded on the emulator (``contract_violations``) and in
this process's pending list, which the test bases assert empty after each test
(:func:`take_violations`, :func:`assert_no_violations`); the answer is never changed.

The schemas come from the caches written by ``convert.py``; a cache whose source is present
with another sha256 is rebuilt first. The exceptions of ``exceptions.py`` (the one list of what
the real APIs send or accept beyond their official schemas) are applied when a cache is loaded.
Validators are built once per schema and reused.

Per process, the bodies checked (per provider and direction) and the violations are counted;
at exit they are written to ``$QXS_CONTRACT_REPORT_DIR/contracts-<pid>.json`` when that is set
(setup/test.sh sums them into its "contracts:" line).
"""

import atexit
import contextlib
import copy
import json
import os
import re
import threading
import time
from collections import Counter, namedtuple

from jsonschema import ValidationError
from jsonschema.validators import extend, validator_for

from . import convert
from .exceptions import EXCEPTIONS, UNCHECKED_ANSWER_STATUSES

PROVIDERS = {"qbo": "QuickBooks", "xero": "Xero"}
Contract = namedtuple("Contract", "provider request answers")
"""``request``: a schema target or None; ``answers``: {status (str) or "*": target}. A target
is a ``$defs`` name (QuickBooks: "Invoice", "IntuitResponse") or an operation of the cache
(Xero: ("PUT /Invoices", "request") / ("PUT /Invoices", "200"))."""

_lock = threading.RLock()
_documents = {}
_validators = {}
_xero_routes = []
TOTALS = Counter()  # (provider, direction) -> bodies checked; ("violations", provider) -> n
SECONDS = [0.0]  # time spent parsing and validating (the overhead of the checks)
PENDING = []  # violations not yet asserted by a test (this process, every emulator)


# ---------------------------------------------------------------------- schemas
def _choice(validator, groups, instance, schema):
    """``x-choice`` (from an XSD xs:choice of elements): at most one key of each group."""
    if not validator.is_type(instance, "object"):
        return
    for group in groups:
        present = [name for name in group if name in instance]
        if len(present) > 1:
            yield ValidationError(f"only one of {present} may be present (xs:choice)")


_Validator = extend(validator_for({"$schema": convert.DIALECT}), {"x-choice": _choice})


def document(provider, direction="request"):
    """The provider's converted schema (rebuilt when its source changed), with the exceptions
    of one direction ("request" or "answer") applied."""
    with _lock:
        if provider not in _documents:
            path = convert.CACHES[provider]
            cached = json.loads(path.read_text()) if path.exists() else None
            hashes = convert.source_hashes(provider)
            if hashes and (cached is None or cached.get("source_sha256") != hashes):
                cached = convert.build(provider)
            if cached is None:
                raise FileNotFoundError(f"{path} is missing and no schema source was found")
            _documents[provider] = cached
        if (provider, direction) not in _documents:
            _documents[(provider, direction)] = apply_exceptions(
                provider, _documents[provider], direction
            )
        return _documents[(provider, direction)]


def _pointer(doc, pointer):
    node = doc
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def apply_exceptions(provider, doc, direction):
    """The cache with the listed exceptions of this provider and direction applied (a copy)."""
    doc = copy.deepcopy(doc)
    for exception in EXCEPTIONS:
        if exception["provider"] != provider or exception["direction"] != direction:
            continue
        targets = [_pointer(doc, pointer) for pointer in exception.get("at", ())]
        for name, extra in exception.get("widen", {}).items():  # in every definition having it
            for target in doc["$defs"].values():
                prop = target.get("properties", {}).get(name)
                if prop is None:
                    continue
                if prop.get("type") == "array":  # a repeated element: widen its items
                    prop = {**prop, "items": {"anyOf": [prop["items"], extra]}}
                else:
                    prop = {"anyOf": [prop, extra]}
                target["properties"][name] = prop
        for target in targets:
            for name, schema in exception.get("allow_properties", {}).items():
                target.setdefault("properties", {})[name] = schema
            if exception.get("open"):
                target["additionalProperties"] = True
            for name in exception.get("not_required", ()):
                target["required"] = [r for r in target.get("required", []) if r != name]
                if not target["required"]:
                    del target["required"]
    return doc


def _schema_of(provider, target, direction):
    doc = document(provider, direction)
    if isinstance(target, tuple):
        operation, part = target
        entry = doc["operations"][operation]
        return entry["request"] if part == "request" else entry["answers"].get(part)
    return {"$ref": f"#/$defs/{target}"}


def validator(provider, target, direction):
    """A validator of one target, built once (None when the target has no schema)."""
    key = (provider, target, direction)
    with _lock:
        if key not in _validators:
            schema = _schema_of(provider, target, direction)
            if schema is None:
                _validators[key] = None
            else:
                root = {**schema, "$defs": document(provider, direction)["$defs"]}
                _validators[key] = _Validator(root)
        return _validators[key]


def xero_operation(method, path):
    """The Xero operation (``"PUT /Invoices/{InvoiceID}"``) of a path under /api.xro/2.0."""
    with _lock:
        if not _xero_routes:
            for name in document("xero")["operations"]:
                verb, template = name.split(" ", 1)
                pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
                _xero_routes.append((template.count("{"), verb, re.compile(pattern + "$"), name))
            _xero_routes.sort(key=lambda route: (route[0], route[3]))
    return next(
        (name for _n, verb, rx, name in _xero_routes if verb == method and rx.match(path)), None
    )


def xero_contract(method, path):
    """The contract of a Xero Accounting API call (``path`` after /api.xro/2.0), or None."""
    operation = xero_operation(method, path)
    if operation is None:
        return None
    entry = document("xero")["operations"][operation]
    answers = {status: (operation, status) for status in entry["answers"]}
    return Contract("xero", (operation, "request") if entry.get("request") else None, answers)


def qbo_contract(entity=None, batch=False):
    """The contract of a QuickBooks data call: every JSON answer is an ``IntuitResponse``; a
    write's body is its entity (``entity``: the element name, "Invoice"), a batch's an
    ``IntuitBatchRequest``; queries (text) and reads have no JSON body."""
    request = "IntuitBatchRequest" if batch else document("qbo")["entities"].get(entity)
    return Contract("qbo", request, {"*": "IntuitResponse"})


# ---------------------------------------------------------------------- validation
def _json_path(error):
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _rule(error):
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "not in the schema")
    if error.validator in ("anyOf", "oneOf") and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
        return f"{best.validator}: {best.message}"
    return f"{error.validator}: {error.message}"


def violations(provider, target, body, direction="request"):
    """["JSON path: rule", ...] of a parsed body against a target ([] when valid)."""
    check = validator(provider, target, direction)
    if check is None:
        return []
    return [f"{_json_path(e)}: {_rule(e)}" for e in check.iter_errors(body)]


def check_exchange(emulator, req, contract, direction, resp=None):
    """Check a call's request body (``direction="request"``) or its answer ``resp``; records and
    returns the violations. Empty bodies, bodies that are not JSON by their content type and
    answers of statuses the contract does not describe are not checked (nor counted)."""
    if contract is None:
        return []
    if direction == "request":
        target, raw = contract.request, req.body
        content_type = req.header("Content-Type", "") or "application/json"
    else:
        status = str(resp.status)
        target = contract.answers.get(status, contract.answers.get("*"))
        if status in UNCHECKED_ANSWER_STATUSES[contract.provider]:
            target = None
        raw, content_type = resp.payload(), resp.content_type
    if target is None or raw is None or raw == b"" or "json" not in content_type:
        return []
    started = time.perf_counter()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        found = [f"$: not JSON ({exc})"]
    else:
        found = violations(contract.provider, target, data, direction)
    with _lock:
        SECONDS[0] += time.perf_counter() - started
        TOTALS[(contract.provider, direction)] += 1
        emulator.contract_counts[direction] += 1
        records = [
            {
                "provider": contract.provider,
                "method": req.method,
                "path": req.path,
                "direction": direction,
                "json_path": text.split(": ", 1)[0],
                "rule": text.split(": ", 1)[1],
            }
            for text in found
        ]
        if emulator.contract_expected:
            emulator.contract_expected[-1].extend(records)
        elif records:
            TOTALS[("violations", contract.provider)] += len(records)
            emulator.contract_violations.extend(records)
            PENDING.extend(records)
    return found


@contextlib.contextmanager
def expect_violations(emulator):
    """Calls inside the block are expected to break the contract (tests of the emulators'
    refusals): their violations are neither recorded nor counted, and the block fails when
    none occurred (the call did not send what the test meant to send)."""
    seen = []
    with _lock:
        emulator.contract_expected.append(seen)
    try:
        yield seen
    finally:
        with _lock:
            emulator.contract_expected.remove(seen)
    assert seen, "the calls of an expect_violations block broke no contract"


def format_violations(records):
    return "\n".join(
        f'{PROVIDERS[r["provider"]]} {r["method"]} {r["path"]} {r["direction"]}: '
        f'{r["json_path"]}: {r["rule"]}'
        for r in records
    )


def take_violations():
    """The violations recorded since the last call (every emulator of this process)."""
    with _lock:
        records = list(PENDING)
        PENDING.clear()
    return records


def assert_no_violations():
    records = take_violations()
    assert not records, "contract violations:\n" + format_violations(records)


# ---------------------------------------------------------------------- report
def report():
    with _lock:
        return {
            "pid": os.getpid(),
            "checked": {
                provider: {d: TOTALS[(provider, d)] for d in ("request", "answer")}
                for provider in PROVIDERS
            },
            "violations": {p: TOTALS[("violations", p)] for p in PROVIDERS},
            "seconds": round(SECONDS[0], 3),
        }


@atexit.register
def _write_report():
    folder = os.environ.get("QXS_CONTRACT_REPORT_DIR")
    if not folder or not any(TOTALS.values()):
        return
    path = os.path.join(folder, f"contracts-{os.getpid()}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report(), handle)
