"""Xero reference data for the mirror and the mapping wizard: accounts, tax rates, tracking
categories, the organisation (base currency) and its currencies (five reads)."""

from ...exceptions import SyncError
from ..i18n import _
from .client import enum_value


def _active(status):
    return enum_value(status) in (None, "ACTIVE")


class XeroReferenceMixin:
    """``read_reference_data``: what the mapping wizard proposes from."""

    def read_reference_data(self):
        accounts = self._call("get_accounts").accounts or []
        rates = self._call("get_tax_rates").tax_rates or []
        categories = self._call("get_tracking_categories").tracking_categories or []
        organisations = self._call("get_organisations").organisations or []
        currencies = self._call("get_currencies").currencies or []
        home = enum_value(organisations[0].base_currency) if organisations else None
        if not home:
            raise SyncError(_("Xero did not say the organisation's base currency."))
        # What the adapter checks documents against is read again on its next use.
        self.reference.pop("accounts", None)
        self.reference.pop("tax_types", None)
        self._fresh -= {"accounts", "tax_types"}
        self.reference_changed = True
        return {
            "home_currency": home,
            "account": [
                {
                    "remote_id": a.account_id,
                    "code": a.code,
                    "name": a.name or a.code,
                    "type": enum_value(a.type),
                }
                for a in accounts
                if a.code and _active(a.status)
            ],
            # Sales documents take the rates that apply to revenue only.
            "tax": [
                {
                    "code": r.tax_type,
                    "name": r.name,
                    "rate": r.effective_rate
                    if r.effective_rate is not None
                    else r.display_tax_rate,
                }
                for r in rates
                if r.tax_type and _active(r.status) and r.can_apply_to_revenue is not False
            ],
            "term": [],  # Xero invoices carry no terms: the due date is sent
            "class": [],
            "location": [],
            "tracking": [
                {
                    "remote_id": o.tracking_option_id,
                    "code": o.name,
                    "name": f"{c.name}: {o.name}",
                    "category": c.name,
                }
                for c in categories
                if _active(c.status)
                for o in c.options or []
                if _active(o.status)
            ],
            "currency": [
                {"code": enum_value(c.code), "name": c.description or enum_value(c.code)}
                for c in currencies
            ],
        }
