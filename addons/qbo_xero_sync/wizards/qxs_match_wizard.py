from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .. import const
from ..exceptions import SyncError
from .match_scoring import best_matches

MATCH_GROUPS = ("account.group_account_manager", "base.group_system")


class QxsMatchWizard(models.TransientModel):
    """The match screen: a connection's Odoo customers (or revenue codes) beside the remote
    customers (or items) read from the provider, with a score; link, unlink, link all above
    a threshold, hide what is linked, and create in Odoo the remote customers it lacks.
    Accountants and Settings administrators only (billing users do not link)."""

    _name = "qxs.match.wizard"
    _description = "Match customers and items"

    connection_id = fields.Many2one(
        "qxs.connection",
        required=True,
        default=lambda self: self.env["qxs.connection"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
    )
    kind = fields.Selection(const.MATCH_KINDS, required=True, default="customer")
    threshold = fields.Integer(
        string="Match above (%)",
        default=const.MATCH_DEFAULT_THRESHOLD,
        help="“Match all above” links every unlinked row whose score is at least this.",
    )
    hide_matched = fields.Boolean(string="Hide linked")
    line_ids = fields.One2many("qxs.match.line", "wizard_id", string="Rows")
    open_line_ids = fields.One2many(
        "qxs.match.line", "wizard_id", string="Rows not linked", domain=[("linked", "=", False)]
    )
    remote_ids = fields.One2many("qxs.match.remote", "wizard_id")
    loaded = fields.Boolean(readonly=True)

    @api.constrains("threshold")
    def _check_threshold(self):
        for wizard in self:
            if not 0 <= wizard.threshold <= 100:
                raise ValidationError(_("The threshold is a percentage, between 0 and 100."))

    def _check_rights(self):
        if not any(self.env.user.has_group(group) for group in MATCH_GROUPS):
            raise AccessError(
                _("Only accountants and administrators may link customers and items.")
            )

    # ------------------------------------------------------------------ reading
    def _odoo_records(self):
        """{key: {"name", "email", "code", ...}}: partner ids or revenue codes."""
        conn = self.connection_id
        linked = self.env["qxs.binding"]._known(conn, self.kind)
        if self.kind == "customer":
            partners = self.env["res.partner"].search(
                [
                    ("customer_rank", ">", 0),
                    ("parent_id", "=", False),
                    ("company_id", "in", [False, conn.company_id.id]),
                ]
            ) | self.env["res.partner"].browse([k for k in linked if isinstance(k, int)])
            return {
                p.id: {
                    "name": p.name or "",
                    "email": p.email or "",
                    "code": (p.qxs_billing_account or "").strip(),
                }
                for p in partners.exists()
            }
        products = (
            self.env["product.template"]
            .with_company(conn.company_id)
            .search([("qxs_revenue_code", "!=", False)])
        )
        codes = set(products.mapped("qxs_revenue_code")) | set(linked)
        return {code: {"name": code, "email": "", "code": code} for code in codes}

    def _remote_records(self):
        try:
            return self.connection_id._adapter().list_remote(self.kind)
        except SyncError as exc:
            raise UserError(
                _("Could not read from the provider: %(msg)s", msg=exc.message)
            ) from exc

    def action_load(self):
        """Read both sides again and rebuild the rows."""
        self.ensure_one()
        self._check_rights()
        remote = self._remote_records()
        odoo = self._odoo_records()
        self.line_ids.unlink()
        self.remote_ids.unlink()
        Remote = self.env["qxs.match.remote"]
        remotes = Remote.create(
            [
                {
                    "wizard_id": self.id,
                    "remote_id": r["id"],
                    "name": r["name"],
                    "email": r["email"],
                    "code": r["code"],
                    "currency": r.get("currency") or False,
                }
                for r in remote
            ]
        )
        by_id = {r.remote_id: r for r in remotes}
        linked = self.env["qxs.binding"]._known(self.connection_id, self.kind)
        unlinked = {k: v for k, v in odoo.items() if k not in linked}
        taken = set(linked.values())
        free = {r.remote_id: r._match_values() for r in remotes if r.remote_id not in taken}
        best = best_matches(unlinked, free)
        rows = []
        for key, values in odoo.items():
            remote_id = linked.get(key) or (best.get(key) or (None,))[0]
            rows.append(
                {
                    "wizard_id": self.id,
                    "partner_id": key if self.kind == "customer" else False,
                    "code": key if self.kind == "item" else False,
                    "odoo_name": values["name"],
                    "odoo_email": values["email"] or values["code"],
                    "candidate_id": by_id[remote_id].id if remote_id in by_id else False,
                    "linked": key in linked,
                }
            )
        proposed = {rid for rid, score in best.values() if score >= self.threshold}
        for remote_rec in remotes:
            if remote_rec.remote_id in taken or remote_rec.remote_id in proposed:
                continue
            rows.append(
                {
                    "wizard_id": self.id,
                    "odoo_name": False,
                    "candidate_id": remote_rec.id,
                    "remote_only": True,
                }
            )
        self.env["qxs.match.line"].create(rows)
        self.loaded = True
        return self._reopen()

    def action_match_above(self):
        """Link every unlinked row whose score reaches the threshold, best first; a remote
        record proposed for several rows goes to the best one only."""
        self.ensure_one()
        self._check_rights()
        used = set(self.env["qxs.binding"]._known(self.connection_id, self.kind).values())
        todo = self.line_ids.filtered(
            lambda line: not line.linked
            and not line.remote_only
            and line.candidate_id
            and line.score >= self.threshold
        ).sorted(lambda line: -line.score)
        for line in todo:
            if line.candidate_id.remote_id in used:
                continue
            used.add(line.candidate_id.remote_id)
            line.action_link()
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }
