"""Scale-out: one or two Odoo servers on one PostgreSQL database drain one queue (issue 16,
goal 7).

A seed database is prepared once (Odoo as a library): one company per connection (``--qbo``
QuickBooks and ``--xero`` Xero connections), each with ``--documents`` posted one-line invoices
made while it had no connection. Each run works on a fresh copy of it (``createdb -T``):

* its companies are connected to emulators started in this process (one per connection, its
  own realm or tenant), the backlogs queued in bulk (one pending record per invoice, as posting
  does) and the send cron triggered in one commit, while the servers are already up;
* ``odoo-bin --workers W --max-cron-threads 1`` servers (one or two, distinct ports, same
  database) drain the queue; this process watches the queue every 0.5 s until nothing is
  pending, then counts the remote documents per number in every emulator (duplicates), the
  429 answers, and the send cron runs of each server (from its log: when both ran at once).

Runs (``--runs``, default ``A,B,C,P``): **A** one server, the emulators' limits scaled up
(``--scale-up``: the engine, not the provider, is the bound); **B** two servers, same limits;
**C** two servers, limits scaled down (``--qbo-batches-per-minute``, ``--xero-calls-per-minute``:
the provider binds; the servers' pacers are told the same); **P** (a what-if) as B with
the send cron copied so that each server's cron worker can run one (Odoo runs one ``ir.cron``
in one worker at a time), each triggered by this process while records are due and it has
no trigger waiting (as an engine with several send crons would trigger them all).

A markdown table on stdout, the JSON after it (``--json FILE`` too); progress on stderr.
``bash setup/bench.sh --scale-out [options]`` runs it on a throwaway database.
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchmark as bm  # bench/benchmark.py: Odoo set-up, providers' mapping
import server_load as sl  # bench/server_load.py: free ports, waiting for a server's health

log = bm.log

RUNS = {
    "A": {"servers": 1, "limits": "up", "title": "A: 1 server, engine bound"},
    "B": {"servers": 2, "limits": "up", "title": "B: 2 servers, engine bound"},
    "C": {"servers": 2, "limits": "down", "title": "C: 2 servers, provider bound"},
    "P": {"servers": 2, "limits": "up", "crons": 2, "title": "P: 2 servers, 2 send crons"},
}
SEND_CRON = "qbo_xero_sync.ir_cron_qxs_sync"
JOB_LINE = re.compile(
    r"^(\S+ \S+),\d+ (\d+) INFO \S+ odoo\.addons\.base\.models\.ir_cron: "
    r"Job '(QuickBooks / Xero: send pending documents[^']*)' \(\d+\) (starting|done)"
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-d", "--database", required=True, help="the seed database (addons installed)")
    p.add_argument("--addons-path", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--odoo-bin", required=True)
    p.add_argument("--qbo", type=int, default=2, help="QuickBooks connections (2)")
    p.add_argument("--xero", type=int, default=2, help="Xero connections (2)")
    p.add_argument("--documents", type=int, default=300, help="invoices per connection (300)")
    p.add_argument("--customers", type=int, default=40)
    p.add_argument("--runs", default="A,B,C,P", help="any of A, B, C, P (A,B,C,P)")
    p.add_argument("--workers", type=int, default=2, help="HTTP workers per server (2)")
    p.add_argument("--scale-up", type=int, default=100, help="limits x this in A, B, P (100)")
    p.add_argument("--qbo-batches-per-minute", type=int, default=10, help="run C (10; real: 40)")
    p.add_argument("--xero-calls-per-minute", type=int, default=8, help="run C (8; real: 60)")
    p.add_argument("--timeout", type=int, default=600, help="seconds a run may drain (600)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json")
    return p.parse_args(argv)


# ====================================================================== the seed database
def build_seed(env, args, plan):
    """One company per connection (the main one first), its tax and mapping for its provider,
    and its backlog of posted one-line invoices; returns [(company id, provider)]."""
    import random

    from odoo import fields

    rng = random.Random(args.seed)
    started = time.perf_counter()
    companies = [env.company]
    for n in range(1, len(plan)):
        company = env["res.company"].create({"name": f"Scale-out Co {n + 1}"})
        env["account.chart.template"].try_loading(
            env.company.chart_template or "generic_coa", company, install_demo=False
        )
        companies.append(company)
        env.cr.commit()  # pylint: disable=invalid-commit
        log(f"company {n + 1} of {len(plan)} made ({time.perf_counter() - started:.0f} s)")
    products = env["product.product"].create(
        [
            {"name": name, "list_price": 10.0 * (n + 1), "type": "service"}
            for n, name in enumerate(bm.PRODUCT_NAMES)
        ]
    )
    customers = env["res.partner"].create(
        [
            {"name": f"Scale Customer {n:03d}", "email": f"scale{n}@bench.example"}
            for n in range(1, args.customers + 1)
        ]
    )
    # Every other cron is made to have run just now (a fresh database has them all overdue, and
    # each server would run them first): the servers' cron workers only send.
    send = env.ref(SEND_CRON)
    env["ir.cron"].search([("id", "!=", send.id)]).nextcall = fields.Datetime.add(
        fields.Datetime.now(), days=1
    )
    out = []
    for company, provider in zip(companies, plan):
        spec = bm.PROVIDERS[provider]
        company.tax_calculation_rounding_method = spec["rounding"]
        tax = env["account.tax"].create(
            {
                "name": f"Sales tax {bm.TAX_RATE}%",
                "amount": bm.TAX_RATE,
                "type_tax_use": "sale",
                "company_id": company.id,
                "qxs_tax_code": spec["tax_code"],
            }
        )
        for product, code in zip(products, spec["revenue_codes"]):
            product.with_company(company).qxs_revenue_code = code
        for start in range(0, args.documents, 500):
            vals = []
            for _n in range(min(500, args.documents - start)):
                line = {"product_id": rng.choice(products).id, "quantity": rng.randint(1, 10)}
                line |= {"price_unit": round(rng.uniform(10, 500), 2), "tax_ids": tax.ids}
                move = {"move_type": "out_invoice", "partner_id": rng.choice(customers).id}
                vals.append(move | {"invoice_line_ids": [(0, 0, line)]})
            env["account.move"].with_company(company).create(vals).action_post()
            env.cr.commit()  # pylint: disable=invalid-commit
            env.invalidate_all()
        log(f"{company.name} ({provider}): {args.documents} invoices posted")
        out.append((company.id, provider))
    return out, time.perf_counter() - started


# ====================================================================== emulators
class Counted:
    """An emulator of this process whose answers are noted (time, path, status)."""

    def __init__(self, provider, index, limits, args):
        from tests.emulators import get_emulator_class

        self.provider = provider
        up = args.scale_up
        if provider == "qbo":
            config = {"realm_id": f"93414530000{index + 1:05d}"}
            if limits == "up":
                config |= {
                    "rate_limit_per_minute": 500 * up,
                    "batch_rate_limit_per_minute": 40 * up,
                }
            else:
                config["batch_rate_limit_per_minute"] = args.qbo_batches_per_minute
        else:
            config = {
                "tenants": [
                    {
                        "tenantId": f"5c0e5f2a-0000-4000-8000-{index + 1:012d}",
                        "tenantName": f"Scale-out org {index + 1}",
                    }
                ]
            }
            if limits == "up":
                config |= {
                    "rate_limit_per_minute": 60 * up,
                    "rate_limit_per_day": 5000 * up,
                    "app_rate_limit_per_minute": 10000 * up,
                }
            else:
                config["rate_limit_per_minute"] = args.xero_calls_per_minute
        self.emulator = get_emulator_class(provider)(**config).start()
        self.emulator.seed()
        self.answers = []
        dispatch = self.emulator.dispatch

        def noted(req):
            resp = dispatch(req)
            if not req.path.startswith("/_admin"):
                self.answers.append((time.monotonic(), req.path, resp.status))
            return resp

        self.emulator.dispatch = noted

    def limited(self, path):
        """Whether a call counts against the limit that run C scales down."""
        if self.provider == "qbo":
            return path.rstrip("/").endswith("/batch")
        return path.startswith("/api.xro/2.0/")

    def figures(self, per_minute):
        kind = "Invoice" if self.provider == "qbo" else "Invoices"
        numbers = [
            d.get("DocNumber") or d.get("InvoiceNumber") for d in self.emulator.objects(kind)
        ]
        accepted = sorted(t for t, path, st in self.answers if st != 429 and self.limited(path))
        peak, low = 0, 0
        for high, at in enumerate(accepted):  # most accepted limited calls in 60 s
            while accepted[low] <= at - 60:
                low += 1
            peak = max(peak, high - low + 1)
        return {
            "provider": self.provider,
            "remote_documents": len(numbers),
            "duplicates": len(numbers) - len(set(numbers)),
            "api_calls": len(self.answers),
            "answered_429": sum(st == 429 for _t, _p, st in self.answers),
            "limited_calls": len(accepted),
            "limited_calls_max_in_60s": peak,
            "limit_per_minute": per_minute,
        }


# ====================================================================== servers
class Server:
    """An ``odoo-bin`` server on ``database`` (this process's child) through this script's
    ``--serve`` (the addon's pacers told run C's limits); its log at WARNING, and at INFO for
    the cron's job lines (when each server ran the send cron)."""

    def __init__(self, args, database, logpath, pacing):
        self.port = sl.free_port()
        self.logpath = logpath
        self.logfile = open(logpath, "w", encoding="utf-8")
        env = dict(os.environ, TZ="UTC")
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(bm.REPO_ROOT), env.get("PYTHONPATH")])
        )
        # fmt: off
        odoo_args = [
            "-d", database, "--db-filter", f"^{database}$", "--addons-path", args.addons_path,
            "--data-dir", args.data_dir, "--workers", str(args.workers),
            "--max-cron-threads", "1", "--http-port", str(self.port),
            "--gevent-port", str(sl.free_port()), "--log-level", "warn",
            "--log-handler", "odoo.addons.base.models.ir_cron:INFO",
        ]
        # fmt: on
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", *map(str, pacing)]
            + [args.odoo_bin]
            + odoo_args,
            env=env,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, seconds=180):
        deadline = time.monotonic() + seconds
        url = f"http://127.0.0.1:{self.port}/web/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the Odoo server stopped at start (log: {self.logpath})")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"the Odoo server did not start in {seconds} s (log: {self.logpath})")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logfile.close()


def launch(argv):
    """``scale_out.py --serve QBO_BATCHES XERO_CALLS ODOO_BIN odoo-options``: Odoo's server
    command with the addon's pacers set to the given minute limits (0: the defaults) before
    the registry is loaded, as bench/limits.py sets them in its own process."""
    os.environ["TZ"] = "UTC"
    time.tzset()
    qbo, xero = int(argv[0]), int(argv[1])
    # Odoo starts its gevent process as sys.argv[0] with the same options: odoo-bin's.
    sys.argv = [argv[2], *argv[3:]]
    import odoo
    from odoo.cli.server import main as server_main

    real_start = odoo.service.server.start

    def start(*args, **kwargs):
        from odoo.addons.qbo_xero_sync.adapters.qbo.pacing import PACER
        from odoo.addons.qbo_xero_sync.adapters.xero.pacing import MINUTE

        if qbo:
            PACER.batches_per_minute = qbo
        if xero:
            MINUTE.limit = xero
        return real_start(*args, **kwargs)

    odoo.service.server.start = start
    # No longpolling (gevent) process: the bench has no browser, and when gevent cannot start
    # (a venv whose setuptools has no pkg_resources) the master respawns it several times a
    # second, each an Odoo import that takes the CPU the cron workers are measured on.
    odoo.service.server.PreforkServer.long_polling_spawn = lambda self: None
    server_main(argv[3:])


def cron_spans(logpath):
    """[(start, end)] of the send cron jobs in a server's log (epoch seconds)."""
    open_at, spans = {}, []
    with open(logpath, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            m = JOB_LINE.match(line)
            if not m:
                continue
            at = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
            at = at.timestamp()  # the servers log in UTC (TZ=UTC, as odoo-bin sets it)
            key = (m[2], m[3])
            if m[4] == "starting":
                open_at[key] = at
            elif key in open_at:
                spans.append((open_at.pop(key), at))
    spans += [(at, time.time()) for at in open_at.values()]
    return spans


def overlap(spans_a, spans_b):
    """Seconds during which both lists of spans are running (whole seconds of the logs)."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in spans_a for s2, e2 in spans_b)


# ====================================================================== one run
def run(args, registry_cls, seed_db, seed, key, spec):
    from odoo import SUPERUSER_ID, api, fields, sql_db

    from tests.emulators.odoo_connect import connect_company

    db = f"{seed_db}_{key.lower()}"
    subprocess.run(["dropdb", "--if-exists", db], check=False, capture_output=True)
    subprocess.run(["createdb", "-T", seed_db, db], check=True)
    limits = {
        "qbo": args.qbo_batches_per_minute if spec["limits"] == "down" else 40 * args.scale_up,
        "xero": args.xero_calls_per_minute if spec["limits"] == "down" else 60 * args.scale_up,
    }
    emulators, servers, out = [], [], {"title": spec["title"], "servers": spec["servers"]}
    try:
        registry = registry_cls(db)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            conns = []
            for index, (company_id, provider) in enumerate(seed):
                emulators.append(Counted(provider, index, spec["limits"], args))
                company = env["res.company"].browse(company_id)
                conns.append(
                    connect_company(
                        env,
                        company,
                        emulators[-1].emulator,
                        provider=provider,
                        name=f"Scale-out {provider} {index + 1}",
                        default_revenue_code=bm.PROVIDERS[provider]["default_revenue_code"],
                    ).id
                )
            crons = env.ref(SEND_CRON)
            for n in range(1, spec.get("crons", 1)):
                crons |= crons[0].copy({"name": f"{crons[0].name} (bench copy {n})"})
            cr.commit()  # pylint: disable=invalid-commit
        pacing = [limits["qbo"], limits["xero"]] if spec["limits"] == "down" else [0, 0]
        log(f"{key}: starting {spec['servers']} server(s)")
        for n in range(spec["servers"]):
            logpath = Path(args.data_dir) / f"scale_out_{db}_{n + 1}.log"
            servers.append(Server(args, db, logpath, pacing))
        for server in servers:
            server.wait_ready()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            vals = []
            for conn_id, (company_id, _provider) in zip(conns, seed):
                cr.execute(
                    "SELECT id FROM account_move WHERE company_id = %s AND move_type = "
                    "'out_invoice' AND state = 'posted' ORDER BY id",
                    [company_id],
                )
                vals += [
                    {
                        "connection_id": conn_id,
                        "purpose": "document",
                        "res_model": "account.move",
                        "res_id": move_id,
                        "move_id": move_id,
                        "state": "pending",
                        "action": "push",
                    }
                    for (move_id,) in cr.fetchall()
                ]
            env["qxs.sync.record"].sudo().create(vals)
            crons = env["ir.cron"].browse(crons.ids)
            for cron in crons:
                cron._trigger()
            cr.commit()  # pylint: disable=invalid-commit: the servers' crons are woken here
            started, epoch = time.perf_counter(), time.time()
            log(f"{key}: {len(vals)} documents queued for {len(conns)} connections")
            counts, shown = {}, 0.0
            while time.perf_counter() - started < args.timeout:
                time.sleep(0.5)
                cr.rollback()  # a fresh snapshot
                cr.execute(
                    "SELECT state, count(*), count(*) FILTER (WHERE state = 'pending' AND "
                    "(next_attempt IS NULL OR next_attempt <= %s)) FROM qxs_sync_record "
                    "WHERE connection_id = ANY(%s) GROUP BY state",
                    [fields.Datetime.now(), conns],
                )
                rows = cr.fetchall()
                counts = {state: n for state, n, _due in rows}
                if not counts.get("pending"):
                    break
                due = sum(d for _s, _n, d in rows)
                if len(crons) > 1 and due:  # what-if: each send cron triggered while work is due
                    cr.execute(
                        "SELECT cron_id FROM ir_cron_trigger WHERE cron_id = ANY(%s)", [crons.ids]
                    )
                    waiting = {row[0] for row in cr.fetchall()}
                    for cron in crons.filtered(lambda c, w=waiting: c.id not in w):
                        cron._trigger()
                    cr.commit()  # pylint: disable=invalid-commit
                if time.perf_counter() - shown >= 10:
                    shown = time.perf_counter()
                    log(f"{key}: {counts} ({due} due) at {shown - started:.0f} s")
            wall = time.perf_counter() - started
    finally:
        for server in servers:
            server.stop()
        for counted in emulators:
            counted.emulator.stop()
        registry_cls.delete(db)
        sql_db.close_db(db)
        subprocess.run(["dropdb", "--if-exists", db], check=False, capture_output=True)
    spans = [[s for s in cron_spans(server.logpath) if s[1] >= epoch - 1] for server in servers]
    per_conn = [c.figures(limits[c.provider]) for c in emulators]
    synced = counts.get("synced", 0)
    out |= {
        "documents": len(vals),
        "synced": synced,
        "errors": counts.get("error", 0),
        "pending_left": counts.get("pending", 0),
        "wall_s": round(wall, 1),
        "docs_per_s": round(synced / wall, 2) if wall else None,
        "remote_documents": sum(f["remote_documents"] for f in per_conn),
        "duplicates": sum(f["duplicates"] for f in per_conn),
        "api_calls": sum(f["api_calls"] for f in per_conn),
        "answered_429": sum(f["answered_429"] for f in per_conn),
        "limits_per_minute": limits,
        "cron_runs_per_server": [len(s) for s in spans],
        "sending_s_per_server": [round(sum(e - b for b, e in s)) for s in spans],
        "both_sending_s": round(overlap(*spans)) if len(spans) == 2 else None,
        "connections": per_conn,
        "server_logs": [str(s.logpath) for s in servers],
    }
    if spec["limits"] == "down":
        # Each connection's floor of limited calls (bench/limits.py), the slowest one binds.
        floors = []
        for f in per_conn:
            per_call = 30 if f["provider"] == "qbo" else 50
            extra = 0 if f["provider"] == "qbo" else 2  # Xero: accounts and tax rates
            floor = math.ceil(args.documents / per_call) + math.ceil(args.customers / per_call)
            floors.append(60 * (floor + extra) / f["limit_per_minute"])
        out["limit_bound_minimum_s"] = round(max(floors), 1)
        out["ratio_to_minimum"] = round(wall / max(floors), 2)
        # The same for the limited calls the engine made (its query batches, QuickBooks).
        made = max(60 * f["limited_calls"] / f["limit_per_minute"] for f in per_conn)
        out["minimum_for_calls_made_s"] = round(made, 1)
        out["ratio_to_minimum_made"] = round(wall / made, 2)
        out["over_limit"] = sum(
            f["limited_calls_max_in_60s"] > f["limit_per_minute"] for f in per_conn
        )
    return out


# ====================================================================== report
ROWS = (
    ("Servers (send cron copies)", "{servers} ({crons})"),
    ("Limits a minute: QuickBooks batches / Xero calls", "{qbo_limit} / {xero_limit}"),
    (
        "Synced / documents (errors; left pending)",
        "{synced} / {documents} ({errors}; {pending_left})",
    ),
    ("Wall time, s", "{wall_s}"),
    ("**Documents per second**", "**{docs_per_s}**"),
    ("Ratio to run A", "{vs_A}"),
    ("Remote documents / **duplicates**", "{remote_documents} / **{duplicates}**"),
    ("API calls (429 answers)", "{api_calls} ({answered_429})"),
    ("Send cron runs per server", "{cron_runs}"),
    ("Seconds sending per server (both at once)", "{sending} ({both_sending_s})"),
    ("Limit-bound minimum, s (ratio)", "{limit_bound_minimum_s} ({ratio_to_minimum})"),
    (
        "Minimum for the limited calls made, s (ratio)",
        "{minimum_for_calls_made_s} ({ratio_to_minimum_made})",
    ),
    ("Most limited calls accepted in 60 s, per connection", "{max_in_60s}"),
)


def markdown(results):
    runs = results["runs"]
    out = ["| Scale-out (goal 7) | " + " | ".join(r["title"] for r in runs.values()) + " |"]
    out.append("|---|" + "---:|" * len(runs))
    views = [
        r
        | {
            "qbo_limit": r["limits_per_minute"]["qbo"],
            "xero_limit": r["limits_per_minute"]["xero"],
            "cron_runs": " + ".join(map(str, r["cron_runs_per_server"])),
            "sending": " + ".join(map(str, r["sending_s_per_server"])),
            "max_in_60s": ", ".join(str(c["limited_calls_max_in_60s"]) for c in r["connections"]),
        }
        for r in runs.values()
    ]
    for title, fmt in ROWS:
        cells = []
        for view in views:
            try:
                cells.append(fmt.format_map(view))
            except KeyError:
                cells.append("-")
        out.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        return launch(argv[1:])
    args = parse_args(argv)
    keys = [k.strip().upper() for k in args.runs.split(",") if k.strip()]
    unknown = [k for k in keys if k not in RUNS]
    if unknown:
        raise SystemExit(f"unknown runs {unknown}: A, B, C or P")
    plan = ["qbo"] * args.qbo + ["xero"] * args.xero
    if not plan:
        raise SystemExit("--qbo and --xero are both 0: no connection to drain")
    sys.path.insert(0, str(bm.REPO_ROOT))
    registry = bm.load_odoo(args)
    from odoo import SUPERUSER_ID, api, release, sql_db
    from odoo.modules.registry import Registry

    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        log(f"seed: {len(plan)} companies, {args.documents} posted invoices each")
        seed, build_s = build_seed(env, args, plan)
        cr.commit()  # pylint: disable=invalid-commit
    Registry.delete(args.database)
    sql_db.close_db(args.database)  # createdb -T needs the seed database without sessions
    results = {
        "meta": {
            "odoo": release.version,
            "python": sys.version.split()[0],
            "connections": plan,
            "documents_per_connection": args.documents,
            "customers": args.customers,
            "http_workers_per_server": args.workers,
            "seed_build_s": round(build_s, 1),
            "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg(),
        },
        "runs": {},
    }
    for key in keys:
        res = results["runs"][key] = run(args, Registry, args.database, seed, key, RUNS[key])
        res["crons"] = RUNS[key].get("crons", 1)
        if "A" in results["runs"] and results["runs"]["A"]["docs_per_s"]:
            res["vs_A"] = round(res["docs_per_s"] / results["runs"]["A"]["docs_per_s"], 2)
        log(
            f"{key}: {res['synced']} synced in {res['wall_s']} s ({res['docs_per_s']} a second), "
            f"{res['duplicates']} duplicates, {res['answered_429']} answered 429"
        )
    results["meta"]["total_s"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_average_after"] = os.getloadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, sort_keys=True))
    print(markdown(results))
    print()
    print(json.dumps(results, indent=2, sort_keys=True))
    bad = [k for k, r in results["runs"].items() if r["duplicates"] or r["pending_left"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
