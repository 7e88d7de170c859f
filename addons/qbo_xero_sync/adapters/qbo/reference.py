"""QuickBooks reference data for the mirror and the mapping wizard, read in ONE batch request
of queries (QuickBooks batches accept ``Query`` items): accounts, tax codes and their rates,
terms, classes, departments (locations), the preferences (home currency) and the company's
currencies."""

import uuid

from ... import const
from ...exceptions import SyncError
from ..i18n import _

LIMIT = f"MAXRESULTS {const.QBO_REFERENCE_MAX}"
QUERIES = {
    "Account": f"SELECT * FROM Account WHERE Active = true {LIMIT}",
    "TaxCode": f"SELECT * FROM TaxCode WHERE Active = true {LIMIT}",
    "TaxRate": f"SELECT * FROM TaxRate {LIMIT}",
    "Term": f"SELECT * FROM Term WHERE Active = true {LIMIT}",
    "Class": f"SELECT * FROM Class WHERE Active = true {LIMIT}",
    "Department": f"SELECT * FROM Department WHERE Active = true {LIMIT}",
    "Preferences": "SELECT * FROM Preferences",
    "CompanyCurrency": f"SELECT * FROM CompanyCurrency {LIMIT}",
}
# Answered by every QuickBooks company; the others may be refused (e.g. CompanyCurrency without
# multicurrency): their absence is not an error.
REQUIRED = ("Account", "TaxCode", "TaxRate", "Term", "Class", "Department")


def _ref(value):
    return (value or {}).get("value") if isinstance(value, dict) else value


class QboReferenceMixin:
    """``read_reference_data``: one batch of queries."""

    def read_reference_data(self):
        items = [{"bId": entity, "Query": sql} for entity, sql in QUERIES.items()]
        # Queries are reads: a fresh request id each time (QuickBooks replays the answer of a
        # request id it saw, which would be the chart as it was then).
        answers = self._batch(items, "reference", salt=uuid.uuid4().hex)
        rows = {}
        for entity in QUERIES:
            answer = answers.get(entity)
            if isinstance(answer, SyncError):
                if entity in REQUIRED:
                    raise answer
                answer = {}
            rows[entity] = ((answer or {}).get("QueryResponse") or {}).get(entity) or []
        preferences = rows["Preferences"][:1]
        if not preferences:
            # A company (or a compatible API) that does not answer Preferences as a query:
            # read it directly (a second request).
            preferences = [self._get("preferences").get("Preferences") or {}]
        home = _ref((preferences[0].get("CurrencyPrefs") or {}).get("HomeCurrency")) or ""
        if not home:
            raise SyncError(_("QuickBooks did not say the company's home currency."))
        return {
            "home_currency": home,
            "account": [
                {
                    "remote_id": a["Id"],
                    "code": a["Name"],
                    "name": a.get("FullyQualifiedName") or a["Name"],
                    "type": a.get("AccountType"),
                }
                for a in rows["Account"]
            ],
            "tax": self._reference_taxes(rows["TaxCode"], rows["TaxRate"]),
            "term": [
                {
                    "remote_id": t["Id"],
                    "code": t["Name"],
                    "name": t["Name"],
                    "days": t.get("DueDays"),
                }
                for t in rows["Term"]
            ],
            "class": self._reference_names(rows["Class"]),
            "location": self._reference_names(rows["Department"]),
            "tracking": [],
            "currency": self._reference_currencies(home, rows["CompanyCurrency"]),
        }

    @staticmethod
    def _reference_taxes(codes, rates):
        """Tax codes with their sales rate (the sum of the rates of their SalesTaxRateList;
        US TAX: unknown (None), NON: 0)."""
        rate_of = {r["Id"]: float(r.get("RateValue") or 0.0) for r in rates}
        taxes = []
        for code in codes:
            details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
            if details:
                rate = sum(rate_of.get(_ref(d.get("TaxRateRef")), 0.0) for d in details)
            elif code["Name"].upper() == "NON" or code.get("Taxable") is False:
                rate = 0.0
            else:
                rate = None
            taxes.append(
                {
                    "remote_id": code["Id"],
                    "code": code["Name"],
                    "name": code.get("Description") or code["Name"],
                    "rate": rate,
                }
            )
        return taxes

    @staticmethod
    def _reference_names(rows):
        return [
            {
                "remote_id": r["Id"],
                "code": r.get("FullyQualifiedName") or r["Name"],
                "name": r.get("FullyQualifiedName") or r["Name"],
            }
            for r in rows
        ]

    @staticmethod
    def _reference_currencies(home, rows):
        codes = [home] + [r.get("Code") for r in rows if r.get("Code") and r.get("Code") != home]
        names = {r.get("Code"): r.get("Name") for r in rows}
        return [{"code": c, "name": names.get(c) or c} for c in dict.fromkeys(codes)]
