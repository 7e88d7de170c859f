from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SYNC_CRON = "qbo_xero_sync.ir_cron_qxs_sync"
POLL_CRON = "qbo_xero_sync.ir_cron_qxs_poll"
CRON_FIELDS = ((SYNC_CRON, "qxs_sync_interval"), (POLL_CRON, "qxs_poll_interval"))


class ResConfigSettings(models.TransientModel):
    """The schedule of the send and poll crons, in minutes, set from Settings > Accounting."""

    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    qxs_sync_interval = fields.Integer(
        string="Send every (minutes)",
        help="How often the documents waiting in the queue are sent to QuickBooks / Xero.",
    )
    qxs_poll_interval = fields.Integer(
        string="Read statuses back every (minutes)",
        help="How often paid, voided and deleted statuses are read from QuickBooks / Xero.",
    )

    @api.model
    def _qxs_cron_minutes(self, xmlid):
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if not cron:
            return 0
        cron = cron.sudo()
        factor = {"minutes": 1, "hours": 60, "days": 24 * 60, "weeks": 7 * 24 * 60}
        return cron.interval_number * factor.get(cron.interval_type, 30 * 24 * 60)

    @api.model
    def get_values(self):
        res = super().get_values()
        res["qxs_sync_interval"] = self._qxs_cron_minutes(SYNC_CRON)
        res["qxs_poll_interval"] = self._qxs_cron_minutes(POLL_CRON)
        return res

    def _check_qxs_intervals(self):
        for settings in self:
            for xmlid, fname in (
                (SYNC_CRON, "qxs_sync_interval"),
                (POLL_CRON, "qxs_poll_interval"),
            ):
                if not self.env.ref(xmlid, raise_if_not_found=False):
                    continue
                if settings[fname] < 1:
                    raise ValidationError(
                        _(
                            '"%(field)s" must be a whole number of minutes, 1 or more '
                            "(%(value)s was entered).",
                            field=settings._fields[fname].get_description(self.env)["string"],
                            value=settings[fname],
                        )
                    )

    def set_values(self):
        self._check_qxs_intervals()
        res = super().set_values()
        for xmlid, fname in CRON_FIELDS:
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron and self._qxs_cron_minutes(xmlid) != self[fname]:
                cron.sudo().write({"interval_number": self[fname], "interval_type": "minutes"})
        return res
