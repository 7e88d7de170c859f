"""The emulators as a sandbox users can keep: ``python -m tests.emulators ... --state-file``.

Each test runs the real command in a process, drives it through the real SDKs, stops it with
SIGTERM and starts it again on the same file.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects import Customer
from quickbooks.objects import Invoice as QboInvoice
from xero_python.accounting.models import Invoice as XeroInvoice
from xero_python.accounting.models import Invoices
from xero_python.api_client.oauth2 import TokenApi

from tests.emulators.odoo_connect import RemoteEmulator
from tests.emulators.sandbox import FORMAT, VERSION
from tests.test_qbo_emulator import connect as qbo_client
from tests.test_qbo_emulator import invoice as qbo_invoice
from tests.test_xero_emulator import Client, T
from tests.test_xero_emulator import create as xero_create
from tests.test_xero_emulator import invoice as xero_invoice

ROOT = Path(__file__).resolve().parent.parent


class Running(RemoteEmulator):
    """``python -m tests.emulators`` in a process of its own, known by the URLs it printed."""

    def __init__(self, provider, port=0, state_file=None, cwd=ROOT):
        command = [sys.executable, "-m", "tests.emulators", provider, "--port", str(port)]
        if state_file:
            command += ["--state-file", str(state_file)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError(self.process.stderr.read())
        self._urls = json.loads(line)
        super().__init__(self._urls)

    def urls(self):
        return self._urls

    def objects(self, kind):
        return requests.get(f"{self.admin_url}/objects/{kind}", timeout=10).json()

    def stop(self):
        """SIGTERM, as setup/run.sh stops it; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()
        return code


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def refused(provider, state_file):
    """Start on ``state_file``, expecting a refusal: (exit status, message on stderr)."""
    process = subprocess.run(
        [sys.executable, "-m", "tests.emulators", provider, "--state-file", str(state_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert not process.stdout  # it never started serving
    return process.returncode, process.stderr


def test_qbo_company_tokens_and_sequences_survive_a_restart(tmp_path):
    state_file, port = tmp_path / "sandbox" / "qbo.json", free_port()
    emu = Running("qbo", port, state_file)
    try:
        assert emu.urls()["state_file"] == str(state_file)
        qb = qbo_client(emu)
        customer = Customer()
        customer.DisplayName = "Sandbox Customer"
        customer.save(qb=qb)
        kept = qbo_invoice(customer=customer.Id, doc="SBX-1").save(qb=qb, request_id="sbx-rid-1")
        assert kept.SyncToken == "0"
        first_ids = {int(i["Id"]) for i in emu.objects("Invoice")}
    finally:
        assert emu.stop() == 0
    saved = json.loads(state_file.read_text())
    assert (saved["format"], saved["version"], saved["provider"]) == (FORMAT, VERSION, "qbo")
    assert not list(state_file.parent.glob("*.tmp"))  # written through a rename

    emu = Running("qbo", port, state_file)
    try:
        # The same client, with the tokens issued before the restart.
        assert QboInvoice.get(kept.Id, qb=qb).DocNumber == "SBX-1"
        kept.PrivateNote = "updated after a restart"
        updated = kept.save(qb=qb)  # the SyncToken read before the restart is still current
        assert updated.SyncToken == "1"
        kept.SyncToken = "0"
        with pytest.raises(QuickbooksException) as stale:  # and SyncTokens are still checked
            kept.save(qb=qb)
        assert stale.value.error_code == 5010
        # The requestid cache: the same request gives the first answer, no second invoice.
        replay = qbo_invoice(customer=customer.Id, doc="SBX-1").save(qb=qb, request_id="sbx-rid-1")
        assert replay.Id == kept.Id
        new = qbo_invoice(customer=customer.Id, doc="SBX-2").save(qb=qb)
        assert int(new.Id) > max(first_ids)
        assert [c["Id"] for c in emu.objects("Customer") if c["DisplayName"] == "Sandbox Customer"]
        # The refresh token is still known: the connection stays connected.
        auth = qb.auth_client
        auth.refresh()
        assert auth.access_token
    finally:
        assert emu.stop() == 0


def test_xero_company_tokens_and_connections_survive_a_restart(tmp_path):
    state_file, port = tmp_path / "xero.json", free_port()
    emu = Running("xero", port, state_file)
    try:
        xero = Client(emu)
        contact = next(c["ContactID"] for c in emu.objects("Contacts"))
        kept = xero_create(xero, xero_invoice(contact), idempotency_key="sbx-move-1")[0]
        connections = xero.identity.get_connections()
    finally:
        assert emu.stop() == 0

    emu = Running("xero", port, state_file)
    try:
        TokenApi.refresh_token_url = emu.urls()["token"]
        assert [c.id for c in xero.identity.get_connections()] == [c.id for c in connections]
        updated = xero.acc.update_invoice(
            xero.tenant,
            kept.invoice_id,
            Invoices(invoices=[XeroInvoice(reference="after a restart")]),
            _request_timeout=T,
        ).invoices[0]
        assert updated.reference == "after a restart"
        replay = xero_create(xero, xero_invoice(contact), idempotency_key="sbx-move-1")[0]
        assert replay.invoice_id == kept.invoice_id  # the idempotency cache was kept
        new = xero_create(xero, xero_invoice(contact))[0]
        assert new.invoice_id != kept.invoice_id
        assert new.invoice_number > kept.invoice_number  # INV-0002 after INV-0001
        xero.api_client.refresh_oauth2_token()  # the refresh token is still known
        assert xero.token["access_token"] != ""
    finally:
        assert emu.stop() == 0


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_file_it_cannot_use_is_refused_not_reset(tmp_path, provider):
    state_file = tmp_path / f"{provider}.json"
    state_file.write_text('{"format": "qbo_xero_sync emulator sandbox", "version": 1, "sta')
    code, message = refused(provider, state_file)
    assert code == 2
    assert f"Cannot read the sandbox state file {state_file}" in message
    assert "Remove or rename it" in message
    assert state_file.read_text().endswith('"sta')  # left as it was
    state_file.write_text(json.dumps({"format": FORMAT, "version": VERSION + 1, "state": {}}))
    code, message = refused(provider, state_file)
    assert code == 2 and f"format version {VERSION + 1}" in message
    other = "xero" if provider == "qbo" else "qbo"
    state_file.write_text(json.dumps({"format": FORMAT, "version": VERSION, "provider": other}))
    code, message = refused(provider, state_file)
    assert code == 2 and f"holds a {other!r} sandbox" in message


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_without_a_state_file_nothing_is_written(tmp_path, provider):
    emu = Running(provider, cwd=tmp_path)
    try:
        assert "state_file" not in emu.urls()
        requests.post(f"{emu.admin_url}/tokens", json={}, timeout=10).raise_for_status()
    finally:
        assert emu.stop() == 0
    assert not list(tmp_path.iterdir())
    # And a new process starts from the seeded company again, not from the last run.
    emu = Running(provider, cwd=tmp_path)
    try:
        kind = "Invoice" if provider == "qbo" else "Invoices"
        assert emu.objects(kind) == []
    finally:
        emu.stop()


def token_works(emu, tokens):
    """An API call with the access token ``tokens`` holds is answered 200."""
    headers = {"Authorization": "Bearer " + tokens["access_token"], "Accept": "application/json"}
    if emu.name == "qbo":
        url = f'{emu.urls()["api"]}/company/{tokens["realm_id"]}/query'
        params = {"query": "select * from Customer", "minorversion": "75"}
    else:
        url, params = f"{emu.base_url}/connections", {}
    return requests.get(url, headers=headers, params=params, timeout=10).status_code == 200


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_write_is_saved_without_waiting_for_the_stop(tmp_path, provider):
    state_file, port = tmp_path / f"{provider}.json", free_port()
    emu = Running(provider, port, state_file)
    try:
        before = state_file.read_text()  # the seeded company, written at start
        tokens = emu.issue_tokens()
        assert token_works(emu, tokens)
        deadline = time.monotonic() + 5
        while state_file.read_text() == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tokens["access_token"] in state_file.read_text()
    finally:
        emu.process.kill()  # a crash: no saving on the way out
        emu.process.wait(timeout=10)
        emu.process.stdout.close()
        emu.process.stderr.close()
    emu = Running(provider, port, state_file)
    try:
        assert token_works(emu, tokens)
        assert not token_works(emu, {**tokens, "access_token": "unknown"})
    finally:
        assert emu.stop() == 0
