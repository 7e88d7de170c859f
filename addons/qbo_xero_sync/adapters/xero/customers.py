"""Xero contacts: found, created in the document's currency, edits sent, listed."""

from xero_python.accounting import Address, Contact, Contacts, CurrencyCode
from xero_python.api_client.serializer import serialize

from ... import const
from ...exceptions import SyncError
from ..base import Outcome, Result
from ..i18n import _
from .client import element_errors, quote


def contact_address(p):
    """The partner's billing address as a Xero POBOX address (what invoices print), or None."""
    if not (p["street"] or p["city"]):
        return None
    return Address(
        address_type="POBOX",
        address_line1=p["street"] or None,
        address_line2=p.get("street2") or None,
        city=p["city"] or None,
        postal_code=p["zip"] or None,
        country=p["country"] or None,
    )


def currency_code(code):
    """The SDK's CurrencyCode of a currency name, or None when the SDK does not know it."""
    try:
        return CurrencyCode(code) if code else None
    except ValueError:
        return None


class XeroCustomersMixin:
    """Contacts of documents and of the customer queue, and the remote lists of the match
    screen."""

    create_customers = True  # False: match only (the connection never creates customers)

    def _find_customers(self, partners):
        """{partner id: contact id} of the contacts whose AccountNumber equals the partner's
        billing account exactly; with a connection that never creates customers, an active
        contact of the same name is taken too (never creates one)."""
        result = {}
        for pid, p in partners.items():
            wheres = []
            if p["billing_account"]:
                wheres.append(("account_number", f"AccountNumber=={quote(p['billing_account'])}"))
            if not self.create_customers and p["name"]:
                wheres.append(("name", f"Name=={quote(p['name'][:255])}"))
            for attr, where in wheres:
                found = self._call("get_contacts", where=where).contacts or []
                wanted = p["billing_account"] if attr == "account_number" else p["name"][:255]
                exact = [c for c in found if (getattr(c, attr) or "") == wanted]
                if exact:
                    result[pid] = exact[0].contact_id
                    break
        return result

    def _find_or_create_customers(self, todo, jobs):
        """The contact whose AccountNumber equals the billing account exactly, else a new
        contact (one PUT for all) in the document's currency; never created when the
        connection matches only (an error naming the match screen)."""
        result = self._find_customers(todo)
        todo = {pid: p for pid, p in todo.items() if pid not in result}
        if not todo:
            return result
        if not self.create_customers:
            for pid, p in todo.items():
                result[pid] = SyncError(
                    _(
                        "No %(provider)s contact matches “%(name)s”, and this connection never "
                        "creates customers. Link the customer on the match screen "
                        "(Accounting > Configuration > QuickBooks / Xero > Match customers "
                        "and items), or set its billing account to the contact's account number.",
                        provider=self.provider_label,
                        name=p["name"],
                    )
                )
            return result
        order = list(todo)
        # The key covers everything sent (a corrected e-mail is a new request), and the
        # generation of the documents that need these contacts (sent anew: a new key).
        generation = max(
            (job.generation for job in jobs if job.values["partner"]["id"] in todo), default=0
        )
        for start in range(0, len(order), const.XERO_BATCH_SIZE):
            chunk = order[start : start + const.XERO_BATCH_SIZE]
            result.update(self._create_contacts({pid: todo[pid] for pid in chunk}, generation))
        return result

    def _create_contacts(self, todo, generation):
        """{partner id: contact id | SyncError} of one PUT Contacts of at most 50 contacts."""
        order = list(todo)
        contacts = [self._contact(todo[pid]) for pid in order]
        try:
            answer = self._call(
                "create_contacts",
                Contacts(contacts=contacts),
                summarize_errors=False,
                idempotency_key=self.request_key(
                    None, "contacts", [[serialize(c) for c in contacts], generation], 64
                ),
            )
        except SyncError as exc:
            return dict.fromkeys(order, exc)
        result = {}
        for pid, contact in zip(order, answer.contacts or []):
            if contact.has_validation_errors or contact.validation_errors:
                result[pid] = SyncError(_("Xero contact: %s", self._contact_message(contact)))
            else:
                result[pid] = contact.contact_id
        return result

    @staticmethod
    def _contact(p, contact_id=None):
        address = contact_address(p)
        return Contact(
            contact_id=contact_id,
            name=p["name"][:255],
            account_number=None if contact_id else (p["billing_account"] or None),
            email_address=p["email"] or None,
            addresses=[address] if address else None,
            default_currency=None if contact_id else currency_code(p.get("currency")),
        )

    @staticmethod
    def _contact_message(contact):
        message = element_errors(contact)
        if "name" in message.lower():
            message = _(
                "%(m)s Set the customer's billing account to that Xero contact's account "
                "number to use it, or rename the customer.",
                m=message,
            )
        return message

    # ------------------------------------------------------------------ the customer queue
    def push_customers(self, jobs):
        """Jobs of kind "customer": a linked contact gets its name, e-mail and address
        (POST Contacts by ContactID); an unlinked one is found or created as for a document."""
        outcome = Outcome()
        customers = self._customers([job for job in jobs if not job.customer_id], outcome)
        linked = [job for job in jobs if job.customer_id]
        for job in jobs:
            if not job.customer_id:
                remote_id = customers[job.values["partner"]["id"]]
                outcome.results[job.key] = (
                    remote_id if isinstance(remote_id, SyncError) else Result(remote_id=remote_id)
                )
        for start in range(0, len(linked), const.XERO_BATCH_SIZE):
            chunk = linked[start : start + const.XERO_BATCH_SIZE]
            contacts = [self._contact(job.values["partner"], job.customer_id) for job in chunk]
            try:
                # By ContactID, an update applied twice changes nothing: no idempotency key
                # (one would replay an older answer when an edit is undone later).
                answer = self._call(
                    "update_or_create_contacts", Contacts(contacts=contacts), summarize_errors=False
                )
            except SyncError as exc:
                outcome.results.update(dict.fromkeys([job.key for job in chunk], exc))
                continue
            for job, contact in zip(chunk, answer.contacts or []):
                if contact.has_validation_errors or contact.validation_errors:
                    outcome.results[job.key] = SyncError(
                        _("Xero contact: %s", self._contact_message(contact))
                    )
                else:
                    outcome.results[job.key] = Result(remote_id=contact.contact_id)
        return outcome

    # ------------------------------------------------------------------ match screen
    def list_remote(self, kind):
        """[{"id", "name", "email", "code"}] of the active contacts (paged) or items."""
        if kind != "customer":
            items = self._call("get_items").items or []
            return [
                {"id": i.item_id, "name": i.name or "", "email": "", "code": i.code or ""}
                for i in items
            ]
        found = []
        for page in range(1, const.MATCH_MAX_PAGES + 1):
            contacts = (
                self._call("get_contacts", page=page, page_size=const.MATCH_PAGE_SIZE).contacts
                or []
            )
            found += contacts
            if len(contacts) < const.MATCH_PAGE_SIZE:
                break
        return [
            {
                "id": c.contact_id,
                "name": c.name or "",
                "email": c.email_address or "",
                "code": c.account_number or "",
            }
            for c in found
        ]
