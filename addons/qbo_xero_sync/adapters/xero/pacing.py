"""When Xero's minute window has room again, from this process's own calls.

Xero allows 60 calls per rolling minute per organisation; its answers say how many are left
(``X-MinLimit-Remaining``), not when the oldest call leaves the window. The client refuses a
call when the last answer said none is left (client.py ``_check_budget``): the records then
wait until the oldest of this process's calls of the last minute is a minute old (plus a
margin), not a whole minute from the refusal, which lost the time the engine took to spend the
minute's calls at each minute of a backlog. One log per process, shared by every adapter and
thread; another process's calls are unknown to it (its 429s give their own Retry-After).
"""

import math
import threading
import time
from collections import defaultdict, deque

from ... import const


class MinuteLog:
    """Times of the last ``limit`` calls per key, for :meth:`retry_after`."""

    def __init__(self, limit=const.XERO_CALLS_PER_MINUTE, clock=time.monotonic):
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._sent = defaultdict(deque)
        self._paced = {}  # key -> when this process's calls, spread evenly, are all behind

    def note(self, key):
        """A call of ``key`` is about to be sent."""
        with self._lock:
            sent = self._sent[key]
            now = self.clock()
            sent.append(now)
            interval = 60.0 / (self.limit * const.STEADY_FLOW_SHARE)
            self._paced[key] = max(self._paced.get(key, now), now) + interval
            while len(sent) > self.limit:
                sent.popleft()

    def retry_after(self, key, default=60):
        """Whole seconds until the oldest of the last ``limit`` calls is a minute old (plus
        ``const.XERO_WINDOW_MARGIN``); ``default`` when fewer calls were made here."""
        with self._lock:
            sent = self._sent[key]
            if len(sent) < self.limit:
                return default
            wait = sent[0] + 60 - self.clock() + const.XERO_WINDOW_MARGIN
        return max(1, min(default, math.ceil(wait)))

    def paced_wait(self, key):
        """Seconds until this process's calls of ``key``, each given an even share of the
        minute (``const.STEADY_FLOW_SHARE`` of the limit), are all behind (0 now): a group
        that made two calls (new contacts, then invoices) waits twice as long."""
        with self._lock:
            return max(0.0, self._paced.get(key, 0.0) - self.clock())

    def room_in(self, key, allowed):
        """Seconds until fewer than ``allowed`` calls of ``key`` were made within the last
        minute (0 now)."""
        with self._lock:
            now = self.clock()
            recent = [t for t in self._sent[key] if t > now - 60]
        if len(recent) < allowed:
            return 0.0
        return recent[len(recent) - allowed] + 60 - now


MINUTE = MinuteLog()
