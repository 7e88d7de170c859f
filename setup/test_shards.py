"""Split the addons' Odoo test classes into balanced shards for setup/test.sh.

    python setup/test_shards.py N          # N lines: the --test-tags of each shard
    python setup/test_shards.py --times LOG  # seconds per class of an odoo-bin log (stdout)

Each of the first N-1 shards names its classes (``/addon:TestClass,...``); the last one takes
both addons whole minus those classes, so that a class this script does not find still runs.
The classes are given to the least loaded shard, longest first, with their seconds from
``setup/test_times.txt`` (a class not listed there counts as the median).
"""

import datetime
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("qbo_xero_sync", "qbo_xero_sync_cogs")
TIMES = ROOT / "setup" / "test_times.txt"
CLASS = re.compile(r"^class (Test\w+)\(", re.M)
HEADER = (
    "# Seconds per Odoo test class in a full run: setup/test.sh balances its parallel shards\n"
    "# with them (a class not listed counts as the median).\n"
    "# Refresh: python setup/test_shards.py --times ODOO_LOG... > setup/test_times.txt"
)
STARTING = re.compile(r"odoo\.addons\.(\w+)\.tests\.\S+: Starting (\w+)\.")


def test_classes():
    found = []
    for addon in ADDONS:
        for path in sorted((ROOT / "addons" / addon / "tests").glob("test_*.py")):
            found += [f"{addon}:{name}" for name in CLASS.findall(path.read_text())]
    return found


def known_times():
    times = {}
    if TIMES.exists():
        for line in TIMES.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and not line.startswith("#"):
                times[parts[0]] = float(parts[1])
    return times


def shards(count):
    classes = test_classes()
    times = known_times()
    default = statistics.median(times.values()) if times else 1.0
    loads = [[0.0, []] for _n in range(count)]
    for name in sorted(classes, key=lambda c: (-times.get(c, default), c)):
        lightest = min(loads, key=lambda load: load[0])
        lightest[0] += times.get(name, default)
        lightest[1].append(name)
    tags = [",".join(f"/{name}" for name in sorted(names)) for _load, names in loads[:-1]]
    named = [name for _load, names in loads[:-1] for name in names]
    tags.append(",".join([f"/{addon}" for addon in ADDONS] + [f"-/{name}" for name in named]))
    return tags


def times_of_log(path):
    """{addon:class: seconds} from the 'Starting Class.test' lines of an odoo-bin log."""
    stamps = []
    for line in Path(path).read_text(errors="replace").splitlines():
        match = STARTING.search(line)
        if match or "Initiating shutdown" in line:
            when = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            stamps.append((when, match and f"{match.group(1)}:{match.group(2)}"))
    out = {}
    for (when, name), (after, _next) in zip(stamps, stamps[1:]):
        if name:
            out[name] = out.get(name, 0.0) + (after - when).total_seconds()
    return out


def main(argv):
    if argv[:1] == ["--times"]:
        times = {}
        for path in argv[1:]:
            times.update(times_of_log(path))
        print(HEADER)
        for name, seconds in sorted(times.items()):
            print(f"{name} {seconds:.1f}")
        return 0
    for tags in shards(max(1, int(argv[0]) if argv else 2)):
        print(tags)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
