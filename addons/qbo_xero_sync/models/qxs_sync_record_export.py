from odoo import fields, models


class QxsSyncRecord(models.Model):
    """The historical export run that queued a record (its report counts and lists them)."""

    _inherit = "qxs.sync.record"  # pylint: disable=consider-merging-classes-inherited

    export_run_id = fields.Many2one(
        "qxs.export.run",
        string="Historical export",
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        readonly=True,
    )
