"""Checks of a journal's accounts that every provider shares, made before any write."""

from odoo.addons.qbo_xero_sync import const
from odoo.addons.qbo_xero_sync.adapters.i18n import _
from odoo.addons.qbo_xero_sync.exceptions import SyncError

# The provider account types a journal line's account must have, per provider and line role.
JOURNAL_ACCOUNT_TYPES = {
    "qbo": {"cogs": ("Cost of Goods Sold",), "inventory": ("Other Current Asset",)},
    "xero": {"cogs": ("DIRECTCOSTS",), "inventory": ("INVENTORY", "CURRENT")},
}


def role_types(role):
    """{provider code: account types} a journal line of ``role`` needs (for account pickers)."""
    return {provider: roles[role] for provider, roles in JOURNAL_ACCOUNT_TYPES.items()}


def check_journal(provider_code, vals, account_types):
    """Refuse a journal, before any call, whose account codes are unknown to the provider
    (``account_types``: {code: account type}) or whose account type does not fit the line's
    ``role``. ``vals`` is a COGS record's ``_journal_values()``."""
    expected = JOURNAL_ACCOUNT_TYPES.get(provider_code, {})
    provider = dict(const.PROVIDERS)[provider_code]
    problems = []
    for line in vals["lines"]:
        code, role = line["account_code"], line.get("role")
        if code not in account_types:
            problems.append(
                _(
                    "%(p)s has no account %(c)s: fix the account mapping in the settings.",
                    p=provider,
                    c=code,
                )
            )
        elif role in expected and account_types[code] not in expected[role]:
            problems.append(
                _(
                    "%(p)s account %(c)s is of type %(t)s; this line needs an account of "
                    "type %(e)s: fix the account mapping in the settings.",
                    p=provider,
                    c=code,
                    t=account_types[code],
                    e=" or ".join(expected[role]),
                )
            )
    if problems:
        raise SyncError("\n".join(dict.fromkeys(problems)))
