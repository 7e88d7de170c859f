"""Throughput at the providers' limits (issue 16, goals 3, 4, 6 and 8).

Odoo 18 used as a library (real commits) against the project's emulators, started in this
process with the real limits (or a faster clock, ``--clock-speed``), spoken to over HTTP by the
real SDKs, as ``bench/benchmark.py`` does (its set-up helpers are reused):

* **backlog** (goals 3 and 4): N invoices are created and posted in bulk while the company is
  connected (each posting enqueues its document), then the send cron is called until nothing is
  pending, sleeping until the next record is due when every pending record waits (a rate
  limit). Drain time, API calls, the limit-bound minimum, the ratio; RSS after each cron run
  (peak while draining, and when 1,000 and N documents were synced). A 1,000-document backlog is
  drained first (the peak RSS of a small drain), then the N-document one.
* **fairness** (goal 6): the main company's M documents drained alone, then again while a second
  company's connection (its own emulator) has a backlog and is rate limited, then failing (503).
* **posting** (goal 8): invoices posted one by one, interleaved with a company without
  connection, three runs per provider; the median of the three ratios.

Markdown tables on stdout, the JSON after them (``--json FILE`` writes it too); progress on
stderr. ``bash setup/bench.sh --limits [options]`` runs it on a throwaway database.
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchmark as bm  # bench/benchmark.py: Odoo set-up and invoice helpers)

log = bm.log

# The providers' limits (the emulators' defaults) and documents per call at the floor.
LIMITS = {
    "qbo": {"per_minute": 40, "docs_per_call": 30, "what": "batch requests"},
    "xero": {"per_minute": 60, "docs_per_call": 50, "what": "calls"},
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-d", "--database", required=True)
    p.add_argument("--addons-path", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--providers", default="qbo,xero")
    p.add_argument("--documents", type=int, default=10000, help="backlog size (10,000)")
    p.add_argument("--small", type=int, default=1000, help="small backlog drained first")
    p.add_argument("--customers", type=int, default=40)
    p.add_argument("--baseline", type=int, default=60, help="invoices posted per posting run")
    p.add_argument("--posting-runs", type=int, default=3)
    p.add_argument("--fairness", type=int, default=300, help="documents of the fairness runs")
    p.add_argument("--phases", default="posting,fairness,backlog")
    p.add_argument("--clock-speed", type=float, default=1.0, help="emulated s per real s")
    p.add_argument(
        "--qbo-batches-per-minute",
        type=int,
        default=40,
        help="QuickBooks' batch limit in the backlog runs (40; lower: a smaller backlog is "
        "limit-bound; the addon's pacer is told the same)",
    )
    p.add_argument("--xero-calls-per-minute", type=int, default=60, help="Xero's minute limit (60)")
    p.add_argument("--chunk", type=int, default=500, help="invoices created per ORM call")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--timeout", type=int, default=3600, help="seconds a drain may take")
    p.add_argument("--json")
    return p.parse_args(argv)


def rss_mb():
    """(current, peak) resident set size of this process, MB (/proc/self/status)."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kb = line.split()[:2]
                values[key] = int(kb) / 1024
    return round(values["VmRSS:"], 1), round(values["VmHWM:"], 1)


class Limits(bm.Bench):
    def emulator(self, provider, **config):
        from tests.emulators import get_emulator_class

        config.setdefault("clock_speed", self.args.clock_speed)
        emulator = get_emulator_class(provider)(**config).start()
        emulator.seed()
        return emulator

    def connect_to(self, provider, emulator, company=None):
        """Connect ``company`` (the main one by default) to ``emulator``."""
        from tests.emulators.odoo_connect import connect_company

        company = company or self.company
        self.map_for(provider)
        self.taxes[company].qxs_tax_code = bm.PROVIDERS[provider]["tax_code"]
        Connection = self.env["qxs.connection"]
        # One connection per company and provider: the earlier runs' are archived.
        Connection.search([("company_id", "=", company.id)]).write(
            {"state": "disconnected", "active": False}
        )
        self.env.flush_all()
        bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        conn = connect_company(
            self.env,
            company,
            emulator,
            provider=provider,
            name=f"{bm.PROVIDERS[provider]['label']} emulator {company.id}",
            default_revenue_code=bm.PROVIDERS[provider]["default_revenue_code"],
            payment_journal=bank,
        )
        self.commit()
        return conn

    def post_backlog(self, company, count):
        """``count`` invoices created and posted in chunks (each posting enqueues it)."""
        started = time.perf_counter()
        ids = []
        for start in range(0, count, self.args.chunk):
            moves, _lines = self.make_invoices(company, min(self.args.chunk, count - start))
            moves.action_post()
            self.commit()
            ids += moves.ids
            self.env.invalidate_all()
            log(f"  posted {len(ids)} of {count}")
        return self.env["account.move"].browse(ids), time.perf_counter() - started

    def sql_one(self, query, params):
        self.env.cr.execute(query, params)
        return self.env.cr.fetchone()

    def drain(self, connections, timeout, marks=(), watch=None):
        """Call the send cron until no record of ``connections`` is pending (or ``watch``'s
        are all synced); sleep until the next due record when all wait."""
        from odoo import fields

        Sync = self.env["qxs.sync.record"]
        conn_ids = list(connections.ids)
        watch = watch or connections
        started = time.perf_counter()
        runs, waited, peak = 0, 0.0, 0.0
        at = {}
        synced = 0
        while True:
            Sync._cron_sync()
            self.commit()
            self.env.invalidate_all()
            runs += 1
            rss, _hwm = rss_mb()
            peak = max(peak, rss)
            (synced,) = self.sql_one(
                "SELECT count(*) FROM qxs_sync_record WHERE connection_id = ANY(%s) "
                "AND state = 'synced'",
                [list(watch.ids)],
            )
            for mark in marks:
                if synced >= mark and mark not in at:
                    at[mark] = {
                        "seconds": round(time.perf_counter() - started, 1),
                        "rss_mb": rss,
                        "peak_rss_mb": peak,
                    }
            pending, next_due, due = self.sql_one(
                "SELECT count(*), min(next_attempt), count(*) FILTER (WHERE next_attempt IS "
                "NULL OR next_attempt <= %s) FROM qxs_sync_record "
                "WHERE connection_id = ANY(%s) AND state = 'pending'",
                [fields.Datetime.now(), list(watch.ids)],
            )
            if not pending:
                break
            if time.perf_counter() - started > timeout:
                log(f"  the queue did not drain in {timeout} s ({pending} pending)")
                break
            if due:
                continue
            (any_due,) = self.sql_one(
                "SELECT count(*) FROM qxs_sync_record WHERE connection_id = ANY(%s) AND "
                "state = 'pending' AND (next_attempt IS NULL OR next_attempt <= %s)",
                [conn_ids, fields.Datetime.now()],
            )
            if any_due:
                continue
            wait = max(0.0, (next_due - fields.Datetime.now()).total_seconds()) + 0.2
            log(f"  {synced} synced, all pending wait: sleeping {wait:.1f} s")
            time.sleep(wait)
            waited += wait
        return {
            "seconds": round(time.perf_counter() - started, 1),
            "cron_runs": runs,
            "slept_s": round(waited, 1),
            "synced": synced,
            "peak_rss_mb": peak,
            "marks": at,
        }

    # ------------------------------------------------------------------ goal 3 and 4
    def build_backlog(self, count):
        """``count`` posted one-line invoices of the main company, made while it has no active
        connection (nothing is enqueued): they are queued for each drain in bulk
        (:meth:`enqueue`). One line: the same total whatever the provider's tax rounding, so
        that both providers' drains send the same invoices."""
        Connection = self.env["qxs.connection"]
        Connection.search([("company_id", "=", self.company.id)]).write(
            {"state": "disconnected", "active": False}
        )
        self.commit()
        tax = self.taxes[self.company]
        started = time.perf_counter()
        ids = []
        for start in range(0, count, self.args.chunk):
            vals = [
                {
                    "move_type": "out_invoice",
                    "partner_id": self.rng.choice(self.customers).id,
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.rng.choice(self.products).id,
                                "quantity": self.rng.randint(1, 10),
                                "price_unit": round(self.rng.uniform(10, 500), 2),
                                "tax_ids": [(6, 0, tax.ids)],
                            },
                        )
                    ],
                }
                for _n in range(min(self.args.chunk, count - start))
            ]
            moves = self.env["account.move"].with_company(self.company).create(vals)
            moves.action_post()
            self.commit()
            ids += moves.ids
            self.env.invalidate_all()
            log(f"  built {len(ids)} of {count} ({time.perf_counter() - started:.0f} s)")
        return ids, time.perf_counter() - started

    def enqueue(self, conn, move_ids):
        """Queue ``move_ids`` for ``conn`` as posting does (one pending record each), in bulk."""
        started = time.perf_counter()
        Sync = self.env["qxs.sync.record"].sudo()
        for start in range(0, len(move_ids), 2000):
            Sync.create(
                [
                    {
                        "connection_id": conn.id,
                        "purpose": "document",
                        "res_model": "account.move",
                        "res_id": move_id,
                        "move_id": move_id,
                        "state": "pending",
                        "action": "push",
                    }
                    for move_id in move_ids[start : start + 2000]
                ]
            )
            self.commit()
            self.env.invalidate_all()
        return time.perf_counter() - started

    def scaled_limit(self, provider):
        if provider == "qbo":
            return self.args.qbo_batches_per_minute
        return self.args.xero_calls_per_minute

    def backlog(self, provider, move_ids, marks):
        from odoo.addons.qbo_xero_sync.adapters.qbo.pacing import PACER

        count = len(move_ids)
        per_minute = self.scaled_limit(provider)
        if provider == "qbo":
            emulator = self.emulator(provider, batch_rate_limit_per_minute=per_minute)
            PACER.batches_per_minute = per_minute
        else:
            from odoo.addons.qbo_xero_sync.adapters.xero.pacing import MINUTE

            emulator = self.emulator(provider, rate_limit_per_minute=per_minute)
            MINUTE.limit = per_minute
        try:
            conn = self.connect_to(provider, emulator)
            enqueue_s = self.enqueue(conn, move_ids)
            self.env.invalidate_all()
            rss_before, _hwm = rss_mb()
            log(f"{provider}: draining {count} documents (queued in {enqueue_s:.0f} s)")
            before = emulator.counts()
            drained = self.drain(conn, self.args.timeout, marks=marks)
            calls, total = self.calls_since(emulator, before)
            remote = emulator.objects("Invoice" if provider == "qbo" else "Invoices")
            numbers = [d.get("DocNumber") or d.get("InvoiceNumber") for d in remote]
        finally:
            emulator.stop()
            self.env["qxs.connection"].search([("company_id", "=", self.company.id)]).write(
                {"state": "disconnected", "active": False}
            )
            self.commit()
        limit = dict(LIMITS[provider], per_minute=per_minute)
        customers = self.args.customers
        if provider == "qbo":
            bound = sum(n for e, n in calls.items() if e.endswith("/batch"))
            floor = math.ceil(count / 30) + math.ceil(customers / 30)
        else:
            bound = total
            # the creates at 50 a call, the new contacts, one read of accounts and tax rates
            floor = math.ceil(count / 50) + math.ceil(customers / 50) + 2
        minimum = 60 * floor / limit["per_minute"]
        made = 60 * bound / limit["per_minute"]
        return {
            "documents": count,
            "limit_per_minute": per_minute,
            "build_s": round(self.build_s, 1),
            "enqueue_s": round(enqueue_s, 1),
            "rss_before_drain_mb": rss_before,
            **drained,
            "remote_documents": len(remote),
            "duplicates": len(numbers) - len(set(numbers)),
            "api_calls": total,
            "calls": calls,
            "limited_calls": bound,
            "floor_calls": floor,
            "minimum_s": round(minimum, 1),
            "ratio": round(drained["seconds"] / minimum, 3),
            "minimum_made_s": round(made, 1),
            "ratio_made": round(drained["seconds"] / made, 3) if made else None,
            "throttled_429": getattr(emulator, "throttled", None),
        }

    # ------------------------------------------------------------------ goal 6
    def fairness(self, provider):
        """The main company's documents alone, then beside a second connection that is rate
        limited, then failing; documents/s of the main company each time."""
        args = self.args
        out = {}
        other_company = self.base_company
        for case in ("alone", "other rate limited", "other failing (503)"):
            emulator = self.emulator(provider)
            other = None
            try:
                conn = self.connect_to(provider, emulator)
                conns = conn
                if case != "alone":
                    config = {"realm_id": "9341453000000002"} if provider == "qbo" else {}
                    if "limited" in case:
                        key = "batch_rate_limit_per_minute" if provider == "qbo" else None
                        config[key or "rate_limit_per_minute"] = 2
                    other = self.emulator(provider, **config)
                    if "failing" in case:
                        other.add_fault("status", status=503, count=100000, path=r"^/(v3|api)")
                    other_conn = self.connect_to(provider, other, company=other_company)
                    conns |= other_conn
                    self.post_backlog(other_company, args.fairness)  # older records: first
                moves, _s = self.post_backlog(self.company, args.fairness)
                log(f"{provider} fairness: {case}")
                drained = self.drain(conns, 900, watch=conn)
                out[case] = {
                    "seconds": drained["seconds"],
                    "docs_per_s": round(args.fairness / drained["seconds"], 2),
                    "synced": drained["synced"],
                }
                if other is not None:
                    out[case]["other_calls"] = sum(other.counts().values())
                # what is left of the other connection is no longer wanted
                self.env["qxs.sync.record"].search(
                    [("state", "=", "pending"), ("connection_id", "!=", conn.id)]
                ).write({"state": "skipped", "skip_reason": "bench: fairness run over"})
                self.commit()
            finally:
                emulator.stop()
                if other is not None:
                    other.stop()
                self.env["qxs.connection"].search([("company_id", "=", other_company.id)]).write(
                    {"state": "disconnected", "active": False}
                )
                self.commit()
        base = out["alone"]["docs_per_s"]
        for res in out.values():
            res["vs_alone"] = round(res["docs_per_s"] / base, 3)
        return out

    # ------------------------------------------------------------------ goal 8
    def posting(self, provider):
        emulator = self.emulator(provider)
        try:
            self.connect_to(provider, emulator)
            runs = []
            for run in range(self.args.posting_runs):
                moves, _lines = self.make_invoices(self.company, self.args.baseline)
                baseline, _lines = self.make_invoices(self.base_company, self.args.baseline)
                with_conn, without = self.post_interleaved(moves, baseline)
                runs.append(
                    {
                        "with_ms": round(1000 * statistics.mean(with_conn), 2),
                        "without_ms": round(1000 * statistics.mean(without), 2),
                    }
                )
                runs[-1]["ratio"] = round(runs[-1]["with_ms"] / runs[-1]["without_ms"], 3)
                log(f"{provider} posting run {run + 1}: {runs[-1]}")
            # not sent here: the records are left out of the other phases
            self.env["qxs.sync.record"].search([("state", "=", "pending")]).write(
                {"state": "skipped", "skip_reason": "bench: posting run"}
            )
            self.commit()
        finally:
            emulator.stop()
        return {"runs": runs, "median_ratio": statistics.median(r["ratio"] for r in runs)}


# ====================================================================== report
def at_mark(mark):
    return f"{mark['rss_mb']} ({mark['peak_rss_mb']}); {mark['seconds']}"


def markdown(results):
    names = list(results["providers"])
    label = {n: bm.PROVIDERS[n]["label"] for n in names}
    out = []
    head = "| | " + " | ".join(label[n] for n in names) + " |"
    sep = "|---|" + "---:|" * len(names)

    def row(title, func):
        cells = []
        for n in names:
            try:
                cells.append(str(func(results["providers"][n])))
            except (KeyError, TypeError):
                cells.append("-")
        out.append(f"| {title} | " + " | ".join(cells) + " |")

    if any("posting" in r for r in results["providers"].values()):
        out += ["Posting overhead (goal 8: at most 1.05)", "", head, sep]
        row(
            "Posting with / without connection, ms (ratio), per run",
            lambda r: "; ".join(
                f"{x['with_ms']} / {x['without_ms']} ({x['ratio']})" for x in r["posting"]["runs"]
            ),
        )
        row("Median ratio of the runs", lambda r: r["posting"]["median_ratio"])
        out.append("")
    for key, title in (("small", "Small backlog"), ("backlog", "Backlog")):
        if not any(key in r for r in results["providers"].values()):
            continue
        out += [f"{title} drained at the limits (goals 3 and 4)", "", head, sep]
        row(
            "Documents (all built and posted once in, s; queued in, s)",
            lambda r, k=key: f"{r[k]['documents']} ({r[k]['build_s']}; {r[k]['enqueue_s']})",
        )
        row(
            "Drained in, s (cron runs; slept waiting for a limit, s)",
            lambda r, k=key: f"{r[k]['seconds']} ({r[k]['cron_runs']}; {r[k]['slept_s']})",
        )
        row(
            "Synced / remote documents / duplicates",
            lambda r,
            k=key: f"{r[k]['synced']} / {r[k]['remote_documents']} / {r[k]['duplicates']}",
        )
        row(
            "API calls (limited ones)",
            lambda r, k=key: f"{r[k]['api_calls']} ({r[k]['limited_calls']})",
        )
        row(
            "Limit-bound minimum, s (calls at the floor)",
            lambda r, k=key: f"{r[k]['minimum_s']} ({r[k]['floor_calls']})",
        )
        row("Limit used, per minute", lambda r, k=key: r[k]["limit_per_minute"])
        row("Ratio to the minimum (goal: <= 1.1)", lambda r, k=key: r[k]["ratio"])
        row(
            "Minimum for the calls made, s; ratio",
            lambda r, k=key: f"{r[k]['minimum_made_s']}; {r[k]['ratio_made']}",
        )
        row("429 answers (QuickBooks)", lambda r, k=key: r[k]["throttled_429"])
        row(
            "RSS before the drain / peak while draining, MB",
            lambda r, k=key: f"{r[k]['rss_before_drain_mb']} / {r[k]['peak_rss_mb']}",
        )
        for mark in (1000, results["meta"]["documents"]):
            row(
                f"RSS when {mark} were synced (peak so far), MB; at s",
                lambda r, k=key, m=mark: at_mark(r[k]["marks"][str(m)]),
            )
        out.append("")
    if any("fairness" in r for r in results["providers"].values()):
        out += ["Fairness (goal 6: within 10 %)", "", head, sep]
        for case in ("alone", "other rate limited", "other failing (503)"):
            row(
                f"Main company, docs/s: {case} (vs alone)",
                lambda r,
                c=case: f"{r['fairness'][c]['docs_per_s']} ({r['fairness'][c]['vs_alone']})",
            )
        out.append("")
    return "\n".join(out)


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, str(bm.REPO_ROOT))
    registry = bm.load_odoo(args)
    from odoo import SUPERUSER_ID, api, release

    phases = {p.strip() for p in args.phases.split(",")}
    results = {
        "meta": {
            "odoo": release.version,
            "python": sys.version.split()[0],
            "documents": args.documents,
            "clock_speed": args.clock_speed,
            "phases": sorted(phases),
        },
        "providers": {},
    }
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        bench = Limits(env, args)
        bench.setup_common()
        for provider in [p.strip() for p in args.providers.split(",") if p.strip()]:
            res = results["providers"][provider] = {}
            if "posting" in phases:
                res["posting"] = bench.posting(provider)
            if "fairness" in phases:
                res["fairness"] = bench.fairness(provider)
            if "backlog" in phases:
                if not hasattr(bench, "backlog_ids"):
                    log(f"building {args.documents} posted invoices (no connection)")
                    bench.backlog_ids, bench.build_s = bench.build_backlog(args.documents)
                if args.small:
                    small = bench.backlog_ids[: args.small]
                    res["small"] = bench.backlog(provider, small, (args.small,))
                res["backlog"] = bench.backlog(provider, bench.backlog_ids, (1000, args.documents))
            # JSON keys of the marks are strings
            for key in ("small", "backlog"):
                if key in res:
                    res[key]["marks"] = {str(k): v for k, v in res[key]["marks"].items()}
    results["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    results["meta"]["peak_rss_mb"] = rss_mb()[1]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, sort_keys=True))
    try:
        print(markdown(results))
    except Exception as exc:  # the JSON below still holds every figure
        log(f"the tables could not be printed: {exc!r}")
    print()
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
