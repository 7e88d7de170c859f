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
"""

import threading
import time
from collections import defaultdict, deque
from contextlib import contextmanager

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

    @contextmanager
    def slot(self, key):
        """Wait for a free slot of ``key``, hold it while the block runs (the call), then keep
        it for ``span`` seconds after."""
        self._acquire(key)
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


PACER = Pacer(const.QBO_REQUESTS_PER_SECOND)
