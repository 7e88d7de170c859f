import contextlib
import logging

from odoo import _, api, fields, models

from .. import const
from ..adapters.base import capture_adapters

_logger = logging.getLogger(__name__)


class QxsConnection(models.Model):
    """Alerts of a connection: who gets the activity of a failing document or of a connection
    to re-authorise, who gets the digest e-mail of a run's new failures; and how long its sync
    history (``qxs.sync.log``) is kept."""

    _inherit = ["qxs.connection", "mail.activity.mixin"]
    _name = "qxs.connection"

    alert_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Gets one activity per failing document (not one per retry; closed when it "
        "syncs) and one when the connection must be reconnected. Empty: the alert group's "
        "user, else the document's salesperson.",
    )
    alert_group_id = fields.Many2one(
        "res.groups",
        string="Responsible group",
        help="Used when no responsible user is set: the activity goes to one user of the group "
        "(the first active internal user of the connection's company, by creation order), so "
        "that a document has one owner and not one activity per member.",
    )
    alert_partner_ids = fields.Many2many(
        "res.partner",
        "qxs_connection_alert_partner_rel",
        "connection_id",
        "partner_id",
        string="Digest recipients",
        help="Receive one e-mail after each send run that has new failures (documents that "
        "went to error in that run), and one when the connection must be reconnected.",
    )
    alert_reconnect_sent = fields.Boolean(
        copy=False,
        readonly=True,
        help="The reconnect alert was sent; it is sent again only after a reconnect.",
    )
    log_retention_days = fields.Integer(
        string="Keep sync history (days)",
        default=const.SYNC_LOG_RETENTION_DAYS,
        help="Entries of the sync history older than this are deleted by a daily job (0: "
        "kept for ever).",
    )
    sync_log_count = fields.Integer(compute="_compute_sync_log_count")

    def _compute_sync_log_count(self):
        data = self.env["qxs.sync.log"]._read_group(
            [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
        )
        counts = {conn.id: count for conn, count in data}
        for conn in self:
            conn.sync_log_count = counts.get(conn.id, 0)

    def action_open_sync_log(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("qbo_xero_sync.action_qxs_sync_log")
        action["domain"] = [("connection_id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------ who is alerted
    def _alert_user(self):
        """The user who gets this connection's activities: the responsible user, else the
        first active internal user of the responsible group in the connection's company; an
        empty recordset when neither is set (the callers then fall back)."""
        self.ensure_one()
        conn = self.sudo()
        user = conn.alert_user_id
        if user and user.active and not user.share and conn.company_id in user.company_ids:
            return user
        members = conn.alert_group_id.users.filtered(
            lambda u: u.active and not u.share and conn.company_id in u.company_ids
        )
        return members.sorted("id")[:1]

    # ------------------------------------------------------------------ digest of failures
    def _send_failure_digest(self, records):
        """One e-mail to the digest recipients listing the ``records`` (sync records that went
        to error in a run) not reported yet; none when there is nothing new. Returns the
        mail.mail sent (queued), or an empty recordset."""
        self.ensure_one()
        conn = self.sudo()
        new = records.sudo().filtered(
            lambda r: r.state == "error" and r.last_error and r.alert_reported_error != r.last_error
        )
        if not new or not conn.alert_partner_ids:
            return self.env["mail.mail"]
        lines = [rec._alert_digest_line() for rec in new]
        for rec in new:
            rec.alert_reported_error = rec.last_error
        return self._send_alert_mail(
            "qbo_xero_sync.mail_template_qxs_failure_digest", qxs_digest_lines=lines
        )

    def _send_alert_mail(self, template_xmlid, **context):
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        conn = self.sudo()
        if not template or not conn.alert_partner_ids:
            return self.env["mail.mail"]
        mail_id = (
            template.sudo()
            .with_context(qxs_provider=dict(const.PROVIDERS)[conn.provider], **context)
            .send_mail(
                conn.id,
                email_values={"recipient_ids": [(6, 0, conn.alert_partner_ids.ids)]},
            )
        )
        return self.env["mail.mail"].sudo().browse(mail_id)

    # ------------------------------------------------------------------ reconnect needed
    def _reconnect_summary(self):
        return _("Reconnect %s", self.display_name)

    def _notify_reconnect(self, message):
        """Besides the administrators' note: one activity for the responsible user and one
        e-mail to the digest recipients, once until the connection is connected again."""
        res = super()._notify_reconnect(message)
        for conn in self:
            try:
                with self.env.cr.savepoint():
                    conn._alert_reconnect(message)
            except Exception:  # an alert must never hide the reconnect state itself
                _logger.exception("qbo_xero_sync: reconnect alert of %s failed", conn.display_name)
        return res

    def _alert_reconnect(self, message):
        self.ensure_one()
        conn = self.sudo()
        if conn.alert_reconnect_sent:
            return
        user = self._alert_user()
        if user and not self._reconnect_activities():
            conn.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self._reconnect_summary(),
                note=_(
                    "%(provider)s refused the connection's tokens: %(msg)s Open the connection "
                    "and click Reconnect; the documents waiting are then sent.",
                    provider=dict(const.PROVIDERS)[conn.provider],
                    msg=message,
                ),
                user_id=user.id,
            )
        self._send_alert_mail(
            "qbo_xero_sync.mail_template_qxs_reconnect", qxs_reconnect_message=message
        )
        conn.alert_reconnect_sent = True

    def _reconnect_activities(self):
        summary = self._reconnect_summary()
        return self.sudo().activity_ids.filtered(lambda a: a.summary == summary)

    def _finish_oauth(self, code, params):
        """Connected again: the reconnect activity is done, and a later failure alerts
        again. The OAuth calls are written to the sync history."""
        with self._logged_calls():
            res = super()._finish_oauth(code, params)
        activities = self._reconnect_activities()
        if activities:
            activities.action_feedback(feedback=_("Connected again."))
        self.sudo().alert_reconnect_sent = False
        return res

    def _access_token(self, force_refresh=False):
        """The token refresh's HTTP attempts go to the sync history (they are made by an
        adapter of their own)."""
        with self._logged_calls():
            return super()._access_token(force_refresh=force_refresh)

    def action_reload_reference_data(self):
        with self._logged_calls():
            return super().action_reload_reference_data()

    def action_disconnect(self):
        res = None
        for conn in self:
            with conn._logged_calls():
                res = super(QxsConnection, conn).action_disconnect()
        return res

    @contextlib.contextmanager
    def _logged_calls(self):
        """Write the HTTP attempts of the adapters built in the block (connecting, a token
        refresh, an administrator's action) to the sync history, in a transaction of their
        own: they are kept when the block fails and its transaction is rolled back."""
        self.ensure_one()
        with capture_adapters() as adapters:
            try:
                yield
            finally:
                entries = [entry for adapter in adapters for entry in adapter.take_http_log()]
                if entries:
                    try:
                        with self._independent_env() as env:
                            env["qxs.sync.log"]._record(
                                env["qxs.connection"].browse(self.id), entries
                            )
                    except Exception:  # the history never fails what it records
                        _logger.exception("qbo_xero_sync: sync history of %s not written", self)

    # ------------------------------------------------------------------ the sync history
    @api.model
    def _cron_purge_sync_log(self):
        """Delete the sync history older than each connection's retention (daily)."""
        Log = self.env["qxs.sync.log"].sudo()
        conns = self.sudo().with_context(active_test=False).search([("log_retention_days", ">", 0)])
        for conn in conns:  # a retention of 0 keeps the history for ever
            limit = fields.Datetime.subtract(fields.Datetime.now(), days=conn.log_retention_days)
            Log.search([("connection_id", "=", conn.id), ("date", "<", limit)]).unlink()
