from odoo import api, fields, models

from .. import const
from ..matching import match_score

# What each step maps: the Odoo record's field, the kind and usage of the remote records it
# may be mapped to, and the field of the Odoo record that stores the remote code.
STEP_TARGETS = {
    "revenue": ("account_id", "account", "revenue", "qxs_revenue_code"),
    "tax": ("tax_id", "tax", False, "qxs_tax_code"),
    "term": ("term_id", "term", False, "qxs_term_name"),
    "journal": ("journal_id", "account", "bank", "qxs_deposit_account"),
}


class QxsMappingLine(models.TransientModel):
    """One Odoo record of a step of the mapping wizard, the remote record proposed for it (or
    chosen instead) and the match score. An empty choice keeps what the record holds."""

    _name = "qxs.mapping.line"
    _description = "Line of the QuickBooks / Xero mapping wizard"
    _order = "step, name"

    wizard_id = fields.Many2one("qxs.mapping.wizard", required=True, ondelete="cascade")
    connection_id = fields.Many2one(related="wizard_id.connection_id")
    step = fields.Selection(
        [s for s in const.MAPPING_STEPS if s[0] in STEP_TARGETS], required=True, readonly=True
    )
    name = fields.Char(string="In Odoo", readonly=True)
    account_id = fields.Many2one("account.account", readonly=True)
    tax_id = fields.Many2one("account.tax", readonly=True)
    term_id = fields.Many2one("account.payment.term", readonly=True)
    journal_id = fields.Many2one("account.journal", readonly=True)
    current_code = fields.Char(string="Mapped now", readonly=True)
    remote_kind = fields.Char(compute="_compute_remote_filter")
    remote_usage = fields.Char(compute="_compute_remote_filter")
    remote_id = fields.Many2one(
        "qxs.remote.record",
        string="In the provider",
        domain="[('connection_id', '=', connection_id), ('kind', '=', remote_kind), "
        "('usage', '=', remote_usage)]",
        help="Proposed by the match score; choose another one to override it, or clear it to "
        "keep what is mapped now.",
    )
    score = fields.Integer(compute="_compute_score", help="0-100: code, name and type match.")

    @api.depends("step")
    def _compute_remote_filter(self):
        for line in self:
            _field, kind, usage, _code = STEP_TARGETS[line.step]
            line.remote_kind = kind
            line.remote_usage = usage

    @api.depends("remote_id", "step")
    def _compute_score(self):
        for line in self:
            line.score = line._score(line.remote_id) if line.remote_id else 0

    def _odoo_record(self):
        return self[STEP_TARGETS[self.step][0]]

    def _score(self, remote):
        """The score of ``remote`` for this line's Odoo record."""
        self.ensure_one()
        return self._score_pair(
            self.step, self.wizard_id.connection_id, self._odoo_record(), remote
        )

    @api.model
    def _score_pair(self, step, connection, record, remote):
        """The score (matching.match_score) of mapping the Odoo ``record`` of ``step`` to the
        mirrored ``remote`` record of ``connection``."""
        provider = connection.provider
        if remote.kind != STEP_TARGETS[step][1]:
            return 0
        kwargs = {
            "remote_code": remote.code,
            "remote_type": remote.account_type,
            "remote_rate": remote.rate if remote.has_rate else None,
        }
        if step == "revenue":
            kwargs.update(
                code=record.code, allowed_types=const.REVENUE_ACCOUNT_TYPES.get(provider, ())
            )
        elif step == "journal":
            kwargs.update(allowed_types=const.BANK_ACCOUNT_TYPES.get(provider, ()))
        elif step == "tax":
            if provider == "qbo" and remote.code.upper() in const.QBO_US_PSEUDO_TAX_CODES:
                # TAX / NON exist for US sales tax only; a GST / VAT company has none.
                if connection.qbo_tax_style != "us":
                    return 0
            kwargs.update(rate=record.amount if record.amount_type == "percent" else None)
        else:  # payment terms: equal due days count as equal rates do, others never refuse
            days = max(record.line_ids.mapped("nb_days") or [0])
            kwargs.update(rate=days, remote_rate=remote.days, rate_must_match=False)
        return match_score(record.name, remote.name, **kwargs)

    def _final_code(self):
        """The code the Odoo record holds after Apply."""
        return self.remote_id.code if self.remote_id else (self.current_code or "")
