"""What a QuickBooks invoice or credit memo carries besides its lines: the exchange rate, the
term, the class and location, the ship date.

- ExchangeRate: Odoo's rate of the invoice date, home currency per unit (``doc["rate"]``), as
  QuickBooks records it (Finance.xsd: "the number of home currency units it takes to equal one
  foreign currency unit"); a document in a currency QuickBooks does not have enabled is refused
  before any call when multicurrency is off (Preferences), else QuickBooks' refusal is
  explained.
- SalesTermRef, ClassRef, DepartmentRef name objects by Id: the names are looked up once per
  adapter (one query per kind for the names of the group); a term's name must match exactly,
  case included (QuickBooks lists terms by name; Cin7 Core's rule).
- Class per line or per document as the company's preferences say (AccountingInfoPrefs,
  read once per adapter, only when a document has a class or location or a foreign
  currency); left out when QuickBooks tracks no class (or no location).
"""

from ... import const
from ...exceptions import USER, SyncError
from ..i18n import _

REF_KINDS = ("Term", "Class", "Department")


class QboDocumentOptionsMixin:
    """_option_error (checked before a document is sent) and _apply_options (its payload)."""

    def _refs_cache(self):
        """{kind: {name: object}} of the terms, classes and locations looked up, and the
        preferences (read once per adapter). The ones found are kept across cron runs
        (``self.reference["refs"]``: their Id and Name); a name missing is looked up again."""
        if not hasattr(self, "_document_refs"):
            kept = self.reference.get("refs")
            kept = kept if isinstance(kept, dict) else {}
            self._document_refs = {
                kind: {
                    name: obj
                    for name, obj in (kept.get(kind) or {}).items()
                    if isinstance(obj, dict) and obj.get("Id")
                }
                for kind in REF_KINDS
            }
        return self._document_refs

    def _keep_ref(self, kind, name, obj):
        """Keep a term, class or location found for the next runs."""
        if isinstance(obj, dict) and obj.get("Id"):
            refs = self.reference.setdefault("refs", {})
            refs.setdefault(kind, {})[name] = {"Id": obj["Id"], "Name": obj.get("Name")}
            self.reference_changed = True

    def _forget_refs(self):
        """QuickBooks refused a term, class or location the kept copy has: look them up again
        on the next run."""
        if self.reference.pop("refs", None) is not None:
            self.reference_changed = True

    def _qbo_preferences(self):
        cache = self._refs_cache()
        if "preferences" not in cache:
            cache["preferences"] = self._get("preferences").get("Preferences", {})
        return cache["preferences"]

    def _class_tracking(self):
        """ "line", "document" or None, as the company tracks classes."""
        info = self._qbo_preferences().get("AccountingInfoPrefs", {})
        for key, mode in const.QBO_CLASS_TRACKING.items():
            if info.get(key):
                return mode
        return None

    def _tracks_locations(self):
        return bool(self._qbo_preferences().get("AccountingInfoPrefs", {}).get("TrackDepartments"))

    @staticmethod
    def _wanted_names(doc):
        """{kind: {names}} a document refers to (before the preferences are known)."""
        wanted = {kind: set() for kind in REF_KINDS}
        if doc.get("kind") == "invoice" and doc.get("term"):
            wanted["Term"].add(doc["term"])
        if doc.get("class_name"):
            wanted["Class"].add(doc["class_name"])
        wanted["Class"].update(li["class_name"] for li in doc["lines"] if li.get("class_name"))
        if doc.get("location"):
            wanted["Department"].add(doc["location"])
        return wanted

    def _load_refs(self, jobs):
        """Look up the terms, classes and locations the jobs name that are not known yet (one
        query per kind); reads the preferences when a class or location is named."""
        cache = self._refs_cache()
        wanted = {kind: set() for kind in REF_KINDS}
        for job in jobs:
            for kind, names in self._wanted_names(job.values).items():
                wanted[kind] |= {n for n in names if n not in cache[kind]}
        if wanted["Class"] and not self._class_tracking():
            wanted["Class"] = set()
        if wanted["Department"] and not self._tracks_locations():
            wanted["Department"] = set()
        for kind, names in wanted.items():
            if not names:
                continue
            found = self._query_in(kind, "Name", names)
            for name in names:
                cache[kind][name] = self._named(kind, name, found)
                self._keep_ref(kind, name, cache[kind][name])

    @staticmethod
    def _named(kind, name, found):
        """The object called ``name`` among ``found`` (terms: exactly; classes and locations:
        ignoring case, as QuickBooks keeps their names unique), else the names that differ only
        by case (a list) for the error."""
        exact = [obj for obj in found if obj.get("Name") == name]
        if exact:
            return exact[0]
        near = [obj for obj in found if (obj.get("Name") or "").lower() == name.lower()]
        if near and kind != "Term":
            return near[0]
        return [obj.get("Name") for obj in near]

    def _refuse_options(self, jobs, outcome):
        """The jobs whose term, class, location and currency QuickBooks has; the others get
        their SyncError in ``outcome`` (all of them when the look-up fails)."""
        try:
            self._load_refs(jobs)
        except SyncError as exc:
            outcome.results.update(dict.fromkeys([job.key for job in jobs], exc))
            return []
        ready = []
        for job in jobs:
            try:
                error = self._option_error(job.values)
            except SyncError as exc:  # the preferences could not be read
                error = exc
            if error:
                outcome.results[job.key] = error
            else:
                ready.append(job)
        return ready

    def _option_error(self, doc):
        """The SyncError of a document whose currency, term, class or location QuickBooks
        lacks (None when all exist); ``_load_refs`` ran for it."""
        problems = []
        if doc.get("rate"):
            problems += self._currency_problems(doc["currency"])
        cache = self._refs_cache()
        term = doc.get("term") if doc.get("kind") == "invoice" else ""
        if term and not isinstance(cache["Term"].get(term), dict):
            problems.append(self._term_problem(term, cache["Term"].get(term) or []))
        for kind, name in self._used_names(doc):
            if not isinstance(cache[kind].get(name), dict):
                problems.append(self._name_problem(kind, name))
        return SyncError("\n".join(dict.fromkeys(problems)), kind=USER) if problems else None

    def _used_names(self, doc):
        """[(kind, name)] of the classes and locations the document's payload will name."""
        used = []
        mode = self._class_tracking() if self._wants_class(doc) else None
        if mode == "document" and doc.get("class_name"):
            used.append(("Class", doc["class_name"]))
        if mode == "line":
            used += [("Class", li["class_name"]) for li in doc["lines"] if li.get("class_name")]
        if doc.get("location") and self._tracks_locations():
            used.append(("Department", doc["location"]))
        return list(dict.fromkeys(used))

    @staticmethod
    def _wants_class(doc):
        return bool(doc.get("class_name") or any(li.get("class_name") for li in doc["lines"]))

    def _currency_problems(self, currency):
        prefs = self._qbo_preferences().get("CurrencyPrefs", {})
        home = (prefs.get("HomeCurrency") or {}).get("value")
        if prefs.get("MultiCurrencyEnabled") or not home or currency == home:
            return []
        return [self._currency_message(currency)]

    def _currency_message(self, currency):
        return _(
            "QuickBooks does not take documents in %(currency)s: turn on multicurrency in "
            "QuickBooks (Settings > Account and settings > Advanced > Currency) and add "
            "%(currency)s, then retry.",
            currency=currency,
        )

    def _term_problem(self, term, near):
        if near:
            return _(
                "QuickBooks has no term “%(term)s” spelled exactly so (it has “%(near)s”): terms "
                "must match case included. Rename one of them, or set “QuickBooks term” on the "
                "Odoo payment term to QuickBooks' spelling, then retry.",
                term=term,
                near=", ".join(near),
            )
        return _(
            "QuickBooks has no term “%(term)s”: create it in QuickBooks (Settings > Account and "
            "settings > Sales > Terms) with exactly that spelling, or set “QuickBooks term” on "
            "the Odoo payment term to the name of an existing QuickBooks term, then retry.",
            term=term,
        )

    def _name_problem(self, kind, name):
        if kind == "Class":
            return _(
                "QuickBooks has no active class “%(name)s”: create it in QuickBooks (Settings > "
                "All lists > Classes), or change the class source on the connection (Documents "
                "tab), then retry.",
                name=name,
            )
        return _(
            "QuickBooks has no active location “%(name)s”: create it in QuickBooks (Settings > "
            "All lists > Locations), or change the location source on the connection "
            "(Documents tab), then retry.",
            name=name,
        )

    def _explain_currency(self, job, answer):
        """QuickBooks' refusal of a foreign document's currency, with what to do."""
        text = (answer.message or "").lower() if isinstance(answer, SyncError) else ""
        # Not the customer's currency (another customer or a new one is the way out there).
        if job.values.get("rate") and "currenc" in text and "customer" not in text:
            return SyncError(
                self._currency_message(job.values["currency"]) + f" ({answer.message})",
                kind=answer.kind,
                code=answer.code,
            )
        return answer

    # ------------------------------------------------------------------ payload
    def _apply_options(self, payload, doc):
        """Add the rate, term, class, location and ship date to a document's payload (its
        ``Line`` in the order of ``doc["lines"]``); ``_option_error`` found nothing."""
        cache = self._refs_cache()
        if doc.get("rate"):
            payload["ExchangeRate"] = doc["rate"]
        term = doc.get("term") if doc.get("kind") == "invoice" else ""
        if term:
            payload["SalesTermRef"] = {"value": cache["Term"][term]["Id"]}
        used = dict.fromkeys(self._used_names(doc))
        if ("Class", doc.get("class_name")) in used and self._class_tracking() == "document":
            payload["ClassRef"] = {"value": cache["Class"][doc["class_name"]]["Id"]}
        if self._wants_class(doc) and self._class_tracking() == "line":
            for line, values in zip(payload["Line"], doc["lines"], strict=True):
                if values.get("class_name"):
                    class_id = cache["Class"][values["class_name"]]["Id"]
                    line["SalesItemLineDetail"]["ClassRef"] = {"value": class_id}
        if ("Department", doc.get("location")) in used:
            payload["DepartmentRef"] = {"value": cache["Department"][doc["location"]]["Id"]}
        if doc.get("kind") == "invoice" and doc.get("ship_date"):
            payload["ShipDate"] = str(doc["ship_date"])
        return payload
