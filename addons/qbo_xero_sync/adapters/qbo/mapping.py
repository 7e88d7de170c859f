"""QuickBooks references of a document: customers, items, tax codes and accounts."""

from ... import const
from ...exceptions import SyncError
from ..i18n import _
from .client import quote


def display_name(partner):
    """The DisplayName of a partner's QuickBooks customer (no ':', tab or newline)."""
    return partner["name"].replace(":", "-").replace("\t", " ").replace("\n", " ").strip()


class QboMappingMixin:
    """Customers (found or created), items (found or created), tax codes, accounts."""

    # ------------------------------------------------------------------ customers
    def _find_or_create_customers(self, todo, jobs=None):
        """By billing account or display name, else created (one query and one batch for all
        new customers). ``todo``: {partner id: partner values}. A QuickBooks customer has one
        currency, set when it is created: a new customer takes that of its first document."""
        result = {}
        # QuickBooks customers carry no account number: the billing account is matched to the
        # DisplayName first (exactly), then the partner's name.
        keys = [p["billing_account"] for p in todo.values() if p["billing_account"]]
        keys += [display_name(p) for p in todo.values()]
        by_name = {
            c["DisplayName"]: c["Id"] for c in self._query_in("Customer", "DisplayName", keys)
        }
        by_name_ci = {k.lower(): v for k, v in by_name.items()}
        to_create = {}
        for pid, p in todo.items():
            cid = by_name.get(p["billing_account"]) or by_name_ci.get(display_name(p).lower())
            if cid:
                result[pid] = cid
            else:
                to_create[pid] = p
        if to_create:
            batch = [
                {"bId": str(pid), "operation": "create", "Customer": self._customer_payload(p)}
                for pid, p in to_create.items()
            ]
            for bid, obj in self._batch(batch, "customers").items():
                result[int(bid)] = obj if isinstance(obj, SyncError) else obj["Customer"]["Id"]
        return result

    @staticmethod
    def _customer_payload(p):
        payload = {"DisplayName": display_name(p), "CompanyName": p["name"][:100]}
        if p.get("currency"):
            payload["CurrencyRef"] = {"value": p["currency"]}
        if p["email"]:
            payload["PrimaryEmailAddr"] = {"Address": p["email"]}
        if p["phone"]:
            payload["PrimaryPhone"] = {"FreeFormNumber": p["phone"]}
        if p["street"] or p["city"]:
            payload["BillAddr"] = {
                "Line1": p["street"],
                "City": p["city"],
                "PostalCode": p["zip"],
                "Country": p["country"],
            }
        return payload

    # ------------------------------------------------------------------ items
    def _items(self, codes, outcome):
        """{revenue code: Item Id | SyncError}: known, else by SKU, else by name, else created
        as a Service item under the default revenue (income) account (``outcome.items``)."""
        codes = set(codes)
        result = {code: self._bad_item_name(code) for code in codes}
        result = {code: err for code, err in result.items() if err}
        todo = codes - set(result) - set(self.known_items)
        if todo:
            found = {}
            for item in self._query_in("Item", "Sku", todo, select="*, Sku"):
                found.setdefault(item.get("Sku"), item["Id"])
            for item in self._query_in("Item", "Name", todo - set(found)):
                found.setdefault(item["Name"], item["Id"])
            missing = todo - set(found)
            if missing:
                found.update(self._create_items(sorted(missing)))
            for code, item_id in found.items():
                if isinstance(item_id, SyncError):
                    result[code] = item_id
                else:
                    self.known_items[code] = outcome.items[code] = item_id
        result.update({c: self.known_items[c] for c in codes if c in self.known_items})
        return result

    @staticmethod
    def _bad_item_name(code):
        """A SyncError when a revenue code cannot be a QuickBooks item name, else None."""
        if any(ch in code for ch in const.QBO_FORBIDDEN_NAME_CHARS) or (
            len(code) > const.QBO_NAME_MAX
        ):
            return SyncError(
                _(
                    "Revenue code “%s” cannot be a QuickBooks item name: it must have at most 100 "
                    "characters and no ':' or '\\'. Change the product's revenue code.",
                    code,
                )
            )
        return None

    def _create_items(self, codes):
        """{code: Item Id | SyncError} of Service items created in one batch."""
        try:
            income = self._income_account()
        except SyncError as exc:
            return dict.fromkeys(codes, exc)
        batch = [
            {
                "bId": f"i{n}",
                "operation": "create",
                "Item": {
                    "Name": code,
                    "Type": "Service",
                    "Sku": code[:100],
                    "IncomeAccountRef": {"value": income},
                },
            }
            for n, code in enumerate(codes)
        ]
        return {
            codes[int(bid[1:])]: obj if isinstance(obj, SyncError) else obj["Item"]["Id"]
            for bid, obj in self._batch(batch, "items").items()
        }

    def _income_account(self):
        name = (self.settings.default_income_account or "").strip()
        if not name:
            raise SyncError(
                _(
                    "Set the default revenue account (a QuickBooks Income account) in "
                    "Settings > Accounting > QuickBooks / Xero, so that missing items "
                    "can be created."
                )
            )
        accounts = self._query(f"SELECT * FROM Account WHERE Name = {quote(name)}").get("Account")
        if not accounts:
            raise SyncError(
                _(
                    "QuickBooks has no account named “%s”: fix the default revenue "
                    "account in the settings.",
                    name,
                )
            )
        if accounts[0].get("AccountType") != "Income":
            raise SyncError(
                _(
                    "QuickBooks account “%(n)s” is of type %(t)s, not Income: pick an "
                    "Income account as default revenue account.",
                    n=name,
                    t=accounts[0].get("AccountType"),
                )
            )
        return accounts[0]["Id"]

    # ------------------------------------------------------------------ tax codes
    def _tax_codes(self):
        if self._tax_code_index is None:
            codes = self._query("SELECT * FROM TaxCode MAXRESULTS 1000").get("TaxCode", [])
            index = {}
            for c in codes:
                index[c["Id"]] = c["Id"]
                index[c["Name"].lower()] = c["Id"]
            self._tax_code_index = index
        return self._tax_code_index

    def _tax_code_id(self, code):
        if code.upper() in ("TAX", "NON"):
            return code.upper()
        found = self._tax_codes().get(code.lower()) or self._tax_codes().get(code)
        if not found:
            raise SyncError(
                _("QuickBooks has no tax code “%s”: fix the tax code on the Odoo tax.", code)
            )
        return found
