"""Shared machinery of the local API emulators.

An emulator is a threaded HTTP server bound to 127.0.0.1 with:

* a movable clock (``Clock``), so that token expiry and rate-limit windows can be tested in
  seconds;
* a request log with counts per endpoint;
* fault injection for the next N matching calls (HTTP status, time-out, dropped connection
  before or after the write is applied, expired token, or a normal answer sent late);
* a JSON admin API under ``/_admin/``: ``reset``, ``seed``, ``objects/<kind>``, ``log``,
  ``faults``, ``clock``, ``config``.

Subclasses register routes with :meth:`Emulator.route` and keep their in-memory company in
``self.state`` (a dict of kind -> {id: object}); everything runs under ``self.lock``.
"""

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..contracts.check import check_exchange


class Clock:
    """Wall clock plus an offset that tests can move forward, running ``speed`` times faster
    than the wall clock when asked (opt-in: the emulator's ``clock_speed`` setting, default 1).

    With ``speed`` N, an emulated minute passes in 60 / N real seconds: rate-limit windows and
    token lifetimes shrink accordingly, and waits that the emulator tells a client (Xero's
    Retry-After) are given in real seconds (:meth:`real_seconds`), so that a client that waits
    what it is told waits the right time."""

    def __init__(self, speed=1.0):
        self.offset = 0.0
        self.speed = 1.0
        self._origin = time.time()
        self.set_speed(speed)

    def now(self):
        real = time.time()
        return real + (real - self._origin) * (self.speed - 1.0) + self.offset

    def advance(self, seconds):
        self.offset += float(seconds)

    def set_speed(self, speed):
        """Emulated seconds per real second from now on (the time reached so far is kept)."""
        speed = float(speed)
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        real = time.time()
        self.offset += (real - self._origin) * (self.speed - 1.0)
        self._origin = real
        self.speed = speed

    def real_seconds(self, seconds):
        """Real seconds that ``seconds`` of emulated time take."""
        return seconds / self.speed


class Request:
    def __init__(self, handler, method, path, query, body):
        self.handler = handler
        self.method = method
        self.path = path
        self.query = query  # dict name -> last value (case kept)
        self.body = body  # bytes
        self.headers = handler.headers
        self.params = {}  # path parameters from the route pattern

    def arg(self, name, default=None):
        """Query parameter, looked up case-insensitively."""
        low = name.lower()
        for key, value in self.query.items():
            if key.lower() == low:
                return value
        return default

    def json(self):
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def header(self, name, default=None):
        return self.headers.get(name, default)


class Response:
    def __init__(self, status=200, body=None, headers=None, content_type="application/json"):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type

    def payload(self):
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


class DropConnection(Exception):
    """Raised by a handler to close the socket without answering."""


class Fault:
    """One injected fault, applied to the next ``count`` calls matching ``path`` (a regex).

    ``delay`` seconds are waited before any kind acts; the kind ``delay`` then answers normally
    (a slow but successful call, e.g. to keep a token refresh in flight while another worker
    starts)."""

    KINDS = ("status", "timeout", "drop", "drop_after_write", "expired_token", "delay")

    def __init__(
        self, kind, count=1, status=500, path=None, method=None, delay=0.0, body=None, headers=None
    ):
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {kind!r}, expected one of {self.KINDS}")
        self.kind = kind
        self.count = int(count)
        self.status = int(status)
        self.path = re.compile(path) if path else None
        self.method = method.upper() if method else None
        self.delay = float(delay)
        self.body = body
        self.headers = headers or {}

    def matches(self, req):
        if self.path and not self.path.search(req.path):
            return False
        return not (self.method and self.method != req.method)

    def as_dict(self):
        return {
            "kind": self.kind,
            "count": self.count,
            "status": self.status,
            "path": self.path.pattern if self.path else None,
            "method": self.method,
        }


class Emulator:
    """Base class: subclasses define ``name``, ``default_config`` and register routes."""

    name = "emulator"
    default_config = {}

    def __init__(self, host="127.0.0.1", port=0, **config):
        self.host = host
        self.port = port
        self.clock = Clock()
        self.lock = threading.RLock()
        self.config = dict(self.default_config)
        self.config.update(config)
        self._routes = []
        self._server = None
        self._thread = None
        self.faults = []
        self.log = []
        self.webhook_deliveries = []
        # Contract checks (tests/contracts): bodies checked per direction, violations found,
        # and the open expect_violations blocks
        self.contract_counts = Counter()
        self.contract_violations = []
        self.contract_expected = []
        self.register_routes()
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def start(self):
        handler = self._make_handler()
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    def urls(self):
        """Base URLs to print (subclasses add theirs)."""
        return {"base": self.base_url, "admin": self.base_url + "/_admin"}

    # ------------------------------------------------------------------ state
    def reset(self):
        """Forget every object, token, log line and fault (configuration is kept)."""
        with self.lock:
            self.state = {}
            self.faults = []
            self.log = []
            self.webhook_deliveries = []
            self.clock.set_speed(self.config.get("clock_speed") or 1.0)
            self.clock.offset = 0.0
            self.on_reset()

    def on_reset(self):
        """Subclasses (re)create their empty company here."""

    def seed(self, data=None):
        """Subclasses load a realistic company (chart of accounts, taxes, customers, items)."""
        raise NotImplementedError

    def objects(self, kind):
        with self.lock:
            return [dict(o) for o in self.state.get(kind, {}).values()]

    def add_fault(self, kind, **kw):
        with self.lock:
            fault = Fault(kind, **kw)
            self.faults.append(fault)
            return fault

    def count(self, path_regex=None, method=None):
        """Number of logged API calls matching a path regex and method (admin calls excluded)."""
        rx = re.compile(path_regex) if path_regex else None
        with self.lock:
            return sum(
                1
                for e in self.log
                if (not rx or rx.search(e["path"])) and (not method or e["method"] == method)
            )

    def counts(self):
        with self.lock:
            return dict(Counter(f'{e["method"]} {e["endpoint"]}' for e in self.log))

    # ------------------------------------------------------------------ routing
    def route(self, method, pattern, func, endpoint=None):
        """Register ``func(req) -> Response`` for a method and a path regex (case-insensitive,
        anchored); named groups become ``req.params``."""
        self._routes.append(
            (method.upper(), re.compile("^" + pattern + "$", re.I), func, endpoint or pattern)
        )

    def register_routes(self):
        """Subclasses register their routes here (the admin routes are built in)."""

    def _take_fault(self, req):
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.matches(req):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def expired_token_response(self, req):
        """Response for an injected 'expired_token' fault (subclasses give the real shape)."""
        return Response(401, {"error": "invalid_token"})

    def dispatch(self, req):
        """Answer a call. An API call's JSON request body and answer are checked against the
        provider's schema (the subclass's ``contract_for(req)``, tests/contracts/check.py);
        the answers of injected faults are test input and are not checked."""
        if req.path.startswith("/_admin"):
            return self._admin(req)
        for method, rx, func, endpoint in self._routes:
            m = rx.match(req.path)
            if m and method == req.method:
                req.params = m.groupdict()
                hook = getattr(self, "contract_for", None)
                contract = hook(req) if hook else None
                check_exchange(self, req, contract, "request")
                with self.lock:
                    self.log.append(
                        {
                            "method": req.method,
                            "path": req.path,
                            "endpoint": endpoint,
                            "time": self.clock.now(),
                            "query": dict(req.query),
                        }
                    )
                fault = self._take_fault(req)
                if fault:
                    if fault.delay:
                        time.sleep(fault.delay)
                    if fault.kind == "status":
                        return Response(
                            fault.status, fault.body or {"error": "injected fault"}, fault.headers
                        )
                    if fault.kind == "expired_token":
                        return self.expired_token_response(req)
                    if fault.kind in ("timeout", "drop"):
                        raise DropConnection()
                    if fault.kind == "drop_after_write":
                        func(req)
                        raise DropConnection()
                    # "delay": the normal answer, sent late
                resp = func(req)
                check_exchange(self, req, contract, "answer", resp)
                return resp
        return self.not_found(req)

    def not_found(self, req):
        return Response(404, {"error": f"no route for {req.method} {req.path}"})

    # ------------------------------------------------------------------ admin API
    def _admin(self, req):
        action = req.path[len("/_admin") :].strip("/")
        data = req.json() if req.method == "POST" else None
        if action == "reset" and req.method == "POST":
            self.reset()
            return Response(200, {"ok": True})
        if action == "seed" and req.method == "POST":
            return Response(200, self.seed(data) or {"ok": True})
        if action.startswith("objects/"):
            return Response(200, self.objects(action.split("/", 1)[1]))
        if action == "log":
            with self.lock:
                return Response(
                    200, {"calls": list(self.log), "counts": self.counts(), "total": len(self.log)}
                )
        if action == "faults":
            if req.method == "POST":
                items = data if isinstance(data, list) else [data]
                for item in items:
                    item = dict(item)
                    self.add_fault(item.pop("kind"), **item)
            if req.method == "DELETE":
                with self.lock:
                    self.faults = []
            with self.lock:
                return Response(200, [f.as_dict() for f in self.faults])
        if action == "clock":
            if req.method == "POST":
                self.clock.advance((data or {}).get("advance", 0))
                if (data or {}).get("speed"):
                    self.clock.set_speed(data["speed"])
            return Response(
                200,
                {"now": self.clock.now(), "offset": self.clock.offset, "speed": self.clock.speed},
            )
        if action == "config":
            if req.method == "POST":
                with self.lock:
                    self.config.update(data or {})
                    if (data or {}).get("clock_speed"):
                        self.clock.set_speed(data["clock_speed"])
            return Response(200, self.config)
        extra = self.admin_action(action, req, data)
        if extra is not None:
            return extra
        return Response(404, {"error": f"unknown admin action {action!r}"})

    def admin_action(self, action, req, data):
        """Subclasses add admin actions (e.g. sending a webhook); None = unknown."""
        return None

    # ------------------------------------------------------------------ webhooks
    @staticmethod
    def sign(key, body):
        """base64(HMAC-SHA256(key, body)): how both providers sign their webhooks."""
        return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()

    def post_signed(self, url, body, header, signature):
        """POST a webhook body with its signature header; returns the HTTP status (0 when the
        receiver could not be reached) and records the delivery."""
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", header: signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self.lock:
            self.webhook_deliveries.append(
                {"url": url, "body": body.decode(), "signature": signature, "status": status}
            )
        return status

    # ------------------------------------------------------------------ HTTP plumbing
    def _make_handler(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self, self.command.upper(), parts.path, query, body)
                try:
                    resp = emulator.dispatch(req)
                except DropConnection:
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                except Exception as exc:  # an emulator bug must show, not hang the client
                    resp = Response(500, {"error": f"emulator error: {exc!r}"})
                payload = resp.payload()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in resp.headers.items():
                    self.send_header(key, str(value))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        return Handler

    # ------------------------------------------------------------------ snapshot (sandbox)
    # What ``python -m tests.emulators --state-file`` keeps between runs (tests/emulators/
    # sandbox.py writes it as JSON): the configuration, the clock offset and every attribute
    # that ``on_reset`` creates (objects, tombstones, id sequences, OAuth grants and tokens,
    # request-id / idempotency caches, tenants and connections...), except these: rate-limit
    # windows and requests in flight, which a restart forgets.
    snapshot_skip = frozenset(
        {"hits", "batch_hits", "second_hits", "day_calls", "app_calls", "in_flight"}
    )

    def snapshot_names(self):
        """Names of the attributes ``on_reset`` creates (found by running it on a blank twin
        that has only the configuration and a clock), minus :attr:`snapshot_skip`."""
        twin = object.__new__(type(self))
        given = {"config": dict(self.config), "clock": Clock(), "lock": threading.RLock()}
        twin.__dict__.update(given, state={})
        twin.on_reset()
        return sorted(set(vars(twin)) - set(given) - self.snapshot_skip)

    def snapshot(self):
        """A deep copy of what a company needs to survive a restart, as Python values (shared
        references kept: Xero's ``state`` is one of its ``orgs``)."""
        import copy

        with self.lock:
            return copy.deepcopy(
                {
                    "config": self.config,
                    "clock_offset": self.clock.offset,
                    "state": {name: getattr(self, name) for name in self.snapshot_names()},
                }
            )

    def restore(self, data):
        """Replace the company by a :meth:`snapshot` (attributes it lacks start empty)."""
        import copy

        data = copy.deepcopy(data)
        with self.lock:
            self.config.update(data.get("config") or {})
            self.reset()
            self.clock.offset = float(data.get("clock_offset") or 0.0)
            known = set(self.snapshot_names())
            for name, value in (data.get("state") or {}).items():
                if name in known:
                    setattr(self, name, value)
