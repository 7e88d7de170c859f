from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    qxs_connection_id = fields.Many2one(
        "qxs.connection",
        string="Accounting connection",
        compute="_compute_qxs_connection_id",
    )

    def _compute_qxs_connection_id(self):
        for company in self:
            company.qxs_connection_id = (
                self.env["qxs.connection"]
                .sudo()
                .search([("company_id", "=", company.id)], order="state, id desc", limit=1)
            )
