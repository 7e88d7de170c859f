"""Constants of the QuickBooks Online and Xero connectors (one place for every magic value).

"qxs", in the names of the addons' models (qxs.connection, qxs.sync.record, qxs.binding...),
fields and methods, stands for QuickBooks/Xero sync.
"""

PROVIDERS = [("qbo", "QuickBooks Online"), ("xero", "Xero")]
ENVIRONMENTS = [
    ("production", "Production"),
    ("sandbox", "Sandbox"),
    ("custom", "Custom base URL"),
]

# --- QuickBooks Online (developer.intuit.com) -----------------------------------
QBO_SCOPES = ["com.intuit.quickbooks.accounting"]
QBO_API_URLS = {
    "production": "https://quickbooks.api.intuit.com/v3",
    "sandbox": "https://sandbox-quickbooks.api.intuit.com/v3",
}
QBO_APP_URLS = {
    "production": "https://app.qbo.intuit.com/app",
    "sandbox": "https://app.sandbox.qbo.intuit.com/app",
}
QBO_DISCOVERY_PATH = "/.well-known/openid-configuration"
QBO_MINOR_VERSION = 75
QBO_BATCH_SIZE = 30  # BatchItemRequest items per request
QBO_NAME_MAX = 100  # Item Name
QBO_DOCNUMBER_MAX = 21
QBO_FORBIDDEN_NAME_CHARS = (":", "\\")
QBO_THROTTLE_WAIT = 60  # seconds to wait after a 429 that carries no Retry-After
# Calls per second per realm (and in flight at once), paced in the client (adapters/qbo/pacing.py)
QBO_REQUESTS_PER_SECOND = 10
QBO_CDC_MAX_DAYS = 30

# --- Xero (developer.xero.com) ---------------------------------------------------
XERO_SCOPES_LEGACY = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.settings",
    "accounting.contacts",
]
XERO_SCOPES_GRANULAR = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.manualjournals",
    "accounting.settings",
    "accounting.contacts",
]
XERO_SCOPE_SETS = [
    ("granular", "Granular scopes (apps from March 2026)"),
    ("legacy", "Legacy scopes"),
]
XERO_URLS = {
    "authorize": "https://login.xero.com/identity/connect/authorize",
    "token": "https://identity.xero.com/connect/token",
    "revoke": "https://identity.xero.com/connect/revocation",
    "connections": "https://api.xero.com",
    "api": "https://api.xero.com/api.xro/2.0",
}
# With a custom base URL (the local emulator), every endpoint lives under that base.
XERO_CUSTOM_PATHS = {
    "authorize": "/identity/connect/authorize",
    "token": "/connect/token",
    "revoke": "/connect/revocation",
    "connections": "",
    "api": "/api.xro/2.0",
}
XERO_APP_INVOICE_URL = "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=%s"
XERO_APP_CREDIT_NOTE_URL = (
    "https://go.xero.com/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=%s"
)
XERO_BATCH_SIZE = 50
XERO_PAGE_SIZE = 100
XERO_REVENUE_TYPES = ("REVENUE", "SALES", "OTHERINCOME")

# --- the account types a default revenue account must have, per provider --------------------
INCOME_ACCOUNT_TYPES = {"qbo": ("Income",), "xero": XERO_REVENUE_TYPES}

# --- OAuth ------------------------------------------------------------------------------------
OAUTH_STATE_MINUTES = 15  # an authorisation answer is accepted this long after Connect, once

# --- engine ------------------------------------------------------------------------------------
HTTP_TIMEOUT = 60  # seconds, for every provider call (a number: Odoo's test harness compares it)
TOKEN_REFRESH_MARGIN = 300  # refresh an access token this many seconds before it expires
CRON_BATCH_LIMIT = 200  # sync records taken per cron run (the cron re-triggers itself)
RETRY_DELAYS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600]  # back-off, seconds, per attempt
MAX_TRANSIENT_ATTEMPTS = 10  # after that a transient failure becomes an error for the user
# A document paid in full remotely whose Odoo residual is at most this (tax rounding: QuickBooks
# computes US sales tax on the total, Odoo per line by default) is closed in full in Odoo.
PAID_ROUNDING_TOLERANCE = 0.05

SYNC_STATES = [
    ("pending", "Pending"),
    ("synced", "Synced"),
    ("error", "Error"),
    ("skipped", "Skipped"),
    ("remote_deleted", "Deleted remotely"),
]
SYNC_ACTIONS = [("push", "Send"), ("void", "Void"), ("pull", "Read status")]
SYNC_PURPOSES = [
    ("document", "Invoice / credit note"),
    ("payment", "Payment / credit applied"),
]
# --- payments (the journal entry of a payment, of a bank statement line, or a credit note
# applied to invoices) ----------------------------------------------------------------------------
# Kinds of payment units: cash received, a credit note applied to invoices, cash paid back.
PAYMENT_KINDS = ("payment", "credit", "refund")
# Kinds whose cash the provider lists on the document (payments on invoices, refunds on credit
# notes): sent from Odoo, never registered back (no echo).
CASH_PAYMENT_KINDS = ("payment", "refund")
# Providers where a refund takes its amount off the credit note (QuickBooks: a Refund Receipt
# apart, the Credit Memo keeps what was not refunded); Xero pays the refund on the credit note.
REFUND_REDUCES_CREDIT = ("qbo",)
# Providers that may apply a customer's pending credits to an invoice on their own (QuickBooks'
# "Automatically apply credits"): such credit is shown on the way back, never imported.
AUTO_APPLY_CREDIT_PROVIDERS = ("qbo",)
PAYMENT_WAIT_SECONDS = 60  # a payment whose documents are not sent yet is tried again after this
QBO_PAYMENT_REF_MAX = 21  # Payment.PaymentRefNum
QBO_UNDEPOSITED_FUNDS = "Undeposited Funds"
XERO_REMOTE_ID_SEP = ","  # a payment paying several invoices is one Xero Payment per invoice
# The account types a journal's deposit account may have, per provider (the picker).
DEPOSIT_ACCOUNT_TYPES = {
    "qbo": ("Bank", "Other Current Asset"),
    "xero": ("BANK", "CURRENT", "CURRLIAB"),
}
QBO_TAX_STYLES = [
    ("us", "US sales tax (lines TAX/NON, one tax code per document)"),
    ("global", "GST / VAT (a tax code per line)"),
]
REMOTE_STATUSES = [
    ("open", "Open"),
    ("partial", "Partially paid"),
    ("paid", "Paid"),
    ("voided", "Voided"),
    ("deleted", "Deleted"),
]
CHANNEL_SYNC_TYPES = [("individual", "Individual"), ("none", "No sync")]

# --- Document options --------------------------------------------------------------------------
# Where a document's QuickBooks class / location or a Xero tracking option comes from (the
# connection's "Documents" page, qxs.document.options).
DOCUMENT_VALUE_SOURCES = [
    ("none", "None"),
    ("team", "Sales team"),
    ("warehouse", "Warehouse"),
    ("analytic", "Analytic account"),
]
XERO_TRACKING_MAX = 2  # tracking categories per line (Xero's LineItem.Tracking)
QBO_CUSTOMER_MEMO_MAX = 1000  # Invoice.CustomerMemo ("Message on invoice")
# QuickBooks' AccountingInfoPrefs: where a class goes ("line", "document"; None: not tracked)
QBO_CLASS_TRACKING = {"ClassTrackingPerTxnLine": "line", "ClassTrackingPerTxn": "document"}
# The QuickBooks term of Odoo's standard payment terms (xml id: term name), set at install
# where empty: QuickBooks companies start with these terms.
QBO_DEFAULT_TERM_NAMES = {
    "account.account_payment_term_immediate": "Due on receipt",
    "account.account_payment_term_15days": "Net 15",
    "account.account_payment_term_30days": "Net 30",
}
DEFAULT_TERM_NAMES_PARAM = "qbo_xero_sync.default_term_names_set"  # done once per database

# --- Mapping wizard -----------------------------------------------------------------------------
# Kinds of the provider's reference data mirrored per connection (qxs.remote.record).
REMOTE_RECORD_KINDS = [
    ("account", "Account"),
    ("tax", "Tax code / rate"),
    ("term", "Payment term"),
    ("class", "Class"),
    ("location", "Location (department)"),
    ("tracking", "Tracking option"),
    ("currency", "Currency"),
]
# The account types a revenue code may have (QuickBooks: the Income account an item is created
# under; Xero: the revenue account of the line).
REVENUE_ACCOUNT_TYPES = {"qbo": ("Income", "Other Income"), "xero": XERO_REVENUE_TYPES}
# A bank or cash journal's deposit account in the wizard: bank-type accounts only.
BANK_ACCOUNT_TYPES = {"qbo": ("Bank",), "xero": ("BANK",)}
# Odoo account types of the accounts whose revenue code the wizard maps.
ODOO_INCOME_ACCOUNT_TYPES = ("income", "income_other")
MAPPING_STEPS = [
    ("default", "Default revenue account"),
    ("revenue", "Revenue"),
    ("tax", "Sale taxes"),
    ("term", "Payment terms"),
    ("journal", "Bank journals"),
]
MAPPING_MIN_SCORE = 40  # a remote record scoring less is not proposed
MAPPING_SCORE_SAME_NAME = 95  # the same name, another (or no) code; the same code scores 100
MAPPING_SCORE_SIMILAR_MAX = 90  # similar names score at most this
MAPPING_RATE_TOLERANCE = 0.0001  # percent
QBO_REFERENCE_MAX = 1000  # rows per query of the reference data
QBO_US_PSEUDO_TAX_CODES = ("TAX", "NON")  # line codes of US sales tax, not of GST / VAT

# --- Customers and items ----------------------------------------------------------------------
# When a connection creates remote customers: with the first document sent (the default), as
# soon as the customer is created in Odoo, or never (match only: an unmatched customer is an
# error on the document, to link on the match screen).
CUSTOMER_POLICIES = [
    ("on_document", "With the first document sent"),
    ("on_create", "When the customer is created in Odoo"),
    ("never", "Never (match only)"),
]
# The queue's purpose of a customer's own record (created, or its edits sent).
CUSTOMER_SYNC_PURPOSES = [("customer", "Customer")]
# The partner fields whose edits are sent to a linked remote customer.
CUSTOMER_SYNC_FIELDS = ("name", "email", "street", "street2", "city", "zip", "country_id")
# QuickBooks names are unique on their first 100 characters: a name is cut there and, when a
# different customer has it already, ends with a suffix " (2)", " (3)"... within the limit.
QBO_CUSTOMER_NAME_MAX = 100
QBO_NAME_SUFFIXES = 9  # the suffixes tried before the name is refused
QBO_NAME_REPLACEMENT = "-"  # what ':' and '\' become in a QuickBooks name
QBO_DUPLICATE_NAME = 6240  # "Duplicate Name Exists": also a vendor's or an employee's name
# Match screen: what it reads from the provider per page, and the default threshold (percent).
MATCH_PAGE_SIZE = 100
MATCH_MAX_PAGES = 50
MATCH_DEFAULT_THRESHOLD = 90
MATCH_KINDS = [("customer", "Customers"), ("item", "Items")]

# --- Trial mode and dry run ---------------------------------------------------------------------
# While a connection is in trial mode, the send cron holds its records of these actions (writes
# to the provider); reads ("pull") go on.
TRIAL_HELD_ACTIONS = ("push", "void")
# What the dry run says of each document.
DRY_RUN_VERDICTS = [
    ("create", "Would create"),
    ("update", "Would update"),
    ("void", "Would void"),
    ("nothing", "Already linked, nothing to do"),
    ("fail", "Would fail"),
]
DRY_RUN_SCOPES = [
    ("pending", "Pending documents of the connection"),
    ("dates", "Documents of a date range"),
]
# --- Dashboard, schedule and change of organisation (issue 15) -------------------------------
# How many error reasons a connection's dashboard card lists (the most frequent first).
DASHBOARD_TOP_ERRORS = 5
# The sync record states the dashboard counts, each with its card label.
DASHBOARD_STATES = ("pending", "synced", "error", "skipped", "remote_deleted")
# The choices offered when a connection is authorised for another organisation than the one
# its documents were sent to.
ORG_CHANGE_CHOICES = [
    ("new_connection", "New connection (the current one is archived with its links)"),
    ("relink", "Re-link by number (move this connection to the new organisation)"),
]
# --- Historical export (qxs.export.run) ---------------------------------------------------------
# Documents posted before the connection are sent on request, in chunks, through the queue.
EXPORT_CHUNK_SIZE = 200  # documents (and payments) queued per chunk
# The next chunk is queued only while fewer records of the run than this wait in the queue.
EXPORT_PENDING_THRESHOLD = 100
EXPORT_STATES = [
    ("running", "Running"),
    ("paused", "Paused"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]
# --- Alerts and the sync history (qxs.sync.log) -------------------------------------------------
SYNC_LOG_EXCERPT_MAX = 1000  # characters of an answer kept in a log row
SYNC_LOG_ENDPOINT_MAX = 500  # characters of an endpoint (path and query) kept
SYNC_LOG_RETENTION_DAYS = 30  # default of a connection's log retention
SYNC_LOG_STATES = [("ok", "Success"), ("error", "Failed")]
# Daily summary (issue 16)
# A sales channel's invoices and credit notes: each sent, none sent, or one summary invoice and
# one summary credit note per channel and day (the COGS addon keeps CHANNEL_SYNC_TYPES).
INVOICE_SYNC_TYPES = CHANNEL_SYNC_TYPES + [("summary", "Daily summary")]
SUMMARY_PURPOSES = [("summary", "Daily summary"), ("summary_deposit", "Daily summary deposit")]
SUMMARY_KINDS = [("invoice", "Invoice"), ("credit_note", "Credit note")]
# The number of a summary: prefix + channel id + "-" + YYYYMMDD (+ "-" + currency when not the
# company's), at most QBO_DOCNUMBER_MAX characters.
SUMMARY_NUMBER_PREFIXES = {"invoice": "DS", "credit_note": "DC"}
SUMMARY_MEMO_MAX = 1000
# What becomes of the payments of the documents a summary carries: kept in Odoo, or the cash
# received for a day's invoices as one payment (a deposit) of the day's summary invoice.
SUMMARY_PAYMENT_MODES = [("keep", "Keep in Odoo"), ("deposit", "One deposit per day")]
SUMMARY_DEPOSIT_PREFIX = "DP"  # the deposit's number: the summary's, with this prefix
SUMMARY_WIZARD_ACTIONS = [("export", "Re-export"), ("void", "Void")]

# Bulk calls (issue 16)
XERO_POLL_PAGE_SIZE = 1000  # Invoices / CreditNotes per page of a poll (Xero's largest)
# Customers found or created ahead of a cron run's documents: the partners of at most this
# many pending documents of the connection (new customers then go in full batches).
BULK_CUSTOMER_DOCUMENTS = 1000

# Throughput (issue 16)
QBO_BATCHES_PER_MINUTE = 40  # QuickBooks' batch requests per minute per company
QBO_REQUESTS_PER_MINUTE = 500  # QuickBooks' requests per minute per company
# Added to a wait computed from this process's own calls: QuickBooks counts a call when it
# receives it (after we noted it), and a record's next attempt is stored to the second.
QBO_WINDOW_MARGIN = 1.5
# A send cron run stops taking groups after this many seconds and triggers itself again: a run
# of CRON_BATCH_LIMIT records on a loaded machine (the cron worker is niced) may otherwise pass
# Odoo's limit_time_real (120 s by default) and be killed, its current group rolled back.
CRON_RUN_SECONDS = 45
XERO_CALLS_PER_MINUTE = 60  # Xero's calls per rolling minute per organisation
XERO_WINDOW_MARGIN = 1.5  # seconds added to a wait computed from this process's own calls

# Steady flow (issue 16, goal 5): the share of a provider's minute budget that groups not full
# may take, evenly spaced (adapters' ``group_spacing``); the rest is left for polls and reads.
STEADY_FLOW_SHARE = 0.9
# ... and the share of the minute limit a group that is not full may fill the provider's rolling
# minute window up to (this process's calls): room is kept for other processes' calls (a user's
# reload, another cron worker, the poll) that this process does not see.
STEADY_FLOW_WINDOW_SHARE = 0.95
# A group waiting to fill may wait this long past the run's CRON_RUN_SECONDS (the run then ends
# and triggers itself); a longer wait holds its connection as a rate limit does.
STEADY_FLOW_GRACE_SECONDS = 15
# QuickBooks: a "batch" of at most this many items goes as plain requests, one per item (500
# requests a minute against 40 batch requests: a batch of one or two spends the scarcer budget).
QBO_PLAIN_ITEMS = 2
# Status poll (poll): QuickBooks' change data capture goes in one batch request, one CDCQuery
# item per entity; each item is a CDC operation of its own, whose answer holds at most this
# many objects, cut silently (Intuit's CDC page: "a maximum of 1,000 objects").
QBO_CDC_MAX_OBJECTS = 1000
