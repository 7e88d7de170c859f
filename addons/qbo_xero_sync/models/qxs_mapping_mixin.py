from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..exceptions import SyncError
from .qxs_remote_record import apply_picked_accounts, remote_account_domain


class QxsMappingMixin(models.AbstractModel):
    """The mapping side of a connection: the mirror of the provider's reference data
    (qxs.remote.record, "Reload from QuickBooks / Xero"), the provider's home currency (checked
    on connect), the account pickers and the mapping wizard. Mixed into ``qxs.connection``,
    which holds the mirror (``remote_record_ids``) and the mapped fields."""

    _name = "qxs.mapping.mixin"
    _description = "Reference data and mapping of a QuickBooks / Xero connection"

    default_income_account_id = fields.Many2one(
        "qxs.remote.record",
        string="Revenue account from the chart",
        compute="_compute_remote_account_pickers",
        inverse="_inverse_remote_account_pickers",
        domain=remote_account_domain(const.INCOME_ACCOUNT_TYPES),
        help="Pick the default revenue account among the accounts mirrored from the provider.",
    )
    remote_home_currency = fields.Char(
        string="Home currency (provider)",
        readonly=True,
        copy=False,
        help="The home (base) currency of the connected QuickBooks company or Xero "
        "organisation, read on connect and on each reload.",
    )
    remote_reload_date = fields.Datetime(string="Reference data read on", readonly=True, copy=False)

    def _qxs_account_pickers(self):
        """{Many2one to qxs.remote.record: Char field that stores the picked account's code}.
        The Char field stays the truth; the Many2one shows the mirrored account it names."""
        return {"default_income_account_id": "default_income_account"}

    @api.depends(lambda self: ["remote_account_ids.code", *self._qxs_account_pickers().values()])
    def _compute_remote_account_pickers(self):
        for conn in self:
            by_code = {a.code: a for a in conn.remote_account_ids if a.kind == "account"}
            for picker, code_field in self._qxs_account_pickers().items():
                conn[picker] = by_code.get(conn[code_field] or "", False)

    def _inverse_remote_account_pickers(self):
        apply_picked_accounts(self, self._qxs_account_pickers())

    @api.onchange("default_income_account_id")
    def _onchange_remote_account_pickers(self):
        apply_picked_accounts(self, self._qxs_account_pickers())

    def action_reload_reference_data(self):
        """ "Reload from QuickBooks / Xero": replace the mirror of the provider's reference
        data (on an administrator's request)."""
        self.ensure_one()
        self._check_admin()
        try:
            data = self._adapter().read_reference_data()
        except SyncError as exc:
            raise UserError(exc.message) from exc
        self.env["qxs.remote.record"]._replace_mirror(self, data)

    def action_load_remote_accounts(self):
        """The settings' former "Load accounts" button: reloads all the reference data."""
        return self.action_reload_reference_data()

    def _check_home_currency(self, home_currency):
        """Refuse a provider whose home currency is not the company's: amounts would be
        booked in another currency than Odoo's."""
        company_currency = self.company_id.currency_id.name
        if (home_currency or "") != company_currency:
            raise UserError(
                _(
                    "%(org)s keeps its books in %(remote)s, but company %(company)s keeps them "
                    "in %(odoo)s: the connection was refused and nothing was kept. Connect a "
                    "%(provider)s company whose home currency is %(odoo)s, or use an Odoo "
                    "company in %(remote)s.",
                    org=self.remote_org_name or dict(const.PROVIDERS)[self.provider],
                    remote=home_currency or "?",
                    company=self.company_id.name,
                    odoo=company_currency,
                    provider=dict(const.PROVIDERS)[self.provider],
                )
            )

    def _qxs_default_revenue_account(self):
        """The code of the default revenue account, in the field of the provider's meaning:
        QuickBooks the Income account of new items, Xero the default revenue code (an
        account code)."""
        self.ensure_one()
        return self.default_income_account if self.provider == "qbo" else self.default_revenue_code

    def _qxs_set_default_revenue_account(self, code):
        self.ensure_one()
        field = "default_income_account" if self.provider == "qbo" else "default_revenue_code"
        if self[field] != code:
            self[field] = code

    def _mapping_wizard_url(self):
        """The web client's URL of this connection's mapping wizard, in its company (``cids``:
        the browser may come back from the provider with another company active)."""
        self.ensure_one()
        return (
            f"/odoo/action-qbo_xero_sync.action_qxs_connection/{self.id}"
            f"/action-qbo_xero_sync.action_qxs_mapping_wizard?cids={self.company_id.id}"
        )

    def action_open_mapping_wizard(self):
        """The mapping wizard of this connection (re-openable at any time)."""
        self.ensure_one()
        self._check_admin()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync.action_qxs_mapping_wizard"
        )
        action["context"] = {"active_id": self.id, "active_model": self._name}
        action["target"] = "new"
        return action
