from odoo import api, fields, models
from odoo.osv import expression

from .. import const


class QxsSyncRecord(models.Model):
    """Records of a connection in trial mode stay pending: the send cron leaves its writes
    (pushes and voids of documents, payments, customers, journals) alone; reads go on."""

    _inherit = "qxs.sync.record"  # pylint: disable=consider-merging-classes-inherited

    trial_held = fields.Boolean(
        string="Held: trial mode",
        compute="_compute_trial_held",
        search="_search_trial_held",
        help="Pending while the connection is in trial mode: nothing is written to the "
        "provider. Sent once trial mode is turned off.",
    )

    @api.depends("state", "action", "connection_id.trial_mode")
    def _compute_trial_held(self):
        for rec in self:
            rec.trial_held = (
                rec.state == "pending"
                and rec.action in const.TRIAL_HELD_ACTIONS
                and rec.connection_id.trial_mode
            )

    def _search_trial_held(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError
        domain = self._trial_held_domain()
        return domain if (operator == "=") == value else ["!", *expression.normalize_domain(domain)]

    @api.model
    def _trial_held_domain(self):
        return [
            ("state", "=", "pending"),
            ("action", "in", list(const.TRIAL_HELD_ACTIONS)),
            ("connection_id.trial_mode", "=", True),
        ]

    def _due_domain(self):
        return expression.AND(
            [
                super()._due_domain(),
                [
                    "|",
                    ("connection_id.trial_mode", "=", False),
                    ("action", "not in", list(const.TRIAL_HELD_ACTIONS)),
                ],
            ]
        )

    def _lock_group(self, seen_ids, skip_connection_ids=()):
        """The held records count as seen: the next group is taken among the others (a copy of
        the cron's set, so that they do not count against its limit)."""
        held = self.sudo().with_context(active_test=False).search(self._trial_held_domain())
        return super()._lock_group(set(seen_ids) | set(held.ids), skip_connection_ids)
