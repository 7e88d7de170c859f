#!/usr/bin/env bash
# Runs the benchmark (bench/benchmark.py, see bench/README.md) on a throwaway database and prints
# its markdown tables, then its results as JSON.
#
#   bash setup/bench.sh                                  # defaults: 300 invoices, 40 customers
#   bash setup/bench.sh --invoices 1000 --providers qbo  # any option of bench/benchmark.py
#   bash setup/bench.sh --campaign 5000 [--seed S]       # the randomized campaign, N steps per
#                                                        # provider (see bench/README.md)
#   bash setup/bench.sh --limits [--documents 10000 ...] # throughput at the providers' limits
#                                                        # (bench/limits.py, issue 16)
#   bash setup/bench.sh --server-load [--rate 5 ...]     # latency with odoo-bin as a server
#                                                        # (bench/server_load.py, issue 16)
#   bash setup/bench.sh --scale-out [--documents 300 ...] # one vs two odoo-bin servers on one
#                                                        # database (bench/scale_out.py, goal 7)
#
#   1. setup/install.sh (does nothing when everything is installed)
#   2. the template database of setup/test.sh (Odoo's base modules; built once when missing)
#   3. a throwaway copy of it (createdb -T) with both addons installed (odoo-bin -i)
#   4. bench/benchmark.py on it; the database is dropped on exit (QXS_KEEP_DB=1 keeps it)
set -uo pipefail
# shellcheck source=setup/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT" || exit 1

require_installation

DATA_DIR="$QXS_HOME/data"
BENCH_DB="qxs_bench_$$"
logdir=$(mktemp -d "${TMPDIR:-/tmp}/qxs-bench.XXXXXX")
cleanup() {
    if [ -z "${QXS_KEEP_DB:-}" ]; then
        dropdb --if-exists "$BENCH_DB" >/dev/null 2>&1
        rm -rf "$DATA_DIR/filestore/$BENCH_DB"
    fi
}
trap cleanup EXIT

ensure_template "$DATA_DIR" "$logdir"  # the same template database as setup/test.sh
copy_template "$DATA_DIR" "$BENCH_DB"

if [ "${1:-}" = "--campaign" ]; then
    # The campaign test classes (addons/qbo_xero_sync/tests/campaign.py) through odoo-bin, with
    # N steps per provider; the summary lines (steps, faults, violations, seed, time) and any
    # violation with its reduced sequence are printed; exit 1 on a violation.
    steps=${2:-5000}
    shift $(( $# >= 2 ? 2 : 1 ))
    seed=${QXS_CAMPAIGN_SEED:-random}
    if [ "${1:-}" = "--seed" ]; then seed=${2:-}; fi
    case "$steps" in ''|*[!0-9]*) die "--campaign takes a number of steps (got '$steps')." ;; esac
    say "Campaign: $steps steps per provider${seed:+, seed $seed}, on $BENCH_DB (log: $logdir/campaign.log)"
    started=$(date +%s)
    PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" QXS_CAMPAIGN_STEPS="$steps" \
        QXS_CAMPAIGN_SEED="$seed" "$PY" "$ODOO_BIN" -d "$BENCH_DB" --data-dir "$DATA_DIR" \
        --addons-path "$(addons_path)" -i qbo_xero_sync,qbo_xero_sync_cogs --without-demo=all \
        --test-tags /qbo_xero_sync:TestCampaignQbo,/qbo_xero_sync:TestCampaignXero \
        --stop-after-init --http-port "$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" \
        --log-level=info > "$logdir/campaign.log" 2>&1
    rc=$?
    # The summaries (6 lines each) and the violations with their reduced sequences.
    # (The test's failure message repeats the violations after a Traceback: skipped.)
    awk '/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {v=0; skip=0; n=0; next}
         /^Traceback/ {skip=1}
         skip {next}
         /^campaign (qbo|xero): seed=/ {print; next}
         /^CAMPAIGN SUMMARY/ {n=5; print; next}
         /^VIOLATION / {v=1}
         v {print; next}
         n > 0 && /^  / {print; n--}' "$logdir/campaign.log"
    result=$(grep -oE "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$logdir/campaign.log" | tail -1)
    say "Campaign done in $(( $(date +%s) - started )) s: ${result:-no test result (see the log)}"
    case "$result" in
        "0 failed, 0 error(s) of 2 tests") [ "$rc" -eq 0 ] && exit 0 ;;
    esac
    tail -5 "$logdir/campaign.log"
    exit 1
fi

script="$REPO_ROOT/bench/benchmark.py"
if [ "${1:-}" = "--limits" ]; then
    # Throughput at the providers' limits (issue 16): bench/limits.py with the options after
    # --limits (see bench/README.md, "At the providers' limits").
    script="$REPO_ROOT/bench/limits.py"
    shift
elif [ "${1:-}" = "--server-load" ]; then
    # Latency with Odoo as a server (issue 16, goal 5): bench/server_load.py starts odoo-bin.
    script="$REPO_ROOT/bench/server_load.py"
    shift
    set -- --odoo-bin "$ODOO_BIN" "$@"
elif [ "${1:-}" = "--scale-out" ]; then
    # Scale-out (issue 16, goal 7): bench/scale_out.py starts one, then two odoo-bin servers on
    # copies of the database (createdb -T; each copy is dropped by the script).
    script="$REPO_ROOT/bench/scale_out.py"
    shift
    set -- --odoo-bin "$ODOO_BIN" "$@"
fi

say "Installing qbo_xero_sync and qbo_xero_sync_cogs on $BENCH_DB"
"$PY" "$ODOO_BIN" -d "$BENCH_DB" --data-dir "$DATA_DIR" --addons-path "$(addons_path)" \
    -i qbo_xero_sync,qbo_xero_sync_cogs --without-demo=all --stop-after-init --no-http \
    --log-level=warn > "$logdir/install.log" 2>&1 \
    || { tail -50 "$logdir/install.log"; die "Installing the addons failed."; }

say "Benchmark on $BENCH_DB (progress on stderr; tables and JSON on stdout)"
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$script" \
    -d "$BENCH_DB" --addons-path "$(addons_path)" --data-dir "$DATA_DIR" "$@"
