import logging
import math
import time
from datetime import timedelta

from odoo import api, fields, models

from .. import const
from ..exceptions import RETRY, SyncError
from .account_move_payment import WAIT

_logger = logging.getLogger(__name__)

# First key of the advisory lock taken on a connection while its records are sent ("QXS").
CONNECTION_LOCK = 0x515853


class QxsSyncQueue(models.AbstractModel):
    """The queue of ``qxs.sync.record``: which group of due records is sent next, and when.

    The send cron takes locked groups (one connection, purpose and action) and sends each with
    ``_process_group``. It waits where waiting spends fewer of the provider's calls: a
    connection held back whole by a rate limit or a failing provider holds its other records
    (:meth:`_held_until`), and under a steady flow of postings a group that is not full waits a
    moment for the postings that follow (:meth:`_cron_sync`)."""

    _name = "qxs.sync.queue"
    _description = "Queue of QuickBooks / Xero sync records"

    def _due_domain(self):
        return [
            ("state", "=", "pending"),
            "|",
            ("next_attempt", "=", False),
            ("next_attempt", "<=", fields.Datetime.now()),
        ]

    def _lock_group(self, seen_ids, skip_connection_ids=()):
        """Lock the next group of due records (one connection, purpose and action).

        One worker at a time sends a connection's records: a transaction-level advisory lock on
        the connection, released by the commit after the group, is taken first (two workers
        sending one company's groups at once both created its new customers and items, and
        the slower one's documents failed as duplicate names). The records are then locked
        with FOR UPDATE SKIP LOCKED, so that concurrent workers never take the same record.

        Connections take turns: the one with the fewest records taken in this run (``seen_ids``)
        comes first, then the one waiting longest, so that a connection's backlog (or its slow
        or failing provider) does not hold another connection's documents back. A connection
        of ``skip_connection_ids`` (its group waits to fill) is passed over."""
        self.env.flush_all()  # the SQL below must see every pending write
        now = fields.Datetime.now()
        self.env.cr.execute(
            """
            SELECT r.connection_id FROM qxs_sync_record r
             WHERE r.state = 'pending' AND (r.next_attempt IS NULL OR r.next_attempt <= %s)
               AND NOT (r.id = ANY(%s)) AND NOT (r.connection_id = ANY(%s))
             GROUP BY r.connection_id
             ORDER BY (SELECT count(*) FROM qxs_sync_record s
                        WHERE s.id = ANY(%s) AND s.connection_id = r.connection_id),
                      min(r.id)
            """,
            [now, list(seen_ids), list(skip_connection_ids), list(seen_ids)],
        )
        for (conn_id,) in self.env.cr.fetchall():
            self.env.cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", [CONNECTION_LOCK, conn_id]
            )
            if not self.env.cr.fetchone()[0]:
                continue  # another worker is sending this connection's records
            self.env.cr.execute(
                """
                SELECT purpose, action FROM qxs_sync_record
                 WHERE state = 'pending' AND (next_attempt IS NULL OR next_attempt <= %s)
                   AND connection_id = %s AND NOT (id = ANY(%s))
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                """,
                [now, conn_id, list(seen_ids)],
            )
            row = self.env.cr.fetchone()
            if not row:
                continue
            purpose, action = row
            self.env.cr.execute(
                """
                SELECT id FROM qxs_sync_record
                 WHERE state = 'pending' AND (next_attempt IS NULL OR next_attempt <= %s)
                   AND connection_id = %s AND purpose = %s AND action = %s
                   AND NOT (id = ANY(%s))
                 ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                """,
                [now, conn_id, purpose, action, list(seen_ids), self._group_size(conn_id)],
            )
            return self.browse([r[0] for r in self.env.cr.fetchall()])
        return self.browse()

    def _group_size(self, connection_id):
        provider = self.env["qxs.connection"].browse(connection_id).provider
        return const.XERO_BATCH_SIZE if provider == "xero" else const.QBO_BATCH_SIZE

    @api.model
    def _cron_sync(self, limit=const.CRON_BATCH_LIMIT):
        """Send due records, one locked group at a time, committing after each group; at most
        ``limit`` records and ``const.CRON_RUN_SECONDS`` per run (then it triggers itself).

        A group of documents held back whole by the provider's rate limit, or the second
        group of a run failed whole by the provider (see :meth:`_held_until`), holds the
        connection: its other due records wait until the same time without calling (a backlog
        would otherwise spend a call, and the look-ups before it, on each of its groups, or
        wait for a failing provider group after group), the run goes on with the other
        connections, and the cron is triggered again at that time. One group failed whole
        holds nothing: a time-out may be that request's alone.

        A steady flow of postings (each triggers the cron) would otherwise go one call per
        document, until the provider's minute limit binds and every document waits for it.
        So a group that is not full goes at once only if no group of its kind (connection,
        purpose, action) went in this run within the adapter's ``group_spacing`` (its share
        of the minute's calls), and the minute's calls made so far leave room for it
        (``window_wait``); otherwise it waits for that time while the run sends the
        other connections' groups, and then goes with the postings that came meanwhile. After
        a group that was not full, the run stays until that time for what may follow. A wait
        beyond the run's time (plus ``STEADY_FLOW_GRACE_SECONDS``) holds the connection until
        then, as a rate limit does (sending at once would meet the limit). Only a
        committing run waits: a new transaction is what sees the new postings."""
        can_commit = self.env["account.move"]._can_commit()
        seen = set()
        refreshed = set()
        adapters = {}
        held = {}  # connection id -> when its rate limit lets calls through again
        failing = set()  # connections of which a group failed whole in this run
        failed_ids = []  # records that went to error in this run: the failure digests
        spaced = {}  # (connection id, purpose, action) -> when a group of it last went
        waiting = {}  # connection id -> when its group (not full, taken again then) may go
        deadline = time.monotonic() + const.CRON_RUN_SECONDS
        while len(seen) < limit and time.monotonic() < deadline:
            group = self._lock_group(seen, skip_connection_ids=list(waiting))
            if not group:
                grace = deadline + const.STEADY_FLOW_GRACE_SECONDS
                wake = self._steady_flow_wake(spaced, waiting, grace) if can_commit else None
                if wake is None:
                    break
                self.env.cr.commit()  # pylint: disable=invalid-commit
                time.sleep(max(0.0, wake - time.monotonic()))
                waiting.clear()
                continue
            conn = group.connection_id
            if can_commit and conn.id not in refreshed and not conn._token_valid():
                # Take the group again in a new transaction that sees the refreshed token.
                refreshed.add(conn.id)
                self._refresh_before_work(conn)
                continue
            if can_commit and len(group) < self._group_size(conn.id):
                kind = (conn.id, group[0].purpose, group[0].action)
                adapter = self._run_adapter(adapters, conn)
                go_at = max(
                    spaced.get(kind, float("-inf")) + adapter.group_spacing(len(group)),
                    time.monotonic() + adapter.window_wait(),
                )
                wait = go_at - time.monotonic()
                if wait > 0 and go_at < deadline + const.STEADY_FLOW_GRACE_SECONDS:
                    waiting[conn.id] = go_at  # its records stay locked until the next commit
                    continue
                if wait > 0:
                    # A long wait (the minute window full): held as by a rate limit, no call.
                    held[conn.id] = fields.Datetime.now() + timedelta(seconds=math.ceil(wait))
                    group.write({"next_attempt": held[conn.id]})
                    group._hold_connection(held[conn.id])
                    continue
                spaced[kind] = time.monotonic()
            seen.update(group.ids)
            # In the documents' company: revenue codes and billing accounts are per company.
            outcome = group.with_company(group.connection_id.company_id)._process_group(adapters)
            failed_ids += group.filtered(lambda rec: rec.state == "error").ids
            until, throttled = group._held_until(outcome)
            if until and (throttled or conn.id in failing):
                held[conn.id] = until
                group._hold_connection(until)
            elif until:
                failing.add(conn.id)  # once may be a passing fault; twice, the provider's
            if can_commit:
                # One commit per sent group, as account's own sending cron does: what was
                # sent must be recorded even if a later group fails.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        cron = self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")
        if len(seen) >= limit or time.monotonic() >= deadline:
            cron._trigger()
        if held:
            cron._trigger(at=min(held.values()))
        self.browse(failed_ids)._send_failure_digests()
        return len(seen)

    @api.model
    def _steady_flow_wake(self, spaced, waiting, deadline):
        """When a run with no group to send now should look again (monotonic time), or None
        to end it: the earliest time a waiting group may go, or the end of the spacing after
        a group that was not full (postings may follow it), if before ``deadline``."""
        now = time.monotonic()
        times = list(waiting.values()) + [
            went + self.env["qxs.connection"].browse(kind[0])._adapter_class().group_spacing(1)
            for kind, went in spaced.items()
        ]
        times = [at for at in times if now < at < deadline]
        return min(times) if times else None

    def _held_until(self, outcome):
        """(When the connection of a group of documents held back whole may call again, or
        None; whether by a rate limit): every document of the group was refused by the
        provider's rate limit, or failed for a passing reason of the provider's (a 5xx, a
        time-out: the provider, not a document, is at fault), and each still waits.
        ``outcome``: the group's answers. A document waiting for another record (code
        ``wait``) holds nothing: the record it waits for must go on."""
        errors = list(outcome.results.values()) if outcome else []
        if (
            self[:1].purpose != "document"
            or len(errors) != len(self)
            or not all(isinstance(exc, SyncError) and exc.code != WAIT for exc in errors)
            or not (
                all(exc.throttled for exc in errors)
                or all(exc.kind == RETRY and not exc.throttled for exc in errors)
            )
        ):
            return None, False
        now = fields.Datetime.now()
        if any(rec.state != "pending" or (rec.next_attempt or now) <= now for rec in self):
            return None, False
        return min(self.mapped("next_attempt")), errors[0].throttled

    def _hold_connection(self, until):
        """The connection's other due records wait until ``until`` (one UPDATE; records locked
        by another transaction are left as they are)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE qxs_sync_record SET next_attempt = %s
             WHERE id IN (
                SELECT id FROM qxs_sync_record
                 WHERE connection_id = %s AND state = 'pending'
                   AND (next_attempt IS NULL OR next_attempt < %s) AND NOT (id = ANY(%s))
                   FOR UPDATE SKIP LOCKED)
            """,
            [until, self.connection_id.id, until, self.ids],
        )
        self.env["qxs.sync.record"].invalidate_model(["next_attempt"])

    @api.model
    def _refresh_before_work(self, conn):
        """Make sure of a valid token before a cron works for ``conn``: refresh it now (it is
        stored by its own transaction), then start a new transaction that sees it (a write to
        the connection in a transaction older than the refresh fails with a serialization
        error). False when the connection cannot be used now (the failure is recorded by the
        connection: reconnect needed, or retried later)."""
        try:
            conn._access_token()
        except SyncError as exc:
            _logger.info("qbo_xero_sync: %s: %s", conn.display_name, exc.message)
            return False
        finally:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return True
