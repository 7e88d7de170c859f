"""What Xero's documents refer to: account codes, tax types and contacts."""

from xero_python.accounting import Contact, Contacts
from xero_python.api_client.serializer import serialize

from ... import const
from ...exceptions import SyncError
from ..i18n import _
from .client import element_errors, enum_value, quote


class XeroMappingMixin:
    """Account codes and tax types (read once per adapter), checked before a document is
    sent; contacts found by account number, else created."""

    # ------------------------------------------------------------------ accounts and taxes
    def _accounts(self):
        if "accounts" not in self._cache:
            accounts = self._call("get_accounts").accounts or []
            self._cache["accounts"] = {a.code: a for a in accounts if a.code}
        return self._cache["accounts"]

    def _tax_types(self):
        if "tax_types" not in self._cache:
            rates = self._call("get_tax_rates").tax_rates or []
            self._cache["tax_types"] = {r.tax_type: r for r in rates}
        return self._cache["tax_types"]

    def _check_document(self, doc):
        """Refuse a document before sending it when a code does not exist in Xero."""
        accounts, taxes = self._accounts(), self._tax_types()
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

    # ------------------------------------------------------------------ contacts
    def _find_customers(self, partners):
        """{partner id: contact id} of the contacts whose AccountNumber equals the partner's
        billing account exactly (never creates one)."""
        result = {}
        for pid, p in partners.items():
            if not p["billing_account"]:
                continue
            where = f"AccountNumber=={quote(p['billing_account'])}"
            found = self._call("get_contacts", where=where).contacts or []
            exact = [c for c in found if c.account_number == p["billing_account"]]
            if exact:
                result[pid] = exact[0].contact_id
        return result

    def _find_or_create_customers(self, todo, jobs):
        """The contact whose AccountNumber equals the billing account exactly, else a new
        contact (one PUT for all)."""
        result = self._find_customers(todo)
        todo = {pid: p for pid, p in todo.items() if pid not in result}
        if not todo:
            return result
        order = list(todo)
        contacts = [
            Contact(
                name=todo[pid]["name"][:255],
                account_number=todo[pid]["billing_account"] or None,
                email_address=todo[pid]["email"] or None,
            )
            for pid in order
        ]
        # The key covers everything sent (a corrected e-mail is a new request), and the
        # generation of the documents that need these contacts (sent anew: a new key).
        generation = max(
            (job.generation for job in jobs if job.values["partner"]["id"] in todo), default=0
        )
        answer = self._call(
            "create_contacts",
            Contacts(contacts=contacts),
            summarize_errors=False,
            idempotency_key=self.request_key(
                None, "contacts", [[serialize(c) for c in contacts], generation], 64
            ),
        )
        for pid, contact in zip(order, answer.contacts or []):
            if contact.has_validation_errors or contact.validation_errors:
                result[pid] = SyncError(_("Xero contact: %s", self._contact_message(contact)))
            else:
                result[pid] = contact.contact_id
        return result

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
