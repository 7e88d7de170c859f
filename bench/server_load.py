"""Latency under load with Odoo as a server (issue 16, goal 5).

The main company is connected to an emulator started in this process (the real limits); an
``odoo-bin`` server is started on the database (``--workers 2 --max-cron-threads 1``: two HTTP
workers and a cron worker, which wakes on the send cron's trigger). This process then posts one
invoice every 1/rate seconds for ``--seconds`` (Odoo as a library, one commit per posting, as a
user's request commits; each posting triggers the send cron), while a thread watches the
emulator's documents. Latency of a document: from the commit of its posting to its first
appearance in the provider (watched every 50 ms). p50, p95 and max per provider, as a table
on stdout, then the JSON.

``bash setup/bench.sh --server-load [options]`` runs it on a throwaway database.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchmark as bm  # bench/benchmark.py: Odoo set-up and invoice helpers
import limits as lm  # bench/limits.py: connecting to an emulator

log = bm.log


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-d", "--database", required=True)
    p.add_argument("--addons-path", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--odoo-bin", required=True)
    p.add_argument("--providers", default="qbo,xero")
    p.add_argument("--rate", type=float, default=5.0, help="invoices posted per second (5)")
    p.add_argument("--seconds", type=float, default=60.0, help="how long (60)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--customers", type=int, default=40)
    p.add_argument("--baseline", type=int, default=0)
    p.add_argument("--clock-speed", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json")
    return p.parse_args(argv)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """An ``odoo-bin`` server on the database (this process's child)."""

    def __init__(self, args, logfile):
        self.port = free_port()
        env = dict(os.environ)
        root = str(bm.REPO_ROOT)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                args.odoo_bin,
                "-d",
                args.database,
                "--db-filter",
                f"^{args.database}$",
                "--addons-path",
                args.addons_path,
                "--data-dir",
                args.data_dir,
                "--workers",
                str(args.workers),
                "--max-cron-threads",
                "1",
                "--http-port",
                str(self.port),
                "--gevent-port",
                str(free_port()),
                "--log-level",
                "warn",
            ],
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/web/health", timeout=2
                ) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("the Odoo server did not start in 120 s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Watcher(threading.Thread):
    """First time each document number is seen in the emulator."""

    def __init__(self, emulator, kind):
        super().__init__(daemon=True)
        self.emulator, self.kind = emulator, kind
        self.seen = {}
        self.running = True

    def run(self):
        while self.running:
            now = time.time()
            with self.emulator.lock:
                docs = list(self.emulator.state.get(self.kind, {}).values())
            for doc in docs:
                number = doc.get("DocNumber") or doc.get("InvoiceNumber")
                self.seen.setdefault(number, now)
            time.sleep(0.05)


def percentile(values, q):
    values = sorted(values)
    if not values:
        return None
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def run_provider(bench, args, provider, logfile):
    emulator = bench.emulator(provider)
    server = None
    watcher = Watcher(emulator, "Invoice" if provider == "qbo" else "Invoices")
    try:
        bench.connect_to(provider, emulator)
        count = int(args.rate * args.seconds)
        moves, _lines = bench.make_invoices(bench.company, count)  # drafts: posting is timed
        ids = moves.ids
        log(f"{provider}: starting odoo-bin --workers {args.workers} --max-cron-threads 1")
        server = Server(args, logfile)
        watcher.start()
        posted = {}
        late = 0
        started = time.time()
        for n, move_id in enumerate(ids):
            target = started + n / args.rate
            if time.time() < target:
                time.sleep(target - time.time())
            else:
                late += 1
            move = bench.env["account.move"].browse(move_id)
            move.action_post()
            bench.commit()
            log_every = max(1, count // 10)
            if n % log_every == 0:
                log(f"{provider}: {n + 1} posted, {len(watcher.seen)} at the provider")
            posted[move.name] = time.time()
            bench.env.invalidate_all()
        posting_s = time.time() - started
        log(f"{provider}: {count} posted in {posting_s:.1f} s; waiting for the provider")
        deadline = time.time() + 300
        while time.time() < deadline and not all(name in watcher.seen for name in posted):
            time.sleep(0.2)
    finally:
        watcher.running = False
        if server:
            server.stop()
        emulator.stop()
        # A new transaction: the server's cron wrote the connection meanwhile.
        bench.env.cr.rollback()
        bench.env.invalidate_all()
        bench.env["qxs.connection"].search([("company_id", "=", bench.company.id)]).write(
            {"state": "disconnected", "active": False}
        )
        bench.commit()
    latencies = [watcher.seen[name] - at for name, at in posted.items() if name in watcher.seen]
    return {
        "posted": len(posted),
        "posting_s": round(posting_s, 1),
        "posted_late": late,
        "reached_provider": len(latencies),
        "p50_s": round(percentile(latencies, 0.5), 2) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "max_s": round(max(latencies), 2) if latencies else None,
        "mean_s": round(statistics.mean(latencies), 2) if latencies else None,
        "api_calls": sum(emulator.counts().values()),
    }


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, str(bm.REPO_ROOT))
    registry = bm.load_odoo(args)
    from odoo import SUPERUSER_ID, api, release

    results = {
        "meta": {
            "odoo": release.version,
            "rate_per_s": args.rate,
            "seconds": args.seconds,
            "workers": args.workers,
        },
        "providers": {},
    }
    logpath = Path(args.data_dir) / f"server_load_{args.database}.log"
    with registry.cursor() as cr, open(logpath, "w", encoding="utf-8") as logfile:
        env = api.Environment(cr, SUPERUSER_ID, {})
        bench = lm.Limits(env, args)
        bench.setup_common()
        for provider in [p.strip() for p in args.providers.split(",") if p.strip()]:
            results["providers"][provider] = run_provider(bench, args, provider, logfile)
            log(f"{provider}: {results['providers'][provider]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, sort_keys=True))
    names = list(results["providers"])
    print("| Latency, post to provider | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for key in (
        "posted",
        "posted_late",
        "reached_provider",
        "p50_s",
        "p95_s",
        "max_s",
        "api_calls",
    ):
        print(f"| {key} | " + " | ".join(str(results["providers"][n][key]) for n in names) + " |")
    print()
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
