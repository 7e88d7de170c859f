#!/usr/bin/env bash
# Runs every test of the project and ends with one line "N passed, N failed".
#
#   1. setup/install.sh (does nothing when everything is installed)
#   2. lint: ruff check + ruff format --check on addons/ and tests/ (counted as one test)
#   3. the Odoo tests of both addons (odoo-bin --test-tags) on throwaway databases copied from
#      a template database that holds Odoo's base modules (built once, about a minute); a full
#      run splits the test classes into shards run side by side (QXS_TEST_SHARDS, default 2 on
#      2 cores or more; setup/test_shards.py)
#   4. the top-level tests/ (emulators, driven through the real SDKs) with pytest
#   5. the contract checks (tests/contracts): every JSON body the emulators received or answered
#      in steps 3 and 4 was validated against the provider's official schema; one line sums
#      them per provider and counts as one test, failed on any violation or, on a full run,
#      when a provider had no body checked
#
# Exits non-zero on any failure, when no test ran, or when Odoo or PostgreSQL is missing.
# Throwaway databases are dropped on exit. Options: QXS_KEEP_DB=1 keeps the test databases;
# QXS_TEST_TAGS overrides the Odoo test tags; QXS_SKIP_PYTEST=1 / QXS_SKIP_ODOO=1 run one half.
set -uo pipefail
# shellcheck source=setup/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT" || exit 1

require_installation

passed=0
failed=0
logdir=$(mktemp -d "${TMPDIR:-/tmp}/qxs-test.XXXXXX")
DATA_DIR="$QXS_HOME/data"
TEST_DB="qxs_test_$$"
test_dbs=()  # the throwaway databases made (one per shard of the Odoo tests)
cleanup() {
    if [ -z "${QXS_KEEP_DB:-}" ]; then
        for db in "${test_dbs[@]}"; do
            dropdb --if-exists "$db" >/dev/null 2>&1
            rm -rf "${DATA_DIR:?}/filestore/$db"
        done
    fi
}
trap cleanup EXIT
export PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export QXS_CONTRACT_REPORT_DIR="$logdir"  # each test process writes its contract counts there
export QXS_ODOO_BIN="$ODOO_BIN" QXS_ADDONS_PATH="$(addons_path)" QXS_DATA_DIR="$DATA_DIR"  # tests/test_concurrency.py

# ------------------------------------------------------------------ 1. lint
PYLINT_CHECKS=(--disable=all --enable=odoolint --disable=missing-readme,prefer-env-translation)
if "$QXS_VENV/bin/ruff" check addons tests bench setup && "$QXS_VENV/bin/ruff" format --check -q addons tests bench setup \
    && "$QXS_VENV/bin/pylint" --rcfile=.pylintrc "${PYLINT_CHECKS[@]}" addons/*; then
    say "lint: ruff and pylint-odoo clean"
    passed=$((passed + 1))
else
    say "lint: ruff or pylint-odoo found problems (above); ruff fixes many with: $QXS_VENV/bin/ruff check --fix addons tests && $QXS_VENV/bin/ruff format addons tests"
    failed=$((failed + 1))
fi

# ------------------------------------------------------------------ 2. Odoo tests
# A full run splits the test classes into QXS_TEST_SHARDS shards (default: 2 when the machine
# has 2 cores or more), each run by its own odoo-bin on its own copy of the template database
# at the same time (setup/test_shards.py balances them with setup/test_times.txt).
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ -z "${QXS_SKIP_ODOO:-}" ]; then
    ensure_template "$DATA_DIR" "$logdir"
    export QXS_TEMPLATE_DB="$TEMPLATE"  # tests/test_concurrency.py copies it too
    if [ -n "${QXS_TEST_TAGS:-}" ]; then
        shard_tags=("$QXS_TEST_TAGS")
    else
        cores=$(nproc 2>/dev/null || echo 1)
        mapfile -t shard_tags < <("$PY" setup/test_shards.py "${QXS_TEST_SHARDS:-$((cores >= 2 ? 2 : 1))}")
    fi
    pids=()
    for i in "${!shard_tags[@]}"; do
        db="$TEST_DB"; log="$logdir/odoo.log"
        if [ "${#shard_tags[@]}" -gt 1 ]; then db="${TEST_DB}_$((i + 1))"; log="$logdir/odoo-$((i + 1)).log"; fi
        copy_template "$DATA_DIR" "$db"
        test_dbs+=("$db")
        say "Odoo tests, shard $((i + 1)) of ${#shard_tags[@]}, on $db (log: $log)"
        "$PY" "$ODOO_BIN" -d "$db" --data-dir "$DATA_DIR" --addons-path "$(addons_path)" \
            -i qbo_xero_sync,qbo_xero_sync_cogs --test-tags "${shard_tags[$i]}" --without-demo=all \
            --stop-after-init --http-port "$(free_port)" --log-level=info > "$log" 2>&1 &
        pids+=($!)
    done
    o_total=0; o_failed=0; o_errors=0; o_bad=0
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}"; rc=$?
        log="$logdir/odoo.log"; [ "${#pids[@]}" -gt 1 ] && log="$logdir/odoo-$((i + 1)).log"
        grep -E "(ERROR|CRITICAL|FAIL:|ok$|Ran [0-9]+ test|failed, [0-9]+ error)" "$log" \
            | grep -vE "odoo.addons.base.models.ir_attachment" | tail -80
        read -r s_failed s_errors s_total < <(grep -oE "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" \
            | tail -1 | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/')
        s_total=${s_total:-0}; s_failed=${s_failed:-0}; s_errors=${s_errors:-0}
        o_total=$((o_total + s_total)); o_failed=$((o_failed + s_failed)); o_errors=$((o_errors + s_errors))
        o_bad=$((o_bad + s_failed + s_errors))
        if [ "$s_total" -eq 0 ]; then
            say "Odoo ran no test in shard $((i + 1)) (log: $log)"
            tail -40 "$log"
            o_bad=$((o_bad + 1))
        elif [ "$rc" -ne 0 ] && [ "$((s_failed + s_errors))" -eq 0 ]; then
            say "odoo-bin exited with $rc although no test failed (log: $log)"
            o_bad=$((o_bad + 1))
        fi
    done
    passed=$((passed + o_total - o_failed - o_errors))
    failed=$((failed + o_bad))
    say "Odoo tests: $o_total run, $o_failed failed, $o_errors errors"
fi

# ------------------------------------------------------------------ 3. pytest (tests/)
if [ -z "${QXS_SKIP_PYTEST:-}" ]; then
    say "pytest tests/"
    "$PY" -m pytest tests -q -p no:cacheprovider --junitxml="$logdir/pytest.xml" 2>&1 | tail -30
    if [ -f "$logdir/pytest.xml" ]; then
        read -r p_total p_bad < <("$PY" - "$logdir/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
get = lambda k: sum(int(s.get(k, 0)) for s in suites)
# a skipped test counts as failed: nothing here may be skipped by default
print(get("tests"), get("failures") + get("errors") + get("skipped"))
PY
)
    else
        p_total=0; p_bad=0
    fi
    if [ "${p_total:-0}" -eq 0 ]; then
        say "pytest ran no test"
        p_bad=$((p_bad + 1))
    fi
    passed=$((passed + p_total - (p_bad > p_total ? p_total : p_bad)))
    failed=$((failed + p_bad))
fi

# ------------------------------------------------------------------ 4. contract checks
full_run=1
[ -n "${QXS_SKIP_ODOO:-}${QXS_SKIP_PYTEST:-}${QXS_TEST_TAGS:-}" ] && full_run=0
if "$PY" - "$logdir" "$full_run" <<'PY'
import glob, json, os, sys
checked = {"qbo": {"request": 0, "answer": 0}, "xero": {"request": 0, "answer": 0}}
violations, seconds = 0, 0.0
for path in glob.glob(os.path.join(sys.argv[1], "contracts-*.json")):
    with open(path) as handle:
        report = json.load(handle)
    for provider, counts in report["checked"].items():
        for direction, n in counts.items():
            checked[provider][direction] += n
    violations += sum(report["violations"].values())
    seconds += report.get("seconds", 0.0)
q, x = checked["qbo"], checked["xero"]
print(f'contracts: QuickBooks {q["request"]} requests + {q["answer"]} answers, '
      f'Xero {x["request"]} + {x["answer"]} checked, {violations} violations '
      f'({seconds:.1f} s validating)')
empty = [name for name, c in (("QuickBooks", q), ("Xero", x)) if not sum(c.values())]
if empty and sys.argv[2] == "1":
    print("contracts: no body checked for " + ", ".join(empty))
sys.exit(1 if violations or (empty and sys.argv[2] == "1") else 0)
PY
then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
