from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..matching import best_each, best_matches, match_score
from .qxs_mapping_line import STEP_TARGETS


class QxsMappingWizard(models.TransientModel):
    """Map Odoo's accounts, taxes, payment terms and bank journals to the provider's reference
    data (the mirror, qxs.remote.record), each proposal with its match score
    (matching.match_score). Opened after the OAuth consent and from the connection form;
    Settings administrators only; nothing is written before Apply."""

    _name = "qxs.mapping.wizard"
    _description = "QuickBooks / Xero mapping wizard"

    connection_id = fields.Many2one("qxs.connection", required=True, readonly=True)
    provider = fields.Selection(related="connection_id.provider")
    remote_home_currency = fields.Char(related="connection_id.remote_home_currency")
    default_remote_id = fields.Many2one(
        "qxs.remote.record",
        string="Default revenue account",
        domain="[('connection_id', '=', connection_id), ('kind', '=', 'account'), "
        "('usage', '=', 'revenue')]",
        help="QuickBooks: the Income account missing items are created under. Xero: the revenue "
        "account of lines whose product and income account have no revenue code.",
    )
    default_current = fields.Char(string="Default now", readonly=True)
    default_score = fields.Integer(compute="_compute_default_score")
    revenue_line_ids = fields.One2many(
        "qxs.mapping.line", "wizard_id", domain=[("step", "=", "revenue")]
    )
    tax_line_ids = fields.One2many("qxs.mapping.line", "wizard_id", domain=[("step", "=", "tax")])
    term_line_ids = fields.One2many("qxs.mapping.line", "wizard_id", domain=[("step", "=", "term")])
    journal_line_ids = fields.One2many(
        "qxs.mapping.line", "wizard_id", domain=[("step", "=", "journal")]
    )
    unmapped_default = fields.Char(compute="_compute_unmapped")
    unmapped_revenue = fields.Char(compute="_compute_unmapped")
    unmapped_tax = fields.Char(compute="_compute_unmapped")
    unmapped_term = fields.Char(compute="_compute_unmapped")
    unmapped_journal = fields.Char(compute="_compute_unmapped")

    # ------------------------------------------------------------------ opening: proposals
    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        ctx = self.env.context
        conn_id = values.get("connection_id") or (
            ctx.get("active_id")
            if ctx.get("active_model", "qxs.connection") == "qxs.connection"
            else None
        )
        connection = self.env["qxs.connection"].browse(conn_id).exists()
        if not connection:
            raise UserError(_("Open the mapping wizard from an accounting connection."))
        connection._check_admin()
        if not connection.remote_record_ids:
            connection.action_reload_reference_data()
        values["connection_id"] = connection.id
        values.update(self._proposals(connection))
        return values

    @api.model
    def _proposals(self, connection):
        """Default values: each step's lines with the current mapping, else the best proposal
        (one-to-one for bank journals), and the default revenue account."""
        mirror = connection.remote_record_ids
        values = {}
        for step, (field, kind, usage, code_field) in STEP_TARGETS.items():
            candidates = mirror.filtered(lambda r, k=kind, u=usage: r.kind == k and r.usage == u)
            records = self._odoo_records(connection, step)
            Line = self.env["qxs.mapping.line"]
            scores = {
                (rec.id, remote.id): Line._score_pair(step, connection, rec, remote)
                for rec in records
                for remote in candidates
            }
            pick = best_matches if step == "journal" else best_each
            chosen = pick(scores)
            commands = []
            for rec in records:
                current = rec.with_company(connection.company_id)[code_field] or ""
                same = candidates.filtered(lambda r, c=current: c and r.code == c)[:1]
                remote_id = same.id or (chosen.get(rec.id) or (False, 0))[0]
                commands.append(
                    Command.create(
                        {
                            "step": step,
                            field: rec.id,
                            "name": rec.name,
                            "current_code": current,
                            "remote_id": remote_id,
                        }
                    )
                )
            values[f"{step}_line_ids"] = commands
        values.update(self._default_proposal(connection, mirror))
        return values

    @api.model
    def _default_proposal(self, connection, mirror):
        current = connection._qxs_default_revenue_account() or ""
        candidates = mirror.filtered(lambda r: r.kind == "account" and r.usage == "revenue")
        remote = candidates.filtered(lambda r: current and r.code == current)[:1]
        if not remote:
            income = self._sale_income_accounts(connection)[:1]
            scored = {(0, r.id): self._default_score_of(connection, r, income) for r in candidates}
            remote = mirror.browse((best_each(scored).get(0) or (False, 0))[0])
        return {"default_current": current, "default_remote_id": remote.id}

    @api.model
    def _default_score_of(self, connection, remote, income):
        return match_score(
            income.name or "",
            remote.name,
            code=income.code,
            remote_code=remote.code,
            remote_type=remote.account_type,
            allowed_types=const.REVENUE_ACCOUNT_TYPES.get(connection.provider, ()),
        )

    @api.model
    def _sale_income_accounts(self, connection):
        """The income accounts of the sale journals, first, then of sold products."""
        company = connection.company_id
        Account = self.env["account.account"].with_company(company)
        journals = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)]
        )
        products = (
            self.env["product.template"]
            .with_company(company)
            .search([("sale_ok", "=", True), ("company_id", "in", (False, company.id))])
        )
        accounts = journals.default_account_id | Account.browse(
            products.property_account_income_id.ids
            + products.categ_id.property_account_income_categ_id.ids
        )
        return accounts.filtered(lambda a: a.account_type in const.ODOO_INCOME_ACCOUNT_TYPES)

    @api.model
    def _odoo_records(self, connection, step):
        company = connection.company_id
        if step == "revenue":
            return self._sale_income_accounts(connection)
        if step == "tax":
            return self.env["account.tax"].search(
                [("type_tax_use", "=", "sale"), ("company_id", "=", company.id)]
            )
        if step == "term":
            if connection.provider != "qbo":
                return self.env["account.payment.term"]  # Xero invoices carry no terms
            return self.env["account.payment.term"].search(
                [("company_id", "in", (False, company.id))]
            )
        return self.env["account.journal"].search(
            [("type", "in", ("bank", "cash")), ("company_id", "=", company.id)]
        )

    # ------------------------------------------------------------------ scores, what is unmapped
    @api.depends("default_remote_id")
    def _compute_default_score(self):
        for wizard in self:
            income = self._sale_income_accounts(wizard.connection_id)[:1]
            remote = wizard.default_remote_id
            wizard.default_score = (
                self._default_score_of(wizard.connection_id, remote, income) if remote else 0
            )

    @api.depends(
        "default_remote_id",
        "revenue_line_ids.remote_id",
        "tax_line_ids.remote_id",
        "term_line_ids.remote_id",
        "journal_line_ids.remote_id",
    )
    def _compute_unmapped(self):
        for wizard in self:
            default = wizard.default_remote_id.code or wizard.default_current
            wizard.unmapped_default = (
                _("The default revenue account is %(code)s.", code=default)
                if default
                else _("Still unmapped: the default revenue account.")
            )
            for step in STEP_TARGETS:
                names = [line.name for line in wizard[f"{step}_line_ids"] if not line._final_code()]
                wizard[f"unmapped_{step}"] = (
                    _("Still unmapped: %(names)s", names=", ".join(names))
                    if names
                    else _("Everything is mapped.")
                )

    # ------------------------------------------------------------------ apply
    def action_apply(self):
        """Write the mappings chosen (and only on Apply); an empty line keeps its mapping."""
        self.ensure_one()
        connection = self.connection_id
        connection._check_admin()
        lines = (
            self.revenue_line_ids | self.tax_line_ids | self.term_line_ids | self.journal_line_ids
        )
        self._check_choices(lines)
        company = connection.company_id
        for line in lines.filtered("remote_id"):
            code_field = STEP_TARGETS[line.step][3]
            record = line._odoo_record().with_company(company)
            if record[code_field] != line.remote_id.code:
                record[code_field] = line.remote_id.code
        if self.default_remote_id:
            connection._qxs_set_default_revenue_account(self.default_remote_id.code)
        connection.message_post(
            body=_(
                "Mapping applied: %(count)s records mapped to %(provider)s.",
                count=len(lines.filtered("remote_id")) + bool(self.default_remote_id),
                provider=dict(const.PROVIDERS)[connection.provider],
            )
        )
        return {"type": "ir.actions.act_window_close"}

    def _check_choices(self, lines):
        """Refuse an incompatible choice (e.g. an expense account for revenue) and two bank
        journals mapped to one deposit account."""
        problems = []
        for line in lines.filtered("remote_id"):
            if not line._score(line.remote_id):
                problems.append(
                    _(
                        "%(remote)s cannot be mapped to %(odoo)s: its type or rate does not fit "
                        "(%(step)s). Choose another one.",
                        remote=line.remote_id.name,
                        odoo=line.name,
                        step=dict(const.MAPPING_STEPS)[line.step],
                    )
                )
        if self.default_remote_id and self.default_remote_id.usage != "revenue":
            problems.append(
                _(
                    "%(remote)s is not a revenue account: choose one as default revenue account.",
                    remote=self.default_remote_id.name,
                )
            )
        by_code = {}
        for line in lines.filtered(lambda ln: ln.step == "journal" and ln._final_code()):
            by_code.setdefault(line._final_code(), []).append(line.name)
        for code, names in by_code.items():
            if len(names) > 1:
                problems.append(
                    _(
                        "Journals %(journals)s would deposit into the same account %(account)s: "
                        "each bank or cash journal needs its own deposit account, so that "
                        "payments are reconciled with the right bank account.",
                        journals=", ".join(names),
                        account=code,
                    )
                )
        if problems:
            raise UserError("\n".join(problems))
