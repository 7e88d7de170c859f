from odoo import fields, models


def remote_account_domain(types_by_provider, connection="id"):
    """Domain (for a view) of the loaded accounts of the connection ``connection`` names whose
    type is one of ``types_by_provider`` ({provider code: account types}, e.g.
    const.INCOME_ACCOUNT_TYPES). The types of every provider are listed: a connection's accounts
    only carry its own provider's types."""
    types = sorted({t for provider_types in types_by_provider.values() for t in provider_types})
    return f"[('connection_id', '=', {connection}), ('account_type', 'in', {types!r})]"


def apply_picked_accounts(records, pickers):
    """Copy the code of each account picked in ``records`` to the field storing it
    (``pickers``: {Many2one to qxs.remote.account: Char field of the code})."""
    for record in records:
        for picker, code_field in pickers.items():
            if record[picker] and record[code_field] != record[picker].code:
                record[code_field] = record[picker].code


class QxsRemoteAccount(models.Model):
    """An account of the provider's chart, loaded on an administrator's request so that the
    account settings can be picked instead of typed."""

    _name = "qxs.remote.account"
    _description = "Account of the QuickBooks / Xero chart"
    _rec_name = "name"
    _order = "connection_id, name"

    connection_id = fields.Many2one("qxs.connection", required=True, index=True, ondelete="cascade")
    code = fields.Char(
        required=True,
        help="What the settings hold: QuickBooks the account name, Xero the account code.",
    )
    name = fields.Char(string="Account", required=True)
    account_type = fields.Char(
        string="Type", help="The provider's account type, e.g. Income (QuickBooks), REVENUE (Xero)."
    )
