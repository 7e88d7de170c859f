from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class QxsDateRangeMixin(models.AbstractModel):
    """A range of days, today by default, its start on or before its end: the maintenance
    wizards that act on the documents of some days (daily summaries; the COGS addon's
    journals) share one definition, so that their fields and check cannot drift apart."""

    _name = "qxs.date.range.mixin"
    _description = "Range of days of a maintenance wizard"

    date_from = fields.Date(string="From", required=True, default=fields.Date.context_today)
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for record in self:
            if record.date_from and record.date_to and record.date_from > record.date_to:
                raise ValidationError(_("The start date must be on or before the end date."))
