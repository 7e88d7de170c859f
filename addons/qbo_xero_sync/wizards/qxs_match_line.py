from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .match_scoring import match_score


class QxsMatchLine(models.TransientModel):
    """One row of the match screen: an Odoo customer (or revenue code) beside its remote
    candidate and their score, or a remote customer that Odoo does not have."""

    _name = "qxs.match.line"
    _description = "Match screen row"
    _order = "linked, score desc, id"

    wizard_id = fields.Many2one("qxs.match.wizard", required=True, ondelete="cascade")
    kind = fields.Selection(related="wizard_id.kind")
    partner_id = fields.Many2one("res.partner", string="Odoo customer", readonly=True)
    code = fields.Char(string="Revenue code", readonly=True)
    odoo_name = fields.Char(string="In Odoo", readonly=True)
    odoo_email = fields.Char(string="E-mail / code", readonly=True)
    candidate_id = fields.Many2one(
        "qxs.match.remote",
        string="Remote candidate",
        domain="[('wizard_id', '=', wizard_id)]",
    )
    candidate_email = fields.Char(related="candidate_id.email", string="Remote e-mail")
    score = fields.Integer(string="Score (%)", compute="_compute_score", store=True)
    linked = fields.Boolean(readonly=True, help="The Odoo record is linked to the candidate.")
    remote_only = fields.Boolean(
        readonly=True, help="A remote record that no Odoo record is linked to."
    )

    @api.depends("candidate_id", "odoo_name")
    def _compute_score(self):
        for line in self:
            if line.remote_only or not line.candidate_id:
                line.score = 0
                continue
            line.score = match_score(line._odoo_values(), line.candidate_id._match_values())

    def _odoo_values(self):
        self.ensure_one()
        code = self.code
        if self.partner_id:
            code = (self.partner_id.qxs_billing_account or "").strip()
        return {"name": self.odoo_name, "email": self.odoo_email, "code": code}

    def _key(self):
        return self.partner_id.id if self.kind == "customer" else self.code

    # ------------------------------------------------------------------ buttons
    def action_link(self):
        """Link each row's Odoo record to its candidate (a remote record is linked once)."""
        self.wizard_id._check_rights()
        Binding = self.env["qxs.binding"].sudo()
        for line in self:
            if line.remote_only or not line.candidate_id:
                raise UserError(_("Pick a remote candidate to link first."))
            conn, kind = line.wizard_id.connection_id, line.kind
            taken = Binding.search(
                [
                    ("connection_id", "=", conn.id),
                    ("kind", "=", kind),
                    ("remote_id", "=", line.candidate_id.remote_id),
                    ("key", "!=", str(line._key())),
                ],
                limit=1,
            )
            if taken:
                raise UserError(
                    _(
                        "%(remote)s is already linked to %(odoo)s: unlink it first.",
                        remote=line.candidate_id.display_name,
                        odoo=taken.partner_id.display_name or taken.key,
                    )
                )
            Binding._remember(conn, kind, {line._key(): line.candidate_id.remote_id})
            line.linked = True

    def action_unlink(self):
        """Drop the rows' links: the next document looks its customer or item up again."""
        self.wizard_id._check_rights()
        for line in self:
            self.env["qxs.binding"].sudo()._forget(
                line.wizard_id.connection_id, line.kind, [line._key()]
            )
            line.linked = False

    def action_create_in_odoo(self):
        """A remote customer Odoo does not have: created in Odoo, and linked to it."""
        self.wizard_id._check_rights()
        for line in self.filtered("remote_only"):
            if line.kind != "customer":
                raise UserError(_("Only customers can be created in Odoo from here."))
            conn, remote = line.wizard_id.connection_id, line.candidate_id
            partner = (
                self.env["res.partner"]
                .with_context(qxs_from_remote=True)
                .create(
                    {
                        "name": remote.name,
                        "email": remote.email or False,
                        "customer_rank": 1,
                    }
                )
            )
            self.env["qxs.binding"].sudo()._remember(
                conn, "customer", {partner.id: remote.remote_id}
            )
            line.write(
                {
                    "partner_id": partner.id,
                    "odoo_name": partner.name,
                    "odoo_email": partner.email,
                    "remote_only": False,
                    "linked": True,
                }
            )
