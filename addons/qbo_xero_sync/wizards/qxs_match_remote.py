from odoo import fields, models


class QxsMatchRemote(models.TransientModel):
    """A customer or item read from the provider by the match screen."""

    _name = "qxs.match.remote"
    _description = "Remote customer or item (match screen)"
    _order = "name, id"

    wizard_id = fields.Many2one("qxs.match.wizard", required=True, ondelete="cascade")
    remote_id = fields.Char(required=True)
    name = fields.Char()
    email = fields.Char()
    code = fields.Char(help="Xero: the account number or item code; QuickBooks: the SKU.")
    currency = fields.Char()

    def _match_values(self):
        self.ensure_one()
        return {"name": self.name, "email": self.email, "code": self.code}

    def _compute_display_name(self):
        for rec in self:
            extra = rec.email or rec.code
            rec.display_name = f"{rec.name} ({extra})" if extra else (rec.name or rec.remote_id)
