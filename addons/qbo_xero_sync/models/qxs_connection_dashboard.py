from odoo import _, fields, models

from .. import const


def human_age(delta):
    """A short, readable age: "12 min", "3 h", "2 days"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%s min", max(minutes, 0))
    if minutes < 48 * 60:
        return _("%s h", minutes // 60)
    return _("%s days", minutes // (24 * 60))


class QxsConnection(models.Model):
    """The per-connection sync dashboard: counts, ages and the top error reasons (computed,
    not stored), with actions opening the sync queue filtered on them."""

    _inherit = "qxs.connection"  # pylint: disable=consider-merging-classes-inherited

    dash_pending_count = fields.Integer(string="Pending", compute="_compute_dashboard")
    dash_synced_count = fields.Integer(string="Synced", compute="_compute_dashboard")
    dash_error_count = fields.Integer(string="Errors", compute="_compute_dashboard")
    dash_skipped_count = fields.Integer(string="Skipped", compute="_compute_dashboard")
    dash_remote_deleted_count = fields.Integer(
        string="Deleted remotely", compute="_compute_dashboard"
    )
    dash_oldest_pending = fields.Char(
        string="Oldest pending",
        compute="_compute_dashboard",
        help="How long the oldest document still waiting to be sent has been queued.",
    )
    dash_last_send = fields.Datetime(string="Last successful send", compute="_compute_dashboard")
    dash_top_errors = fields.Json(
        string="Top error reasons",
        compute="_compute_dashboard",
        help="The most frequent reasons of the records in error: [{reason, count}].",
    )
    token_expires_on = fields.Datetime(
        string="Access token expires on", compute="_compute_token_expires_on"
    )

    def _compute_token_expires_on(self):
        # token_expiry is restricted to Settings administrators; its date is not a secret.
        for conn in self:
            conn.token_expires_on = conn.sudo().token_expiry

    def _compute_dashboard(self):
        records = self.env["qxs.sync.record"]
        domain = [("connection_id", "in", self.ids)]
        counts = {
            (conn.id, state): count
            for conn, state, count in records._read_group(
                domain, ["connection_id", "state"], ["__count"]
            )
        }
        oldest = dict(
            records._read_group(
                domain + [("state", "=", "pending")], ["connection_id"], ["create_date:min"]
            )
        )
        last_send = dict(
            records._read_group(
                domain + [("last_sync_date", "!=", False)],
                ["connection_id"],
                ["last_sync_date:max"],
            )
        )
        now = fields.Datetime.now()
        errors = self._dashboard_error_reasons()
        for conn in self:
            for state in const.DASHBOARD_STATES:
                conn[f"dash_{state}_count"] = counts.get((conn.id, state), 0)
            since = oldest.get(conn)
            conn.dash_oldest_pending = human_age(now - since) if since else False
            conn.dash_last_send = last_send.get(conn) or False
            conn.dash_top_errors = errors.get(conn.id, [])

    def _dashboard_error_reasons(self):
        """{connection id: [{"reason", "count"}]}: records in error grouped by the first line
        of their error, the most frequent first (at most const.DASHBOARD_TOP_ERRORS)."""
        data = self.env["qxs.sync.record"]._read_group(
            [("connection_id", "in", self.ids), ("state", "=", "error")],
            ["connection_id", "last_error"],
            ["__count"],
        )
        reasons = {}
        for conn, error, count in data:
            reason = error_reason(error)
            per_conn = reasons.setdefault(conn.id, {})
            per_conn[reason] = per_conn.get(reason, 0) + count
        return {
            conn_id: [
                {"reason": reason, "count": count}
                for reason, count in sorted(found.items(), key=lambda item: (-item[1], item[0]))[
                    : const.DASHBOARD_TOP_ERRORS
                ]
            ]
            for conn_id, found in reasons.items()
        }

    # ------------------------------------------------------------------ actions of the card
    def _dashboard_action(self, domain, name):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync.action_qxs_sync_record"
        )
        action["domain"] = [("connection_id", "=", self.id)] + domain
        action["name"] = name
        action["context"] = {}
        return action

    def action_open_dashboard_records(self):
        """The connection's records in the state given by the context (``qxs_dash_state``)."""
        state = self.env.context.get("qxs_dash_state")
        if state not in const.DASHBOARD_STATES:
            return self._dashboard_action([], _("Sync queue of %s", self.display_name))
        label = dict(self.env["qxs.sync.record"]._fields["state"]._description_selection(self.env))
        return self._dashboard_action(
            [("state", "=", state)],
            _("%(state)s: %(conn)s", state=label[state], conn=self.display_name),
        )

    def action_open_top_error(self):
        """The records in error of the reason ranked ``qxs_error_rank`` (0 = most frequent)."""
        self.ensure_one()
        rank = int(self.env.context.get("qxs_error_rank") or 0)
        top = self._dashboard_error_reasons().get(self.id, [])
        if rank >= len(top):
            return self._dashboard_action([("state", "=", "error")], _("Errors"))
        reason = top[rank]["reason"]
        errors = self.env["qxs.sync.record"].search(
            [("connection_id", "=", self.id), ("state", "=", "error")]
        )
        matching = errors.filtered(lambda rec: error_reason(rec.last_error) == reason)
        return self._dashboard_action([("id", "in", matching.ids)], reason)

    def action_open_sync_analysis(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync.action_qxs_sync_record_analysis"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        return action


def error_reason(error):
    """The first line of an error message (the reason the dashboard groups by)."""
    first = (error or "").strip().splitlines()[:1]
    return first[0].strip() if first else _("Unknown error")
