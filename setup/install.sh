#!/usr/bin/env bash
# Installs what qbo_xero_sync needs to run and to be tested. Safe to re-run: every step checks
# first and does nothing when its work is already done.
#
#   1. a virtualenv ($QXS_VENV, default ~/.local/share/qbo_xero_sync/venv)
#   2. Odoo 18.0, found in this order:
#        a. an `odoo` (18.0) already importable by $QXS_PYTHON
#        b. $ODOO_SOURCE: a folder or a .tar.gz of an Odoo 18.0 source tree
#        c. the default folder $QXS_ODOO_DIR (~/.local/share/qbo_xero_sync/odoo-18.0)
#        d. the official Odoo 18.0 source tarball ($ODOO_TARBALL_URL), unpacked into c.
#   3. Odoo's Python requirements under setup/odoo-constraints.txt, then requirements.txt
#   4. PostgreSQL reachable (PGHOST/PGPORT/PGUSER; default 127.0.0.1:5432, OS user as role);
#      installed with apt and started when missing and apt is usable
#   5. Debian's chromium for Odoo's browser tests, when missing and apt is usable
set -euo pipefail
# shellcheck source=setup/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap 'die "install.sh failed at line $LINENO (command: $BASH_COMMAND)"' ERR

[ -n "$QXS_PYTHON" ] || die "No python3 found. Install Python 3.11 (Debian: apt install python3 python3-venv)."
pyver=$("$QXS_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
    3.10|3.11|3.12) ;;
    *) die "Odoo 18.0 needs Python 3.10 to 3.12; $QXS_PYTHON is $pyver. Set QXS_PYTHON." ;;
esac
mkdir -p "$QXS_HOME"

# ---------------------------------------------------------------- 1. virtualenv
if [ ! -x "$QXS_VENV/bin/python" ]; then
    say "Creating virtualenv $QXS_VENV (Python $pyver)"
    "$QXS_PYTHON" -m venv "$QXS_VENV" || die "python -m venv failed (Debian: apt install python3-venv)."
else
    say "Virtualenv $QXS_VENV already exists"
fi
PY="$QXS_VENV/bin/python"

# ---------------------------------------------------------------- 2. Odoo 18.0
is_odoo18() { # $1: python, prints the odoo package folder when it is Odoo 18.0
    "$1" - <<'PY' 2>/dev/null
import os, odoo.release as r
assert r.version_info[:2] == (18, 0), r.version_info
print(os.path.dirname(os.path.dirname(os.path.abspath(r.__file__))))
PY
}
valid_tree() { [ -f "$1/odoo/release.py" ] && [ -f "$1/odoo-bin" ] && grep -q "version_info = (18, 0" "$1/odoo/release.py"; }

odoo_root=""
sys_odoo=$(PYTHONPATH='' is_odoo18 "$QXS_PYTHON" || true)
if [ -n "$sys_odoo" ]; then
    odoo_root=$sys_odoo
    say "Using the Odoo 18.0 importable by $QXS_PYTHON: $odoo_root"
elif [ -n "${ODOO_SOURCE:-}" ]; then
    if [ -d "$ODOO_SOURCE" ]; then
        valid_tree "$ODOO_SOURCE" || die "ODOO_SOURCE=$ODOO_SOURCE is not an Odoo 18.0 source tree (needs odoo/release.py with 18.0 and odoo-bin)."
        odoo_root=$(cd "$ODOO_SOURCE" && pwd)
        say "Using Odoo 18.0 from ODOO_SOURCE: $odoo_root"
    elif [ -f "$ODOO_SOURCE" ]; then
        if ! valid_tree "$QXS_ODOO_DIR"; then
            say "Unpacking $ODOO_SOURCE into $QXS_ODOO_DIR"
            mkdir -p "$QXS_ODOO_DIR"
            tar -xzf "$ODOO_SOURCE" -C "$QXS_ODOO_DIR" --strip-components=1 \
                || die "Could not unpack $ODOO_SOURCE (expected a .tar.gz of an Odoo 18.0 source tree)."
        fi
        valid_tree "$QXS_ODOO_DIR" || die "$ODOO_SOURCE does not hold an Odoo 18.0 source tree."
        odoo_root=$QXS_ODOO_DIR
    else
        die "ODOO_SOURCE=$ODOO_SOURCE does not exist."
    fi
elif valid_tree "$QXS_ODOO_DIR"; then
    odoo_root=$QXS_ODOO_DIR
    say "Using Odoo 18.0 from the default folder $odoo_root"
else
    say "No Odoo 18.0 found: downloading $ODOO_TARBALL_URL"
    tmp=$(mktemp -d)
    curl -fL --retry 3 -o "$tmp/odoo.tar.gz" "$ODOO_TARBALL_URL" \
        || die "Download failed. Get the Odoo 18.0 source yourself and run: ODOO_SOURCE=/path/to/odoo-18.0 $0"
    mkdir -p "$QXS_ODOO_DIR"
    tar -xzf "$tmp/odoo.tar.gz" -C "$QXS_ODOO_DIR" --strip-components=1 || die "Could not unpack the Odoo tarball."
    rm -rf "$tmp"
    valid_tree "$QXS_ODOO_DIR" || die "The downloaded tarball is not an Odoo 18.0 source tree."
    odoo_root=$QXS_ODOO_DIR
fi

site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ -z "$sys_odoo" ]; then
    echo "$odoo_root" > "$site/qbo_xero_sync_odoo.pth"
fi

# ---------------------------------------------------------------- 3. Python requirements
stamp="$QXS_VENV/.qxs-requirements"
want=$(cat "$REPO_ROOT/setup/odoo-constraints.txt" "$REPO_ROOT/requirements.txt" | sha1sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && "$PY" -c 'import odoo, psycopg2, quickbooks, xero_python, jsonschema, yaml' 2>/dev/null; then
    say "Python requirements already installed"
else
    say "Installing Odoo's requirements (pinned by setup/odoo-constraints.txt) and requirements.txt"
    "$PY" -m pip install -q --upgrade "pip<25" "setuptools>=75.1,<81" wheel || die "Could not upgrade pip in the venv."
    "$PY" -m pip install -q -r "$REPO_ROOT/setup/odoo-constraints.txt" \
        || die "Installing Odoo's requirements failed (see above); Debian may need: apt install build-essential python3-dev libpq-dev libldap2-dev libsasl2-dev"
    "$PY" -m pip install -q -r "$REPO_ROOT/requirements.txt" -c "$REPO_ROOT/setup/odoo-constraints.txt" \
        || die "Installing requirements.txt failed (see above)."
    "$PY" -m pip check || die "pip check found broken requirements (see above)."
    echo "$want" > "$stamp"
fi
"$PY" -c 'import odoo.release as r; assert r.version_info[:2] == (18, 0)' \
    || die "The venv cannot import Odoo 18.0 (from $odoo_root)."

# ---------------------------------------------------------------- 4. PostgreSQL
can_apt() { command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; }
if pg_ok; then
    say "PostgreSQL reachable at $PGHOST:$PGPORT as role $PGUSER"
else
    if ! command -v pg_ctlcluster >/dev/null; then
        can_apt || die "PostgreSQL is not reachable at $PGHOST:$PGPORT as $PGUSER and cannot be installed here (needs apt and root). Install it, or set PGHOST/PGPORT/PGUSER."
        say "Installing PostgreSQL with apt"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null || die "apt-get install postgresql failed."
    fi
    say "Starting PostgreSQL"
    for v in $(ls /etc/postgresql 2>/dev/null); do
        pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
    done
    sleep 2
    if ! pg_ok && [ "$(id -u)" = 0 ]; then
        say "Creating the PostgreSQL role $PGUSER"
        su postgres -c "psql -qc \"CREATE ROLE \\\"$PGUSER\\\" LOGIN CREATEDB\"" 2>/dev/null || true
    fi
    pg_ok || die "PostgreSQL is still not reachable at $PGHOST:$PGPORT as role $PGUSER. Check that it runs and that the role exists with CREATEDB."
fi
[ "$PGUSER" != postgres ] || die "Odoo refuses the 'postgres' role: set PGUSER to another role with CREATEDB."
psql -d postgres -Atqc "select rolcreatedb or rolsuper from pg_roles where rolname = current_user" | grep -q t \
    || die "Role $PGUSER cannot create databases: as the postgres OS user run ALTER ROLE \"$PGUSER\" CREATEDB."

# ---------------------------------------------------------------- 5. chromium
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
    say "Chromium present (browser tests)"
elif can_apt; then
    say "Installing Debian's chromium for browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
        || say "WARNING: chromium could not be installed; Odoo's browser tests will fail."
else
    say "WARNING: chromium is missing and cannot be installed here; browser tests will fail."
fi

say "Ready: Odoo $("$PY" -c 'import odoo.release as r; print(r.version)') from $odoo_root, venv $QXS_VENV"
