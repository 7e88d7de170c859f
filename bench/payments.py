"""The payments phase of the benchmark (see bench/README.md): Odoo payments sent out, then removed.

On a ``Bench`` of ``bench/benchmark.py`` whose company is connected to the provider's emulator:

1. N new invoices are posted together and sent (not measured);
2. payments: the "Register payment" wizard pays all N at once, one payment per invoice (as a user
   selects invoices in the list and registers them in bulk); the send cron is drained: wall time,
   API calls per exported payment (QuickBooks: one batch per 30 payments, Xero: one PUT per 50);
3. unreconcile: the N payments are unreconciled together (their remote payments must be
   deleted), and the send cron drained again.
"""

import time

# The journal's deposit account of each provider (empty: QuickBooks' Undeposited Funds; Xero
# requires one: the emulator's seeded bank account).
DEPOSIT_ACCOUNT = {"qbo": "", "xero": "090"}
# What the brief asks of the API calls per exported payment.
CALLS_GOAL = {"qbo": 0.05, "xero": 0.03}


def remote_payments(provider, emulator):
    """The live payments the emulator holds."""
    if provider == "qbo":
        return emulator.objects("Payment")
    return [p for p in emulator.objects("Payments") if p["Status"] != "DELETED"]


def run_payments(bench, provider, emulator, log):
    """The payments phase on ``bench`` (a benchmark.Bench; ``log`` prints progress): returns
    its figures."""
    env = bench.env
    count = bench.args.payments
    bench.bank.qxs_deposit_account = DEPOSIT_ACCOUNT[provider]
    bench.commit()
    emulator.clock.advance(60)
    moves, _lines = bench.make_invoices(bench.company, count)
    moves.action_post()
    bench.commit()
    bench.drain(emulator)
    sent = bench.records(moves)
    bench.check(all(r.state == "synced" for r in sent), f"{provider}: invoices not sent", sent)
    already = len(remote_payments(provider, emulator))

    # Registered in bulk: one payment per invoice (group_payment off).
    emulator.clock.advance(60)
    start = time.perf_counter()
    wizard = (
        env["account.payment.register"]
        .with_context(active_model="account.move", active_ids=moves.ids)
        .create({"journal_id": bench.bank.id, "group_payment": False})
    )
    payments = wizard._create_payments()
    env.flush_all()
    bench.commit()
    register_s = time.perf_counter() - start
    log(f"{provider}: {len(payments)} payments registered; draining the queue")
    before = emulator.counts()
    drain = bench.drain(emulator)
    calls, total = bench.calls_since(emulator, before)
    env.invalidate_all()
    recs = payment_records(env, payments)
    out = {"registered": len(payments), "register_s": round(register_s, 2)}
    out["send"] = bench.phase_figures(drain, calls, total, len(payments))
    out["send"]["synced"] = sum(r.state == "synced" for r in recs)
    out["send"]["remote_payments"] = len(remote_payments(provider, emulator)) - already
    out["send"]["goal"] = CALLS_GOAL[provider]

    # One round of unreconcile: the remote payments are deleted.
    emulator.clock.advance(60)
    log(f"{provider}: unreconciling {len(payments)} payments; draining the queue")
    payments.move_id.line_ids.filtered("reconciled").remove_move_reconcile()
    bench.commit()
    before = emulator.counts()
    drain = bench.drain(emulator)
    calls, total = bench.calls_since(emulator, before)
    env.invalidate_all()
    out["unreconcile"] = bench.phase_figures(drain, calls, total, len(payments))
    out["unreconcile"]["deleted"] = sum(
        r.state == "synced" and r.remote_status == "deleted" for r in recs
    )
    out["unreconcile"]["remote_payments"] = len(remote_payments(provider, emulator)) - already
    out["unreconcile"]["errors"] = sorted({str(r.last_error) for r in recs if r.last_error})[:5]
    return out


def payment_records(env, payments):
    return env["qxs.sync.record"].search(
        [("purpose", "=", "payment"), ("payment_move_id", "in", payments.move_id.ids)]
    )


def table_rows(r):
    """(label, value) rows of the payments phase of one provider's results."""
    if "payments" not in r:
        return []
    p = r["payments"]
    s, u = p["send"], p["unreconcile"]
    return [
        ("Payments: registered in bulk (wizard), s", f"{p['registered']} in {p['register_s']}"),
        ("Payments: queue drained in, s (cron runs)", f"{s['seconds']} ({s['cron_runs']})"),
        ("Payments: payments/s", s["docs_per_s"]),
        (
            "Payments: API calls (per payment; goal)",
            f"{s['api_calls']} ({s['calls_per_doc']}; <= {s['goal']})",
        ),
        ("Payments: synced / remote payments", f"{s['synced']} / {s['remote_payments']}"),
        ("Unreconcile: queue drained in, s (cron runs)", f"{u['seconds']} ({u['cron_runs']})"),
        ("Unreconcile: API calls (per payment)", f"{u['api_calls']} ({u['calls_per_doc']})"),
        (
            "Unreconcile: deleted remotely / remote payments left",
            f"{u['deleted']} / {u['remote_payments']}",
        ),
    ]


def failed_checks(r):
    if "payments" not in r:
        return []
    p = r["payments"]
    s, u, n = p["send"], p["unreconcile"], p["registered"]
    checks = [
        (s["synced"] == n, f"payments: {s['synced']} of {n} synced"),
        (s["remote_payments"] == n, f"payments: {s['remote_payments']} remote payments"),
        (s["calls_per_doc"] <= s["goal"], f"payments: {s['calls_per_doc']} calls per payment"),
        (u["deleted"] == n, f"unreconcile: {u['deleted']} of {n} deleted ({u['errors']})"),
        (not u["remote_payments"], f"unreconcile: {u['remote_payments']} remote payments left"),
    ]
    return [message for ok, message in checks if not ok]
