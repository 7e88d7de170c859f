"""The emulators as a sandbox that users can keep: their company in a JSON file between runs.

``python -m tests.emulators qbo|xero --port N --state-file PATH`` loads ``PATH`` at start when it
exists (else seeds a company and writes it), writes it again shortly after each API call that
changed something, and once more when stopped (SIGINT / SIGTERM). Writes are atomic: a temporary
file in the same folder, then a rename, so that a crash leaves the previous state whole.

The file is JSON, readable by a person::

    {"format": "qbo_xero_sync emulator sandbox", "version": 1, "provider": "qbo",
     "saved_at": "...", "config": {...}, "clock_offset": 0.0, "state": {"state": {...}, ...}}

What is kept is :meth:`Emulator.snapshot` (tests/emulators/base.py). Python values JSON has no
word for are tagged objects whose keys all start with ``$``: ``{"$decimal": "12.50"}``,
``{"$tuple": [...]}``, ``{"$set": [...]}``, ``{"$deque": [...]}``, ``{"$counter": [[k, n]]}``,
``{"$bytes": "<base64>"}``, ``{"$datetime": "<ISO 8601>"}``, ``{"$date": ...}``,
``{"$dict": [[key, value], ...]}`` (a dict with keys other than strings, or keys starting with
``$``), ``{"$object": "tests.emulators.base.Response", "$attrs": {...}}`` (a class of this
package only). A container held in two places is written once with ``"$id": n`` and then as
``{"$ref": n}``, so that it is still one object after a restart.

A file that cannot be read, of another format version or of the other provider is refused with
:class:`SandboxError`: the emulator never starts an empty company over a file it cannot read.
"""

import base64
import contextlib
import importlib
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

FORMAT = "qbo_xero_sync emulator sandbox"
VERSION = 1
PACKAGE = __name__.rsplit(".", 1)[0]  # tests.emulators: the only classes a file may name

_TRACKED = (dict, list, set, deque, Counter)  # containers whose identity is kept


class SandboxError(Exception):
    """The state file cannot be used (the message says why and what to do)."""


# ---------------------------------------------------------------------- tagged JSON
class _Encoder:
    def __init__(self, value):
        self.seen, self.shared, self.ids = set(), set(), {}
        self._count(value, ())

    def _children(self, value):
        if type(value) in (dict, Counter):
            return [*value.keys(), *value.values()]
        if isinstance(value, list | tuple | set | frozenset | deque):
            return list(value)
        if _is_package_object(value):
            return list(vars(value).values())
        return []

    def _count(self, value, path):
        if isinstance(value, _TRACKED) or _is_package_object(value):
            if id(value) in path:
                raise SandboxError("the emulator's state holds a cycle: it cannot be saved")
            if id(value) in self.seen:
                self.shared.add(id(value))
                return
            self.seen.add(id(value))
            path = (*path, id(value))
        for child in self._children(value):
            self._count(child, path)

    def encode(self, value):
        key = id(value)
        if key in self.shared:
            if key in self.ids:
                return {"$ref": self.ids[key]}
            self.ids[key] = len(self.ids) + 1
            plain = self._encode(value)
            if isinstance(plain, dict) and plain and all(k.startswith("$") for k in plain):
                return {"$id": self.ids[key], **plain}
            return {"$id": self.ids[key], "$value": plain}
        return self._encode(value)

    def _encode(self, value):
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind is dict:
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: self.encode(v) for k, v in value.items()}
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if kind is list:
            return [self.encode(v) for v in value]
        if kind is tuple:
            return {"$tuple": [self.encode(v) for v in value]}
        if kind in (set, frozenset):
            items = [self.encode(v) for v in value]
            return {f"${kind.__name__}": sorted(items, key=json.dumps)}
        if kind is deque:
            tagged = {"$deque": [self.encode(v) for v in value]}
            return tagged | ({"$maxlen": value.maxlen} if value.maxlen is not None else {})
        if kind is Counter:
            return {"$counter": [[self.encode(k), n] for k, n in value.items()]}
        if kind is Decimal:
            return {"$decimal": str(value)}
        if kind is bytes:
            return {"$bytes": base64.b64encode(value).decode()}
        if kind is datetime:
            return {"$datetime": value.isoformat()}
        if kind is date:
            return {"$date": value.isoformat()}
        if _is_package_object(value):
            attrs = {k: self.encode(v) for k, v in vars(value).items()}
            return {"$object": f"{kind.__module__}.{kind.__qualname__}", "$attrs": attrs}
        raise SandboxError(f"cannot save a value of type {kind.__name__}: {value!r:.80}")


def _is_package_object(value):
    return type(value).__module__.startswith(PACKAGE + ".") and hasattr(value, "__dict__")


def encode(value):
    """``value`` as JSON-compatible data (see the module's docstring for the tags)."""
    return _Encoder(value).encode(value)


def decode(data):
    """The Python value :func:`encode` made ``data`` from."""
    return _Decoder().decode(data)


class _Decoder:
    def __init__(self):
        self.ids = {}

    def decode(self, data):
        if isinstance(data, list):
            return [self.decode(v) for v in data]
        if not isinstance(data, dict):
            return data
        if not data or not all(k.startswith("$") for k in data):
            return {k: self.decode(v) for k, v in data.items()}
        if "$ref" in data:
            try:
                return self.ids[data["$ref"]]
            except KeyError:
                raise ValueError(f"reference to an unknown object {data['$ref']!r}") from None
        tagged = {k: v for k, v in data.items() if k != "$id"}
        value = self._tagged(tagged)
        if "$id" in data:
            self.ids[data["$id"]] = value
        return value

    def _tagged(self, data):
        tag = next(iter(data))
        body = data[tag]
        if tag == "$value":
            return self.decode(body)
        if tag == "$dict":
            return {self.decode(k): self.decode(v) for k, v in body}
        if tag == "$tuple":
            return tuple(self.decode(v) for v in body)
        if tag == "$set":
            return {self.decode(v) for v in body}
        if tag == "$frozenset":
            return frozenset(self.decode(v) for v in body)
        if tag == "$deque":
            return deque((self.decode(v) for v in body), data.get("$maxlen"))
        if tag == "$counter":
            return Counter({self.decode(k): n for k, n in body})
        if tag == "$decimal":
            return Decimal(body)
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$datetime":
            return datetime.fromisoformat(body)
        if tag == "$date":
            return date.fromisoformat(body)
        if tag == "$object":
            return self._object(body, data.get("$attrs") or {})
        raise ValueError(f"unknown tag {tag!r}")

    def _object(self, name, attrs):
        module, _, qualname = name.rpartition(".")
        if not module.startswith(PACKAGE + "."):
            raise ValueError(f"a class outside {PACKAGE} is named: {name!r}")
        cls = getattr(importlib.import_module(module), qualname)
        obj = object.__new__(cls)
        obj.__dict__.update({k: self.decode(v) for k, v in attrs.items()})
        return obj


# ---------------------------------------------------------------------- the file
def dumps(emulator, payload=None):
    """The state file's text: ``payload`` (default: ``encode(emulator.snapshot())``) under a
    header naming the format, its version, the provider and the time."""
    payload = encode(emulator.snapshot()) if payload is None else payload
    document = {
        "format": FORMAT,
        "version": VERSION,
        "provider": emulator.name,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **payload,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file of the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(emulator, path):
    """Restore ``emulator`` from the state file ``path``; :class:`SandboxError` if unusable."""
    refuse = (
        "Remove or rename it to start a new sandbox (the emulator does not start an empty "
        "company over it)."
    )
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SandboxError(f"Cannot read the sandbox state file {path}: {exc}. {refuse}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SandboxError(f"{path} is not an emulator sandbox state file. {refuse}")
    if document.get("version") != VERSION:
        raise SandboxError(
            f"{path} is a sandbox state file of format version {document.get('version')!r}; "
            f"this emulator reads version {VERSION} only. {refuse}"
        )
    if document.get("provider") != emulator.name:
        raise SandboxError(
            f"{path} holds a {document.get('provider')!r} sandbox, not a {emulator.name!r} "
            f"one. {refuse}"
        )
    try:
        data = decode({k: document.get(k) for k in ("config", "clock_offset", "state")})
        emulator.restore(data)
    except (ValueError, TypeError, KeyError, AttributeError, ImportError, ArithmeticError) as exc:
        raise SandboxError(f"The sandbox state file {path} is damaged: {exc!r}. {refuse}") from exc


class Sandbox:
    """Keeps ``emulator``'s company in ``path``: :meth:`open` before the server starts,
    :meth:`close` after it stopped. Every answered request wakes a saver thread, which waits
    ``delay`` seconds (a burst of calls makes one write) and writes the file when the state
    changed."""

    def __init__(self, emulator, path, delay=0.2):
        self.emulator = emulator
        self.path = Path(path)
        self.delay = delay
        self._wake = threading.Event()
        self._closing = False
        self._write_lock = threading.Lock()
        self._last_payload = None
        self._thread = None

    def open(self, seed=True):
        """Load the file when it exists, else seed (unless ``seed`` is false) and write it.
        Returns True when an existing file was loaded."""
        loaded = self.path.exists()
        if loaded:
            load(self.emulator, self.path)
        elif seed:
            self.emulator.seed()
        self.save()
        self._watch()
        self._thread = threading.Thread(target=self._run, name="sandbox-saver", daemon=True)
        self._thread.start()
        return loaded

    def _watch(self):
        dispatch = self.emulator.dispatch  # the bound method; wrapped on this instance only

        def dispatch_and_save(req):
            try:
                return dispatch(req)
            finally:
                self._wake.set()

        self.emulator.dispatch = dispatch_and_save

    def _run(self):
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closing:
                return
            time.sleep(self.delay)
            try:
                self.save()
            except (OSError, SandboxError) as exc:  # keep serving; say it where run.sh logs
                print(f"sandbox: could not save {self.path}: {exc}", file=sys.stderr, flush=True)

    def save(self):
        """Write the file now if the company changed since the last write."""
        with self._write_lock:
            payload = encode(self.emulator.snapshot())
            if payload == self._last_payload:
                return False
            write_atomic(self.path, dumps(self.emulator, payload))
            self._last_payload = payload
            return True

    def close(self):
        """Stop the saver and write the final state."""
        self._closing = True
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.save()
