from odoo import _, fields, models


class QxsConnectionTenant(models.Model):
    """An organisation the OAuth consent gave access to (Xero may give several)."""

    _name = "qxs.connection.tenant"
    _description = "Organisation available to a connection"

    connection_id = fields.Many2one("qxs.connection", required=True, ondelete="cascade")
    remote_id = fields.Char(string="Tenant ID", required=True)
    name = fields.Char(required=True)
    is_current = fields.Boolean(compute="_compute_is_current")

    def _compute_is_current(self):
        for tenant in self:
            tenant.is_current = tenant.connection_id.remote_org_id == tenant.remote_id

    def action_use(self):
        self.ensure_one()
        self.connection_id._check_admin()
        self.connection_id.write({"remote_org_id": self.remote_id, "remote_org_name": self.name})
        self.connection_id.message_post(body=_("Now using the organisation %s.", self.name))
