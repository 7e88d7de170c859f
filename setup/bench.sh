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

bash "$REPO_ROOT/setup/install.sh" > "$QXS_HOME/install.log" 2>&1 \
    || { cat "$QXS_HOME/install.log"; die "setup/install.sh failed (log above)."; }
PY=$(venv_python)
"$PY" -c 'import odoo.release as r; assert r.version_info[:2] == (18, 0)' 2>/dev/null \
    || die "Odoo 18.0 is not importable from $QXS_VENV: run setup/install.sh."
pg_ok || die "PostgreSQL is not reachable at $PGHOST:$PGPORT as role $PGUSER."
ODOO_BIN=$(odoo_bin)
[ -n "$ODOO_BIN" ] || die "odoo-bin not found beside the odoo package."

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

# The same template database as setup/test.sh (same modules, same key): built once, reused.
BASE_MODULES="account,sale_management,sale_stock,stock_account"
tmpl_key=$(printf '%s %s' "$BASE_MODULES" "$(cat "$REPO_ROOT/setup/odoo-constraints.txt")" \
    "$("$PY" -c 'import odoo.release as r; print(r.version)')" | sha1sum | cut -c1-10)
TEMPLATE="qxs_template_$tmpl_key"
if ! psql -d postgres -Atqc "select 1 from pg_database where datname='$TEMPLATE'" | grep -q 1; then
    say "Building the template database $TEMPLATE ($BASE_MODULES, no demo data; once, ~1-2 min)"
    building="${TEMPLATE}_building"
    dropdb --if-exists "$building" >/dev/null 2>&1
    "$PY" "$ODOO_BIN" -d "$building" --data-dir "$DATA_DIR" --addons-path "$(addons_path)" \
        -i "$BASE_MODULES" --without-demo=all --stop-after-init --no-http \
        --log-level=warn > "$logdir/template.log" 2>&1 \
        || { tail -50 "$logdir/template.log"; die "Building the template database failed."; }
    psql -d postgres -qc "ALTER DATABASE \"$building\" RENAME TO \"$TEMPLATE\"" || die "rename failed"
    rm -rf "$DATA_DIR/filestore/$TEMPLATE"
    [ -d "$DATA_DIR/filestore/$building" ] && mv "$DATA_DIR/filestore/$building" "$DATA_DIR/filestore/$TEMPLATE"
fi

createdb -T "$TEMPLATE" "$BENCH_DB" || die "createdb -T $TEMPLATE failed."
mkdir -p "$DATA_DIR/filestore"
[ -d "$DATA_DIR/filestore/$TEMPLATE" ] && cp -a "$DATA_DIR/filestore/$TEMPLATE" "$DATA_DIR/filestore/$BENCH_DB"
say "Installing qbo_xero_sync and qbo_xero_sync_cogs on $BENCH_DB"
"$PY" "$ODOO_BIN" -d "$BENCH_DB" --data-dir "$DATA_DIR" --addons-path "$(addons_path)" \
    -i qbo_xero_sync,qbo_xero_sync_cogs --without-demo=all --stop-after-init --no-http \
    --log-level=warn > "$logdir/install.log" 2>&1 \
    || { tail -50 "$logdir/install.log"; die "Installing the addons failed."; }

say "Benchmark on $BENCH_DB (progress on stderr; tables and JSON on stdout)"
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$REPO_ROOT/bench/benchmark.py" \
    -d "$BENCH_DB" --addons-path "$(addons_path)" --data-dir "$DATA_DIR" "$@"
