#!/usr/bin/env bash
# The main job: Odoo 18 with both addons on a demo database, connected to the local QuickBooks
# Online and Xero emulators, so that you can post an invoice and watch it sync.
#
#   http://localhost:8069  (login admin / password admin)
#
# Ctrl-C stops Odoo and the emulators. Options (environment): QXS_DEMO_DB (default qxs_demo),
# QXS_HTTP_PORT (8069), QXS_QBO_PORT (8070), QXS_XERO_PORT (8071), QXS_RESET_DEMO=1 rebuilds
# the database.
set -euo pipefail
# shellcheck source=setup/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

DB=${QXS_DEMO_DB:-qxs_demo}
HTTP_PORT=${QXS_HTTP_PORT:-8069}
QBO_PORT=${QXS_QBO_PORT:-8070}
XERO_PORT=${QXS_XERO_PORT:-8071}
DATA_DIR="$QXS_HOME/data"

bash setup/install.sh
PY=$(venv_python)
ODOO_BIN=$(odoo_bin)
export PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
ODOO_ARGS=(--data-dir "$DATA_DIR" --addons-path "$(addons_path)" -d "$DB" --db-filter "^$DB\$")

pids=()
cleanup() {
    trap - INT TERM EXIT
    say "Stopping"
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

start_emulator() { # provider port: starts it in the background
    rm -f "$QXS_HOME/emulator-$1.out"
    "$PY" -m tests.emulators "$1" --port "$2" > "$QXS_HOME/emulator-$1.out" 2>&1 &
    pids+=($!)
}
emulator_urls() { # provider port -> the JSON line of URLs it printed
    local out="$QXS_HOME/emulator-$1.out"
    for _ in $(seq 50); do
        head -1 "$out" 2>/dev/null | grep -q '^{' && { head -1 "$out"; return 0; }
        sleep 0.2
    done
    cat "$out" >&2
    die "The $1 emulator did not start (is port $2 free? set QXS_${1^^}_PORT)."
}
say "Starting the QuickBooks Online emulator on port $QBO_PORT and the Xero emulator on $XERO_PORT"
start_emulator qbo "$QBO_PORT"
start_emulator xero "$XERO_PORT"
QXS_QBO_URLS=$(emulator_urls qbo "$QBO_PORT")
QXS_XERO_URLS=$(emulator_urls xero "$XERO_PORT")
export QXS_QBO_URLS QXS_XERO_URLS

if [ -n "${QXS_RESET_DEMO:-}" ]; then
    dropdb --if-exists "$DB"
fi
if ! psql -d postgres -Atqc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
    say "Creating the demo database $DB with Accounting, Sales, Inventory, both addons and demo data (~2 min)"
    "$PY" "$ODOO_BIN" "${ODOO_ARGS[@]}" -i sale_management,sale_stock,stock_account,qbo_xero_sync,qbo_xero_sync_cogs \
        --stop-after-init --http-port "$HTTP_PORT" --log-level=warn \
        || die "Creating the demo database failed (see above)."
else
    say "Reusing the demo database $DB (QXS_RESET_DEMO=1 rebuilds it); updating the addons"
    "$PY" "$ODOO_BIN" "${ODOO_ARGS[@]}" -u qbo_xero_sync,qbo_xero_sync_cogs --stop-after-init \
        --http-port "$HTTP_PORT" --log-level=warn || die "Updating the addons failed (see above)."
fi

say "Connecting the demo companies to the emulators"
"$PY" "$ODOO_BIN" shell "${ODOO_ARGS[@]}" --http-port "$HTTP_PORT" --log-level=warn --no-http \
    < setup/demo_connect.py || die "Connecting the demo companies failed (see above)."

say "Odoo runs on http://localhost:$HTTP_PORT - log in with admin / admin."
say "Post a customer invoice (Invoicing > Customers > Invoices); within a minute its Sync status turns Synced."
say "Emulators: QuickBooks $(echo "$QXS_QBO_URLS" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["admin"])')/objects/Invoice,"
say "           Xero $(echo "$QXS_XERO_URLS" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["admin"])')/objects/Invoices. Ctrl-C stops everything."
"$PY" "$ODOO_BIN" "${ODOO_ARGS[@]}" --http-port "$HTTP_PORT" --limit-time-real=0 &
pids+=($!)
wait "${pids[-1]}"
