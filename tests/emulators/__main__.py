"""Run an emulator by hand: ``python -m tests.emulators qbo|xero [--port 0] [--no-seed]``.

Prints the base URLs it serves (API, OAuth, admin) as JSON on one line, then runs until stopped.
"""

import argparse
import json
import signal
import sys
import threading

from . import get_emulator_class


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.emulators")
    parser.add_argument("provider", choices=["qbo", "xero"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty company")
    args = parser.parse_args(argv)
    emulator = get_emulator_class(args.provider)(host=args.host, port=args.port)
    if not args.no_seed:
        emulator.seed()
    emulator.start()
    print(json.dumps({"provider": args.provider, **emulator.urls()}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
