"""Concurrency of the sync engine, proved with real PostgreSQL transactions and OS processes.

Each worker is a separate Python process that runs this file as a script (``python
tests/test_concurrency.py <mode> <json>``) with Odoo as a library, against a throwaway database
made from the test template by ``setup/test.sh`` (variables QXS_TEMPLATE_DB, QXS_ODOO_BIN,
QXS_ADDONS_PATH, QXS_DATA_DIR). The QuickBooks and Xero emulators run in the pytest process; the
workers reach them over HTTP. Workers load Odoo first, then wait for one "go" line on stdin, so
that both act at the same moment.

* two workers refresh the same expired token at once: one refresh call reaches QuickBooks, both
  use the same new access token, and the stored refresh token is the newest one; the same with
  Xero, whose refresh tokens are single-use (the worst case);
* two workers run the sync cron at once on one queue: every invoice is sent exactly once (one
  worker at a time sends a connection's groups, so new customers are created once);
* a token refreshed (and committed apart) while the cron runs leaves the cron's own transaction
  able to bind customers and to write the connection (real commits, which Odoo tests lack).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_VARS = ("QXS_TEMPLATE_DB", "QXS_ODOO_BIN", "QXS_ADDONS_PATH", "QXS_DATA_DIR")
N_INVOICES = 40
N_CUSTOMERS = 8  # new to QuickBooks: both workers need them created (once) in the same run
WORKER_TIMEOUT = 90


# ====================================================================== the worker (a script)
def _worker_registry(args):
    """Load Odoo as a library on the throwaway database."""
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        [
            "--addons-path",
            args["addons_path"],
            "-d",
            args["db"],
            "--data-dir",
            args["data_dir"],
            "--log-level",
            "warn",
        ]
    )
    assert odoo.release.version_info[:2] == (18, 0)
    return Registry(args["db"])


def _worker_prepare(env, args):
    """Map a tax and products, connect the company to the emulator, post the invoices."""
    company = env.company
    tax = env["account.tax"].create(
        {
            "name": "Sales tax 8.25%",
            "amount": 8.25,
            "type_tax_use": "sale",
            "company_id": company.id,
            "qxs_tax_code": "California",
        }
    )
    products = env["product.product"].create(
        [
            {"name": "Design work", "qxs_revenue_code": "DES-001", "list_price": 75.0},
            # No such item in QuickBooks: created as a Service item by whichever worker needs it
            {"name": "Consulting", "qxs_revenue_code": "Consulting Hours", "list_price": 150.0},
        ]
    )
    partners = env["res.partner"].create(
        [{"name": f"Concurrent Customer {n:02d}"} for n in range(1, N_CUSTOMERS + 1)]
    )
    bank = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    conn = env["qxs.connection"].create(
        {
            "name": "Emulator",
            "company_id": company.id,
            "provider": "qbo",
            "environment": "custom",
            "custom_base_url": args["base_url"],
            "client_id": args["client_id"],
            "client_secret": args["client_secret"],
            "default_income_account": "Sales of Product Income",
            "default_revenue_code": "Services",
            "payment_journal_id": bank.id,
        }
    )
    conn.write(
        {
            "access_token": args["access_token"],
            "refresh_token": args["refresh_token"],
            "token_expiry": "2000-01-01 00:00:00",
            "state": "connected",
            "remote_org_id": args["realm_id"],
        }
    )
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partners[n % N_CUSTOMERS].id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": products[(n + k) % 2].id,
                            "quantity": 1 + k,
                            "price_unit": 10.0 + n,
                            "tax_ids": [(6, 0, tax.ids)],
                        },
                    )
                    for k in range(1 + n % 2)
                ],
            }
            for n in range(N_INVOICES)
        ]
    )
    moves.action_post()
    return {"connection_id": conn.id, "moves": {m.id: m.name for m in moves}}


def _worker_prepare_xero(env, args):
    """A Xero connection of the same company, whose access token has expired."""
    conn = env["qxs.connection"].create(
        {
            "name": "Xero emulator",
            "company_id": env.company.id,
            "provider": "xero",
            "environment": "custom",
            "custom_base_url": args["base_url"],
            "client_id": args["client_id"],
            "client_secret": args["client_secret"],
            "default_revenue_code": "200",
        }
    )
    conn.write(
        {
            "access_token": args["access_token"],
            "refresh_token": args["refresh_token"],
            "token_expiry": "2000-01-01 00:00:00",
            "state": "connected",
            "remote_org_id": args["tenant_id"],
        }
    )
    return {"connection_id": conn.id}


def _worker_token(env, args):
    conn = env["qxs.connection"].browse(args["connection_id"])
    return {"token": conn._access_token()}


def _worker_sync(env, args):
    total = 0
    for _round in range(20):  # bounded: each run takes at most CRON_BATCH_LIMIT records
        done = env["qxs.sync.record"]._cron_sync()
        env.cr.commit()
        if not done:
            break
        total += done
    return {"processed": total}


def _worker_expired(env, args):
    """One worker, real commits: the token expires while invoices for new customers wait, the
    cron refreshes it (committed apart) and sends them; a payment comes back by polling, with
    the token expired again."""
    import requests

    conn = env["qxs.connection"].browse(args["connection_id"])
    tax = env["account.tax"].search([("qxs_tax_code", "=", "California")], limit=1)
    product = env["product.product"].search([("qxs_revenue_code", "=", "DES-001")], limit=1)
    partners = env["res.partner"].create([{"name": f"Late Customer {n}"} for n in range(3)])
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": "2026-11-03",
                "invoice_line_ids": [
                    (0, 0, {"product_id": product.id, "price_unit": 99.0, "tax_ids": tax.ids})
                ],
            }
            for partner in partners
        ]
    )
    moves.action_post()
    conn.token_expiry = "2000-01-01 00:00:00"
    env.cr.commit()
    _worker_sync(env, args)
    env.invalidate_all()
    records = moves.qxs_sync_record_ids
    synced = records.filtered(lambda r: r.state == "synced")
    if synced:
        requests.post(
            args["base_url"] + "/_admin/pay", json={"invoice_id": synced[0].remote_id}, timeout=10
        ).raise_for_status()
    conn.token_expiry = "2000-01-01 00:00:00"
    env.cr.commit()
    env["qxs.sync.record"]._cron_poll()
    env.cr.commit()
    env.invalidate_all()
    return {
        "states": {m.name: (r.state, r.last_error) for m, r in zip(moves, records)},
        "paid": [m.name for m in moves if m.payment_state in ("paid", "in_payment")],
        "polled": bool(conn.last_poll_date),
    }


def _worker_flow(env, args):
    """A steady flow of postings: ``count`` invoices of one new customer, posted and committed
    one at a time at ``rate`` a second (each posting triggers the send cron)."""
    tax = env["account.tax"].create(
        {"name": "Tax on sales (Xero)", "amount": 8.25, "type_tax_use": "sale"}
    )
    tax.qxs_tax_code = "OUTPUT"
    product = env["product.product"].create(
        {"name": "Flow item", "qxs_revenue_code": "200", "list_price": 20.0}
    )
    partner = env["res.partner"].create({"name": "Steady Flow Customer"})
    env.cr.commit()
    posted = {}
    start = time.monotonic()
    for n in range(args["count"]):
        time.sleep(max(0.0, start + n / args["rate"] - time.monotonic()))
        move = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": "2026-11-04",
                "invoice_line_ids": [
                    (0, 0, {"product_id": product.id, "price_unit": 20.0 + n, "tax_ids": tax.ids})
                ],
            }
        )
        move.action_post()
        env.cr.commit()
        posted[move.name] = time.monotonic()
    return {"posted": posted, "seconds": max(posted.values()) - min(posted.values())}


def _worker_cron(env, args):
    """The send cron as Odoo's cron worker runs it while postings trigger it: again as soon
    as a run ends (here: a short sleep when a run found nothing), until ``count`` documents of
    the connection are synced (at most ``seconds``)."""
    runs = []
    end = time.monotonic() + args["seconds"]
    while time.monotonic() < end:
        done = env["qxs.sync.record"]._cron_sync()
        env.cr.commit()
        if done:
            runs.append(done)
        synced = env["qxs.sync.record"].search_count(
            [
                ("connection_id", "=", args["connection_id"]),
                ("purpose", "=", "document"),
                ("state", "=", "synced"),
            ]
        )
        if synced >= args["count"]:
            break
        if not done:
            time.sleep(0.05)
    spacing = env["qxs.connection"].browse(args["connection_id"])._adapter_class().group_spacing(1)
    return {"runs": runs, "spacing": spacing}


WORKER_MODES = {
    "flow": _worker_flow,
    "cron": _worker_cron,
    "prepare": _worker_prepare,
    "prepare_xero": _worker_prepare_xero,
    "token": _worker_token,
    "sync": _worker_sync,
    "expired": _worker_expired,
}


def worker_main(mode, raw_args):
    """Entry point of a worker process: prints one JSON line (result or error) on stdout."""
    from odoo import SUPERUSER_ID, api

    args = json.loads(raw_args)
    registry = _worker_registry(args)
    if args.get("ready_file"):
        Path(args["ready_file"]).write_text("ready")
        sys.stdin.readline()  # "go"
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            result = WORKER_MODES[mode](env, args)
            cr.commit()
    except Exception as exc:  # reported to the test, which shows it
        import traceback

        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    print(json.dumps(result), flush=True)


# ====================================================================== pytest side
def _run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode:
        raise AssertionError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return res


class Workers:
    """Start worker processes, let them load Odoo, then release them together."""

    def __init__(self, site, tmp_path):
        self.site = site
        self.tmp_path = tmp_path
        self.procs = []

    def start(self, mode, n=1, **extra):
        for i in range(n):
            tag = f"{mode}-{len(self.procs)}-{i}"
            args = dict(self.site["worker_args"], **extra)
            args["ready_file"] = str(self.tmp_path / f"{tag}.ready")
            out = open(self.tmp_path / f"{tag}.out", "w+")  # closed in results()
            err = open(self.tmp_path / f"{tag}.err", "w+")
            proc = subprocess.Popen(
                [sys.executable, __file__, mode, json.dumps(args)],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                env=self.site["env"],
                cwd=REPO_ROOT,
            )
            self.procs.append((proc, Path(args["ready_file"]), out, err))
        return self

    def go(self):
        """Wait until every worker has loaded Odoo, then release them all at once."""
        deadline = time.monotonic() + WORKER_TIMEOUT
        for proc, ready, _out, err in self.procs:
            while not ready.exists():
                if proc.poll() is not None:
                    err.seek(0)
                    pytest.fail(f"a worker died while loading Odoo:\n{err.read()[-3000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("the workers did not load Odoo in time")
                time.sleep(0.02)
        for proc, *_rest in self.procs:
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        return self

    def results(self):
        out_list = []
        for proc, _ready, out, err in self.procs:
            try:
                proc.wait(timeout=WORKER_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.seek(0)
            err.seek(0)
            lines = out.read().strip().splitlines()
            log = err.read()
            out.close()
            err.close()
            if proc.returncode or not lines:
                pytest.fail(f"worker exited with {proc.returncode}:\n{log[-3000:]}")
            result = json.loads(lines[-1])
            assert "error" not in result, f"worker failed: {result['error']}\n{result['traceback']}"
            out_list.append(result)
        return out_list

    def kill(self):
        for proc, *_rest in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def emulator():
    sys.path.insert(0, str(REPO_ROOT))
    from tests.emulators.qbo import QboEmulator

    emu = QboEmulator().start()
    emu.seed()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def site(emulator, tmp_path_factory):
    """A throwaway database with both addons and a company connected to the emulator, whose
    token has expired and whose queue holds N_INVOICES posted invoices."""
    missing = [name for name in ENV_VARS if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: these tests need a database template and Odoo; run "
            "them with `bash setup/test.sh` (which exports them), not with pytest alone."
        )
    import psycopg2

    template = os.environ["QXS_TEMPLATE_DB"]
    data_dir = os.environ["QXS_DATA_DIR"]
    addons_path = os.environ["QXS_ADDONS_PATH"]
    db = f"qxs_concurrency_{os.getpid()}"
    filestore = Path(data_dir) / "filestore"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    _run(["dropdb", "--if-exists", db])
    _run(["createdb", "-T", template, db])
    try:
        if (filestore / template).is_dir():
            _run(["cp", "-a", str(filestore / template), str(filestore / db)])
        _run(
            [
                sys.executable,
                os.environ["QXS_ODOO_BIN"],
                "-d",
                db,
                "--data-dir",
                data_dir,
                "--addons-path",
                addons_path,
                "-i",
                "qbo_xero_sync,qbo_xero_sync_cogs",
                "--without-demo=all",
                "--stop-after-init",
                "--no-http",
                "--log-level=warn",
            ],
            env=env,
            timeout=300,
        )
        tokens = emulator.issue_tokens()
        worker_args = {
            "db": db,
            "addons_path": addons_path,
            "data_dir": data_dir,
            "base_url": emulator.base_url,
            "client_id": emulator.config["client_id"],
            "client_secret": emulator.config["client_secret"],
            "realm_id": tokens["realm_id"],
        }
        res = _run(
            [
                sys.executable,
                __file__,
                "prepare",
                json.dumps(dict(worker_args, **tokens)),
            ],
            env=env,
            cwd=REPO_ROOT,
            timeout=WORKER_TIMEOUT,
        )
        prepared = json.loads(res.stdout.strip().splitlines()[-1])
        assert "error" not in prepared, prepared.get("traceback")
        worker_args["connection_id"] = prepared["connection_id"]
        conn = psycopg2.connect(dbname=db)
        conn.autocommit = True
        yield {
            "db": db,
            "env": env,
            "worker_args": worker_args,
            "moves": {int(k): v for k, v in prepared["moves"].items()},
            "connection_id": prepared["connection_id"],
            "sql": conn,
            "initial_tokens": tokens,
        }
        conn.close()
    finally:
        if not os.environ.get("QXS_KEEP_DB"):
            subprocess.run(["dropdb", "--if-exists", "--force", db], capture_output=True)
            subprocess.run(["rm", "-rf", str(filestore / db)], capture_output=True)


def _query(site, sql, params=()):
    with site["sql"].cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


@pytest.fixture
def workers(site, tmp_path):
    pool = Workers(site, tmp_path)
    yield pool
    pool.kill()


def test_concurrent_refresh_calls_the_token_endpoint_once(site, emulator, workers):
    import requests

    token_path = r"^/oauth2/v1/tokens/bearer$"
    old_refresh = site["initial_tokens"]["refresh_token"]
    _query(
        site,
        "UPDATE qxs_connection SET token_expiry = now() - interval '1 hour', "
        "refresh_token = %s WHERE id = %s RETURNING id",
        [old_refresh, site["connection_id"]],
    )
    before = emulator.count(token_path, "POST")
    # The refresh stays in flight long enough for the second worker to reach the row lock.
    emulator.add_fault("delay", path=token_path, delay=1.5, count=2)
    first, second = workers.start("token", n=2).go().results()

    assert emulator.count(token_path, "POST") - before == 1, "exactly one refresh call"
    assert first["token"] == second["token"], "both workers use the same access token"
    [(access, refresh, state)] = _query(
        site,
        "SELECT access_token, refresh_token, state FROM qxs_connection WHERE id = %s",
        [site["connection_id"]],
    )
    assert (access, state) == (first["token"], "connected")
    assert access != site["initial_tokens"]["access_token"]
    realm = site["worker_args"]["realm_id"]
    api = f"{emulator.base_url}/v3/company/{realm}/companyinfo/{realm}"
    answer = requests.get(
        api, headers={"Authorization": f"Bearer {access}", "Accept": "application/json"}, timeout=10
    )
    assert answer.status_code == 200, "the shared access token is valid"
    assert refresh != old_refresh
    assert emulator.refresh[refresh]["superseded"] is False, "the stored refresh token is newest"
    refused = requests.post(
        emulator.urls()["token"],
        data={"grant_type": "refresh_token", "refresh_token": old_refresh},
        auth=(emulator.config["client_id"], emulator.config["client_secret"]),
        timeout=10,
    )
    assert refused.status_code == 400, "the superseded refresh token is refused"


def test_two_cron_workers_send_every_invoice_exactly_once(site, emulator, workers):
    tokens = emulator.issue_tokens()
    _query(
        site,
        "UPDATE qxs_connection SET access_token = %s, refresh_token = %s, "
        "token_expiry = now() + interval '1 hour', state = 'connected' WHERE id = %s "
        "RETURNING id",
        [tokens["access_token"], tokens["refresh_token"], site["connection_id"]],
    )
    pending = _query(
        site,
        "SELECT count(*) FROM qxs_sync_record WHERE purpose = 'document' AND state = 'pending'",
    )
    assert pending == [(N_INVOICES,)]
    # Each batch stays in flight a moment, so that both workers hold groups at the same time.
    emulator.add_fault("delay", path=r"/batch$", delay=0.3, count=10)
    results = workers.start("sync", n=2).go().results()

    rows = _query(
        site,
        "SELECT move_id, state, remote_id, last_error FROM qxs_sync_record "
        "WHERE purpose = 'document'",
    )
    assert [r for r in rows if r[1] != "synced"] == [], "every record synced"
    assert sum(r["processed"] for r in results) == N_INVOICES, f"each taken once: {results}"
    invoices = emulator.objects("Invoice")
    numbers = sorted(i["DocNumber"] for i in invoices)
    assert numbers == sorted(site["moves"].values()), "every invoice once, no duplicate"
    assert sorted(r[2] for r in rows) == sorted(i["Id"] for i in invoices)
    names = [c["DisplayName"] for c in emulator.objects("Customer")]
    assert len(names) == len(set(names))
    assert sum(n.startswith("Concurrent Customer") for n in names) == N_CUSTOMERS


def test_refresh_committed_apart_does_not_break_the_running_transaction(site, emulator, workers):
    """A refreshed token is stored by its own transaction: the cron's transaction must still be
    able to bind new customers and to update the connection afterwards."""
    before = emulator.count(r"^/oauth2/v1/tokens/bearer$", "POST")
    [result] = workers.start("expired").go().results()
    assert {state for state, _error in result["states"].values()} == {"synced"}, result
    assert len(result["paid"]) == 1 and result["polled"], result
    # Expired in Odoo before the sync and again before the poll: one refresh each, each
    # committed apart while the cron's transaction goes on (its new customers bound after it).
    assert emulator.count(r"^/oauth2/v1/tokens/bearer$", "POST") - before == 2


# ====================================================================== Xero
@pytest.fixture(scope="module")
def xero_emulator():
    sys.path.insert(0, str(REPO_ROOT))
    from tests.emulators.xero import XeroEmulator

    emu = XeroEmulator().start()
    emu.seed()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def xero_site(site, xero_emulator):
    """The same database, plus a Xero connection of the company (no invoice goes to it: the
    company's QuickBooks connection comes first)."""
    tokens = xero_emulator.issue_tokens()
    args = dict(
        site["worker_args"],
        base_url=xero_emulator.base_url,
        client_id=xero_emulator.config["client_id"],
        client_secret=xero_emulator.config["client_secret"],
        **tokens,
    )
    res = _run(
        [sys.executable, __file__, "prepare_xero", json.dumps(args)],
        env=site["env"],
        cwd=REPO_ROOT,
        timeout=WORKER_TIMEOUT,
    )
    prepared = json.loads(res.stdout.strip().splitlines()[-1])
    assert "error" not in prepared, prepared.get("traceback")
    yield {"connection_id": prepared["connection_id"], "initial_tokens": tokens}
    # Out of the way of anything that runs later on this database (polling, sending).
    _query(
        site,
        "UPDATE qxs_connection SET state = 'disconnected' WHERE id = %s RETURNING id",
        [prepared["connection_id"]],
    )


def test_concurrent_xero_refresh_spends_the_single_use_token_once(
    site, xero_emulator, xero_site, workers
):
    """Xero's refresh tokens are single-use: a second refresh with the spent one would be
    answered from the grace period at best, and refused after it (the connection lost)."""
    import requests

    emulator = xero_emulator
    token_path = r"^/connect/token$"
    conn_id = xero_site["connection_id"]
    old_refresh = xero_site["initial_tokens"]["refresh_token"]
    _query(
        site,
        "UPDATE qxs_connection SET token_expiry = now() - interval '1 hour', "
        "refresh_token = %s WHERE id = %s RETURNING id",
        [old_refresh, conn_id],
    )
    before = emulator.count(token_path, "POST")
    # The refresh stays in flight long enough for the second worker to reach the row lock.
    emulator.add_fault("delay", path=token_path, delay=1.5, count=2)
    first, second = workers.start("token", n=2, connection_id=conn_id).go().results()

    assert emulator.count(token_path, "POST") - before == 1, "exactly one refresh call"
    assert first["token"] == second["token"], "both workers use the same access token"
    [(access, refresh, state)] = _query(
        site,
        "SELECT access_token, refresh_token, state FROM qxs_connection WHERE id = %s",
        [conn_id],
    )
    assert (access, state) == (first["token"], "connected")
    assert access != xero_site["initial_tokens"]["access_token"]
    answer = requests.get(
        f"{emulator.base_url}/api.xro/2.0/Invoices",
        headers={
            "Authorization": f"Bearer {access}",
            "xero-tenant-id": xero_site["initial_tokens"]["tenant_id"],
            "Accept": "application/json",
        },
        timeout=10,
    )
    assert answer.status_code == 200, "the shared access token is valid"
    assert refresh != old_refresh
    spent = emulator.refresh_tokens[old_refresh]
    assert spent["successor"]["refresh_token"] == refresh, "stored: the one refresh's answer"
    assert emulator.refresh_tokens[refresh]["successor"] is None, "the stored one is unspent"


def test_steady_flow_goes_in_groups(site, xero_emulator, xero_site, workers):
    """Invoices posted one at a time, 10 a second, while the cron runs (as Odoo's cron worker
    runs it, woken by each posting): they go in groups, about one call per spacing of the
    adapter (Xero: 60 calls a minute, 90 % of them), not one call per document until the
    minute's limit binds. Every invoice reaches Xero exactly once."""
    conn_id = xero_site["connection_id"]
    count, rate = 30, 10
    tokens = xero_emulator.issue_tokens()
    _query(
        site,
        "UPDATE qxs_connection SET access_token = %s, refresh_token = %s, "
        "token_expiry = now() + interval '1 hour', state = 'connected' WHERE id = %s "
        "RETURNING id",
        [tokens["access_token"], tokens["refresh_token"], conn_id],
    )
    # The company's QuickBooks connection comes first: out of the way for this test.
    _query(
        site,
        "UPDATE qxs_connection SET state = 'disconnected' WHERE id = %s RETURNING id",
        [site["connection_id"]],
    )
    before = xero_emulator.count(r"/Invoices$")
    try:
        flow, cron = (
            workers.start("flow", count=count, rate=rate)
            .start("cron", count=count, seconds=60, connection_id=conn_id)
            .go()
            .results()
        )
    finally:
        _query(
            site,
            "UPDATE qxs_connection SET state = 'connected' WHERE id = %s RETURNING id",
            [site["connection_id"]],
        )
    rows = _query(
        site,
        "SELECT state, remote_id FROM qxs_sync_record "
        "WHERE purpose = 'document' AND connection_id = %s",
        [conn_id],
    )
    assert len(rows) == count and {state for state, _id in rows} == {"synced"}, rows
    numbers = sorted(i["InvoiceNumber"] for i in xero_emulator.objects("Invoices"))
    assert numbers == sorted(flow["posted"]), "every invoice once, no duplicate"
    calls = xero_emulator.count(r"/Invoices$") - before
    spacing = cron["spacing"]  # Xero's: 60 calls a minute, 90 % of them
    assert 1.0 < spacing < 1.2
    # One group per spacing while the postings last, plus the first and the last group (one
    # call per posting would be about 3 times as many at 10 postings a second).
    assert calls <= flow["seconds"] / spacing + 2, (calls, flow["seconds"], cron)
    assert calls < count, f"{calls} calls for {count} invoices: not grouped ({cron})"


if __name__ == "__main__":
    worker_main(sys.argv[1], sys.argv[2])
