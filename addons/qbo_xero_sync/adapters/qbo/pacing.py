"""Client-side pacing of QuickBooks calls: at most ``const.QBO_REQUESTS_PER_SECOND`` per realm.

QuickBooks allows 10 requests per second per realm ID and app, and 10 in flight at once; beyond
it answers 429 (Intuit's "limits and throttles"). One pacer per process (``PACER``), shared by
every adapter instance and every thread (cron workers), keeps the calls of one realm under both:

- a call takes a slot of its realm before it is sent and gives it back when its answer came;
- a slot stays taken for one second after that answer, so no more than ``rate`` calls can have
  been received by QuickBooks within any second: the server counts a call between its sending
  and its answer, and the next call is sent a full second after the answer;
- calls in flight hold their slot too, so there are never more than ``rate`` of them (the
  concurrency limit is the same number).

It sleeps only when ``rate`` calls of the realm were answered within the last second (or are
still in flight), and only until the oldest slot frees. Several processes (Odoo's prefork
workers) each have their own pacer: a 429 that still comes is a retry error (client.py).

The minute limits (500 requests, 40 batch requests) are not paced ahead: a cron must not sleep
for most of a minute, and the tests' emulator restarts its windows at each test while real time
goes on. The pacer notes when each call of the minute was sent instead, so that a 429 without
Retry-After (QuickBooks gives none) waits exactly until the minute window has room again
(:meth:`Pacer.retry_after`), not a whole minute more: the engine then holds the connection's
other due records until that time (``qxs.sync.record._cron_sync``), and a backlog drains at
the limit.
"""

import math
import threading
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from urllib.parse import urlsplit

from ... import const


class Pacer:
    """At most ``rate`` calls per ``span`` seconds per key, counted from each call's answer."""

    def __init__(self, rate, span=1.0, clock=time.monotonic):
        self.rate = rate
        self.span = span
        self.clock = clock
        self._cond = threading.Condition()
        self._answered = defaultdict(deque)  # key -> times of answers within the last span
        self._in_flight = defaultdict(int)  # key -> calls sent, not yet answered
        self._sent = defaultdict(deque)  # key -> times calls were sent, the last minute's
        self._batches = defaultdict(deque)  # key -> times batch requests were sent
        # QuickBooks' minute limits (a benchmark against scaled-down limits lowers them)
        self.batches_per_minute = const.QBO_BATCHES_PER_MINUTE
        self.requests_per_minute = const.QBO_REQUESTS_PER_MINUTE

    @contextmanager
    def slot(self, key, url=None):
        """Wait for a free slot of ``key``, hold it while the block runs (the call), then keep
        it for ``span`` seconds after. ``url``: the call's, noted for :meth:`retry_after`."""
        self._acquire(key)
        with self._cond:
            now = self.clock()
            self._sent[key].append(now)
            if url and urlsplit(url).path.rstrip("/").endswith("/batch"):
                self._batches[key].append(now)
            for times in (self._sent[key], self._batches[key]):
                while times and times[0] <= now - 60:
                    times.popleft()
        try:
            yield
        finally:
            with self._cond:
                self._in_flight[key] -= 1
                self._answered[key].append(self.clock())
                self._cond.notify_all()

    def _acquire(self, key):
        with self._cond:
            while True:
                answered = self._answered[key]
                now = self.clock()
                while answered and answered[0] <= now - self.span:
                    answered.popleft()
                if len(answered) + self._in_flight[key] < self.rate:
                    self._in_flight[key] += 1
                    return
                # Full: wait until the oldest answer is a span old, or a call in flight ends.
                self._cond.wait(answered[0] + self.span - now if answered else None)

    def retry_after(self, key):
        """Whole seconds until this process's own calls of ``key`` leave room in QuickBooks'
        minute windows (40 batch requests, 500 requests), or None when they do not fill one
        (the 429 came because of another process, or a fault: the caller's default applies)."""
        with self._cond:
            now = self.clock()
            waits = []
            for times, limit in (
                (self._batches[key], self.batches_per_minute),
                (self._sent[key], self.requests_per_minute),
            ):
                recent = [t for t in times if t > now - 60]
                if len(recent) >= limit:
                    waits.append(recent[-limit] + 60 - now)
            if not waits:
                return None
            return max(1, math.ceil(max(waits) + const.QBO_WINDOW_MARGIN))


PACER = Pacer(const.QBO_REQUESTS_PER_SECOND)
