"""What a Xero invoice or credit note carries besides its lines: the currency rate and the
lines' tracking.

- CurrencyRate: units of the document's currency per unit of base currency, as Xero shows
  rates: the inverse of Odoo's rate (home currency per unit, ``doc["rate"]``), the one rule of
  documents and payments (:func:`currency_rate`). A currency the organisation has not enabled
  is refused before the call (``GET /Currencies``, read once per adapter, only for a document
  in a foreign currency).
- Tracking: at most two categories per line, each an active category and one of its active
  options (``GET /TrackingCategories``, read once per adapter, only when a line has tracking);
  sent with Xero's own spelling. A missing one is refused before the call with what to do.
- Terms are not sent: Xero has none on invoices, the due date computed by Odoo's payment term
  is the invoice's DueDate.
"""

from xero_python.accounting import LineItemTracking

from ... import const
from ...exceptions import SyncError
from ..i18n import _
from .client import enum_value


def currency_rate(rate):
    """Xero's CurrencyRate of Odoo's rate (home currency per unit of the foreign one)."""
    return round(1 / rate, 6) if rate else None


class XeroDocumentOptionsMixin:
    """_check_options (before a document is sent) and _line_tracking (its lines)."""

    def _enabled_currencies(self):
        if "currencies" not in self._cache:
            currencies = self._call("get_currencies").currencies or []
            self._cache["currencies"] = {enum_value(c.code) for c in currencies}
        return self._cache["currencies"]

    def _tracking_categories(self):
        """{category name lowered: (Xero's name, {option name lowered: Xero's name})} of the
        active categories and their active options."""
        if "tracking" not in self._cache:
            categories = self._call("get_tracking_categories").tracking_categories or []
            self._cache["tracking"] = {
                (c.name or "").lower(): (
                    c.name,
                    {
                        (o.name or "").lower(): o.name
                        for o in c.options or []
                        if enum_value(o.status) in (None, "ACTIVE")
                    },
                )
                for c in categories
                if enum_value(c.status) in (None, "ACTIVE")
            }
        return self._cache["tracking"]

    def _check_options(self, doc):
        """Refuse a document whose currency or tracking Xero lacks (a SyncError naming them)."""
        problems = []
        if doc.get("rate") and doc["currency"] not in self._enabled_currencies():
            problems.append(
                _(
                    "Xero does not take documents in %(currency)s: add %(currency)s to the "
                    "organisation (Accounting > Advanced > Currencies; it needs a plan with "
                    "multicurrency), then retry.",
                    currency=doc["currency"],
                )
            )
        for line in doc["lines"]:
            tracking = line.get("tracking") or []
            if len(tracking) > const.XERO_TRACKING_MAX:
                problems.append(_("A Xero line takes at most two tracking categories."))
            if tracking:
                problems += self._tracking_problems(tracking)
        if problems:
            raise SyncError("\n".join(dict.fromkeys(problems)))

    def _tracking_problems(self, tracking):
        categories = self._tracking_categories()
        problems = []
        for item in tracking:
            found = categories.get(item["category"].lower())
            if not found:
                problems.append(
                    _(
                        "Xero has no active tracking category “%(category)s”: create it in Xero "
                        "(Accounting > Advanced > Tracking categories), or correct its name on "
                        "the connection (Documents tab), then retry.",
                        category=item["category"],
                    )
                )
            elif item["option"].lower() not in found[1]:
                problems.append(
                    _(
                        "Xero's tracking category “%(category)s” has no active option "
                        "“%(option)s”: add that option in Xero, or change where the option "
                        "comes from on the connection (Documents tab), then retry.",
                        category=found[0],
                        option=item["option"],
                    )
                )
        return problems

    def _line_tracking(self, line):
        """The LineItemTracking list of a line (Xero's spelling), or None."""
        if not line.get("tracking"):
            return None
        categories = self._tracking_categories()
        out = []
        for item in line["tracking"]:
            name, options = categories[item["category"].lower()]
            out.append(LineItemTracking(name=name, option=options[item["option"].lower()]))
        return out
