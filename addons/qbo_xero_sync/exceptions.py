"""The one exception type the adapters raise: the engine only looks at its kind."""

# What the engine does with a failure, by kind:
RETRY = "retry"  # transient (429, 5xx, time-out, connection error): retried with back-off
USER = "user"  # validation: waits for the user to fix the data and post again
GONE = "gone"  # the remote document no longer exists
AUTH = "auth"  # the connection must be re-authorised


class SyncError(Exception):
    """A provider call failed. ``message`` is the provider's own text where there is one."""

    def __init__(self, message, kind=USER, retry_after=None, code=None, throttled=False):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retry_after = retry_after
        self.code = code
        # The provider's rate limit (429, a day's budget used up): not a failure of the record;
        # it waits ``retry_after`` seconds and no attempt is counted.
        self.throttled = throttled
