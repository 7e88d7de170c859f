#!/usr/bin/env bash
# Runs the benchmark (bench/benchmark.py, see bench/README.md) on a throwaway database and prints
# its markdown tables, then its results as JSON.
#
#   bash setup/bench.sh                                  # defaults: 300 invoices, 40 customers
#   bash setup/bench.sh --invoices 1000 --providers qbo  # any option of bench/benchmark.py
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
say "Installing qbo_xero_sync and qbo_xero_sync_cogs on $BENCH_DB"
"$PY" "$ODOO_BIN" -d "$BENCH_DB" --data-dir "$DATA_DIR" --addons-path "$(addons_path)" \
    -i qbo_xero_sync,qbo_xero_sync_cogs --without-demo=all --stop-after-init --no-http \
    --log-level=warn > "$logdir/install.log" 2>&1 \
    || { tail -50 "$logdir/install.log"; die "Installing the addons failed."; }

say "Benchmark on $BENCH_DB (progress on stderr; tables and JSON on stdout)"
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$REPO_ROOT/bench/benchmark.py" \
    -d "$BENCH_DB" --addons-path "$(addons_path)" --data-dir "$DATA_DIR" "$@"
