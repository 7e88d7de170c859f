"""The one list of what the real APIs send or accept beyond their official schemas.

Each entry names its provider, the direction it applies to ("request": what the API accepts,
"answer": what it sends), what it widens and its source. ``check.py`` applies them when it
loads a cache; the caches stay the plain conversion of the official source. Keep this list
short: a difference between the emulators or the adapters and the schema is fixed there, not
here. Kinds of widening:

* ``at`` (JSON pointers into the cache) with ``allow_properties`` (extra keys and their
  schema), ``open`` (any extra key) or ``not_required`` (a required key the API does not need);
* ``widen``: {property: extra schema}, accepted besides the declared one wherever that
  property is declared (each item of a repeated element).
"""

MS_DATE = {"type": "string", "pattern": r"^/Date\(-?[0-9]+([+-][0-9]{4})?\)/$"}

# The Xero components that answer a list of one kind (the envelopes) and the kinds written.
XERO_ENVELOPES = (
    "Accounts",
    "Allocations",
    "Contacts",
    "CreditNotes",
    "Currencies",
    "Invoices",
    "Items",
    "ManualJournals",
    "Organisations",
    "Payments",
    "TaxRates",
    "TrackingCategories",
)
XERO_WRITTEN = ("Allocation", "Contact", "CreditNote", "Item", "ManualJournal", "Payment")

EXCEPTIONS = [
    {
        "provider": "xero",
        "direction": "answer",
        "at": [f"/$defs/{name}" for name in XERO_ENVELOPES],
        "allow_properties": {
            "Id": {"type": "string"},
            "Status": {"type": "string"},
            "ProviderName": {"type": "string"},
            "DateTimeUTC": MS_DATE,
        },
        "source": "Every Xero answer envelope carries Id, Status, ProviderName and DateTimeUTC, "
        "which the envelopes' schemas do not declare: the answer examples of "
        "xero_accounting.yaml itself (e.g. createInvoices, getContacts, HistoryRecordCreated).",
    },
    {
        "provider": "xero",
        "direction": "answer",
        "at": [f"/$defs/{name}" for name in XERO_WRITTEN],
        "allow_properties": {"HasErrors": {"type": "boolean"}},
        "source": "Objects in the answer to a PUT/POST carry HasErrors (declared for Invoice "
        "only): xero_accounting.yaml's answer examples of createContacts, createPayment, "
        "createManualJournals, createCreditNoteAllocation.",
    },
    {
        "provider": "xero",
        "direction": "answer",
        "at": ["/$defs/Invoice", "/$defs/CreditNote", "/$defs/Payment"],
        "allow_properties": {
            "DateString": {"type": "string"},
            "DueDateString": {"type": "string"},
        },
        "source": "Documents and payments are answered with DateString (and invoices with "
        "DueDateString), ISO copies of the /Date()/ fields: xero_accounting.yaml's answer "
        "examples of getInvoices, createCreditNotes, getPayments (70 occurrences).",
    },
    {
        "provider": "xero",
        "direction": "answer",
        "at": ["/$defs/Element"],
        "open": True,
        "source": "A validation error (ErrorNumber 10) lists in Elements each object sent, "
        "echoed whole with its ValidationErrors; the Element schema declares only ids: "
        "xero_accounting.yaml's 400 examples of createAccount and createContacts.",
    },
    {
        "provider": "qbo",
        "direction": "request",
        "widen": {
            "SyncToken": {"type": "integer", "minimum": 0},
            "TxnLineId": {"type": "integer", "minimum": 0},
            "LineNum": {"const": 0},
            "TotalAmt": {"const": ""},
            "ApplyTaxAfterDiscount": {"const": ""},
        },
        "source": "python-quickbooks 0.9 sends its defaults on every write and QuickBooks "
        "accepts them: SyncToken 0 and TxnLineId 0 as numbers (quickbooks/objects/base.py), "
        'LineNum 0 (objects/detailline.py), TotalAmt "" (objects/invoice.py), '
        'ApplyTaxAfterDiscount "" (objects/creditmemo.py); json_filter drops only None.',
    },
]

# Answers outside the XSD: QuickBooks' 401 and 403 come from Intuit's OAuth gateway, in a
# lowercase shape ({"fault": {"error": [{"message", "detail", "code"}], "type"}}) that the XSD
# of the data service does not describe (developer.intuit.com, "Authorization faults" in the
# error codes page; python-quickbooks' AuthorizationException reads that shape).
UNCHECKED_ANSWER_STATUSES = {"qbo": ("401", "403"), "xero": ()}
