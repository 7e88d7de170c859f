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
