"""Daily summary mode (issue 16): API calls per document, against the local emulators.

Run it on a database where both addons are installed (``bench/README.md``)::

    PYTHONPATH=. python bench/summary.py -d DB --addons-path PATH --data-dir DIR \
        [--invoices 200] [--channels 3] [--days 2] [--late 6] [--providers qbo,xero]

For each provider, on the main company connected to the in-process emulator (as
``bench/benchmark.py`` connects it, whose set-up this script reuses):

1. individual: N invoices of channels set to "Individual" are posted and sent: API calls per
   document (the reference);
2. summary: N invoices of C channels set to "Daily summary", spread over D days, are posted
   and sent: C x D summary invoices; API calls per Odoo document, and whether every summary is
   synced with the remote total equal to the sum of its documents (to the cent);
3. late: L more invoices posted on the first day (spread over the channels): each summary they
   join is sent again as an update of the same remote document: calls per late document.

The results are printed as a markdown table, then as JSON.
"""

import argparse
import json
import sys
import time

from benchmark import PROVIDERS, REPO_ROOT, Bench, load_odoo, log  # bench/benchmark.py


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-d", "--database", required=True)
    p.add_argument("--addons-path", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--invoices", type=int, default=200, help="invoices per phase (200)")
    p.add_argument("--channels", type=int, default=3, help="sales channels in summary mode (3)")
    p.add_argument("--days", type=int, default=2, help="invoice dates (2)")
    p.add_argument("--late", type=int, default=6, help="late invoices (6)")
    p.add_argument("--customers", type=int, default=40, help="customers (40)")
    p.add_argument("--providers", default="qbo,xero", help="comma-separated (qbo,xero)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the invoice contents")
    return p.parse_args(argv)


class SummaryBench(Bench):
    def post(self, moves, teams, dates):
        """Give the moves their channels and dates (round robin), post them together."""
        for n, move in enumerate(moves):
            move.write({"team_id": teams[n % len(teams)].id, "invoice_date": dates[n % len(dates)]})
        moves.action_post()
        self.commit()

    def sent(self, emulator, moves, teams, dates):
        before = emulator.counts()
        start = time.perf_counter()
        self.post(moves, teams, dates)
        self.post_seconds = time.perf_counter() - start
        drain = self.drain(emulator)
        calls, total = self.calls_since(emulator, before)
        return drain, calls, total

    def run_summary(self, provider):
        from datetime import date, timedelta

        from tests.emulators import get_emulator_class

        args, env = self.args, self.env
        out = {"provider": PROVIDERS[provider]["label"]}
        emulator = get_emulator_class(provider)().start()
        try:
            emulator.seed()
            self.map_for(provider)
            conn = self.connect(provider, emulator)
            Team = env["crm.team"]
            individual = Team.create({"name": f"Bench individual {provider}"})
            teams = Team.create(
                [
                    {"name": f"Bench shop {provider} {n}", "qxs_invoice_sync_type": "summary"}
                    for n in range(args.channels)
                ]
            )
            first = date(2026, 11, 2)
            dates = [first + timedelta(days=n) for n in range(args.days)]
            self.commit()

            # 1. individual (the reference) --------------------------------------------------
            emulator.clock.advance(60)
            moves, _lines = self.make_invoices(self.company, args.invoices)
            drain, _calls, total = self.sent(emulator, moves, individual, dates)
            synced = self.records(moves).filtered(lambda r: r.state == "synced")
            out["individual"] = {
                "documents": len(moves),
                "synced": len(synced),
                "calls": total,
                "calls_per_document": round(total / len(moves), 3),
                "post_seconds": round(self.post_seconds, 2),
                "seconds": round(drain["seconds"], 2),
            }
            log(f"{provider}: individual: {total} calls for {len(moves)} documents")

            # 2. summary mode -----------------------------------------------------------------
            emulator.clock.advance(60)
            moves, _lines = self.make_invoices(self.company, args.invoices)
            drain, calls, total = self.sent(emulator, moves, teams, dates)
            summaries = env["qxs.daily.summary"].search(
                [("connection_id", "=", conn.id), ("team_id", "in", teams.ids)]
            )
            out["summary"] = {
                "documents": len(moves),
                "summaries": len(summaries),
                "calls": total,
                "calls_by_endpoint": calls,
                "calls_per_document": round(total / len(moves), 3),
                "post_seconds": round(self.post_seconds, 2),
                "seconds": round(drain["seconds"], 2),
                **self.check_summaries(summaries, len(moves)),
            }
            log(f"{provider}: summary: {total} calls for {len(moves)} documents")

            # 3. late documents: updates of the same remote documents ---------------------------
            emulator.clock.advance(60)
            late, _lines = self.make_invoices(self.company, args.late)
            drain, calls, total = self.sent(emulator, late, teams, dates[:1])
            summaries.invalidate_recordset()
            out["late"] = {
                "documents": len(late),
                "summaries": len(summaries),
                "calls": total,
                "calls_per_document": round(total / max(len(late), 1), 3),
                **self.check_summaries(summaries, args.invoices + len(late)),
            }
            log(f"{provider}: late: {total} calls for {len(late)} documents")
        finally:
            emulator.stop()
        return out

    def check_summaries(self, summaries, documents):
        """Every summary synced, its remote total the sum of its documents (to the cent), and
        every document carried once."""
        recs = [s._sync_record() for s in summaries]
        equal = sum(
            1
            for s, rec in zip(summaries, recs, strict=True)
            if rec.state == "synced" and abs(rec.remote_total - s.amount_total) < 0.005
        )
        gaps = [
            abs(rec.remote_total - s.amount_total) for s, rec in zip(summaries, recs, strict=True)
        ]
        return {
            "largest_total_difference": round(max(gaps, default=0.0), 2),
            "summaries_synced": sum(1 for rec in recs if rec.state == "synced"),
            "summaries_total_equal": equal,
            "documents_carried": sum(s.move_count for s in summaries),
            "documents_expected": documents,
        }


def markdown(results):
    rows = [
        "| Metric | " + " | ".join(r["provider"] for r in results.values()) + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label, fn):
        rows.append(f"| {label} | " + " | ".join(fn(r) for r in results.values()) + " |")

    row(
        "Individual: API calls (per document)",
        lambda r: f"{r['individual']['calls']} ({r['individual']['calls_per_document']})",
    )
    row(
        "Posting the invoices together, s: individual / summary",
        lambda r: f"{r['individual']['post_seconds']} / {r['summary']['post_seconds']}",
    )
    row(
        "Sending (queue drained), s: individual / summary",
        lambda r: f"{r['individual']['seconds']} / {r['summary']['seconds']}",
    )
    row(
        "Summary: documents / summaries",
        lambda r: f"{r['summary']['documents']} / {r['summary']['summaries']}",
    )
    row(
        "Summary: API calls (per document)",
        lambda r: f"{r['summary']['calls']} ({r['summary']['calls_per_document']})",
    )
    row(
        "Summary: synced / total equal to the documents'",
        lambda r: f"{r['summary']['summaries_synced']} / {r['summary']['summaries_total_equal']}",
    )
    row(
        "Summary: largest difference remote / Odoo total",
        lambda r: f"{r['summary']['largest_total_difference']:.2f}",
    )
    row(
        "Late documents: API calls (per document)",
        lambda r: f"{r['late']['calls']} ({r['late']['calls_per_document']})",
    )
    row(
        "After the late ones: synced / total equal",
        lambda r: f"{r['late']['summaries_synced']} / {r['late']['summaries_total_equal']}",
    )
    return "\n".join(rows)


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    registry = load_odoo(args)
    from odoo import SUPERUSER_ID, api

    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        bench = SummaryBench(env, args)
        bench.setup_common()
        for provider in [p.strip() for p in args.providers.split(",") if p.strip()]:
            results[provider] = bench.run_summary(provider)
    print(markdown(results))
    print()
    print(json.dumps(results, indent=2, sort_keys=True, default=str))
    problems = [
        f"{name}: {phase}: {res[phase]['summaries_total_equal']} of "
        f"{res[phase]['summaries_synced']} summaries with equal totals"
        for name, res in results.items()
        for phase in ("summary", "late")
        if res[phase]["summaries_total_equal"] != res[phase]["summaries"]
    ]
    for problem in problems:
        log(f"NOTE: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
