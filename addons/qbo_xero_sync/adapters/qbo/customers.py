"""QuickBooks customers: found, created under QuickBooks' name rules, edits sent, listed."""

from ... import const
from ...exceptions import SyncError
from ..base import Outcome, Result
from ..i18n import _

SUFFIX = " (%s)"


def clean_name(name):
    """A name as QuickBooks takes it: ':' and '\\' replaced, no tab or newline."""
    for char in const.QBO_FORBIDDEN_NAME_CHARS:
        name = name.replace(char, const.QBO_NAME_REPLACEMENT)
    return " ".join((name or "").replace("\t", " ").replace("\n", " ").split())


def display_name(partner):
    """The DisplayName of a partner's QuickBooks customer: cleaned, cut at 100 characters."""
    return clean_name(partner["name"])[: const.QBO_CUSTOMER_NAME_MAX].strip()


def name_candidates(partner):
    """The names a new customer may take, in order: its own, then with " (2)", " (3)"...
    each within 100 characters."""
    base = clean_name(partner["name"])
    names = [base[: const.QBO_CUSTOMER_NAME_MAX].strip()]
    for n in range(2, const.QBO_NAME_SUFFIXES + 2):
        suffix = SUFFIX % n
        names.append(base[: const.QBO_CUSTOMER_NAME_MAX - len(suffix)].rstrip() + suffix)
    return names


def is_cut(partner):
    """True when the partner's name is longer than QuickBooks keeps: another customer may
    share its first 100 characters, so such a name is never matched by name alone."""
    return len(clean_name(partner["name"])) > const.QBO_CUSTOMER_NAME_MAX


def address(p):
    return {
        "Line1": p["street"],
        "Line2": p.get("street2") or "",
        "City": p["city"],
        "PostalCode": p["zip"],
        "Country": p["country"],
    }


class QboCustomersMixin:
    """Customers of documents and of the customer queue (created, edits sent), and the
    remote lists of the match screen."""

    create_customers = True  # False: match only (the connection never creates customers)

    def _direct(self, todo):
        """The partners of ``todo`` created without a look-up first: no billing account, a
        name QuickBooks keeps whole, no other partner of ``todo`` with the same name, and a
        connection that creates customers. QuickBooks refuses a second customer of a name
        (6240, names unique ignoring case), so such a create is safe: a refusal is looked up
        then (see _create_direct)."""
        if not self.create_customers:
            return {}
        names = {}
        for p in todo.values():
            names[display_name(p).lower()] = names.get(display_name(p).lower(), 0) + 1
        return {
            pid: p
            for pid, p in todo.items()
            if not p["billing_account"]
            and not is_cut(p)
            and display_name(p)
            and names[display_name(p).lower()] == 1
        }

    def _lookup_keys(self, todo):
        keys = [p["billing_account"] for p in todo.values() if p["billing_account"]]
        return keys + [name for p in todo.values() for name in name_candidates(p)]

    def _customer_queries(self, todo):
        """The query texts _find_or_create_customers sends for ``todo`` (to read ahead)."""
        direct = self._direct(todo)
        rest = {pid: p for pid, p in todo.items() if pid not in direct}
        return self._in_queries("Customer", "DisplayName", self._lookup_keys(rest))

    def _find_or_create_customers(self, todo, jobs=None):
        """By billing account or display name, else created (batches of 30). ``todo``:
        {partner id: partner values}. A partner without billing account whose name is whole
        and unique in ``todo`` is created at once (see _direct); the others are looked up
        first (one query, or one batch of queries, for all). A QuickBooks customer has one
        currency, set when it is created: a new customer takes that of its first document.
        A name cut at 100 characters is never matched by name: it gets a free suffix."""
        direct = self._direct(todo)
        result = self._create_direct(direct) if direct else {}
        todo = {pid: p for pid, p in todo.items() if pid not in direct}
        if not todo:
            return result
        keys = self._lookup_keys(todo)
        by_name = {
            c["DisplayName"]: c["Id"] for c in self._query_in("Customer", "DisplayName", keys)
        }
        by_name_ci = {k.lower(): v for k, v in by_name.items()}
        to_create = {}
        for pid, p in todo.items():
            cid = by_name.get(p["billing_account"])
            if not cid and not is_cut(p):
                cid = by_name_ci.get(display_name(p).lower())
            if cid:
                result[pid] = cid
            elif not self.create_customers:
                result[pid] = SyncError(
                    _(
                        "No %(provider)s customer matches “%(name)s”, and this connection "
                        "never creates customers. Link the customer on the match screen "
                        "(Accounting > Configuration > QuickBooks / Xero > Match customers "
                        "and items), or set its billing account to the customer's name there.",
                        provider=self.provider_label,
                        name=p["name"],
                    )
                )
            else:
                to_create[pid] = p
        if to_create:
            taken = set(by_name_ci) | {display_name(p).lower() for p in direct.values()}
            batch = []
            for pid, p in to_create.items():
                name = next((n for n in name_candidates(p) if n.lower() not in taken), None)
                if name is None:
                    result[pid] = SyncError(
                        _(
                            "QuickBooks already has customers named “%(name)s” and its numbered "
                            "variants (names are unique on their first 100 characters): "
                            "shorten the customer's name in Odoo, or link it on the match "
                            "screen.",
                            name=display_name(p),
                        )
                    )
                    continue
                taken.add(name.lower())
                payload = self._customer_payload(p, name)
                batch.append({"bId": str(pid), "operation": "create", "Customer": payload})
            result.update(self._create_customer_batches(batch))
        return result

    def _create_customer_batches(self, batch, explain=True):
        """{partner id: Id | SyncError} of customer creates sent 30 to a batch (``explain``:
        a name already used (6240) is explained, else left as it is for the caller)."""
        result = {}
        for start in range(0, len(batch), const.QBO_BATCH_SIZE):
            chunk = batch[start : start + const.QBO_BATCH_SIZE]
            names = {item["bId"]: item["Customer"]["DisplayName"] for item in chunk}
            for bid, obj in self._batch(chunk, "customers").items():
                if isinstance(obj, SyncError) and explain:
                    obj = self._customer_error(obj, names[bid])
                result[int(bid)] = obj if isinstance(obj, SyncError) else obj["Customer"]["Id"]
        return result

    def _create_direct(self, direct):
        """{partner id: Id | SyncError} of the customers created without a look-up; one
        refused because the name exists (6240) is linked to the active customer of that name
        (one query for all of them), else explained."""
        batch = [
            {
                "bId": str(pid),
                "operation": "create",
                "Customer": self._customer_payload(p, display_name(p)),
            }
            for pid, p in direct.items()
        ]
        result = self._create_customer_batches(batch, explain=False)
        taken = {
            pid: direct[pid]
            for pid, obj in result.items()
            if isinstance(obj, SyncError) and obj.code == const.QBO_DUPLICATE_NAME
        }
        if taken:
            names = [display_name(p) for p in taken.values()]
            by_name = {
                c["DisplayName"].lower(): c["Id"]
                for c in self._query_in("Customer", "DisplayName", names)
            }
            for pid, p in taken.items():
                cid = by_name.get(display_name(p).lower())
                result[pid] = cid or self._customer_error(result[pid], display_name(p))
        return result

    def _customer_error(self, exc, name):
        """6240 on a name no active customer has: a vendor's, an employee's or an inactive
        customer's (QuickBooks' names are unique across them): explained, with the way out."""
        if exc.code != const.QBO_DUPLICATE_NAME:
            return exc
        return SyncError(
            _(
                "QuickBooks already uses the name “%(name)s” for a vendor, an employee or an "
                "inactive customer (its names are unique across customers, vendors and "
                "employees), so no customer of that name can be created. Either link the Odoo "
                "customer to an existing QuickBooks customer on the match screen, or rename it "
                "in Odoo (e.g. “%(name)s (Customer)”), then retry. (%(msg)s)",
                name=name,
                msg=exc.message,
            ),
            code=exc.code,
        )

    @staticmethod
    def _customer_payload(p, name=None):
        payload = {
            "DisplayName": name or display_name(p),
            "CompanyName": clean_name(p["name"])[: const.QBO_CUSTOMER_NAME_MAX],
        }
        if p.get("currency"):
            payload["CurrencyRef"] = {"value": p["currency"]}
        if p["email"]:
            payload["PrimaryEmailAddr"] = {"Address": p["email"]}
        if p["phone"]:
            payload["PrimaryPhone"] = {"FreeFormNumber": p["phone"]}
        if p["street"] or p["city"]:
            payload["BillAddr"] = address(p)
        return payload

    # ------------------------------------------------------------------ the customer queue
    def push_customers(self, jobs):
        """Jobs of kind "customer": a linked customer gets its name, e-mail and billing
        address (a sparse update with the current SyncToken; its currency never changes);
        an unlinked one is found or created as for a document."""
        outcome = Outcome()
        customers = self._customers([job for job in jobs if not job.customer_id], outcome)
        for job in jobs:
            p = job.values["partner"]
            try:
                if job.customer_id:
                    outcome.results[job.key] = self._update_customer(job, p, outcome)
                    continue
                remote_id = customers[p["id"]]
                if isinstance(remote_id, SyncError):
                    raise remote_id
                outcome.results[job.key] = Result(remote_id=remote_id)
            except SyncError as exc:
                outcome.results[job.key] = exc
        return outcome

    def _update_customer(self, job, p, outcome):
        current = self._get(f"customer/{job.customer_id}")["Customer"]
        changes = {
            "sparse": True,
            "CompanyName": clean_name(p["name"])[: const.QBO_CUSTOMER_NAME_MAX],
            "PrimaryEmailAddr": {"Address": p["email"]} if p["email"] else None,
            "BillAddr": address(p) if p["street"] or p["city"] else None,
        }
        names = name_candidates(p)
        if current.get("DisplayName", "").lower() not in [n.lower() for n in names]:
            taken = {
                c["DisplayName"].lower()
                for c in self._query_in("Customer", "DisplayName", names)
                if c["Id"] != job.customer_id
            }
            free = [n for n in names if n.lower() not in taken]
            if not free:
                raise SyncError(
                    _(
                        "Another QuickBooks customer is named “%(name)s”: rename one of them.",
                        name=names[0],
                    )
                )
            changes["DisplayName"] = free[0]
        changes = {k: v for k, v in changes.items() if v is not None}
        try:
            _read, obj = self._write_current(
                "Customer", job, job.customer_id, "update", changes, current
            )
        except SyncError as exc:
            raise self._customer_error(exc, changes.get("DisplayName", "")) from exc
        if obj.get("Active") is False:
            outcome.forget_customers.add(p["id"])
        return Result(remote_id=obj.get("Id") or job.customer_id, sync_token=obj.get("SyncToken"))

    # ------------------------------------------------------------------ match screen
    def list_remote(self, kind):
        """[{"id", "name", "email", "code"}] of the active customers or items (paged)."""
        entity = "Customer" if kind == "customer" else "Item"
        found = []
        for page in range(const.MATCH_MAX_PAGES):
            start = page * const.MATCH_PAGE_SIZE + 1
            objs = self._query(
                f"SELECT * FROM {entity} STARTPOSITION {start} "
                f"MAXRESULTS {const.MATCH_PAGE_SIZE}"
            ).get(entity, [])
            found += objs
            if len(objs) < const.MATCH_PAGE_SIZE:
                break
        if kind == "customer":
            return [
                {
                    "id": c["Id"],
                    "name": c.get("DisplayName") or "",
                    "email": (c.get("PrimaryEmailAddr") or {}).get("Address") or "",
                    "code": "",
                    "currency": (c.get("CurrencyRef") or {}).get("value") or "",
                }
                for c in found
            ]
        return [
            {"id": i["Id"], "name": i.get("Name") or "", "email": "", "code": i.get("Sku") or ""}
            for i in found
        ]
