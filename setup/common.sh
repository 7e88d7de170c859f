# Shared settings of the setup scripts (sourced, not run).
# Every value can be overridden from the environment; the defaults need no variable at all,
# so that CI (which has none of a developer's shell variables) finds what install.sh made.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QXS_HOME=${QXS_HOME:-$HOME/.local/share/qbo_xero_sync}
# Default Odoo 18.0 source folder (outside the checkout), used when no odoo is importable and
# ODOO_SOURCE is not set.
QXS_ODOO_DIR=${QXS_ODOO_DIR:-$QXS_HOME/odoo-18.0}
QXS_VENV=${QXS_VENV:-$QXS_HOME/venv}
QXS_PYTHON=${QXS_PYTHON:-$(command -v python3.11 || command -v python3)}
ODOO_TARBALL_URL=${ODOO_TARBALL_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}

export PGHOST=${PGHOST:-127.0.0.1}
export PGPORT=${PGPORT:-5432}
export PGUSER=${PGUSER:-$(id -un)}

say() { printf '\033[1m[qbo_xero_sync]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[qbo_xero_sync] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

venv_python() { echo "$QXS_VENV/bin/python"; }

# odoo-bin of the installed Odoo (the venv knows where odoo lives).
odoo_bin() {
    local py
    py=$(venv_python)
    "$py" - <<'PY'
import os, odoo
root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
cand = os.path.join(root, "odoo-bin")
print(cand if os.path.exists(cand) else "")
PY
}

# Comma-separated addons path: Odoo's own addons plus ours.
addons_path() {
    local py
    py=$(venv_python)
    "$py" -c 'import os, odoo; print(os.path.join(os.path.dirname(odoo.__file__), "addons"))' \
        | tr -d '\n'
    printf ',%s' "$REPO_ROOT/addons"
}

pg_ok() { psql -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

# Installs if needed and checks Odoo and PostgreSQL; sets PY and ODOO_BIN (test.sh, bench.sh).
require_installation() {
    bash "$REPO_ROOT/setup/install.sh" > "$QXS_HOME/install.log" 2>&1 \
        || { cat "$QXS_HOME/install.log"; die "setup/install.sh failed (log above)."; }
    PY=$(venv_python)
    "$PY" -c 'import odoo.release as r; assert r.version_info[:2] == (18, 0)' 2>/dev/null \
        || die "Odoo 18.0 is not importable from $QXS_VENV: run setup/install.sh."
    pg_ok || die "PostgreSQL is not reachable at $PGHOST:$PGPORT as role $PGUSER."
    ODOO_BIN=$(odoo_bin)
    [ -n "$ODOO_BIN" ] || die "odoo-bin not found beside the odoo package."
}

# The template database with Odoo's base modules (no demo data), named after the modules, the
# pins and the Odoo version: built once (~1-2 min), then copied per run. Sets TEMPLATE.
# $1: data dir, $2: a folder for the build log.
ensure_template() {
    local data_dir=$1 logdir=$2 base_modules="account,sale_management,sale_stock,stock_account"
    local key building
    key=$(printf '%s %s' "$base_modules" "$(cat "$REPO_ROOT/setup/odoo-constraints.txt")" \
        "$("$PY" -c 'import odoo.release as r; print(r.version)')" | sha1sum | cut -c1-10)
    TEMPLATE="qxs_template_$key"
    # Runs started together build it once: the others wait for this lock, then find it.
    mkdir -p "$data_dir"
    exec 9>"$data_dir/.template.lock"
    flock 9
    if psql -d postgres -Atqc "select 1 from pg_database where datname='$TEMPLATE'" | grep -q 1; then
        flock -u 9
        return 0
    fi
    say "Building the template database $TEMPLATE ($base_modules, no demo data; once, ~1-2 min)"
    building="${TEMPLATE}_building"
    dropdb --if-exists "$building" >/dev/null 2>&1
    "$PY" "$ODOO_BIN" -d "$building" --data-dir "$data_dir" --addons-path "$(addons_path)" \
        -i "$base_modules" --without-demo=all --stop-after-init --no-http \
        --log-level=warn > "$logdir/template.log" 2>&1 \
        || { tail -50 "$logdir/template.log"; die "Building the template database failed."; }
    psql -d postgres -qc "ALTER DATABASE \"$building\" RENAME TO \"$TEMPLATE\"" \
        || die "Renaming the template database failed."
    rm -rf "$data_dir/filestore/$TEMPLATE"
    if [ -d "$data_dir/filestore/$building" ]; then
        mv "$data_dir/filestore/$building" "$data_dir/filestore/$TEMPLATE"
    fi
    flock -u 9
}

# A throwaway copy of the template (database and filestore). $1: data dir, $2: new name.
copy_template() {
    createdb -T "$TEMPLATE" "$2" || die "createdb -T $TEMPLATE $2 failed."
    mkdir -p "$1/filestore"
    if [ -d "$1/filestore/$TEMPLATE" ]; then
        cp -a "$1/filestore/$TEMPLATE" "$1/filestore/$2"
    fi
}
