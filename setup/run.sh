#!/usr/bin/env bash
# The main job: Odoo 18 with both addons on a demo database, connected to the local QuickBooks
# Online and Xero emulators, so that you can post an invoice and watch it sync.
#
#   http://localhost:8069  (login admin / password admin)
#
# The emulators are sandboxes that keep their company between runs (a JSON state file each, in
# $QXS_HOME/sandbox): restarting keeps the demo's links (an invoice synced before a restart can
# be updated or voided after it). Ctrl-C stops Odoo and the emulators (their state is saved).
# Options (environment): QXS_DEMO_DB (default qxs_demo), QXS_HTTP_PORT (8069), QXS_QBO_PORT
# (8070), QXS_XERO_PORT (8071), QXS_SANDBOX_DIR ($QXS_HOME/sandbox), QXS_RESET_DEMO=1 rebuilds
# the database and starts the sandboxes afresh.
set -euo pipefail
# shellcheck source=setup/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

DB=${QXS_DEMO_DB:-qxs_demo}
HTTP_PORT=${QXS_HTTP_PORT:-8069}
QBO_PORT=${QXS_QBO_PORT:-8070}
XERO_PORT=${QXS_XERO_PORT:-8071}
DATA_DIR="$QXS_HOME/data"
SANDBOX_DIR=${QXS_SANDBOX_DIR:-$QXS_HOME/sandbox}

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

start_emulator() { # provider port: starts it in the background, its company kept in a file
    rm -f "$QXS_HOME/emulator-$1.out"
    "$PY" -m tests.emulators "$1" --port "$2" --state-file "$SANDBOX_DIR/$1.json" \
        > "$QXS_HOME/emulator-$1.out" 2>&1 &
    pids+=($!)
}
emulator_urls() { # provider port -> the JSON line of URLs it printed
    local out="$QXS_HOME/emulator-$1.out"
    for _ in $(seq 50); do
        head -1 "$out" 2>/dev/null | grep -q '^{' && { head -1 "$out"; return 0; }
        sleep 0.2
    done
    cat "$out" >&2
    die "The $1 emulator did not start (see above; is port $2 free? set QXS_${1^^}_PORT)."
}
port_free() { # nothing listens on the port (as the servers, ignore connections in TIME_WAIT)
    "$PY" -c 'import socket, sys; s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("", int(sys.argv[1])))' "$1" 2>/dev/null
}
for spec in "HTTP:$HTTP_PORT" "QBO:$QBO_PORT" "XERO:$XERO_PORT"; do
    port_free "${spec#*:}" || die "Port ${spec#*:} is busy (another run.sh?): stop it or set QXS_${spec%%:*}_PORT."
done
drop_demo() {
    dropdb --if-exists "$DB"
    rm -rf "$DATA_DIR/filestore/$DB"
}
drop_sandbox() { rm -f "$SANDBOX_DIR/qbo.json" "$SANDBOX_DIR/xero.json"; }
db_exists() { psql -d postgres -Atqc "select 1 from pg_database where datname='$DB'" | grep -q 1; }
# A database is reused only when both addons got installed: a first run that failed half-way
# (or was interrupted) leaves a database without them, which is rebuilt.
addons_installed() {
    [ "$(psql -d "$DB" -Atqc "select count(*) from ir_module_module where state = 'installed'
        and name in ('qbo_xero_sync', 'qbo_xero_sync_cogs')" 2>/dev/null)" = 2 ]
}
if [ -n "${QXS_RESET_DEMO:-}" ]; then
    say "QXS_RESET_DEMO: dropping the demo database $DB and the emulators' sandboxes"
    drop_demo
    drop_sandbox
elif db_exists && ! addons_installed; then
    say "The demo database $DB is incomplete (an earlier first run failed): rebuilding it"
    drop_demo
fi
# The sandboxes go with the database: a new database starts them afresh (the documents of
# another database would clash with its invoice numbers).
if ! db_exists && { [ -e "$SANDBOX_DIR/qbo.json" ] || [ -e "$SANDBOX_DIR/xero.json" ]; }; then
    say "A new demo database: starting the emulators' sandboxes afresh ($SANDBOX_DIR)"
    drop_sandbox
fi

say "Starting the QuickBooks Online emulator on port $QBO_PORT and the Xero emulator on $XERO_PORT (sandboxes in $SANDBOX_DIR)"
start_emulator qbo "$QBO_PORT"
start_emulator xero "$XERO_PORT"
QXS_QBO_URLS=$(emulator_urls qbo "$QBO_PORT")
QXS_XERO_URLS=$(emulator_urls xero "$XERO_PORT")
export QXS_QBO_URLS QXS_XERO_URLS
# The emulators' webhooks (POST <admin>/webhook) go to this Odoo.
for provider in qbo xero; do
    "$PY" - "$provider" "http://localhost:$HTTP_PORT/qbo_xero_sync/webhook/$provider" <<'PY' \
        || die "Configuring the $provider emulator failed."
import json, os, sys, urllib.request
admin = json.loads(os.environ[f"QXS_{sys.argv[1].upper()}_URLS"])["admin"]
request = urllib.request.Request(
    admin + "/config", data=json.dumps({"webhook_url": sys.argv[2]}).encode(), method="POST",
    headers={"Content-Type": "application/json"},
)
urllib.request.urlopen(request, timeout=10).close()
PY
done

if ! db_exists; then
    say "Creating the demo database $DB with Accounting, Sales, Inventory, both addons and demo data (~1-2 min)"
    "$PY" "$ODOO_BIN" "${ODOO_ARGS[@]}" -i sale_management,sale_stock,stock_account,qbo_xero_sync,qbo_xero_sync_cogs \
        --stop-after-init --http-port "$HTTP_PORT" --log-level=warn \
        || { drop_demo; die "Creating the demo database failed (see above)."; }
    addons_installed || { drop_demo; die "The addons were not installed in $DB (see above)."; }
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
say "           Xero $(echo "$QXS_XERO_URLS" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["admin"])')/objects/Invoices."
say "Pay an invoice there (POST <admin>/pay {\"invoice_id\": ...}), then tell Odoo (POST <admin>/webhook"
say "{\"entities\": [{\"name\": \"Invoice\", \"id\": ...}]} for QuickBooks, {\"events\": [{\"resourceId\": ...,"
say "\"eventCategory\": \"INVOICE\", \"eventType\": \"UPDATE\"}]} for Xero): the invoice turns Paid. Ctrl-C stops everything."
"$PY" "$ODOO_BIN" "${ODOO_ARGS[@]}" --http-port "$HTTP_PORT" --limit-time-real=0 &
pids+=($!)
wait "${pids[-1]}"
