"""QuickBooks references of a document: customers, items, tax codes and accounts."""

from ... import const
from ...exceptions import SyncError
from ..i18n import _
from .client import quote
from .customers import QboCustomersMixin, display_name

__all__ = ["QboMappingMixin", "display_name"]


class QboMappingMixin(QboCustomersMixin):
    """Customers (found or created), items (found, checked or created), tax codes, accounts."""

    # True while the COGS addon exports journals for the connection: an Inventory item would
    # book the cost a second time.
    refuse_inventory_items = False

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
                found.setdefault(item.get("Sku"), self._usable_item(item))
            # Every unknown code is looked up by name (one query text, read ahead with the
            # others by _prefetch_lookups); a code found by SKU keeps its SKU's item.
            for item in self._query_in("Item", "Name", todo):
                if item["Name"] in todo:
                    found.setdefault(item["Name"], self._usable_item(item))
            missing = todo - set(found)
            if missing:
                found.update(self._create_items(sorted(missing), lookup=todo))
            for code, item_id in found.items():
                if isinstance(item_id, SyncError):
                    result[code] = item_id
                else:
                    self.known_items[code] = outcome.items[code] = item_id
        result.update({c: self.known_items[c] for c in codes if c in self.known_items})
        if self.refuse_inventory_items:
            self._check_known_items(codes & set(self.known_items), result)
        return result

    def _check_known_items(self, codes, result):
        """Items linked before the COGS journals were exported may be inventory items: read
        once per adapter, and refused as items found are."""
        checked = self.__dict__.setdefault("_checked_items", {})
        ids = {self.known_items[code] for code in codes} - set(checked)
        for item in self._query_in("Item", "Id", ids):
            checked[item["Id"]] = self._usable_item(item)
        for code in codes:
            verdict = checked.get(self.known_items[code])
            if isinstance(verdict, SyncError):
                result[code] = verdict

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

    def _usable_item(self, item):
        """The Id of an existing item a document may sell, else a SyncError saying why: it
        must be sold (an Income account), and not an inventory item while the COGS addon
        exports journals (QuickBooks would book its cost a second time)."""
        name = item.get("Name")
        if not (item.get("IncomeAccountRef") or {}).get("value"):
            return SyncError(
                _(
                    "QuickBooks item “%(name)s” is not sold (it has no income account): in "
                    "QuickBooks, tick “I sell this product/service to my customers” and pick an "
                    "Income account, or change the product's revenue code.",
                    name=name,
                )
            )
        if item.get("Type") == "Inventory" and self.refuse_inventory_items:
            return SyncError(
                _(
                    "QuickBooks item “%(name)s” is an inventory item: QuickBooks books its cost "
                    "of goods sold when it is invoiced, and the COGS journals sent from Odoo "
                    "book it too (twice). Use a Non-inventory or Service item as revenue code, "
                    "or stop exporting COGS journals for this connection.",
                    name=name,
                )
            )
        return item["Id"]

    def _create_items(self, codes, lookup=()):
        """{code: Item Id | SyncError} of Service items created in one batch, each under the
        QuickBooks Income account of the same name when there is one (the revenue codes the
        mapping proposes), else under the default income account. ``lookup``: the codes whose
        accounts are looked up (all the unknown ones: the query read ahead)."""
        named = {
            a["Name"]: a["Id"]
            for a in self._query_in("Account", "Name", set(lookup) | set(codes))
            if a.get("AccountType") == "Income" and a["Name"] in codes
        }
        income = None
        if set(codes) - set(named):
            try:
                income = self._income_account()
            except SyncError as exc:
                failed = {code: exc for code in codes if code not in named}
                return {**failed, **(self._create_items(sorted(named)) if named else {})}
        batch = [
            {
                "bId": f"i{n}",
                "operation": "create",
                "Item": {
                    "Name": code,
                    "Type": "Service",
                    "Sku": code[:100],
                    "IncomeAccountRef": {"value": named.get(code) or income},
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
        accounts = self._query(self._income_account_query(name)).get("Account")
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

    @staticmethod
    def _income_account_query(name):
        return f"SELECT * FROM Account WHERE Name = {quote(name)}"

    # ------------------------------------------------------------------ tax codes
    TAX_CODES_QUERY = "SELECT * FROM TaxCode MAXRESULTS 1000"

    def _tax_codes(self, refresh=False):
        """{Id or name lowered: Id} of the tax codes, kept across cron runs in
        ``self.reference`` (read again when a code is missing from it, see _tax_code_id)."""
        index = self.reference.get("tax_codes")
        if refresh or not isinstance(index, dict):
            codes = self._query(self.TAX_CODES_QUERY).get("TaxCode", [])
            index = {}
            for c in codes:
                index[c["Id"]] = c["Id"]
                index[c["Name"].lower()] = c["Id"]
            self.reference["tax_codes"] = index
            self._fresh.add("tax_codes")
            self.reference_changed = True
        self._tax_code_index = index
        return index

    def _tax_code_id(self, code):
        if code.upper() in ("TAX", "NON"):
            return code.upper()
        found = self._tax_codes().get(code.lower()) or self._tax_codes().get(code)
        if not found and "tax_codes" not in self._fresh:
            # Added in QuickBooks since the kept copy was read: read the codes again.
            found = self._tax_codes(refresh=True).get(code.lower())
        if not found:
            raise SyncError(
                _("QuickBooks has no tax code “%s”: fix the tax code on the Odoo tax.", code)
            )
        return found

    def _forget_tax_codes(self):
        """QuickBooks refused a tax code the kept copy has: read them again on the next use."""
        if "tax_codes" not in self._fresh and self.reference.pop("tax_codes", None) is not None:
            self.reference_changed = True
