"""Benchmark of the sync engine against the local emulators (Odoo used as a library).

Run it through ``bash setup/bench.sh`` (a throwaway database with both addons), or by hand on a
database where they are installed::

    python bench/benchmark.py -d DB --addons-path PATH --data-dir DIR [--invoices 300]

For each provider whose adapter is ready (QuickBooks Online, Xero), on the main company connected
to the in-process emulator as the addon's tests connect it:

1. posting: N invoices (1-5 lines, M customers, mapped products and tax) are posted one by one,
   interleaved with as many invoices of a company without connection: the difference is what
   the addon adds to posting (recording the intent to send);
2. create: the queue is drained by calling ``_cron_sync()`` (committing, as the real cron does)
   until nothing is due: wall time, documents/s, API calls in total, per endpoint, per document;
3. update: every invoice is reset to draft and posted again, and the queue drained again;
4. statuses back: P invoices are paid in the emulator, ``_cron_poll()`` runs once: calls, time,
   and whether the P invoices are paid in Odoo;
5. recovery: new invoices are sent while the API answers a burst of 429 and 503; back-off waits
   are skipped (the records are made due, as if the time had passed) and the retries counted;
6. payments (``bench/payments.py``): N' invoices sent, paid in Odoo in bulk (one payment each),
   the payments sent, then unreconciled (deleted remotely): time and API calls per payment.

Between phases the emulator's clock moves one minute on (a fresh per-minute rate window, as if
the phases were a minute apart); a throttle inside a phase is waited for in real time.
The results are printed as markdown tables, then as JSON (``--json FILE`` also writes them).
"""

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import payments as payments_phase  # bench/payments.py (the script's directory is on sys.path)

REPO_ROOT = Path(__file__).resolve().parents[1]

PROVIDERS = {
    "qbo": {
        "label": "QuickBooks Online",
        "tax_code": "California",  # the seeded 8.25 % sales tax
        # seeded SKUs, the seeded "Services" item, and one item QuickBooks creates
        "revenue_codes": ["DES-001", "RF-100", "PMP-200", "Services", "Consulting Hours"],
        "default_revenue_code": "Services",
        "api_path": r"^/v3/company/",
        # US sales tax is computed on the document's total: Odoo must round globally to agree
        "rounding": "round_globally",
        "fault_429": {"body": None, "headers": {}},
    },
    "xero": {
        "label": "Xero",
        "tax_code": "OUTPUT",  # Tax on Sales 8.25 %
        "revenue_codes": ["200", "260", "200", "260", "200"],  # Sales, Other Revenue
        "default_revenue_code": "200",
        "api_path": r"^/api\.xro/2\.0/",
        "rounding": "round_per_line",  # Xero rounds the tax of each line
        "fault_429": {"headers": {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"}},
    },
}
PRODUCT_NAMES = ["Design work", "Rock fountain", "Pump", "Installation", "Consulting"]
TAX_RATE = 8.25


T0 = time.perf_counter()


def log(msg):
    print(f"[bench {time.perf_counter() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-d", "--database", required=True)
    p.add_argument("--addons-path", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--invoices", type=int, default=300, help="invoices per provider (300)")
    p.add_argument("--customers", type=int, default=40, help="customers (40)")
    p.add_argument(
        "--baseline", type=int, default=60, help="invoices posted without connection (60)"
    )
    p.add_argument("--paid", type=int, default=50, help="invoices paid remotely (50)")
    p.add_argument("--burst-invoices", type=int, default=60, help="invoices of the 429/503 run")
    p.add_argument("--payments", type=int, default=300, help="payments per provider (300)")
    p.add_argument("--providers", default="qbo,xero", help="comma-separated (qbo,xero)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the invoice contents")
    p.add_argument("--json", help="also write the results to this file")
    return p.parse_args(argv)


# ====================================================================== Odoo set-up
def load_odoo(args):
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        [
            "--addons-path",
            args.addons_path,
            "-d",
            args.database,
            "--data-dir",
            args.data_dir,
            "--log-level",
            "warn",
        ]
    )
    if odoo.release.version_info[:2] != (18, 0):
        raise SystemExit(f"Odoo 18.0 expected, found {odoo.release.version}")
    return Registry(args.database)


def adapter_ready(provider):
    """True when the provider's adapter implements the calls the benchmark drives."""
    from odoo.addons.qbo_xero_sync.adapters import base, qbo, xero  # noqa: F401

    cls = base.ProviderAdapter.registry.get(provider)
    needed = ("refresh_tokens", "push_documents", "fetch_changes")
    return bool(cls) and all(
        getattr(cls, name) is not getattr(base.ProviderAdapter, name) for name in needed
    )


class Bench:
    def __init__(self, env, args):
        self.env = env
        self.args = args
        self.rng = random.Random(args.seed)
        self.company = env.company
        self.results = {}

    def commit(self):
        self.env.cr.commit()

    # ------------------------------------------------------------------ shared data
    def setup_common(self):
        env = self.env
        self.base_company = env["res.company"].create({"name": "Baseline Co (no connection)"})
        env["account.chart.template"].try_loading(
            self.company.chart_template or "generic_coa", self.base_company, install_demo=False
        )
        self.taxes = {}
        for company in (self.company, self.base_company):
            self.taxes[company] = env["account.tax"].create(
                {
                    "name": f"Sales tax {TAX_RATE}%",
                    "amount": TAX_RATE,
                    "type_tax_use": "sale",
                    "company_id": company.id,
                }
            )
        self.products = env["product.product"].create(
            [
                {"name": name, "list_price": 10.0 * (n + 1), "type": "service"}
                for n, name in enumerate(PRODUCT_NAMES)
            ]
        )
        self.customers = env["res.partner"].create(
            [
                {"name": f"Bench Customer {n:03d}", "email": f"customer{n}@bench.example"}
                for n in range(1, self.args.customers + 1)
            ]
        )
        self.bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )
        self.commit()

    def map_for(self, provider):
        spec = PROVIDERS[provider]
        (self.company | self.base_company).write(
            {"tax_calculation_rounding_method": spec["rounding"]}
        )
        self.taxes[self.company].qxs_tax_code = spec["tax_code"]
        for product, code in zip(self.products, spec["revenue_codes"]):
            product.qxs_revenue_code = code

    def connect(self, provider, emulator):
        """Connect the main company to the emulator, as the addon's tests do (the other
        provider's connection, if any, is disconnected)."""
        from tests.emulators.odoo_connect import connect_company

        Connection = self.env["qxs.connection"]
        Connection.search([("company_id", "=", self.company.id)]).write({"state": "disconnected"})
        conn = connect_company(
            self.env,
            self.company,
            emulator,
            provider=provider,
            name=f"{PROVIDERS[provider]['label']} emulator",
            default_revenue_code=PROVIDERS[provider]["default_revenue_code"],
            payment_journal=self.bank,
        )
        self.commit()
        return conn

    def make_invoices(self, company, count):
        lines_total = 0
        vals = []
        tax = self.taxes[company]
        for _n in range(count):
            lines = []
            for _k in range(self.rng.randint(1, 5)):
                lines.append(
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
                )
            lines_total += len(lines)
            vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.rng.choice(self.customers).id,
                    "invoice_line_ids": lines,
                }
            )
        moves = self.env["account.move"].with_company(company).create(vals)
        self.commit()
        return moves, lines_total

    # ------------------------------------------------------------------ measuring
    @staticmethod
    def alone(move):
        """The move without the prefetch set of its batch: a user posts one invoice per request
        (posting a record of a 300-record recordset computes fields for all 300)."""
        return move.browse(move.id)

    def timed_post(self, move):
        move = self.alone(move)
        start = time.perf_counter()
        move.action_post()
        self.env.flush_all()
        elapsed = time.perf_counter() - start
        self.commit()
        return elapsed

    def post_interleaved(self, moves, baseline):
        """Post one by one, alternating with the company without connection while it has
        invoices left, so that both see the same conditions (caches, table sizes)."""
        with_conn, without = [], []
        for n, move in enumerate(moves):
            with_conn.append(self.timed_post(move))
            if n < len(baseline):
                without.append(self.timed_post(baseline[n]))
        return with_conn, without

    def drain(self, emulator, fast_forward=False, limit_s=600):
        """Call the sync cron until nothing is pending; returns figures of the run."""
        from odoo import fields

        Sync = self.env["qxs.sync.record"]
        start = time.perf_counter()
        runs, waited, skipped, attempts = 0, 0.0, 0.0, {}
        while True:
            Sync._cron_sync()
            self.commit()
            runs += 1
            self.env.invalidate_all()
            pending = Sync.search([("state", "=", "pending")])
            for rec in pending.filtered("attempts"):
                attempts[rec.id] = max(attempts.get(rec.id, 0), rec.attempts)
            if not pending:
                break
            if time.perf_counter() - start > limit_s:
                raise SystemExit(f"the queue did not drain in {limit_s} s")
            now = fields.Datetime.now()
            due = [r.next_attempt for r in pending if r.next_attempt]
            if len(due) < len(pending) or min(due) <= now:
                continue  # something is due already (e.g. the cron's own limit was reached)
            wait = (min(due) - now).total_seconds()
            if fast_forward:  # as if the back-off had elapsed
                pending.write({"next_attempt": now - timedelta(seconds=1)})
                skipped += wait
            else:
                log(f"throttled: waiting {wait:.0f} s for the retry")
                time.sleep(wait + 0.5)
                waited += wait
            self.commit()
        return {
            "seconds": time.perf_counter() - start,
            "cron_runs": runs,
            "throttle_wait_s": round(waited, 1),
            "backoff_skipped_s": round(skipped, 1),
            "records_retried": len(attempts),
            "retries": sum(attempts.values()),
        }

    def records(self, moves):
        return self.env["qxs.sync.record"].search(
            [("move_id", "in", moves.ids), ("purpose", "=", "document")]
        )

    @staticmethod
    def calls_since(emulator, before):
        after = emulator.counts()
        diff = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
        return dict(sorted(diff.items())), sum(diff.values())

    # ------------------------------------------------------------------ one provider
    def run_provider(self, provider):
        from tests.emulators import get_emulator_class

        args = self.args
        spec = PROVIDERS[provider]
        out = {"provider": spec["label"]}
        emulator = get_emulator_class(provider)().start()
        try:
            emulator.seed()
            self.map_for(provider)
            self.connect(provider, emulator)
            remote_kind = "Invoice" if provider == "qbo" else "Invoices"

            # 1. posting ------------------------------------------------------------------------
            log(f"{provider}: creating {args.invoices} + {args.baseline} baseline invoices")
            moves, lines = self.make_invoices(self.company, args.invoices)
            baseline, _lines = self.make_invoices(self.base_company, args.baseline)
            log(f"{provider}: posting them one by one")
            with_conn, without = self.post_interleaved(moves, baseline)
            pairs = len(without)
            out["invoices"] = len(moves)
            out["lines"] = lines
            out["customers"] = len(self.customers)
            out["baseline_invoices"] = pairs
            out["post_ms_with_connection"] = ms(statistics.mean(with_conn))
            out["post_ms_median_with"] = ms(statistics.median(with_conn))
            if pairs:
                # compared on the interleaved pairs only (same moment, same conditions)
                out["post_ms_with_connection_paired"] = ms(statistics.mean(with_conn[:pairs]))
                out["post_ms_without_connection"] = ms(statistics.mean(without))
                out["post_ms_median_without"] = ms(statistics.median(without))
                out["enqueue_overhead_ms"] = round(
                    out["post_ms_with_connection_paired"] - out["post_ms_without_connection"], 2
                )

            # 2. create ------------------------------------------------------------------------
            emulator.clock.advance(60)
            log(f"{provider}: draining the queue ({len(moves)} documents to create)")
            before = emulator.counts()
            drain = self.drain(emulator)
            calls, total = self.calls_since(emulator, before)
            recs = self.records(moves)
            remote = emulator.objects(remote_kind)
            out["create"] = self.phase_figures(drain, calls, total, len(moves))
            out["create"]["synced"] = sum(r.state == "synced" for r in recs)
            out["create"]["total_mismatches"] = sum(r.total_mismatch for r in recs)
            out["create"]["remote_documents"] = len(remote)
            self.check(out["create"]["synced"] == len(moves), f"{provider}: not all synced", recs)

            # 3. update ------------------------------------------------------------------------
            emulator.clock.advance(60)
            log(f"{provider}: re-posting {len(moves)} invoices")
            repost = []
            moves.button_draft()
            self.commit()
            for move in moves:
                repost.append(self.timed_post(move))
            before = emulator.counts()
            drain = self.drain(emulator)
            calls, total = self.calls_since(emulator, before)
            self.env.invalidate_all()
            out["update"] = self.phase_figures(drain, calls, total, len(moves))
            out["update"]["repost_ms"] = ms(statistics.mean(repost))
            out["update"]["synced"] = sum(r.state == "synced" for r in recs)
            out["update"]["remote_documents"] = len(emulator.objects(remote_kind))
            self.check(out["update"]["synced"] == len(moves), f"{provider}: update failed", recs)

            # 4. statuses back ------------------------------------------------------------------
            emulator.clock.advance(60)
            # The poll reads what changed since its last run (a few minutes in real use): the
            # watermark is set to now, so that the changed documents are the paid ones only.
            connection = self.env["qxs.connection"].search(
                [("company_id", "=", self.company.id), ("provider", "=", provider)], limit=1
            )
            connection.sudo().last_poll_date = datetime.fromtimestamp(
                emulator.clock.now(), timezone.utc
            ).replace(tzinfo=None) - timedelta(seconds=1)
            self.commit()
            paid_moves = self.env["account.move"].browse(
                self.rng.sample(moves.ids, min(args.paid, len(moves)))
            )
            for rec in self.records(paid_moves):
                emulator.pay_invoice(rec.remote_id)
            log(f"{provider}: polling after {len(paid_moves)} payments")
            before = emulator.counts()
            start = time.perf_counter()
            self.env["qxs.sync.record"]._cron_poll()
            self.commit()
            seconds = time.perf_counter() - start
            calls, total = self.calls_since(emulator, before)
            self.env.invalidate_all()
            paid = [m for m in paid_moves if m.payment_state in ("paid", "in_payment")]
            others = moves - paid_moves
            out["poll"] = {
                "paid_remotely": len(paid_moves),
                "paid_in_odoo": len(paid),
                "others_paid_in_odoo": sum(m.payment_state != "not_paid" for m in others),
                "seconds": round(seconds, 2),
                "api_calls": total,
                "calls": calls,
            }

            # 5. recovery from a 429 / 503 burst ---------------------------------------------
            emulator.clock.advance(60)
            burst_moves, _lines = self.make_invoices(self.company, args.burst_invoices)
            burst_moves.action_post()
            self.commit()
            path = spec["api_path"]
            faults = [
                emulator.add_fault("status", status=429, count=2, path=path, **spec["fault_429"]),
                emulator.add_fault("status", status=503, count=2, path=path),
            ]
            injected = sum(f.count for f in faults)
            log(f"{provider}: sending {len(burst_moves)} invoices through a 429/503 burst")
            before = emulator.counts()
            drain = self.drain(emulator, fast_forward=True)
            calls, total = self.calls_since(emulator, before)
            self.env.invalidate_all()
            recs = self.records(burst_moves)
            numbers = [
                d.get("DocNumber") or d.get("InvoiceNumber") for d in emulator.objects(remote_kind)
            ]
            out["burst"] = self.phase_figures(drain, calls, total, len(burst_moves))
            out["burst"].update(
                {
                    "faults_injected": injected,
                    "faults_answered": injected - sum(f.count for f in emulator.faults),
                    "synced": sum(r.state == "synced" for r in recs),
                    "errors": sum(r.state == "error" for r in recs),
                    "duplicates": len(numbers) - len(set(numbers)),
                }
            )

            # 6. payments out, then unreconciled ------------------------------------------------
            if args.payments:
                out["payments"] = payments_phase.run_payments(self, provider, emulator, log)
        finally:
            emulator.stop()
        return out

    @staticmethod
    def phase_figures(drain, calls, total, documents):
        return {
            "documents": documents,
            "seconds": round(drain["seconds"], 2),
            "docs_per_s": round(documents / drain["seconds"], 1) if drain["seconds"] else None,
            "api_calls": total,
            "calls_per_doc": round(total / documents, 3) if documents else None,
            "cron_runs": drain["cron_runs"],
            "throttle_wait_s": drain["throttle_wait_s"],
            "backoff_skipped_s": drain["backoff_skipped_s"],
            "records_retried": drain["records_retried"],
            "retries": drain["retries"],
            "calls": calls,
        }

    @staticmethod
    def check(ok, message, recs):
        if not ok:
            errors = {r.last_error for r in recs if r.state != "synced"}
            raise SystemExit(f"{message}: {sorted(map(str, errors))[:5]}")


# ====================================================================== report
def ms(seconds):
    return round(1000 * seconds, 2)


def table_rows(r):
    """(label, value) rows of one provider's results."""
    c, u, p, b = r["create"], r["update"], r["poll"], r["burst"]
    return [
        ("Invoices (lines) / customers", f"{r['invoices']} ({r['lines']}) / {r['customers']}"),
        (
            "Posting without connection, ms/invoice (mean of N)",
            f"{r.get('post_ms_without_connection')} ({r['baseline_invoices']})",
        ),
        (
            "Posting with connection, ms/invoice (same moments; all N)",
            f"{r.get('post_ms_with_connection_paired')}; {r['post_ms_with_connection']}",
        ),
        ("Enqueue overhead of posting, ms/invoice", r.get("enqueue_overhead_ms")),
        ("Create: queue drained in, s (cron runs)", f"{c['seconds']} ({c['cron_runs']})"),
        ("Create: documents/s", c["docs_per_s"]),
        ("Create: API calls (per document)", f"{c['api_calls']} ({c['calls_per_doc']})"),
        ("Create: totals differing from Odoo's", c["total_mismatches"]),
        ("Update (re-post all): re-posting, ms/invoice", u["repost_ms"]),
        ("Update: queue drained in, s (cron runs)", f"{u['seconds']} ({u['cron_runs']})"),
        ("Update: documents/s", u["docs_per_s"]),
        ("Update: API calls (per document)", f"{u['api_calls']} ({u['calls_per_doc']})"),
        ("Update: remote documents afterwards", u["remote_documents"]),
        (
            "Statuses back: paid remotely / paid in Odoo",
            f"{p['paid_remotely']} / {p['paid_in_odoo']}",
        ),
        ("Statuses back: one poll, s (API calls)", f"{p['seconds']} ({p['api_calls']})"),
        (
            "429/503 burst: faults answered / injected",
            f"{b['faults_answered']} / {b['faults_injected']}",
        ),
        ("429/503 burst: records retried (retries)", f"{b['records_retried']} ({b['retries']})"),
        (
            "429/503 burst: synced / errors / duplicates",
            f"{b['synced']} of {b['documents']} / {b['errors']} / {b['duplicates']}",
        ),
        (
            "429/503 burst: wall time, s (cron runs; back-off skipped)",
            f"{b['seconds']} ({b['cron_runs']}; {b['backoff_skipped_s']:.0f} s)",
        ),
    ] + payments_phase.table_rows(r)


def markdown(results):
    names = list(results["providers"])
    lines = [
        "| Metric | " + " | ".join(PROVIDERS[n]["label"] for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    columns = {}
    for name in names:
        res = results["providers"][name]
        if "skipped" not in res:
            columns[name] = dict(table_rows(res))
    labels = next((list(col) for col in columns.values()), ["Invoices (lines) / customers"])
    for row, label in enumerate(labels):
        cells = [
            str(columns[n][label])
            if n in columns
            else (f"skipped: {results['providers'][n]['skipped']}" if not row else "")
            for n in names
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for name in names:
        res = results["providers"][name]
        if "skipped" in res:
            continue
        phases = ["create", "update", "poll", "burst"]
        calls = {p: res[p]["calls"] for p in phases}
        if "payments" in res:
            phases += ["payments", "unreconcile"]
            calls["payments"] = res["payments"]["send"]["calls"]
            calls["unreconcile"] = res["payments"]["unreconcile"]["calls"]
        endpoints = sorted({e for p in phases for e in calls[p]})
        lines += [
            "",
            f"API calls per endpoint, {PROVIDERS[name]['label']}:",
            "",
            "| Endpoint | " + " | ".join(phases) + " |",
            "|---|" + "---:|" * len(phases),
        ]
        for endpoint in endpoints:
            counts = [str(calls[p].get(endpoint, 0)) for p in phases]
            lines.append(f"| `{endpoint}` | " + " | ".join(counts) + " |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    registry = load_odoo(args)
    from odoo import SUPERUSER_ID, api, release

    started = time.perf_counter()
    results = {
        "meta": {
            "odoo": release.version,
            "python": sys.version.split()[0],
            "invoices": args.invoices,
            "customers": args.customers,
            "paid": args.paid,
            "burst_invoices": args.burst_invoices,
            "payments": args.payments,
            "seed": args.seed,
        },
        "providers": {},
    }
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        bench = Bench(env, args)
        bench.setup_common()
        for provider in [p.strip() for p in args.providers.split(",") if p.strip()]:
            if not adapter_ready(provider):
                log(f"{provider}: skipped: adapter not ready")
                results["providers"][provider] = {"skipped": "adapter not ready"}
                continue
            results["providers"][provider] = bench.run_provider(provider)
    results["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    problems = [
        f"{name}: {problem}"
        for name, res in results["providers"].items()
        for problem in failed_checks(res)
    ]
    results["meta"]["failed_checks"] = problems
    print(markdown(results))
    print()
    print(json.dumps(results, indent=2, sort_keys=True))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, sort_keys=True))
    for problem in problems:
        log(f"CHECK FAILED: {problem}")
    log(
        f"done in {results['meta']['total_seconds']} s; "
        + ("checks failed" if problems else "all checks passed")
    )
    return 1 if problems else 0


def failed_checks(res):
    """What the figures say went wrong (an empty list when the sync behaved)."""
    if "skipped" in res:
        return []
    n, c, u, p, b = res["invoices"], res["create"], res["update"], res["poll"], res["burst"]
    checks = [
        (c["synced"] == n, f"create: {c['synced']} of {n} synced"),
        (c["remote_documents"] == n, f"create: {c['remote_documents']} remote documents"),
        (u["synced"] == n, f"update: {u['synced']} of {n} synced"),
        (u["remote_documents"] == n, f"update: {u['remote_documents']} remote documents"),
        (p["paid_in_odoo"] == p["paid_remotely"], f"poll: {p['paid_in_odoo']} paid in Odoo"),
        (not p["others_paid_in_odoo"], f"poll: {p['others_paid_in_odoo']} others paid"),
        (b["synced"] == b["documents"], f"burst: {b['synced']} of {b['documents']} synced"),
        (not b["duplicates"], f"burst: {b['duplicates']} duplicates"),
        (b["faults_answered"] == b["faults_injected"], "burst: faults left unanswered"),
    ]
    checks += goal_checks(res)
    return [message for ok, message in checks if not ok] + payments_phase.failed_checks(res)


# Bulk calls (issue 16): API calls per new document on create, with at least 1,000 documents
# (the floor is one batch per 30 documents for QuickBooks, one POST per 50 for Xero, plus the
# new customers), and one request per poll of up to 1,000 changed documents.
CREATE_GOAL = {"QuickBooks Online": 0.04, "Xero": 0.03}
CREATE_GOAL_MIN_DOCUMENTS = 1000
POLL_GOAL_MAX_DOCUMENTS = 1000


def goal_checks(res):
    """[(ok, message)] of the call goals of issue 16 that the run's sizes make meaningful."""
    checks = []
    goal = CREATE_GOAL.get(res["provider"])
    c, p = res["create"], res["poll"]
    if goal is not None and res["invoices"] >= CREATE_GOAL_MIN_DOCUMENTS:
        checks.append(
            (
                c["calls_per_doc"] <= goal,
                f"create: {c['calls_per_doc']} API calls per document (goal {goal})",
            )
        )
    if 0 < p["paid_remotely"] <= POLL_GOAL_MAX_DOCUMENTS:
        checks.append(
            (
                p["api_calls"] <= 1,
                f"poll: {p['api_calls']} requests for {p['paid_remotely']} changed documents "
                "(goal 1)",
            )
        )
    return checks


if __name__ == "__main__":
    sys.exit(main())
