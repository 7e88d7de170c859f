"""What Xero's documents refer to: account codes, tax types and contacts."""

from types import SimpleNamespace

from ... import const
from ...exceptions import SyncError
from ..i18n import _
from .client import enum_value
from .customers import XeroCustomersMixin


class XeroMappingMixin(XeroCustomersMixin):
    """Account codes and tax types (kept across cron runs, see ``reference``), checked
    before a document is sent; contacts found by account number, else created."""

    # ------------------------------------------------------------------ accounts and taxes
    # Accounts and tax rates are kept as plain values in ``self.reference`` (seeded by the
    # engine with what an earlier cron run read, stored again when ``reference_changed``): a
    # code missing from them is read again from Xero once per adapter before it is refused.
    def _accounts(self, refresh=False):
        if refresh or "accounts" not in self.reference:
            accounts = self._call("get_accounts").accounts or []
            self.reference["accounts"] = {
                a.code: {"type": enum_value(a.type), "status": enum_value(a.status)}
                for a in accounts
                if a.code
            }
            self._fresh.add("accounts")
            self.reference_changed = True
        return {
            code: SimpleNamespace(code=code, **values)
            for code, values in self.reference["accounts"].items()
        }

    def _tax_types(self, refresh=False):
        if refresh or "tax_types" not in self.reference:
            rates = self._call("get_tax_rates").tax_rates or []
            self.reference["tax_types"] = {
                r.tax_type: {"status": enum_value(r.status)} for r in rates if r.tax_type
            }
            self._fresh.add("tax_types")
            self.reference_changed = True
        return {
            code: SimpleNamespace(tax_type=code, **values)
            for code, values in self.reference["tax_types"].items()
        }

    def _known_references(self, doc):
        """(accounts, tax types), read again from Xero when the document names a code that
        the kept copy lacks and that copy was not read by this adapter (added since)."""
        accounts, taxes = self._accounts(), self._tax_types()
        codes = {line["revenue_code"] for line in doc["lines"]}
        tax_codes = {code for line in doc["lines"] for code in line["tax_codes"]}
        if codes - set(accounts) and "accounts" not in self._fresh:
            accounts = self._accounts(refresh=True)
        if tax_codes - set(taxes) and "tax_types" not in self._fresh:
            taxes = self._tax_types(refresh=True)
        return accounts, taxes

    def _forget_references(self):
        """Xero refused a reference the kept copy has: read both again on the next use."""
        for key in ("accounts", "tax_types"):
            if key not in self._fresh and self.reference.pop(key, None) is not None:
                self.reference_changed = True

    def _check_document(self, doc):
        """Refuse a document before sending it when a code does not exist in Xero."""
        accounts, taxes = self._known_references(doc)
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
