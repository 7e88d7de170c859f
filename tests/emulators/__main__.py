"""Run an emulator by hand: ``python -m tests.emulators qbo|xero [--port 0] [--no-seed]
[--state-file PATH]``.

Prints the base URLs it serves (API, OAuth, admin) as JSON on one line, then runs until stopped
(Ctrl-C or SIGTERM). With ``--state-file`` it is a sandbox that keeps its company between runs
(tests/emulators/sandbox.py): the file is loaded at start when it exists, written after the
calls that change something and when stopped.
"""

import argparse
import json
import signal
import sys
import threading

from . import get_emulator_class
from .sandbox import Sandbox, SandboxError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.emulators")
    parser.add_argument("provider", choices=["qbo", "xero"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument(
        "--no-seed", action="store_true", help="start with an empty company (a new sandbox too)"
    )
    parser.add_argument(
        "--state-file",
        metavar="PATH",
        help="keep the company in this JSON file between runs (loaded when it exists)",
    )
    args = parser.parse_args(argv)
    emulator = get_emulator_class(args.provider)(host=args.host, port=args.port)
    sandbox = Sandbox(emulator, args.state_file) if args.state_file else None
    if sandbox:
        try:
            sandbox.open(seed=not args.no_seed)
        except (SandboxError, OSError) as exc:
            print(f"python -m tests.emulators: {exc}", file=sys.stderr, flush=True)
            return 2
    elif not args.no_seed:
        emulator.seed()
    # The handlers before the line that says it runs: a caller may stop it at once after.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    emulator.start()
    extra = {"state_file": str(sandbox.path)} if sandbox else {}
    print(json.dumps({"provider": args.provider, **emulator.urls(), **extra}), flush=True)
    stop.wait()
    emulator.stop()
    if sandbox:
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
