"""QuickBooks invoices and credit memos: payloads, sending (with link-existing), voiding."""

import logging

from ... import const
from ...exceptions import GONE, USER, SyncError
from ..base import Outcome, Result
from ..i18n import _
from .document_options import QboDocumentOptionsMixin
from .mapping import display_name
from .refunds import reduced_lines

_logger = logging.getLogger(__name__)

ENTITY = {"invoice": "Invoice", "credit_note": "CreditMemo"}


class QboDocumentsMixin(QboDocumentOptionsMixin):
    """push_documents and void_documents, and the look-ups by number that make them safe after
    a lost answer."""

    # ------------------------------------------------------------------ payload
    def _document_payload(self, doc, customer_id, items):
        lines = []
        txn_tax_code = None
        us_tax = self.settings.qbo_tax_style == "us"
        # One GlobalTaxCalculation for the whole document: tax-inclusive only when every line
        # is (gross amounts); otherwise each line's net amount, tax-exclusive, so that the
        # QuickBooks total equals Odoo's with mixed lines too.
        inclusive = not us_tax and all(li["tax_included"] for li in doc["lines"])
        # A credit note refunded in part keeps only what was not refunded (refunds.py).
        for n, line in enumerate(reduced_lines(doc), start=1):
            codes = [self._tax_code_id(c) for c in line["tax_codes"]]
            real = [c for c in codes if c not in ("TAX", "NON")]
            if us_tax:
                line_code = "TAX" if any(c != "NON" for c in codes) else "NON"
                txn_tax_code = txn_tax_code or (real[0] if real else None)
            else:
                if len(real) > 1:
                    raise SyncError(
                        _(
                            "A QuickBooks line takes one tax code; line %(n)s has %(c)s.",
                            n=n,
                            c=", ".join(line["tax_codes"]),
                        )
                    )
                line_code = real[0] if real else "NON"
            qty = line["quantity"] or 1.0
            # Discounts are folded into the unit price so that Amount = Qty x UnitPrice holds
            # (QuickBooks error 6070) and the line equals Odoo's subtotal to the cent.
            amount = round(line["price_total"] if inclusive else line["price_subtotal"], 2)
            description = line["description"]
            if line["discount"]:
                description = _("%(d)s (discount %(p)s%%)", d=description, p=line["discount"])
            lines.append(
                {
                    "LineNum": n,
                    "Description": description[:4000],
                    "Amount": amount,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": items[line["revenue_code"]]},
                        "Qty": qty,
                        "UnitPrice": amount / qty if qty else 0.0,
                        "TaxCodeRef": {"value": line_code},
                    },
                }
            )
        payload = {
            "CustomerRef": {"value": customer_id},
            "DocNumber": doc["number"][: const.QBO_DOCNUMBER_MAX],
            "TxnDate": str(doc["date"]),
            "CurrencyRef": {"value": doc["currency"]},
            "Line": lines,
            "PrivateNote": _("Odoo %s", doc["number"]),
        }
        if doc["kind"] == "invoice" and doc["due_date"]:
            payload["DueDate"] = str(doc["due_date"])
        # The reference goes to the message on invoice (CustomerMemo, shown to the customer)
        # and, with "Export reference to invoice statement", to the message on statement too
        # (PrivateNote: private, searchable).
        message = "\n".join(text for text in (doc["reference"], doc["memo"]) if text)
        if message:
            payload["CustomerMemo"] = {"value": message[: const.QBO_CUSTOMER_MEMO_MAX]}
        if doc["reference"] and doc.get("reference_on_statement", True):
            payload["PrivateNote"] += f" - {doc['reference']}"
        if txn_tax_code:
            payload["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": txn_tax_code}}
        if us_tax and doc.get("tax_fixed") and doc.get("amount_tax"):
            # Odoo's tax amount as is (a daily summary: the sum of its documents' rounded
            # taxes): QuickBooks' US sales tax engine honours an explicit amount and prorates
            # it across the tax rates, instead of computing it on the summary's total.
            payload.setdefault("TxnTaxDetail", {})["TotalTax"] = round(doc["amount_tax"], 2)
        if not us_tax:
            payload["GlobalTaxCalculation"] = "TaxInclusive" if inclusive else "TaxExcluded"
        return payload

    @staticmethod
    def _check_document(job):
        """A SyncError, before any call, for a document QuickBooks would refuse."""
        doc = job.values
        if not doc or not doc.get("lines"):
            return SyncError(_("The document has no values to send."))
        if len(doc["number"]) > const.QBO_DOCNUMBER_MAX:
            return SyncError(
                _(
                    "The number %(n)s is longer than the 21 characters QuickBooks allows; "
                    "shorten the journal's sequence prefix.",
                    n=doc["number"],
                )
            )
        return None

    def _prepared_payload(self, job, customer, items, remote):
        """The payload of one job (``remote``: (Id, SyncToken) of the document to update, or
        None); raises the SyncError of its customer, items or taxes."""
        if isinstance(customer, SyncError):
            raise customer
        for line in job.values["lines"]:
            if isinstance(items[line["revenue_code"]], SyncError):
                raise items[line["revenue_code"]]
        payload = self._apply_options(
            self._document_payload(job.values, customer, items), job.values
        )
        if remote:
            payload.update({"Id": remote[0], "SyncToken": remote[1] or "0", "sparse": True})
        return payload

    # ------------------------------------------------------------------ push
    def push_documents(self, jobs):
        outcome = Outcome()
        docs = []
        for job in jobs:
            error = self._check_document(job)
            if error:
                outcome.results[job.key] = error
            else:
                docs.append(job)
        if not docs:
            return outcome
        # A term, class, location or currency QuickBooks lacks refuses the document first.
        docs = self._refuse_options(docs, outcome)
        if not docs:
            return outcome
        try:
            self._prefetch_lookups(docs)  # a passing failure fails the group, retried later
            return self._push_ready(docs, outcome)
        except SyncError as exc:
            for job in docs:
                outcome.results.setdefault(job.key, exc)
            return outcome
        finally:
            self._prefetched.clear()  # read ahead for this group only

    def _push_ready(self, docs, outcome):
        customers = self._customers(docs, outcome)
        items = self._items(
            (line["revenue_code"] for job in docs for line in job.values["lines"]), outcome
        )
        linked = self._link_existing(docs, customers, outcome.results)
        ops = []
        for job in docs:
            if job.key in outcome.results:
                continue
            remote = linked.get(job.key) or (job.remote_id and (job.remote_id, job.sync_token))
            try:
                customer = customers[job.values["partner"]["id"]]
                payload = self._prepared_payload(job, customer, items, remote)
            except SyncError as exc:
                outcome.results[job.key] = exc
                continue
            ops.append((job, payload))
        for start in range(0, len(ops), const.QBO_BATCH_SIZE):
            self._send_documents(ops[start : start + const.QBO_BATCH_SIZE], outcome)
        return outcome

    def _prefetch_lookups(self, jobs):
        """Read ahead, in one batch request, the queries sending ``jobs`` will make: the items
        of unknown revenue codes (by SKU, by name, their income accounts), the tax codes when
        none are kept, the customers to look up, and the numbers of the documents that may
        have been sent already (``maybe_sent``). First sends of known customers and items make
        none."""
        queries = []
        codes = {
            line["revenue_code"]
            for job in jobs
            for line in job.values["lines"]
            if line["revenue_code"] not in self.known_items
            and not self._bad_item_name(line["revenue_code"])
        }
        if codes:
            queries += self._in_queries("Item", "Sku", codes, select="*, Sku")
            queries += self._in_queries("Item", "Name", codes)
            queries += self._in_queries("Account", "Name", codes)
            income = (self.settings.default_income_account or "").strip()
            if income:
                queries.append(self._income_account_query(income))
        if not isinstance(self.reference.get("tax_codes"), dict) and any(
            code.upper() not in ("TAX", "NON")
            for job in jobs
            for line in job.values["lines"]
            for code in line["tax_codes"]
        ):
            queries.append(self.TAX_CODES_QUERY)
        partners = {
            job.values["partner"]["id"]: job.values["partner"]
            for job in jobs
            if not job.customer_id
        }
        queries += self._customer_queries(partners)
        for kind, entity in ENTITY.items():
            numbers = [
                job.values["number"][: const.QBO_DOCNUMBER_MAX]
                for job in jobs
                if job.kind == kind and job.maybe_sent and not job.remote_id
            ]
            queries += self._in_queries(entity, "DocNumber", numbers)
        self._prefetch(queries)

    def _send_documents(self, chunk, outcome):
        """One batch of creates and updates ([(job, payload)]); results into ``outcome``."""
        batch = [
            {
                "bId": str(job.key),
                "operation": "update" if payload.get("Id") else "create",
                ENTITY[job.kind]: payload,
            }
            for job, payload in chunk
        ]
        salt = ",".join(f"{job.key}:{job.generation}" for job, _p in chunk)
        answers = self._batch(batch, "documents", salt)
        refused = []
        for job, payload in chunk:
            entity = ENTITY[job.kind]
            answer = answers.get(str(job.key))
            if isinstance(answer, SyncError) and answer.code == 5010:
                answer = self._retry_stale(entity, job, payload)
            if isinstance(answer, SyncError):
                # A reference changed in QuickBooks since the kept copy was read.
                text = answer.message.lower()
                if "taxcode" in text:
                    self._forget_tax_codes()
                if any(word in text for word in ("term", "class", "department", "location")):
                    self._forget_refs()
            answer = self._memo_applied_error(job, payload, answer)
            answer = self._explain_currency(job, answer)
            outcome.results[job.key] = self._document_result(entity, answer)
            if isinstance(answer, SyncError) and answer.code == 610 and answer.kind == USER:
                refused.append((job, payload))
        if refused:
            outcome.results.update(self._explain_inactive(refused, outcome))

    def _retry_stale(self, entity, job, payload):
        """A payment applied in QuickBooks changed the SyncToken: re-read, try once more."""
        try:
            return {entity: self._write_current(entity, job, payload["Id"], "update", payload)[1]}
        except SyncError as exc:
            return exc

    def _document_result(self, entity, answer):
        if isinstance(answer, SyncError) or answer is None:
            return answer or SyncError(_("QuickBooks gave no answer for this document."))
        obj = answer[entity]
        return Result(
            remote_id=obj["Id"],
            remote_number=obj.get("DocNumber"),
            sync_token=obj.get("SyncToken"),
            remote_total=float(obj.get("TotalAmt", 0)),
            remote_status=self._status(obj)[0],
        )

    def _explain_inactive(self, refused, outcome):
        """{job key: SyncError} naming the inactive customer or items of documents refused with
        610. A customer that QuickBooks no longer accepts is forgotten (``forget_customers``),
        and so are inactive items, so that the next attempt looks them up again."""
        inactive = " AND Active = false"
        customer_ids = {p["CustomerRef"]["value"] for _j, p in refused}
        item_ids = {
            li["SalesItemLineDetail"]["ItemRef"]["value"] for _j, p in refused for li in p["Line"]
        }
        try:
            customers = {
                c["Id"]: c for c in self._query_in("Customer", "Id", customer_ids, where=inactive)
            }
            items = {i["Id"]: i for i in self._query_in("Item", "Id", item_ids, where=inactive)}
        except SyncError as exc:
            _logger.info("qbo_xero_sync: inactive references not read: %s", exc)
            return {}
        for code in [c for c, item_id in self.known_items.items() if item_id in items]:
            del self.known_items[code]
            outcome.items.pop(code, None)
            outcome.forget_items.add(code)
        out = {}
        for job, payload in refused:
            partner = job.values["partner"]
            problems = []
            customer = customers.get(payload["CustomerRef"]["value"])
            if customer:
                outcome.customers.pop(partner["id"], None)
                outcome.forget_customers.add(partner["id"])
                problems.append(
                    _(
                        "QuickBooks says customer “%(name)s” is inactive or deleted there: "
                        "reactivate it in QuickBooks, or set another billing account on "
                        "%(partner)s, then retry (the customer is looked up again).",
                        name=customer.get("DisplayName"),
                        partner=partner["name"],
                    )
                )
            used = {li["SalesItemLineDetail"]["ItemRef"]["value"] for li in payload["Line"]}
            for item_id in sorted(used & set(items)):
                problems.append(
                    _(
                        "QuickBooks says item “%(name)s” is inactive or deleted there: reactivate "
                        "it in QuickBooks, or change the revenue code of the products that use "
                        "it, then retry.",
                        name=items[item_id].get("Name"),
                    )
                )
            if problems:
                out[job.key] = SyncError("\n".join(problems), kind=USER, code=610)
        return out

    def _link_existing(self, jobs, customers, results):
        """{job key: (Id, SyncToken)} of documents to create that QuickBooks already has (same
        entity and DocNumber, not voided): a write applied remotely but lost before Odoo
        committed is linked and updated, never created twice. One for another customer is an
        error in ``results``. Only documents that may have been sent (``job.maybe_sent``) are
        looked up: a first send creates at once."""
        linked = {}
        for kind, entity in ENTITY.items():
            todo = {
                job.values["number"][: const.QBO_DOCNUMBER_MAX]: job
                for job in jobs
                if job.kind == kind and job.maybe_sent and not job.remote_id
            }
            if not todo:
                continue
            for obj in self._query_in(entity, "DocNumber", todo):
                job = todo.get(obj.get("DocNumber"))
                if job is None or job.key in linked or self._status(obj)[0] == "voided":
                    continue
                if obj.get("CustomerRef", {}).get("value") != customers.get(
                    job.values["partner"]["id"]
                ):
                    results[job.key] = SyncError(
                        _(
                            "QuickBooks already has a %(e)s numbered %(n)s for another customer. "
                            "Rename or delete it in QuickBooks, then post again.",
                            e=entity,
                            n=obj.get("DocNumber"),
                        ),
                        code=6140,
                    )
                    continue
                linked[job.key] = (obj["Id"], obj.get("SyncToken"))
        return linked

    # ------------------------------------------------------------------ void
    def void_documents(self, jobs):
        outcome = Outcome()
        found = self._find_sent([job for job in jobs if not job.remote_id])
        for job in jobs:
            outcome.results[job.key] = self._void_document(job, found.get(job.key))
        return outcome

    def _void_document(self, job, current):
        """Result | SyncError of voiding one document (``current``: the object found by number
        when Odoo does not know its id). QuickBooks voids invoices; credit memos can only be
        deleted."""
        entity = ENTITY[job.kind]
        remote_id = job.remote_id
        if not remote_id:
            if current is None:
                number = (job.values or {}).get("number") or job.remote_number
                return SyncError(
                    _("%(n)s is not in QuickBooks: it was never sent there.", n=number),
                    kind=GONE,
                )
            if self._status(current)[0] == "voided":
                return Result(
                    remote_id=current["Id"],
                    remote_number=current.get("DocNumber"),
                    sync_token=current.get("SyncToken"),
                    remote_status="voided",
                )
            remote_id = current["Id"]
        operation = "void" if entity == "Invoice" else "delete"
        try:
            if current is None:
                current = self._get(f"{entity.lower()}/{remote_id}")[entity]
            applied = self._status(current)[1]
            if applied > 0:
                # Voiding would silently unapply what the customer paid (or was credited).
                return SyncError(
                    _(
                        "%(n)s has %(amount)s paid or credited in QuickBooks, so it is not "
                        "voided there. Remove the payment in QuickBooks first and cancel it again "
                        "in Odoo, or keep it and correct it with a credit note.",
                        n=current.get("DocNumber") or job.remote_number,
                        amount=applied,
                    )
                )
            current, obj = self._write_current(entity, job, remote_id, operation, current=current)
        except SyncError as exc:
            return exc
        return Result(
            remote_id=remote_id,
            remote_number=current.get("DocNumber"),
            sync_token=obj.get("SyncToken"),
            remote_status="voided" if operation == "void" else "deleted",
        )

    def _find_sent(self, jobs):
        """{job key: Invoice/CreditMemo object} of documents that may have been sent without
        Odoo knowing (a lost answer): same entity, DocNumber and customer (the bound one, or
        one named by the partner's billing account or name)."""
        jobs = [job for job in jobs if job.values and job.values.get("partner")]
        if not jobs:
            return {}
        keys = {
            job.key: [
                key
                for key in (
                    (job.values["partner"].get("billing_account") or "").strip(),
                    display_name(job.values["partner"]),
                )
                if key
            ]
            for job in jobs
        }
        by_name = {
            c["DisplayName"].lower(): c["Id"]
            for c in self._query_in(
                "Customer", "DisplayName", [k for ks in keys.values() for k in ks]
            )
        }
        found = {}
        for kind, entity in ENTITY.items():
            todo = {
                (job.values.get("number") or "")[: const.QBO_DOCNUMBER_MAX]: job
                for job in jobs
                if job.kind == kind
            }
            for obj in self._query_in(entity, "DocNumber", todo):
                job = todo.get(obj.get("DocNumber"))
                if job is None:
                    continue
                accepted = {by_name[k.lower()] for k in keys[job.key] if k.lower() in by_name}
                if job.customer_id:
                    accepted.add(job.customer_id)
                if obj.get("CustomerRef", {}).get("value") in accepted:
                    found[job.key] = obj
        return found
