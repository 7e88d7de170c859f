from odoo import _, api, fields, models

from .. import const


def remote_account_domain(types_by_provider, connection="id"):
    """Domain (for a view) of the mirrored accounts of the connection ``connection`` names whose
    type is one of ``types_by_provider`` ({provider code: account types}, e.g.
    const.INCOME_ACCOUNT_TYPES). The types of every provider are listed: a connection's accounts
    only carry its own provider's types."""
    types = sorted({t for provider_types in types_by_provider.values() for t in provider_types})
    return (
        f"[('connection_id', '=', {connection}), ('kind', '=', 'account'), "
        f"('account_type', 'in', {types!r})]"
    )


def apply_picked_accounts(records, pickers):
    """Copy the code of each account picked in ``records`` to the field storing it
    (``pickers``: {Many2one to qxs.remote.record: Char field of the code})."""
    for record in records:
        for picker, code_field in pickers.items():
            if record[picker] and record[code_field] != record[picker].code:
                record[code_field] = record[picker].code


class QxsRemoteRecord(models.Model):
    """The provider's reference data, mirrored per connection: accounts, tax codes or rates,
    payment terms, classes, locations, tracking options and currencies. Read-only: written by
    "Reload from QuickBooks / Xero" only (qxs.connection.action_reload_reference_data)."""

    _name = "qxs.remote.record"
    _description = "QuickBooks / Xero reference data"
    _rec_name = "name"
    _order = "connection_id, kind, category, name"

    connection_id = fields.Many2one(
        "qxs.connection", required=True, index=True, ondelete="cascade", readonly=True
    )
    kind = fields.Selection(const.REMOTE_RECORD_KINDS, required=True, index=True, readonly=True)
    remote_id = fields.Char(string="Provider ID", readonly=True)
    code = fields.Char(
        required=True,
        readonly=True,
        help="What the settings hold: QuickBooks the name (accounts, tax codes, terms, "
        "classes, locations), Xero the account code or tax type; a tracking option's name; a "
        "currency's ISO code.",
    )
    name = fields.Char(required=True, readonly=True)
    account_type = fields.Char(
        string="Type",
        readonly=True,
        help="The provider's account type, e.g. Income (QuickBooks), REVENUE (Xero).",
    )
    rate = fields.Float(string="Rate (%)", readonly=True, digits=(16, 4))
    has_rate = fields.Boolean(readonly=True, help="The provider gave a rate (taxes).")
    days = fields.Integer(string="Due days", readonly=True)
    category = fields.Char(
        readonly=True, help="The tracking category of a tracking option; a parent's name."
    )
    usage = fields.Char(
        compute="_compute_usage",
        store=True,
        help="What the mapping wizard may map to this account: revenue (a revenue type) or "
        "bank (a bank type, a journal's deposit account).",
    )

    @api.depends("code", "name")
    def _compute_display_name(self):
        for record in self:
            code, name = record.code or "", record.name or ""
            record.display_name = name if code in ("", name) else f"{code} {name}"

    @api.depends("kind", "account_type", "connection_id.provider")
    def _compute_usage(self):
        for record in self:
            provider = record.connection_id.provider
            usage = False
            if record.kind == "account":
                if record.account_type in const.REVENUE_ACCOUNT_TYPES.get(provider, ()):
                    usage = "revenue"
                elif record.account_type in const.BANK_ACCOUNT_TYPES.get(provider, ()):
                    usage = "bank"
            record.usage = usage

    @api.model
    def _replace_mirror(self, connection, data):
        """Replace the mirror of ``connection`` by ``data`` (its adapter's
        read_reference_data), with the home currency, and say so in its chatter. The caller
        checked that the user may reload."""
        rows = []
        for kind, _label in const.REMOTE_RECORD_KINDS:
            for item in data.get(kind) or []:
                rate = item.get("rate")
                rows.append(
                    {
                        "connection_id": connection.id,
                        "kind": kind,
                        "remote_id": item.get("remote_id") or False,
                        "code": item["code"],
                        "name": item.get("name") or item["code"],
                        "account_type": item.get("type") or False,
                        "rate": rate or 0.0,
                        "has_rate": rate is not None,
                        "days": item.get("days") or 0,
                        "category": item.get("category") or False,
                    }
                )
        mirror = self.sudo()  # written by the reload only
        mirror.search([("connection_id", "=", connection.id)]).unlink()
        mirror.create(rows)
        connection.sudo().write(
            {
                "remote_home_currency": data.get("home_currency") or False,
                "remote_reload_date": fields.Datetime.now(),
                # What the adapters kept is read again from the provider on its next use.
                "reference_cache": False,
            }
        )
        counts = {k: len(data.get(k) or []) for k, _label in const.REMOTE_RECORD_KINDS}
        connection.message_post(
            body=_(
                "Reference data reloaded from %(provider)s: %(accounts)s accounts, %(taxes)s "
                "tax codes, %(terms)s payment terms, %(others)s classes, locations and tracking "
                "options, %(currencies)s currencies; home currency %(currency)s.",
                provider=dict(const.PROVIDERS)[connection.provider],
                accounts=counts["account"],
                taxes=counts["tax"],
                terms=counts["term"],
                others=counts["class"] + counts["location"] + counts["tracking"],
                currencies=counts["currency"],
                currency=data.get("home_currency") or "?",
            )
        )
