"""What Xero's documents refer to: account codes, tax types and contacts."""

from ... import const
from ...exceptions import SyncError
from ..i18n import _
from .client import enum_value
from .customers import XeroCustomersMixin


class XeroMappingMixin(XeroCustomersMixin):
    """Account codes and tax types (read once per adapter), checked before a document is
    sent; contacts found by account number, else created."""

    # ------------------------------------------------------------------ accounts and taxes
    def _accounts(self):
        if "accounts" not in self._cache:
            accounts = self._call("get_accounts").accounts or []
            self._cache["accounts"] = {a.code: a for a in accounts if a.code}
        return self._cache["accounts"]

    def _tax_types(self):
        if "tax_types" not in self._cache:
            rates = self._call("get_tax_rates").tax_rates or []
            self._cache["tax_types"] = {r.tax_type: r for r in rates}
        return self._cache["tax_types"]

    def _check_document(self, doc):
        """Refuse a document before sending it when a code does not exist in Xero."""
        accounts, taxes = self._accounts(), self._tax_types()
        problems = []
        for line in doc["lines"]:
            problems += self._account_problems(line["revenue_code"], accounts)
            problems += self._tax_problems(line["tax_codes"], taxes)
        if problems:
            raise SyncError("\n".join(dict.fromkeys(problems)))

    @staticmethod
    def _account_problems(code, accounts):
        account = accounts.get(code)
        if not account:
            return [
                _(
                    "Revenue code %s is not an account code in Xero: set the "
                    "product's revenue code to a Xero revenue account code.",
                    code,
                )
            ]
        if enum_value(account.type) not in const.XERO_REVENUE_TYPES:
            return [
                _(
                    "Xero account %(c)s is of type %(t)s, not a revenue type: "
                    "use the code of a revenue account.",
                    c=code,
                    t=enum_value(account.type),
                )
            ]
        if enum_value(account.status) == "ARCHIVED":
            return [_("Xero account %s is archived.", code)]
        return []

    @staticmethod
    def _tax_problems(tax_codes, taxes):
        problems = []
        if len(tax_codes) > 1:
            problems.append(
                _("A Xero line takes one tax rate; a line has %s.", ", ".join(tax_codes))
            )
        for tax_type in tax_codes:
            rate = taxes.get(tax_type)
            if not rate:
                problems.append(
                    _(
                        "Tax type %s does not exist in Xero: fix the tax code on the Odoo tax.",
                        tax_type,
                    )
                )
            elif enum_value(rate.status) not in (None, "ACTIVE"):
                problems.append(_("Xero tax rate %s is not active.", tax_type))
        return problems
