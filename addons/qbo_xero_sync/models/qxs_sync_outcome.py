import logging
from datetime import timedelta

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .. import const
from ..adapters import RemoteState, Result
from ..exceptions import AUTH, GONE, RETRY, SyncError
from .account_move_payment import WAIT

_logger = logging.getLogger(__name__)


class QxsSyncOutcome(models.AbstractModel):
    """How the outcome of a sync record's work is written back: :meth:`_apply_result` is the one
    place that writes sync state; what the users are told (a chatter note on the synced Odoo
    record, one activity for a failure) is here too. Mixed into ``qxs.sync.record``."""

    _name = "qxs.sync.outcome"
    _description = "Outcomes of QuickBooks / Xero sync work"

    alert_reported_error = fields.Text(
        copy=False,
        help="The error last reported in the connection's failure digest e-mail: the same "
        "failure is reported once, until the record syncs.",
    )

    def _apply_result_isolated(self, result):
        """Write one record's outcome inside a savepoint: whatever goes wrong while applying it
        in Odoo (a UserError, an access error, an answer nobody foresaw) is written on that
        record, visibly, and the other records of the run go on."""
        self.ensure_one()
        self.last_attempt_date = fields.Datetime.now()
        try:
            with self.env.cr.savepoint():
                self._apply_result(result)
        except Exception as exc:  # recorded on the record, never lost
            _logger.exception("qbo_xero_sync: could not apply the outcome of %s", self)
            self.invalidate_recordset()
            self._record_failure(exc, result)

    def _record_failure(self, exc, result=None):
        """The record goes to "error" with Odoo's own message; a remote id that the provider
        gave is kept (the document exists there), and the accountant gets an activity."""
        message = exc.args[0] if isinstance(exc, UserError) and exc.args else str(exc)
        if isinstance(exc, SyncError):
            message = exc.message
        vals = {
            "state": "error",
            "attempts": self.attempts + 1,
            "last_error": _(
                "Odoo could not apply what %(p)s answered: %(msg)s",
                p=self._provider_label(),
                msg=message,
            ),
        }
        if isinstance(result, RemoteState):
            vals["action"] = "pull"  # "send again" reads it again
        if isinstance(result, Result) and result.remote_id and not self.remote_id:
            vals["remote_id"] = result.remote_id
            vals["remote_number"] = result.remote_number or False
        with self.env.cr.savepoint():
            self.write(vals)
            self._note_failure(vals["last_error"])

    def _apply_result(self, result):
        """The one place where an outcome (success, failure, remote state) is written."""
        self.ensure_one()
        if isinstance(result, RemoteState):
            self._apply_remote_state(result)
            return
        if isinstance(result, SyncError):
            self._apply_error(result)
            return
        vals = {
            "state": "synced",
            "attempts": 0,
            "next_attempt": False,
            "last_error": False,
            "last_sync_date": fields.Datetime.now(),
        }
        for key in ("remote_id", "remote_number", "sync_token", "remote_status"):
            if getattr(result, key) is not None:
                vals[key] = getattr(result, key)
        target = self._target()
        was_action = self.action
        if result.remote_total is not None:
            vals["remote_total"] = result.remote_total
            vals["local_total"] = self._local_total()
            vals["total_mismatch"] = bool(
                float_compare(result.remote_total, vals["local_total"], precision_digits=2)
            )
        if self.purpose == "payment":
            vals.update(self._payment_sent_values(was_action, vals.get("remote_id")))
        self.write(vals)
        self._clear_failure_activity()
        if self.purpose == "document":
            self._release_waiting_payments()
        self._after_success(target, was_action, result)
        if was_action == "void":
            self._keep_in_odoo_after_removal()

    def _payment_sent_values(self, action, remote_id=None):
        """What the provider now has of a payment: {document id: amount} of its allocations
        (none after a void), the documents it pays and, when the provider made one payment per
        document (Xero; the adapter answers their ids in the allocations' order), which is
        which."""
        if action == "void" or not self.payment_move_id:
            return {"payment_allocations": {}, "payment_remote_ids": {}}
        values = self.payment_move_id._qxs_payment_values(self.connection_id, strict=False)
        sent = {str(a["move_id"]): a["amount"] for a in values["allocations"]}
        remote_ids = (remote_id or self.remote_id or "").split(const.XERO_REMOTE_ID_SEP)
        per_document = {}
        if len(remote_ids) > 1 and len(remote_ids) == len(values["allocations"]):
            per_document = {
                str(a["move_id"]): rid
                for a, rid in zip(values["allocations"], remote_ids, strict=True)
            }
        return {
            "payment_allocations": sent,
            "payment_remote_ids": per_document,
            "allocation_move_ids": [(4, int(move_id)) for move_id in sent],
        }

    def _drop_remote_allocation(self, move, note, status="deleted"):
        """The provider's payment of ``move`` is gone (deleted or voided there) while the
        payment's others live on (one remote payment per document): only that one is
        forgotten; the last one gone is the whole payment gone (:meth:`_mark_deleted`)."""
        self.ensure_one()
        per_document = dict(self.payment_remote_ids or {})
        gone = per_document.pop(str(move.id), None)
        remote_ids = [rid for rid in (self.remote_id or "").split(const.XERO_REMOTE_ID_SEP) if rid]
        if not gone or not per_document or gone not in remote_ids:
            self._mark_deleted(note, status=status)
            return
        remote_ids.remove(gone)
        allocations = dict(self.payment_allocations or {})
        allocations.pop(str(move.id), None)
        self.write(
            {
                "remote_id": const.XERO_REMOTE_ID_SEP.join(remote_ids),
                "payment_remote_ids": per_document,
                "payment_allocations": allocations,
            }
        )
        self._note(note)

    def _keep_in_odoo_after_removal(self):
        """A payment removed remotely (or found never sent) while Odoo still has it reconciled
        with documents the provider does not have on purpose (a daily summary, a No sync
        channel: ``account.move._qxs_payment_kept_reason``): the record says so, skipped with
        that reason, rather than "synced" as a removal. Its copy there is gone, so the link is
        dropped (``_enqueue``): a later change of the payment is sent anew."""
        self.ensure_one()
        unit = self.payment_move_id
        if self.purpose != "payment" or not unit.exists():
            return
        reason = unit._qxs_payment_kept_reason()
        if reason:
            self._enqueue(self.connection_id, unit, "payment", "push", skip_reason=reason)
            self._note(reason)

    def _release_waiting_payments(self):
        """A document was sent: the payments that waited for it are due now."""
        waiting = self.search(
            [
                ("connection_id", "=", self.connection_id.id),
                ("purpose", "=", "payment"),
                ("state", "=", "pending"),
                ("attempts", "=", 0),
                ("next_attempt", "!=", False),
            ]
        )
        waiting.write({"next_attempt": False})

    def _local_total(self):
        target = self._target()
        if target._name != "account.move":
            return 0.0
        return target._qxs_expected_remote_total(self.connection_id)

    def _after_success(self, target, action, result):
        if self.purpose == "payment":
            body = (
                _("Removed from %(provider)s.", provider=self._provider_label())
                if action == "void"
                else _(
                    "Payment sent to %(provider)s (%(ref)s).",
                    provider=self._provider_label(),
                    ref=self.remote_number or self.remote_id,
                )
            )
        elif action == "void":
            body = _("Voided in %(provider)s.", provider=self._provider_label())
        else:
            body = _(
                "Sent to %(provider)s as %(number)s.",
                provider=self._provider_label(),
                number=self.remote_number or self.remote_id,
            )
        if result.message:
            body = f"{body} {result.message}"
        if self.total_mismatch:
            body += " " + _(
                "Warning: the total in %(provider)s (%(remote)s) differs from Odoo's "
                "(%(local)s); check the taxes.",
                provider=self._provider_label(),
                remote=self.remote_total,
                local=self.local_total,
            )
        self._note(body)

    def _apply_error(self, exc):
        if exc.kind == GONE and self.action == "void":
            if not self.remote_id:
                # The adapter looked it up by number: the document never got there.
                self.write(
                    {
                        "state": "skipped",
                        "skip_reason": _("Cancelled before it was sent."),
                        "last_error": False,
                        "next_attempt": False,
                    }
                )
                self._clear_failure_activity()
                self._keep_in_odoo_after_removal()
                return
            # Nothing left to void: the document no longer exists remotely.
            self._mark_deleted(_("The document no longer exists remotely."))
            self._keep_in_odoo_after_removal()
            return
        if exc.code == WAIT:
            # A payment whose documents are not sent yet: it waits (no attempt counted); it is
            # due again as soon as one of them is sent (_release_waiting_payments).
            self.write(
                {
                    "next_attempt": fields.Datetime.now()
                    + timedelta(seconds=const.PAYMENT_WAIT_SECONDS),
                    "last_error": exc.message,
                }
            )
            return
        if exc.throttled:
            # The provider's rate limit: the record waits what the provider says; it is not a
            # failure of the record (a bulk run throttled for an hour must not end in errors).
            self.write(
                {
                    "next_attempt": fields.Datetime.now()
                    + timedelta(seconds=int(exc.retry_after or const.RETRY_DELAYS[0])),
                    "last_error": _("%(msg)s (will retry automatically)", msg=exc.message),
                }
            )
            return
        attempts = self.attempts + 1
        if exc.kind == GONE and self.remote_id and attempts < const.MAX_TRANSIENT_ATTEMPTS:
            # Deleted remotely while Odoo still wanted it there: drop the link and create it
            # anew on the next run (a new generation, so that no request id is replayed).
            self.write(
                {
                    "generation": self.generation + 1,
                    "remote_id": False,
                    "sync_token": False,
                    "next_attempt": False,
                    "attempts": attempts,
                }
            )
            self._note(
                _(
                    "%(msg)s The remote document was deleted; it will be created anew.",
                    msg=exc.message,
                )
            )
            return
        if exc.kind == AUTH:
            # The connection needs an administrator (reconnect): the document waits in the
            # queue, and is sent as soon as the connection is authorised again.
            self.write(
                {
                    "next_attempt": fields.Datetime.now() + timedelta(hours=1),
                    "last_error": _("%(msg)s (waiting for the connection)", msg=exc.message),
                }
            )
            return
        if exc.kind == RETRY and attempts < const.MAX_TRANSIENT_ATTEMPTS:
            delay = const.RETRY_DELAYS[min(attempts - 1, len(const.RETRY_DELAYS) - 1)]
            delay = max(delay, int(exc.retry_after or 0))
            self.write(
                {
                    "attempts": attempts,
                    "next_attempt": fields.Datetime.now() + timedelta(seconds=delay),
                    "last_error": _("%(msg)s (will retry automatically)", msg=exc.message),
                }
            )
            return
        # A user error, a transient one that kept failing, or a document that a create
        # could not find (GONE without a remote id: a referenced record is missing there).
        noted = self.state == "error" and self.last_error == exc.message
        self.write({"state": "error", "attempts": attempts, "last_error": exc.message})
        if not noted:
            self._note_failure(exc.message)

    def _mark_deleted(self, note, status="deleted"):
        """Gone remotely (``status``: "deleted", or "voided" for a payment voided there): the
        link is dropped, the note says what to do."""
        self.write(
            {
                "state": "remote_deleted",
                "remote_status": status,
                "remote_id": False,
                "sync_token": False,
                "generation": self.generation + 1,
                "last_error": False,
            }
        )
        self._clear_failure_activity()
        self._note(note)

    # ------------------------------------------------------------------ telling the users

    def _note(self, body):
        """A chatter note on the synced Odoo record, when it has a chatter."""
        target = self._target()
        if target.exists() and hasattr(target, "message_post"):
            target.sudo().message_post(body=body)

    def _note_failure(self, message):
        """A failure: a chatter note, and one activity (not one per retry; it is closed when
        the document syncs) for the connection's alert user (see
        ``qxs.connection._alert_user``), else the document's salesperson, else the
        administrator."""
        self._note(_("Sync failed: %s", message))
        target = self._target()
        if not target.exists() or not hasattr(target, "activity_schedule"):
            return
        if self._failure_activities():
            return
        user = self.connection_id._alert_user()
        if not user:
            user = (getattr(target, "invoice_user_id", False) or self.env.user).sudo()
        if user.share or self.company_id not in user.company_ids:
            user = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        target.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Fix the %s sync", self._provider_label()),
            note=message,
            user_id=user.id,
        )

    def _send_failure_digests(self):
        """One digest e-mail per connection of these records (new failures of a run)."""
        for conn in self.connection_id:
            try:
                with self.env.cr.savepoint():
                    conn._send_failure_digest(self.filtered(lambda r, c=conn: r.connection_id == c))
            except Exception:  # a digest never fails the run: the records keep their errors
                _logger.exception("qbo_xero_sync: failure digest of %s not sent", conn.display_name)
        if self and self.env["account.move"]._can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _alert_digest_line(self):
        """What the failure digest e-mail says of this record: plain values."""
        self.ensure_one()
        target = self._target()
        exists = target.exists()
        partner = getattr(target, "partner_id", False) if exists else False
        base_url = self.connection_id.get_base_url()
        return {
            "number": (target.display_name if exists else False) or self.display_name,
            "customer": partner.display_name if partner else "",
            "error": self.last_error or "",
            "url": f"{base_url}/odoo/{self.res_model}/{self.res_id}"
            if exists
            else f"{base_url}/odoo/qxs.sync.record/{self.id}",
        }

    def _failure_activities(self):
        target = self._target()
        if not target.exists() or not hasattr(target, "activity_ids"):
            return self.env["mail.activity"]
        summary = _("Fix the %s sync", self._provider_label())
        return target.sudo().activity_ids.filtered(lambda a: a.summary == summary)

    def _clear_failure_activity(self):
        """The failure is over (synced, skipped, gone): its activity is removed, and a new
        failure of the same kind is reported again."""
        self._failure_activities().unlink()
        if self.alert_reported_error:
            self.alert_reported_error = False
