"""Strict local emulator of the QuickBooks Online Accounting API v3 and Intuit OAuth 2.0.

It serves the OpenID discovery document, the authorize / token / revoke endpoints and the
``/v3/company/{realm}/...`` API (entities, query, batch, cdc) for one US (or other) company,
with the real fault shapes and codes, SyncToken checks, ``requestid`` replay, per-second,
per-minute and concurrency throttling, webhooks signed like Intuit's, and user-side actions (pay,
void, delete) as a QuickBooks user would make them.  Rules and their sources: ``QBO_RULES.md``
next to this file.
"""

import base64
import copy
import json
import re
import secrets
import threading
from collections import deque
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import parse_qs, urlencode

from ..contracts.check import qbo_contract
from .base import Emulator, Response

TZ = timezone(timedelta(hours=-8))  # QBO answers in the company's (Pacific) time ⚠ fixed offset
CENT = Decimal("0.01")
SCOPE = "com.intuit.quickbooks.accounting"

PARTIES = ("Customer", "Vendor", "Employee")  # DisplayName unique across these three
NAMED = ("Term", "Class", "Department", "PaymentMethod")
SALES = ("Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt")
TRANSACTIONS = SALES + ("Payment", "JournalEntry")
READ_ONLY = ("TaxCode", "TaxRate", "CompanyInfo")
KINDS = PARTIES + NAMED + TRANSACTIONS + READ_ONLY + ("Item", "Account")
BY_LOWER = {k.lower(): k for k in KINDS}
ACCOUNT_TYPES = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")
THROTTLE_XML = (
    '<?xml version="1.0"?><IntuitResponse><Fault type="ServiceFault">'
    '<Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
    "statusCode=429</Message><Detail>The request limit was reached.</Detail></Error>"
    "</Fault></IntuitResponse>"
)


# Element names of each entity in Intuit's XML Schema of the v3 data model (Finance.xsd,
# IntuitBaseTypes.xsd of intuit/QuickBooks-V3-Java-SDK): {type: (base type, own elements)}.
# A query may only name these (the first segment of a dotted name; ``MetaData.x`` is checked
# against ModificationMetaData).  Whether a field is also *filterable* is not checked ⚠.
_XSD_FIELDS = {
    "IntuitEntity": (None, "Id SyncToken MetaData CustomField AttachableRef"),
    "NameBase": (
        "IntuitEntity",
        "IntuitId Organization Title GivenName MiddleName FamilyName Suffix FullyQualifiedName "
        "CompanyName DisplayName PrintOnCheckName UserId Active V4IDPseudonym PrimaryPhone "
        "AlternatePhone Mobile Fax PrimaryEmailAddr WebAddr OtherContactInfo DefaultTaxCodeRef",
    ),
    "Transaction": (
        "IntuitEntity",
        "DocNumber TxnDate DepartmentRef CurrencyRef ExchangeRate PrivateNote TxnStatus "
        "LinkedTxn Line TxnTaxDetail TxnSource TaxFormType TaxFormNum TransactionLocationType "
        "Tag TxnApprovalInfo RecurDataRef RecurringInfo ProjectRef TotalCostAmount "
        "HomeTotalCostAmount",
    ),
    "SalesTransaction": (
        "Transaction",
        "AutoDocNumber CustomerRef CustomerMemo BillAddr ShipAddr FreeFormAddress ShipFromAddr "
        "RemitToRef ClassRef SalesTermRef DueDate SalesRepRef PONumber FOB ShipMethodRef "
        "ShipDate TrackingNum GlobalTaxCalculation TotalAmt HomeTotalAmt ApplyTaxAfterDiscount "
        "ShippingTaxIncludedInTotalTax TemplateRef PrintStatus EmailStatus BillEmail "
        "BillEmailCc BillEmailBcc ARAccountRef Balance HomeBalance FinanceCharge "
        "PaymentMethodRef PaymentRefNum PaymentType CheckPayment CreditCardPayment "
        "DepositToAccountRef DeliveryInfo DiscountRate DiscountAmt GovtTxnRefIdentifier "
        "TaxExemptionRef",
    ),
    "Customer": (
        "NameBase",
        "Taxable BillAddr ShipAddr OtherAddr ContactName AltContactName Notes Job "
        "BillWithParent RootCustomerRef ParentRef Level CustomerTypeRef SalesTermRef "
        "SalesRepRef TaxGroupCodeRef TaxRateRef PaymentMethodRef CCDetail PriceLevelRef Balance "
        "OpenBalanceDate BalanceWithJobs CreditLimit AcctNum CurrencyRef OverDueBalance "
        "TotalRevenue TotalExpense PreferredDeliveryMethod ResaleNum JobInfo TDSEnabled "
        "CustomerEx SecondaryTaxIdentifier ARAccountRef PrimaryTaxIdentifier "
        "TaxExemptionReasonId IsProject BusinessNumber GSTIN GSTRegistrationType "
        "IsCISContractor ClientCompanyId ClientEntityId Source TaxRegime",
    ),
    "Vendor": (
        "NameBase",
        "ContactName AltContactName Notes BillAddr ShipAddr OtherAddr TaxCountry TaxIdentifier "
        "TaxIdEffectiveDate BusinessNumber ParentRef VendorTypeRef TermRef PrefillAccountRef "
        "Balance BillRate OpenBalanceDate CreditLimit AcctNum Vendor1099 T4AEligible "
        "T5018Eligible CurrencyRef TDSEnabled TDSEntityTypeId TDSSectionTypeId "
        "TDSOverrideThreshold TaxReportingBasis APAccountRef VendorEx GSTIN GSTRegistrationType "
        "IsSubContractor SubcontractorType CISRate HasTPAR VendorPaymentBankDetail Source "
        "CostRate",
    ),
    "Employee": (
        "NameBase",
        "EmployeeType EmployeeNumber SSN PrimaryAddr OtherAddr BillableTime BillRate BirthDate "
        "Gender HiredDate ReleasedDate UseTimeEntry EmployeeEx CostRate Notes",
    ),
    "Term": (
        "IntuitEntity",
        "Name Active Type DiscountPercent DueDays DiscountDays DayOfMonthDue DueNextMonthDays "
        "DiscountDayOfMonth SalesTermEx",
    ),
    "Class": ("IntuitEntity", "Name SubClass ParentRef FullyQualifiedName Active ClassEx"),
    "Department": (
        "IntuitEntity",
        "Name SubDepartment ParentRef FullyQualifiedName Active DepartmentEx Address",
    ),
    "PaymentMethod": ("IntuitEntity", "Name Active Type PaymentMethodEx"),
    "Invoice": (
        "SalesTransaction",
        "Deposit AllowIPNPayment AllowOnlinePayment AllowOnlineCreditCardPayment "
        "AllowOnlineACHPayment AllowOnlinePayPalPayment EInvoiceStatus ECloudStatusTimeStamp "
        "CfdiUse Exportation GlobalInfo invoiceStatus callToAction invoiceStatusLog InvoiceEx "
        "LessCIS InvoiceLink PaymentDetailsMessage ConvenienceFeeDetail InvoiceLinkSecurityCode "
        "InvoiceLinkExpiryDate AutoPayEligible SchedulePayEligible ScheduledPaymentId "
        "GratuityEnabled FinancingProductType SubscriptionPaymentsSetting",
    ),
    "CreditMemo": ("SalesTransaction", "RemainingCredit InvoiceRef CreditMemoEx"),
    "SalesReceipt": ("SalesTransaction", "SalesReceiptEx LessCIS"),
    "RefundReceipt": ("SalesTransaction", "RemainingCredit RefundReceiptEx"),
    "Payment": (
        "Transaction",
        "CustomerRef RemitToRef ARAccountRef DepositToAccountRef PaymentMethodRef PaymentRefNum "
        "PaymentType CheckPayment CreditCardPayment TotalAmt UnappliedAmt ProcessPayment "
        "PaymentEx",
    ),
    "JournalEntry": (
        "Transaction",
        "Adjustment HomeCurrencyAdjustment EnteredInHomeCurrency GlobalTaxCalculation TotalAmt "
        "HomeTotalAmt JournalEntryEx",
    ),
    "TaxCode": (
        "IntuitEntity",
        "Name Description Active Hidden Taxable TaxGroup SalesTaxRateList PurchaseTaxRateList "
        "AdjustmentTaxRateList TaxCodeEx TaxCodeConfigType",
    ),
    "TaxRate": (
        "IntuitEntity",
        "Name Description Active RateValue AgencyRef TaxReturnLineRef EffectiveTaxRate "
        "SpecialTaxType DisplayType TaxRateEx OriginalTaxRate",
    ),
    "CompanyInfo": (
        "IntuitEntity",
        "CompanyName LegalName CompanyAddr CustomerCommunicationAddr LegalAddr CompanyEmailAddr "
        "CustomerCommunicationEmailAddr CompanyURL PrimaryPhone OtherContactInfo "
        "CompanyFileName FlavorStratum SampleFile CompanyUserId CompanyUserAdminEmail "
        "CompanyStartDate EmployerId FiscalYearStartMonth TaxYearStartMonth QBVersion Country "
        "ShipAddr OtherAddr Mobile Fax Email WebAddr LastImportedTime LastSyncTime "
        "SupportedLanguages DefaultTimeZone MultiByteCharsSupported NameValue "
        "FifoCalculationStatus CompanyInfoEx",
    ),
    "Item": (
        "IntuitEntity",
        "Name Sku Description Active SubItem ParentRef Level FullyQualifiedName Taxable "
        "SalesTaxIncluded PercentBased UnitPrice RatePercent Type PaymentMethodRef UOMSetRef "
        "IncomeAccountRef PurchaseDesc PurchaseTaxIncluded PurchaseCost ExpenseAccountRef "
        "COGSAccountRef AssetAccountRef PrefVendorRef AvgCost TrackQtyOnHand QtyOnHand "
        "QtyOnPurchaseOrder QtyOnSalesOrder ReorderPoint ManPartNum DepositToAccountRef "
        "SalesTaxCodeRef PurchaseTaxCodeRef InvStartDate BuildPoint PrintGroupedItems "
        "SpecialItem SpecialItemType ItemGroupDetail ItemAssemblyDetail AbatementRate "
        "ReverseChargeRate ServiceType ItemCategoryType ItemEx TaxClassificationRef "
        "UQCDisplayText UQCId ClassRef Source DeferredRevenue",
    ),
    "Account": (
        "IntuitEntity",
        "Name SubAccount ParentRef Description FullyQualifiedName AccountAlias TxnLocationType "
        "Active Classification AccountType AccountSubType AccountPurposes AcctNum AcctNumExtn "
        "BankNum OpeningBalance OpeningBalanceDate CurrentBalance CurrentBalanceWithSubAccounts "
        "CurrencyRef TaxAccount TaxCodeRef OnlineBankingEnabled FIName JournalCodeRef AccountEx",
    ),
}
MODIFICATION_METADATA = (
    "CreatedByRef",
    "CreateTime",
    "LastModifiedByRef",
    "LastUpdatedTime",
    "LastChangedInQB",
    "Synchronized",
)


def _queryable(kind):
    """{lower-case name: name} of the elements of an entity type and of its base types."""
    names = {}
    while kind:
        base, own = _XSD_FIELDS[kind]
        names.update({n.lower(): n for n in own.split()})
        kind = base
    return names


QUERYABLE = {kind: _queryable(kind) for kind in KINDS}


class QboFault(Exception):
    """One API error: becomes ``{"Fault":{"Error":[...],"type":"ValidationFault"}}``."""

    def __init__(self, code, message, detail="", element=""):
        super().__init__(f"{code} {message}: {detail}")
        self.error = {"Message": message, "Detail": detail, "code": str(code), "element": element}


def _missing(name):
    return QboFault(
        2020,
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        name,
    )


def _business(detail, element=""):
    return QboFault(
        6000,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def _bad_ref(kind, value, element):
    return QboFault(
        2500,
        "Invalid Reference Id",
        f"Invalid Reference Id : {kind} assigned is not found: {value}",
        element,
    )


def _unsupported(detail):
    return QboFault(500, "Unsupported Operation", detail)


def _invalid(detail, element=""):
    return QboFault(2010, "Request has invalid or unsupported property", detail, element)


def _enum(value, element):
    return QboFault(2170, "Invalid Enumeration", f"Invalid Enumeration : {value}", element)


def _not_found(deleted=False):
    """610: an inactive name referenced, or (``deleted``) a transaction deleted by a user."""
    if deleted:
        return QboFault(
            610, "Object Not Found", "Object Not Found : Another user has deleted this transaction."
        )
    return QboFault(
        610,
        "Object Not Found",
        "Object Not Found : Something you're trying to use "
        "has been made inactive. Check the fields with accounts, customers, items, "
        "vendors or employees.",
    )


def _length(element, value, maximum):
    if len(value) > maximum:
        raise QboFault(
            2050,
            "String length is either shorter or longer than supported by " "specification",
            f"String length specified does not match the supported "
            f"length. Min:1 Max:{maximum} supported. Supplied length:{len(value)}",
            element,
        )


def _dec(value, element=""):
    """Decimal from what the SDK sends (number, numeric string); None when absent or ''."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _invalid(f"Invalid number {value!r}", element) from None


def _q(value):
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _money(value):
    return float(_q(value))


def _credit_applied(invoice, memo, amount):
    """How QuickBooks records a credit memo applied to an invoice: a Payment of TotalAmt 0 whose
    lines link both for the amount applied."""
    return {
        "CustomerRef": {"value": _ref(invoice["CustomerRef"])},
        "CurrencyRef": {"value": _ref(invoice["CurrencyRef"])},
        "TotalAmt": 0.0,
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": txn["Id"], "TxnType": kind}]}
            for kind, txn in (("Invoice", invoice), ("CreditMemo", memo))
        ],
    }


def _ref(value):
    """The id of a reference (``{"value": "58", "name": ...}``), or None."""
    return (
        str(value["value"])
        if isinstance(value, dict) and value.get("value") not in (None, "")
        else None
    )


def _clean(value):
    """Drop the None and '' values the SDK sends for every unset attribute."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _parse_dt(text):
    """Aware datetime from an ISO date or datetime (naive values are company time), or None."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), TZ)
        if not re.match(r"\d{4}-\d{2}-\d{2}T", text):
            return None
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=TZ)


def _date(obj, field):
    """Validate an optional YYYY-MM-DD field and return it as a date (or None)."""
    text = obj.get(field)
    if text is None:
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        raise _invalid(f"Invalid date {text!r}", field) from None


# ---------------------------------------------------------------------------------- query language
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op><=|>=|=|<|>)|(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))",
    re.S,
)


def _query_error(detail):
    return QboFault(4000, "Error parsing query", f"QueryParserError: {detail}")


def _tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _query_error(f"Encountered unexpected input at column {pos + 1}")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == "num":
            value = Decimal(value)
        out.append((kind, value))
        pos = m.end()
    return out


def parse_query(text):
    """Parse the QBO query language into a dict (raises QboFault 4000 on a syntax error)."""
    toks = _tokens(text)
    i = 0

    def peek(word=None):
        if i >= len(toks):
            return None if word else (None, None)
        if word:
            return toks[i][0] == "word" and toks[i][1].upper() == word
        return toks[i]

    def take(kind=None, word=None):
        nonlocal i
        if i >= len(toks):
            raise _query_error("Encountered end of query")
        tok = toks[i]
        if (kind and tok[0] != kind) or (
            word and not (tok[0] == "word" and tok[1].upper() == word)
        ):
            raise _query_error(
                f'Encountered "{tok[1]}" at token {i + 1}, expected ' f"{word or kind}"
            )
        i += 1
        return tok[1]

    def value():
        kind, text = peek()
        if kind in ("str", "num") or (kind == "word" and text.lower() in ("true", "false")):
            take()
            return text.lower() == "true" if kind == "word" else text
        raise _query_error(f'Encountered "{text}": expected a literal value')

    take(word="SELECT")
    query = {"count": False, "fields": None, "where": [], "order": [], "start": 1, "max": 100}
    if peek("COUNT"):
        take()
        if [take("punct") for _ in range(3)] != ["(", "*", ")"]:
            raise _query_error("expected COUNT(*)")
        query["count"] = True
    else:
        fields = [take()]
        while peek() == ("punct", ","):
            take("punct")
            fields.append(take("word"))
        if fields[0] != "*":
            query["fields"] = fields
    take(word="FROM")
    query["kind"] = take("word")
    if peek("WHERE"):
        take()
        while True:
            field = take("word")
            kind, op = peek()
            if kind == "op":
                take()
                query["where"].append((field, op, [value()]))
            elif peek("IN"):
                take()
                take("punct")
                values = [value()]
                while peek() == ("punct", ","):
                    take("punct")
                    values.append(value())
                if take("punct") != ")":
                    raise _query_error("expected ')' after IN list")
                query["where"].append((field, "IN", values))
            elif peek("LIKE"):
                take()
                query["where"].append((field, "LIKE", [take("str")]))
            else:
                raise _query_error(f'Encountered "{op}" after {field}: expected an operator')
            if not peek("AND"):
                break
            take()
    if peek("ORDERBY") or peek("ORDER"):
        if take("word").upper() == "ORDER":
            take(word="BY")
        while True:
            field, desc = take("word"), False
            if peek("DESC") or peek("ASC"):
                desc = take().upper() == "DESC"
            query["order"].append((field, desc))
            if peek() != ("punct", ","):
                break
            take("punct")
    for word, key in (("STARTPOSITION", "start"), ("MAXRESULTS", "max")):
        if peek(word):
            take()
            query[key] = int(take("num"))
    if i < len(toks):
        raise _query_error(
            f'Encountered "{toks[i][1]}" at token {i + 1} (OR, JOIN and '
            "other clauses are not supported)"
        )
    if not 1 <= query["max"] <= 1000:
        raise _query_error("MAXRESULTS must be between 1 and 1000")
    if query["start"] < 1:
        raise _query_error("STARTPOSITION must be 1 or more")
    return query


def _sort_key(value):
    if isinstance(value, bool):
        return (3, str(value).lower())
    if isinstance(value, int | float | Decimal):
        return (0, Decimal(str(value)))
    if isinstance(value, dict):
        value = _ref(value) or ""
    if isinstance(value, str):
        if re.fullmatch(r"-?\d+(\.\d+)?", value):
            return (0, Decimal(value))
        moment = _parse_dt(value)
        if moment:
            return (1, moment.timestamp())
        return (2, value.lower())
    return (4, "")


def _compare(a, b):
    ka, kb = _sort_key(a), _sort_key(b)
    if ka[0] != kb[0]:
        ka, kb = (2, str(a).lower()), (2, str(b).lower())
    return (ka[1] > kb[1]) - (ka[1] < kb[1])


def _field(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def _matches(obj, field, op, values):
    value = _field(obj, field)
    if value is None:
        return False
    if op == "LIKE":
        rx = "^" + ".*".join(re.escape(p) for p in values[0].split("%")) + "$"
        return re.match(rx, str(_ref(value) or value), re.I | re.S) is not None
    if op == "IN":
        return any(_compare(value, v) == 0 for v in values)
    c = _compare(value, values[0])
    return {"=": c == 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]


class QboEmulator(Emulator):
    """QuickBooks Online emulator; see the module docstring and QBO_RULES.md."""

    name = "qbo"
    default_config = {
        "client_id": "qbo-client-id",
        "client_secret": "qbo-client-secret",
        "realm_id": "9341453000000001",
        "access_token_ttl": 3600,
        "refresh_token_ttl": 8726400,
        "rate_limit_per_minute": 500,
        # Requests per sliding second per realm, as QuickBooks documents (QBO_RULES.md); None
        # turns it off, 0 refuses every call.
        "rate_limit_per_second": 10,
        "batch_rate_limit_per_minute": 40,
        "max_concurrent": 10,
        "throttle_body": "xml",
        "cdc_max_days": 30,
        "cdc_max_objects": 1000,
        # One Id sequence for every transaction kind (an invoice and a credit memo never share
        # an Id) ⚠; False numbers each kind on its own.
        "shared_txn_ids": True,
        "webhook_url": None,
        "webhook_verifier_token": "qbo-verifier-token",
        "home_currency": "USD",
        "currencies": ["USD"],
        "country": "US",
        "duplicate_docnumber_check": True,
        # What a requestid is unique within: "realm" (Intuit: "unique for all requests for a
        # given company", so the same id on another endpoint replays the first answer) or
        # "endpoint" (realm, method and path) ⚠.
        "requestid_scope": "realm",
        # Preferences.SalesFormsPrefs.AutoApplyCredit ("Automatically apply credits"): a new
        # invoice takes the customer's open credit memos at once (QBO_RULES.md).
        "auto_apply_credit": False,
        # Preferences.AccountingInfoPrefs: class tracking "line" (ClassTrackingPerTxnLine),
        # "document" (ClassTrackingPerTxn) or None (off); locations (TrackDepartments).
        "class_tracking": "line",
        "track_departments": True,
    }

    def __init__(self, host="127.0.0.1", port=0, **config):
        self._gate = threading.Lock()
        self._inflight = 0
        super().__init__(host, port, **config)

    # ------------------------------------------------------------------ setup
    def urls(self):
        base = self.base_url
        return {
            "base": base,
            "discovery": base + "/.well-known/openid-configuration",
            "authorize": base + "/oauth2/authorize",
            "token": base + "/oauth2/v1/tokens/bearer",
            "revoke": base + "/oauth2/v1/tokens/revoke",
            "api": base + "/v3",
            "admin": base + "/_admin",
        }

    def on_reset(self):
        self.state = {kind: {} for kind in KINDS}
        self.deleted = {kind: {} for kind in KINDS}  # kind -> id -> tombstone (for CDC)
        self.next_id = {kind: 1 for kind in (*KINDS, "transaction")}
        self.grants, self.access, self.refresh, self.codes = {}, {}, {}, {}
        self.request_ids = {}  # (realm, requestid[, method, path]) -> first Response
        self.hits, self.batch_hits, self.second_hits = deque(), deque(), deque()
        self.throttled = 0  # 429 answers given

    def register_routes(self):
        company = r"/v3/company/(?P<realm>[^/]+)"
        self.route("GET", r"/\.well-known/openid-configuration", self._discovery)
        self.route("GET", r"/oauth2/authorize", self._authorize)
        self.route("POST", r"/oauth2/v1/tokens/bearer", self._token)
        self.route("POST", r"/oauth2/v1/tokens/revoke", self._revoke)
        for method in ("GET", "POST"):
            self.route(
                method,
                company + "/query",
                self._guard(self._query_endpoint),
                "/v3/company/{realm}/query",
            )
        self.route(
            "POST",
            company + "/batch",
            self._guard(self._batch, batch=True),
            "/v3/company/{realm}/batch",
        )
        self.route("GET", company + "/cdc", self._guard(self._cdc), "/v3/company/{realm}/cdc")
        self.route(
            "GET",
            company + r"/(?P<entity>[a-z]+)(?:/(?P<id>[^/]+))?",
            self._guard(self._read),
            "/v3/company/{realm}/{entity}/{id}",
        )
        self.route(
            "POST",
            company + r"/(?P<entity>[a-z]+)",
            self._guard(self._write),
            "/v3/company/{realm}/{entity}",
        )

    def contract_for(self, req):
        """The schema contract of an API call (tests/contracts); OAuth calls have none."""
        if not req.path.startswith("/v3/company/"):
            return None
        entity = req.params.get("entity")
        if req.method == "POST" and entity:
            return qbo_contract(BY_LOWER.get(entity.lower(), entity))
        return qbo_contract(batch=req.path.endswith("/batch"))

    # ------------------------------------------------------------------ time and envelopes
    def _now(self):
        return datetime.fromtimestamp(self.clock.now(), TZ)

    def _stamp(self):
        return self._now().isoformat(timespec="seconds")

    def _time(self):
        return self._now().isoformat(timespec="milliseconds")

    def _ok(self, body):
        return Response(200, {**body, "time": self._time()})

    def _fault_body(self, errors, fault_type="ValidationFault"):
        return {"Fault": {"Error": errors, "type": fault_type}, "time": self._time()}

    def _fault(self, fault):
        return Response(400, self._fault_body([fault.error]))

    def _auth_failure(
        self,
        detail,
        status=401,
        code="3200",
        kind="AuthenticationFailed",
        fault_type="AUTHENTICATION",
    ):
        message = f"message={kind}; errorCode={int(code):06d}; statusCode={status}"
        return Response(
            status,
            {
                "fault": {
                    "error": [{"message": message, "detail": detail, "code": code}],
                    "type": fault_type,
                },
                "time": self._time(),
            },
        )

    def expired_token_response(self, req):
        return self._auth_failure("Token expired: injected fault")

    def _throttled(self):
        self.throttled += 1  # tests assert that a paced client never gets one
        if self.config["throttle_body"] == "json":
            error = {
                "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "Detail": "The request limit was reached.",
                "code": "3001",
            }
            return Response(429, self._fault_body([error], "ServiceFault"))
        return Response(429, THROTTLE_XML, content_type="application/xml")

    # ------------------------------------------------------------------ OAuth 2.0
    def _discovery(self, req):
        base = self.base_url
        return Response(
            200,
            {
                "issuer": base,
                "authorization_endpoint": self.urls()["authorize"],
                "token_endpoint": self.urls()["token"],
                "revocation_endpoint": self.urls()["revoke"],
                "userinfo_endpoint": base + "/v1/openid_connect/userinfo",
                "jwks_uri": base + "/op/v1/jwks",
                "response_types_supported": ["code"],
                "scopes_supported": ["openid", "email", "profile", "address", "phone", SCOPE],
            },
        )

    def _authorize(self, req):
        """Consent at once: 302 to redirect_uri?code&state&realmId."""
        if req.arg("client_id") != self.config["client_id"]:
            return Response(400, {"error": "invalid_client"})
        if req.arg("response_type") != "code" or not req.arg("redirect_uri"):
            return Response(400, {"error": "invalid_request"})
        if SCOPE not in (req.arg("scope") or "").split():
            return Response(400, {"error": "invalid_scope"})
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": req.arg("redirect_uri"),
                "used": False,
                "expires": self.clock.now() + 300,
            }
        query = {"code": code, "state": req.arg("state") or "", "realmId": self.config["realm_id"]}
        redirect = req.arg("redirect_uri")
        separator = "&" if "?" in redirect else "?"
        return Response(302, None, {"Location": redirect + separator + urlencode(query)})

    def _client_ok(self, req):
        expected = base64.b64encode(
            f'{self.config["client_id"]}:{self.config["client_secret"]}'.encode()
        ).decode()
        return req.header("Authorization", "") == "Basic " + expected

    def _grant_tokens(self, grant_id):
        now, cfg = self.clock.now(), self.config
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(32)
        self.access[access] = {"grant": grant_id, "expires": now + cfg["access_token_ttl"]}
        self.refresh[refresh] = {
            "grant": grant_id,
            "expires": now + cfg["refresh_token_ttl"],
            "superseded": False,
        }
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": cfg["access_token_ttl"],
            "x_refresh_token_expires_in": cfg["refresh_token_ttl"],
        }

    def _new_grant(self):
        grant_id = secrets.token_hex(8)
        self.grants[grant_id] = {"realm": self.config["realm_id"], "revoked": False}
        return self._grant_tokens(grant_id)

    def issue_tokens(self):
        """Tokens as if the user had just connected the app (no HTTP needed)."""
        with self.lock:
            tokens = self._new_grant()
        return {
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "realm_id": self.config["realm_id"],
            "expires_in": tokens["expires_in"],
        }

    def _token(self, req):
        if not self._client_ok(req):
            return Response(401, {"error": "invalid_client"})
        form = {k: v[-1] for k, v in parse_qs(req.body.decode()).items()}
        invalid = Response(400, {"error": "invalid_grant"})
        with self.lock:
            now = self.clock.now()
            if form.get("grant_type") == "authorization_code":
                code = self.codes.get(form.get("code"))
                if (
                    not code
                    or code["used"]
                    or code["expires"] < now
                    or code["redirect_uri"] != form.get("redirect_uri")
                ):
                    return invalid
                code["used"] = True  # single use
                return Response(200, self._new_grant())
            if form.get("grant_type") == "refresh_token":
                old = self.refresh.get(form.get("refresh_token"))
                if (
                    not old
                    or old["superseded"]
                    or old["expires"] < now
                    or self.grants[old["grant"]]["revoked"]
                ):
                    return invalid
                old["superseded"] = True  # rotation: the previous refresh token dies
                return Response(200, self._grant_tokens(old["grant"]))
        return Response(400, {"error": "unsupported_grant_type"})

    def _revoke(self, req):
        if not self._client_ok(req):
            return Response(401, {"error": "invalid_client"})
        token = (req.json() or {}).get("token")
        with self.lock:
            entry = self.access.get(token) or self.refresh.get(token)
            if entry:  # RFC 7009: unknown tokens are not an error
                self.grants[entry["grant"]]["revoked"] = True
        return Response(200, None)

    # ------------------------------------------------------------------ request guard
    def dispatch(self, req):
        if not req.path.startswith("/v3/"):
            return super().dispatch(req)
        with self._gate:
            self._inflight += 1
        try:
            resp = super().dispatch(req)
            resp.headers.setdefault("intuit_tid", secrets.token_hex(16))
            return resp
        finally:
            with self._gate:
                self._inflight -= 1

    def _authenticate(self, req):
        header = req.header("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else None
        entry = self.access.get(token)
        if not entry or self.grants[entry["grant"]]["revoked"]:
            return self._auth_failure("Token invalid" if token else "Authorization header missing")
        if entry["expires"] < self.clock.now():
            return self._auth_failure(f"Token expired: {token[:12]}...")
        if self.grants[entry["grant"]]["realm"] != req.params["realm"]:
            return self._auth_failure(
                "Token is not authorized for this company",
                403,
                "3100",
                "ApplicationAuthorizationFailed",
                "AUTHORIZATION",
            )
        return None

    def _throttle(self, batch):
        with self._gate:
            if self._inflight > self.config["max_concurrent"]:
                return self._throttled()
        now = self.clock.now()
        windows = [
            (self.hits, self.config["rate_limit_per_minute"], 60),
            (self.second_hits, self.config["rate_limit_per_second"], 1),
        ]
        if batch:
            windows.append((self.batch_hits, self.config["batch_rate_limit_per_minute"], 60))
        windows = [w for w in windows if w[1] is not None]  # None: off; 0 refuses all
        for hits, _, span in windows:
            while hits and hits[0] <= now - span:
                hits.popleft()
        if any(len(hits) >= limit for hits, limit, _ in windows):
            return self._throttled()
        for hits, _, _ in windows:
            hits.append(now)
        return None

    def _guard(self, func, batch=False):
        """Wrap an API handler: bearer token, realm, throttling, requestid replay, faults."""

        def handler(req):
            with self.lock:
                denied = self._authenticate(req) or self._throttle(batch)
                if denied:
                    return denied
                rid = req.arg("requestid")
                key = (req.params["realm"], rid)
                if self.config["requestid_scope"] == "endpoint":
                    key += (req.method, req.path)
                try:
                    if rid and len(rid) > 50:
                        _length("requestid", rid, 50)
                    if rid and key in self.request_ids:
                        return copy.deepcopy(self.request_ids[key])
                    resp = func(req)
                except QboFault as fault:
                    resp = self._fault(fault)
                if rid and req.method == "POST":
                    self.request_ids[key] = copy.deepcopy(resp)
                return resp

        return handler

    # ------------------------------------------------------------------ API endpoints
    @staticmethod
    def _kind(name):
        kind = BY_LOWER.get((name or "").lower())
        if not kind:
            raise _unsupported(
                f"Operation Could not find resource for relative path: {name} is " "not supported."
            )
        return kind

    def _body(self, req):
        try:
            data = req.json()
        except ValueError as exc:
            raise _invalid(f"Invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _invalid("The request body must be a JSON object")
        return data

    def _read(self, req):
        entity = req.params["entity"]
        if entity.lower() == "preferences":
            return self._ok({"Preferences": self._preferences()})
        kind = self._kind(entity)
        if kind == "CompanyInfo":  # read as companyinfo/{realmId}
            return self._ok({kind: copy.deepcopy(next(iter(self.state[kind].values()), {}))})
        if not req.params.get("id"):
            raise _unsupported(f"Operation GET {kind} without an Id is not supported.")
        return self._ok({kind: copy.deepcopy(self._get(kind, req.params["id"]))})

    def _write(self, req):
        kind, include = self._kind(req.params["entity"]), req.arg("include")
        return self._ok(
            self._save(
                kind,
                self._body(req),
                req.arg("operation"),
                include,
                include == "allowduplicatedocnum",
            )
        )

    def _query_endpoint(self, req):
        text = req.arg("query") if req.method == "GET" else req.body.decode("utf-8")
        if not text:
            raise _query_error("empty query")
        return self._ok({"QueryResponse": self._run_query(text)})

    def _batch(self, req):
        items = self._body(req).get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise _missing("BatchItemRequest")
        if len(items) > 30:
            raise QboFault(
                1040,
                "Batch size exceeds allowed limit",
                f"The batch size for the batch request is too big. The batch limit "
                f"size is 30, supplied {len(items)}",
            )
        out = []
        for item in items:
            result = {"bId": item.get("bId")}
            try:
                if not item.get("bId"):
                    raise _missing("bId")
                # XSD BatchItemRequest: a choice of one object, Query, ReportQuery or CDCQuery.
                chosen = [k for k in item if k in KINDS or k in ("Query", "CDCQuery")]
                if len(chosen) > 1:
                    raise _invalid(
                        f"A batch item holds one object, Query or CDCQuery, not {chosen}",
                        "BatchItemRequest",
                    )
                if "Query" in item:
                    result["QueryResponse"] = self._run_query(item["Query"])
                elif "CDCQuery" in item:
                    result["CDCResponse"] = self._batch_cdc(item["CDCQuery"])
                else:
                    kinds = [k for k in item if k in KINDS]
                    if len(kinds) != 1:
                        raise _missing("entity")
                    operation = (item.get("operation") or "").lower()
                    if operation not in ("create", "update", "delete"):
                        raise _enum(operation, "operation")
                    if operation != "create" and not item[kinds[0]].get("Id"):
                        raise _missing("Id")
                    result.update(
                        self._save(
                            kinds[0], item[kinds[0]], "delete" if operation == "delete" else None
                        )
                    )
            except QboFault as fault:
                result["Fault"] = {"Error": [fault.error], "type": "ValidationFault"}
            out.append(result)
        return self._ok({"BatchItemResponse": out})

    def _cdc(self, req):
        answer = self._cdc_answer(req.arg("entities"), req.arg("changedSince"))
        return self._ok({"CDCResponse": [answer]})

    def _batch_cdc(self, query):
        """A batch item's ``CDCQuery`` (XSD ``CDCQuery``: ``Entities``, comma separated, and
        ``ChangedSince``, an xs:dateTime) → its ``CDCResponse``, with the budget of a response
        of its own (each item is a CDC operation)."""
        if not isinstance(query, dict):
            raise _invalid("CDCQuery must be an object", "CDCQuery")
        unknown = sorted(set(query) - {"Entities", "ChangedSince"})
        if unknown:
            raise _invalid(f"Unknown CDCQuery property {unknown[0]}", f"CDCQuery.{unknown[0]}")
        for name in ("Entities", "ChangedSince"):
            if query.get(name) is not None and not isinstance(query[name], str):
                raise _invalid(f"CDCQuery.{name} must be a string", f"CDCQuery.{name}")
        return self._cdc_answer(
            query.get("Entities"), query.get("ChangedSince"), ("Entities", "ChangedSince")
        )

    def _cdc_answer(self, entities, since_text, params=("entities", "changedSince")):
        """One CDCResponse ``{"QueryResponse": [...]}`` of the ``entities`` (comma separated)
        changed since ``since_text``; ``params``: the names its faults give the two values."""
        names = [n for n in (entities or "").split(",") if n.strip()]
        if not names:
            raise _missing(params[0])
        kinds = [self._kind(n.strip()) for n in names]
        if not since_text:
            raise _missing(params[1])
        since = _parse_dt(since_text)
        if since is None:
            raise _invalid(f"Invalid {params[1]} {since_text!r}", params[1])
        if since < self._now() - timedelta(days=self.config["cdc_max_days"]):
            raise _business(
                f"{params[1]} must be within the last {self.config['cdc_max_days']} days",
                params[1],
            )
        responses, budget = [], self.config["cdc_max_objects"]  # per response

        def changed(obj):
            return _parse_dt(obj["MetaData"]["LastUpdatedTime"]) >= since

        def updated(obj):
            return _parse_dt(obj["MetaData"]["LastUpdatedTime"])

        for kind in kinds:
            # Oldest changes first ⚠, live ones before the deleted ones, cut at the budget.
            live = sorted((o for o in self.state[kind].values() if changed(o)), key=updated)
            gone = sorted((o for o in self.deleted[kind].values() if changed(o)), key=updated)
            found = [copy.deepcopy(o) for o in (live + gone)[:budget]]
            budget -= len(found)
            if found:
                responses.append({kind: found, "startPosition": 1, "maxResults": len(found)})
        return {"QueryResponse": responses}

    # ------------------------------------------------------------------ query execution
    def _run_query(self, text):
        query = parse_query(text)
        virtual = self._virtual_rows(query["kind"])
        if virtual is not None:  # read-only lists computed from the settings
            rows = virtual[1][query["start"] - 1 : query["start"] - 1 + query["max"]]
            if not rows:
                return {}
            return {virtual[0]: rows, "startPosition": query["start"], "maxResults": len(rows)}
        kind = BY_LOWER.get(query["kind"].lower())
        if not kind:
            raise QboFault(
                4001,
                "Invalid query",
                f"QueryValidationError: Invalid context " f"declaration : {query['kind']}",
            )
        self._check_fields(kind, query)
        rows = list(self.state[kind].values())
        if not any(f.split(".")[0] == "Active" for f, _, _ in query["where"]):
            rows = [r for r in rows if r.get("Active", True)]  # lists hide inactive names
        rows = [r for r in rows if all(_matches(r, *cond) for cond in query["where"])]
        if query["count"]:
            return {"totalCount": len(rows)}
        for field, desc in reversed(query["order"]):
            present = [r for r in rows if _field(r, field) is not None]
            absent = [r for r in rows if _field(r, field) is None]
            present.sort(key=lambda r, f=field: _sort_key(_field(r, f)), reverse=desc)
            rows = present + absent
        rows = rows[query["start"] - 1 : query["start"] - 1 + query["max"]]
        if not rows:
            return {}
        if query["fields"]:
            keep = {f.split(".")[0] for f in query["fields"]} | {"Id", "domain", "sparse"}
            rows = [{k: v for k, v in r.items() if k in keep} for r in rows]
        return {kind: copy.deepcopy(rows), "startPosition": query["start"], "maxResults": len(rows)}

    def _virtual_rows(self, name):
        """(entity, rows) of Preferences (one object) and CompanyCurrency (the currencies
        enabled besides the home one), queried like entities; None for other names."""
        if name.lower() == "preferences":
            return "Preferences", [self._preferences()]
        if name.lower() == "companycurrency":
            home = self.config["home_currency"]
            others = [c for c in self.config["currencies"] if c != home]
            return "CompanyCurrency", [
                {"Id": str(n), "SyncToken": "0", "Code": code, "Name": code, "Active": True}
                for n, code in enumerate(others, start=1)
            ]
        return None

    @staticmethod
    def _check_fields(kind, query):
        """Names in SELECT, WHERE and ORDERBY must be properties of the entity (4000 ⚠ naming
        it, instead of an empty answer), matched case-insensitively ⚠ and rewritten to the
        schema's spelling."""

        def canonical(name):
            head, _, rest = name.partition(".")
            known = QUERYABLE[kind].get(head.lower())
            sub = {n.lower(): n for n in MODIFICATION_METADATA}.get(rest.lower())
            if known and rest and known == "MetaData" and sub:
                return f"{known}.{sub}"
            if known and not rest:
                return known
            raise QboFault(
                4000,
                "Error parsing query",
                f"QueryParserError: Invalid content. Property {name!r} is not a property "
                f"of {kind}",
                name,
            )

        if query["fields"]:
            query["fields"] = [canonical(f) for f in query["fields"]]
        query["where"] = [(canonical(f), op, values) for f, op, values in query["where"]]
        query["order"] = [(canonical(f), desc) for f, desc in query["order"]]

    # ------------------------------------------------------------------ storage
    def _get(self, kind, obj_id):
        obj = self.state[kind].get(str(obj_id))
        if obj is None:
            raise _not_found(deleted=str(obj_id) in self.deleted[kind])
        return obj

    def _ref_obj(self, kind, ref, element, required=False):
        """The live object a reference points at (2020 missing, 2500 unknown, 610 inactive)."""
        value = _ref(ref)
        if value is None:
            if required:
                raise _missing(element)
            return None
        obj = self.state[kind].get(value)
        if obj is None:
            raise _bad_ref(kind, value, element)
        if obj.get("Active") is False:
            raise _not_found()
        return obj

    def _touch(self, obj, bump=True):
        if bump:
            obj["SyncToken"] = str(int(obj.get("SyncToken", -1)) + 1)
        meta = obj.setdefault("MetaData", {})
        meta.setdefault("CreateTime", self._stamp())
        meta["LastUpdatedTime"] = self._stamp()
        obj["domain"], obj["sparse"] = "QBO", False

    def _insert(self, kind, obj):
        """Store a new object with the next Id of its kind (of every transaction kind when
        ``shared_txn_ids``)."""
        seq = "transaction" if kind in TRANSACTIONS and self.config["shared_txn_ids"] else kind
        if "Id" not in obj:
            obj["Id"] = str(self.next_id[seq])
        if str(obj["Id"]).isdigit():
            self.next_id[seq] = max(self.next_id[seq], int(obj["Id"]) + 1)
        obj["SyncToken"] = "0"
        obj.pop("MetaData", None)
        self._touch(obj, bump=False)
        self.state[kind][obj["Id"]] = obj
        return obj

    def _check_token(self, old, body):
        if body.get("SyncToken") in (None, ""):
            raise _missing("SyncToken")
        if str(body["SyncToken"]) != old["SyncToken"]:
            raise QboFault(
                5010,
                "Stale Object Error",
                "Stale Object Error : You and another user "
                "were working on this at the same time. The other user finished "
                "before you did, so your work was not saved.",
                "SyncToken",
            )

    def _save(self, kind, body, operation=None, include=None, allow_dup=False):
        """Create, update (full or sparse), delete or void; returns the response entity dict."""
        operation = (operation or "").lower()
        include = (include or "").lower()
        if kind in READ_ONLY:
            raise _unsupported(f"Operation write is not supported for {kind}.")
        body = _clean(body)
        if operation == "delete":
            return self._delete(kind, body)
        if operation == "void" or (operation == "update" and include == "void"):
            void_via = "void" if kind == "Invoice" else "update"
            if kind not in ("Invoice", "Payment", "SalesReceipt") or operation != void_via:
                raise _unsupported(
                    f"Operation void via operation={operation} is not supported " f"for {kind}."
                )
            old = self._get(kind, body.get("Id"))
            self._check_token(old, body)
            return {kind: copy.deepcopy(self._void(kind, old))}
        if operation not in ("", "create", "update"):
            raise _unsupported(f"Operation {operation} is not supported.")
        obj_id = str(body.get("Id", ""))
        old = None
        if obj_id.isdigit() and int(obj_id) > 0:
            old = self._get(kind, obj_id)
            self._check_token(old, body)
            new = {**copy.deepcopy(old), **body} if body.get("sparse") is True else dict(body)
            new["Id"] = old["Id"]
        else:
            new = {k: v for k, v in body.items() if k not in ("Id", "SyncToken")}
        for key in ("MetaData", "sparse", "domain"):
            new.pop(key, None)
        self._validate(kind, new, old, allow_dup)
        if old:
            new["SyncToken"], new["MetaData"] = old["SyncToken"], dict(old["MetaData"])
            self._touch(new)
            self.state[kind][new["Id"]] = new
        else:
            self._insert(kind, new)
        if kind == "Payment":
            self._refresh_links(old, new)
        if kind == "Invoice" and not old and self.config["auto_apply_credit"]:
            self._auto_apply_credits(new)
        return {kind: copy.deepcopy(new)}

    def _delete(self, kind, body):
        obj = self._get(kind, body.get("Id"))
        self._check_token(obj, body)
        if kind not in TRANSACTIONS:
            raise _unsupported(
                f"Operation Delete is not supported for {kind}: make it inactive "
                "(Active=false) instead."
            )
        del self.state[kind][obj["Id"]]
        tomb = {
            "Id": obj["Id"],
            "status": "Deleted",
            "domain": "QBO",
            "MetaData": {
                "CreateTime": obj["MetaData"]["CreateTime"],
                "LastUpdatedTime": self._stamp(),
            },
        }
        self.deleted[kind][obj["Id"]] = tomb
        if kind == "Payment":
            self._refresh_links(obj, None)
        return {kind: {"status": "Deleted", "domain": "QBO", "Id": obj["Id"]}}

    def _void(self, kind, obj):
        """Zero the amounts, prepend 'Voided' to PrivateNote, SyncToken + 1."""
        before = copy.deepcopy(obj)
        for line in obj.get("Line", []):
            line["Amount"] = 0.0
        for key in (
            "TotalAmt",
            "Balance",
            "HomeTotalAmt",
            "HomeBalance",
            "RemainingCredit",
            "UnappliedAmt",
        ):
            if key in obj:
                obj[key] = 0.0
        if "TxnTaxDetail" in obj:
            obj["TxnTaxDetail"]["TotalTax"] = 0.0
            for tax_line in obj["TxnTaxDetail"].get("TaxLine", []):
                tax_line["Amount"] = 0.0
        note = obj.get("PrivateNote")
        obj["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        self._touch(obj)
        if kind == "Payment":
            self._refresh_links(before, obj)
        return obj

    # ------------------------------------------------------------------ validation
    def _validate(self, kind, obj, old, allow_dup):
        if kind in PARTIES:
            self._prepare_party(kind, obj, old)
        elif kind in NAMED:
            self._prepare_named(kind, obj, old)
        elif kind == "Item":
            self._prepare_item(obj, old)
        elif kind == "Account":
            self._prepare_account(obj, old)
        elif kind in SALES:
            self._prepare_sales(kind, obj, old, allow_dup)
        elif kind == "Payment":
            self._prepare_payment(obj, old)
        elif kind == "JournalEntry":
            self._prepare_journal(obj, old)

    def _unique(self, kinds, field, value, old, what):
        for kind in kinds:
            for other in self.state[kind].values():
                if (other.get(field) or "").lower() == value.lower() and not (
                    old and kind == kinds[0] and other["Id"] == old["Id"]
                ):
                    raise QboFault(
                        6240,
                        "Duplicate Name Exists Error",
                        f"The name supplied already exists. : Another {what} is "
                        f"already using this name. Please use a different name. "
                        f"Id={other['Id']}",
                        field,
                    )

    @staticmethod
    def _no_chars(field, value, chars):
        bad = [c for c in chars if c in value]
        if bad:
            raise _business(f"{field} can't contain {', '.join(repr(c) for c in bad)}", field)

    def _currency(self, obj):
        cur = _ref(obj.get("CurrencyRef")) or self.config["home_currency"]
        if cur not in self.config["currencies"]:
            detail = (
                f"Currency {cur} is not enabled in this company (home currency "
                f"{self.config['home_currency']}, enabled: "
                f"{', '.join(self.config['currencies'])})"
            )
            if len(self.config["currencies"]) == 1:
                detail += "; multicurrency is off"
            raise _business(detail, "CurrencyRef")
        obj["CurrencyRef"] = {"value": cur}
        return cur

    def _prepare_party(self, kind, obj, old):
        name = (obj.get("DisplayName") or "").strip() or " ".join(
            obj[k]
            for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
            if obj.get(k)
        )
        if not name:
            raise QboFault(
                6080,
                "No Name Provided",
                "Title, GivenName, MiddleName, FamilyName, "
                "DisplayName, Suffix - one of these must be non-empty",
                "DisplayName",
            )
        _length("DisplayName", name, 500)
        self._no_chars("DisplayName", name, (":", "\t", "\n"))
        self._unique(
            (kind,) + tuple(k for k in PARTIES if k != kind),
            "DisplayName",
            name,
            old,
            "customer, vendor or employee",
        )
        obj.update(DisplayName=name, FullyQualifiedName=name)
        obj.setdefault("PrintOnCheckName", name)
        obj.setdefault("Active", True)
        if kind == "Customer":
            self._currency(obj)
            self._ref_obj("Term", obj.get("SalesTermRef"), "SalesTermRef")
            obj["Balance"] = old.get("Balance", 0.0) if old else 0.0

    def _prepare_named(self, kind, obj, old):
        name = (obj.get("Name") or "").strip()
        if not name:
            raise _missing("Name")
        _length("Name", name, 100)
        self._no_chars("Name", name, (":",))
        self._unique((kind,), "Name", name, old, kind.lower())
        obj.update(Name=name, Active=obj.get("Active", True))
        if kind in ("Class", "Department"):
            obj["FullyQualifiedName"] = name
        if kind == "Term":
            obj.setdefault("Type", "STANDARD")
            obj["DueDays"] = int(_dec(obj.get("DueDays"), "DueDays") or 0)

    def _prepare_item(self, obj, old):
        name = (obj.get("Name") or "").strip()
        if not name:
            raise _missing("Name")
        _length("Name", name, 100)
        self._no_chars("Name", name, (":", "\\"))
        self._unique(("Item",), "Name", name, old, "product or service")
        item_type = obj.get("Type")
        if not item_type:
            raise _missing("Type")
        if item_type not in ITEM_TYPES:
            raise _enum(item_type, "Type")
        if item_type in ("Service", "NonInventory", "Inventory"):
            income = self._ref_obj(
                "Account", obj.get("IncomeAccountRef"), "IncomeAccountRef", required=True
            )
            if income["AccountType"] not in ("Income", "Other Income"):
                raise _business(
                    f"IncomeAccountRef must be an Income account, "
                    f"{income['Name']!r} is {income['AccountType']}",
                    "IncomeAccountRef",
                )
        if item_type == "Inventory":
            for field, account_type in (
                ("AssetAccountRef", "Other Current Asset"),
                ("ExpenseAccountRef", "Cost of Goods Sold"),
            ):
                account = self._ref_obj("Account", obj.get(field), field, required=True)
                if account["AccountType"] != account_type:
                    raise _business(f"{field} must be a {account_type} account", field)
            for field in ("QtyOnHand", "InvStartDate"):
                if obj.get(field) is None:
                    raise _missing(field)
            _date(obj, "InvStartDate")
            obj["TrackQtyOnHand"] = True
        obj.update(Name=name, FullyQualifiedName=name, Active=obj.get("Active", True))
        if obj.get("UnitPrice") is not None:
            obj["UnitPrice"] = float(_dec(obj["UnitPrice"], "UnitPrice"))

    def _prepare_account(self, obj, old):
        name = (obj.get("Name") or "").strip()
        if not name:
            raise _missing("Name")
        _length("Name", name, 100)
        self._no_chars("Name", name, ('"', ":"))
        self._unique(("Account",), "Name", name, old, "account")
        account_type = obj.get("AccountType")
        if not account_type:
            raise _missing("AccountType")
        if account_type not in ACCOUNT_TYPES:
            raise _enum(account_type, "AccountType")
        self._currency(obj)
        obj.update(
            Name=name,
            FullyQualifiedName=name,
            Classification=ACCOUNT_TYPES[account_type],
            Active=obj.get("Active", True),
            SubAccount=False,
            CurrentBalance=old.get("CurrentBalance", 0.0) if old else 0.0,
        )

    def _docnumber(self, kind, obj, old, allow_dup):
        doc = obj.get("DocNumber")
        if doc is None:
            if kind == "JournalEntry":
                return
            numbers = [
                int(o["DocNumber"])
                for o in self.state[kind].values()
                if str(o.get("DocNumber", "")).isdigit()
            ]
            obj["DocNumber"] = str(max(numbers + [1000]) + 1)  # ⚠ auto-numbering on
            return
        doc = str(doc)
        if len(doc) > 21:
            raise _business(
                "You cannot enter more than 21 characters in the doc_num field", "DocNumber"
            )
        if self.config["duplicate_docnumber_check"] and not allow_dup and kind != "JournalEntry":
            for other in self.state[kind].values():
                if other.get("DocNumber") == doc and not (old and other["Id"] == old["Id"]):
                    raise QboFault(
                        6140,
                        "Duplicate Document Number Error",
                        "Duplicate Document Number Error : You must specify a "
                        f"different number. This number has already been used. "
                        f"DocNumber={doc} is assigned to TxnType={kind} with "
                        f"TxnId={other['Id']}",
                        "DocNumber",
                    )
        obj["DocNumber"] = doc

    def _tax_rates(self, code_id, element):
        code = self.state["TaxCode"].get(code_id)
        if code is None:
            raise _bad_ref("TaxCode", code_id, element)
        details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail", [])
        return [self.state["TaxRate"][_ref(d["TaxRateRef"])] for d in details]

    def _prepare_sales(self, kind, obj, old, allow_dup):
        us = self.config["country"] == "US"
        customer = self._ref_obj(
            "Customer",
            obj.get("CustomerRef"),
            "CustomerRef",
            required=kind in ("Invoice", "CreditMemo"),
        )
        cur = self._currency(obj)
        if customer and _ref(customer.get("CurrencyRef")) not in (None, cur):
            raise _business(
                f"The transaction currency {cur} must match the customer's currency "
                f"{_ref(customer['CurrencyRef'])}",
                "CurrencyRef",
            )
        rate = (
            Decimal(1)
            if cur == self.config["home_currency"]
            else (_dec(obj.get("ExchangeRate"), "ExchangeRate") or Decimal(1))
        )
        obj["ExchangeRate"] = float(rate)
        self._docnumber(kind, obj, old, allow_dup)
        txn_date = _date(obj, "TxnDate") or self._now().date()
        obj["TxnDate"] = txn_date.isoformat()
        self._ref_obj("Department", obj.get("DepartmentRef"), "DepartmentRef")
        if kind == "RefundReceipt":
            self._ref_obj(
                "Account", obj.get("DepositToAccountRef"), "DepositToAccountRef", required=True
            )
        elif kind == "SalesReceipt":
            self._ref_obj("Account", obj.get("DepositToAccountRef"), "DepositToAccountRef")
        inclusive = not us and obj.get("GlobalTaxCalculation") == "TaxInclusive"
        no_tax = not us and obj.get("GlobalTaxCalculation") == "NotApplicable"
        lines, discounts = [], []
        subtotal = taxable = Decimal(0)
        line_tax = {}  # non-US: tax code id -> net amount
        for line in obj.get("Line") or []:
            detail_type = line.get("DetailType")
            if detail_type == "SubTotalLineDetail":
                continue  # recomputed below
            if detail_type == "DiscountLineDetail":
                discounts.append(line)
                continue
            amount = _dec(line.get("Amount"), "Line.Amount")
            if detail_type == "SalesItemLineDetail":
                detail = line.setdefault(detail_type, {})
                item = self._ref_obj("Item", detail.get("ItemRef"), "ItemRef", required=True)
                self._ref_obj("Class", detail.get("ClassRef"), "ClassRef")
                qty, price = _dec(detail.get("Qty"), "Qty"), _dec(detail.get("UnitPrice"))
                if amount is None:
                    if not (qty and price):
                        raise _missing("Line.Amount")
                    amount = _q(qty * price)
                elif qty and price and _q(qty * price) != _q(amount):
                    raise QboFault(
                        6070,
                        "Amount calculation incorrect in the request",
                        f"Amount is not equal to UnitPrice * Qty. Supplied " f"value:{amount}",
                        "Line.Amount",
                    )
                tax_code = _ref(detail.get("TaxCodeRef")) or (
                    "TAX" if item.get("Taxable") else "NON"
                )
                if us and tax_code not in ("TAX", "NON"):
                    raise QboFault(
                        6100,
                        "Invalid Line TaxCode in the request",
                        f"Valid Line TaxCodes for US should be TAX or NON. Supplied "
                        f"value:{tax_code}",
                        "TaxCodeRef",
                    )
                if not us:
                    self._tax_rates(tax_code, "TaxCodeRef")
                    line_tax[tax_code] = line_tax.get(tax_code, Decimal(0)) + amount
                detail["TaxCodeRef"] = {"value": tax_code}
                subtotal += amount
                taxable += amount if tax_code == "TAX" else 0
            elif detail_type == "DescriptionOnly":
                amount = amount or Decimal(0)
            else:
                raise _enum(detail_type, "Line.DetailType")
            lines.append({**line, "Amount": _money(amount)})
        if not lines:
            raise _missing("Line")
        discount = Decimal(0)
        for line in discounts:
            detail = line.setdefault("DiscountLineDetail", {})
            self._ref_obj("Account", detail.get("DiscountAccountRef"), "DiscountAccountRef")
            percent = _dec(detail.get("DiscountPercent"), "DiscountPercent")
            amount = _dec(line.get("Amount"), "Line.Amount")
            if detail.get("PercentBased") and percent is not None:
                amount = _q(subtotal * percent / 100)
            elif amount is None:
                raise QboFault(
                    6090,
                    "Discount Line missing required info.",
                    "Discount amount or percent should be provided.",
                    "Line",
                )
            discount += amount
            line["Amount"] = _money(amount)
        if discount > subtotal:
            raise _business("The discount amount can't be greater than the subtotal", "Line")
        total_tax, tax_lines = Decimal(0), []
        tax_detail = obj.get("TxnTaxDetail") or {}
        share = (
            (subtotal - discount) / subtotal
            if subtotal and obj.get("ApplyTaxAfterDiscount")
            else Decimal(1)
        )
        if us and _ref(tax_detail.get("TxnTaxCodeRef")):
            bases = {_ref(tax_detail["TxnTaxCodeRef"]): taxable}
        else:
            bases = {} if us or no_tax else line_tax
        for code_id, base in bases.items():
            for tax_rate in self._tax_rates(code_id, "TxnTaxCodeRef"):
                percent = Decimal(str(tax_rate["RateValue"]))
                net = base * share
                tax = _q(net - net / (1 + percent / 100)) if inclusive else _q(net * percent / 100)
                total_tax += tax
                tax_lines.append(
                    {
                        "Amount": _money(tax),
                        "DetailType": "TaxLineDetail",
                        "TaxLineDetail": {
                            "TaxRateRef": {"value": tax_rate["Id"]},
                            "PercentBased": True,
                            "TaxPercent": float(percent),
                            "NetAmountTaxable": _money(net - tax if inclusive else net),
                        },
                    }
                )
        explicit = _dec(tax_detail.get("TotalTax"), "TxnTaxDetail.TotalTax") if us else None
        if explicit and tax_lines and explicit != total_tax:
            # US: "whenever an explicit tax amount is sent in the transaction request the AST
            # engine honors the amount and prorates it across tax rates" (Intuit, 2017-12-11).
            # A zero is no explicit amount: python-quickbooks sends TotalTax 0 by default.
            left = explicit
            for n, tax_line in enumerate(tax_lines):
                share = (
                    left
                    if n == len(tax_lines) - 1
                    else _q(explicit * Decimal(str(tax_line["Amount"])) / (total_tax or 1))
                )
                tax_line["Amount"] = _money(share)
                left -= share
            total_tax = explicit
        obj["TxnTaxDetail"] = {"TotalTax": _money(total_tax), "TaxLine": tax_lines}
        if us and _ref(tax_detail.get("TxnTaxCodeRef")):
            obj["TxnTaxDetail"]["TxnTaxCodeRef"] = {"value": _ref(tax_detail["TxnTaxCodeRef"])}
        total = subtotal - discount + (0 if inclusive else total_tax)
        sub_line = {
            "Amount": _money(subtotal),
            "DetailType": "SubTotalLineDetail",
            "SubTotalLineDetail": {},
        }
        obj["Line"] = []
        for number, line in enumerate(lines + [sub_line] + discounts, 1):
            if line["DetailType"] != "SubTotalLineDetail":
                line.update(Id=str(number), LineNum=number)
            obj["Line"].append(line)
        obj["TotalAmt"] = _money(total)
        if cur != self.config["home_currency"]:
            obj["HomeTotalAmt"] = _money(total * rate)
        else:
            obj.pop("HomeTotalAmt", None)
        for key in ("Balance", "HomeBalance", "RemainingCredit", "LinkedTxn", "Deposit"):
            obj.pop(key, None)
        if kind == "Invoice":
            term = self._ref_obj(
                "Term",
                obj.get("SalesTermRef") or (customer or {}).get("SalesTermRef"),
                "SalesTermRef",
            )
            due = _date(obj, "DueDate")
            if due is None:
                due = txn_date + timedelta(days=term["DueDays"] if term else 0)
            obj["DueDate"] = due.isoformat()
        if kind in ("Invoice", "CreditMemo"):
            self._set_balance(kind, obj)
            if obj["Balance"] < 0:
                raise _business(
                    f"The new total {obj['TotalAmt']} is less than the amount already "
                    "applied by payments",
                    "TotalAmt",
                )
        else:
            obj["Balance"] = 0.0

    # ------------------------------------------------------------------ payments
    def _applied(self, kind, doc_id, skip_payment=None):
        """Amount applied to an Invoice/CreditMemo by stored payments (one may be skipped)."""
        total, links = Decimal(0), []
        for payment in self.state["Payment"].values():
            if payment["Id"] == skip_payment:
                continue
            for line in payment.get("Line", []):
                link = (line.get("LinkedTxn") or [{}])[0]
                if link.get("TxnType") == kind and str(link.get("TxnId")) == doc_id:
                    total += Decimal(str(line.get("Amount", 0)))
                    links.append({"TxnId": payment["Id"], "TxnType": "Payment"})
        return total, links

    def _set_balance(self, kind, doc):
        applied, links = self._applied(kind, doc.get("Id"))
        balance = _money(Decimal(str(doc["TotalAmt"])) - applied)
        doc["Balance"] = balance
        if kind == "CreditMemo":
            doc["RemainingCredit"] = balance
        else:
            doc["LinkedTxn"] = links
            if "HomeTotalAmt" in doc:
                doc["HomeBalance"] = _money(
                    Decimal(str(balance)) * Decimal(str(doc["ExchangeRate"]))
                )

    def _refresh_links(self, before, after):
        """Recompute the balances of the documents a payment linked (bumping their SyncToken)."""
        targets = set()
        for payment in (before, after):
            for line in (payment or {}).get("Line", []):
                link = (line.get("LinkedTxn") or [{}])[0]
                if link.get("TxnType") in ("Invoice", "CreditMemo"):
                    targets.add((link["TxnType"], str(link.get("TxnId"))))
        for kind, doc_id in sorted(targets):
            doc = self.state[kind].get(doc_id)
            if doc:
                snapshot = (doc["Balance"], doc.get("LinkedTxn"))
                self._set_balance(kind, doc)
                if snapshot != (doc["Balance"], doc.get("LinkedTxn")):
                    self._touch(doc)

    def _prepare_payment(self, obj, old):
        customer = self._ref_obj("Customer", obj.get("CustomerRef"), "CustomerRef", required=True)
        cur = self._currency(obj)
        total = _dec(obj.get("TotalAmt"), "TotalAmt")
        if total is None:
            raise _missing("TotalAmt")
        if total < 0:
            raise _business("TotalAmt can't be negative", "TotalAmt")
        obj["TxnDate"] = (_date(obj, "TxnDate") or self._now().date()).isoformat()
        deposit = self._ref_obj(
            "Account",
            obj.get("DepositToAccountRef") or {"value": self._account_id("Undeposited Funds")},
            "DepositToAccountRef",
        )
        if deposit:
            obj["DepositToAccountRef"] = {"value": deposit["Id"]}
        self._ref_obj("PaymentMethod", obj.get("PaymentMethodRef"), "PaymentMethodRef")
        net = Decimal(0)
        for line in obj.get("Line") or []:
            amount = _dec(line.get("Amount"), "Line.Amount")
            links = line.get("LinkedTxn") or []
            if amount is None or amount <= 0 or len(links) != 1:
                raise _business(
                    "Each payment line needs a positive Amount and exactly one " "LinkedTxn", "Line"
                )
            kind, doc_id = links[0].get("TxnType"), str(links[0].get("TxnId", ""))
            if kind not in ("Invoice", "CreditMemo"):
                raise _enum(kind, "LinkedTxn.TxnType")
            doc = self.state[kind].get(doc_id)
            if doc is None:
                raise _bad_ref(kind, doc_id, "LinkedTxn.TxnId")
            if _ref(doc["CustomerRef"]) != customer["Id"] or _ref(doc["CurrencyRef"]) != cur:
                raise _business(
                    f"{kind} {doc_id} belongs to another customer or currency", "LinkedTxn"
                )
            applied, _ = self._applied(kind, doc_id, skip_payment=old and old["Id"])
            open_amount = Decimal(str(doc["TotalAmt"])) - applied
            if amount > open_amount:
                raise _business(
                    f"The payment amount {amount} is more than the open balance "
                    f"{open_amount} of {kind} {doc_id}",
                    "Line.Amount",
                )
            net += amount if kind == "Invoice" else -amount
            line["Amount"] = _money(amount)
            line["LinkedTxn"] = [{"TxnId": doc_id, "TxnType": kind}]
        if net > total:
            raise _business(
                f"The applied amount {net} is more than the payment TotalAmt {total}", "TotalAmt"
            )
        obj.update(TotalAmt=_money(total), UnappliedAmt=_money(total - max(net, Decimal(0))))

    def _auto_apply_credits(self, invoice):
        """ "Automatically apply credits" on: the customer's open credit memos (oldest first) are
        applied to a new invoice, each recorded as QuickBooks records a credit applied: a
        Payment of TotalAmt 0 linking the invoice and the credit memo."""
        customer, currency = _ref(invoice["CustomerRef"]), _ref(invoice["CurrencyRef"])
        memos = sorted(
            self.state["CreditMemo"].values(), key=lambda m: (m["TxnDate"], int(m["Id"]))
        )
        for memo in memos:
            open_invoice = Decimal(str(invoice["Balance"]))
            credit = Decimal(str(memo.get("Balance") or 0))
            if open_invoice <= 0:
                break
            if (
                credit <= 0
                or _ref(memo["CustomerRef"]) != customer
                or _ref(memo["CurrencyRef"]) != currency
            ):
                continue
            amount = float(_money(min(open_invoice, credit)))
            payment = _credit_applied(invoice, memo, amount)
            payment["TxnDate"] = invoice["TxnDate"]
            self._validate("Payment", payment, None, False)
            self._insert("Payment", payment)
            self._refresh_links(None, payment)

    def _account_id(self, name):
        return next((a["Id"] for a in self.state["Account"].values() if a["Name"] == name), None)

    def _prepare_journal(self, obj, old):
        self._docnumber("JournalEntry", obj, old, True)
        obj["TxnDate"] = (_date(obj, "TxnDate") or self._now().date()).isoformat()
        self._currency(obj)
        sums = {"Debit": Decimal(0), "Credit": Decimal(0)}
        lines = obj.get("Line") or []
        if not lines:
            raise _missing("Line")
        for number, line in enumerate(lines, 1):
            detail = line.get("JournalEntryLineDetail")
            if line.get("DetailType") != "JournalEntryLineDetail" or not detail:
                raise _missing("JournalEntryLineDetail")
            posting = detail.get("PostingType")
            if posting not in sums:
                raise _enum(posting, "PostingType")
            account = self._ref_obj(
                "Account", detail.get("AccountRef"), "AccountRef", required=True
            )
            self._ref_obj("Class", detail.get("ClassRef"), "ClassRef")
            self._ref_obj("Department", detail.get("DepartmentRef"), "DepartmentRef")
            entity = detail.get("Entity") or {}
            if account["AccountType"] == "Accounts Receivable":
                if entity.get("Type") != "Customer":
                    raise _business(
                        "When you use Accounts Receivable, you must choose a customer "
                        "in the Name field.",
                        "Entity",
                    )
                self._ref_obj("Customer", entity.get("EntityRef"), "EntityRef", required=True)
            amount = _dec(line.get("Amount"), "Line.Amount")
            if amount is None:
                raise _missing("Line.Amount")
            if amount < 0:
                raise _business("Journal entry line amounts can't be negative", "Line.Amount")
            sums[posting] += _q(amount)
            line.update(Id=str(number), LineNum=number, Amount=_money(amount))
        if sums["Debit"] != sums["Credit"]:
            raise _business(
                f"Transaction is not balanced: debits {sums['Debit']} and credits "
                f"{sums['Credit']} must be equal.",
                "Line",
            )
        obj["TotalAmt"] = _money(sums["Debit"])

    def _preferences(self):
        cfg = self.config
        return {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": len(cfg["currencies"]) > 1,
                "HomeCurrency": {"value": cfg["home_currency"]},
            },
            "AccountingInfoPrefs": {
                "TrackDepartments": bool(cfg["track_departments"]),
                "DepartmentTerminology": "Location",
                "ClassTrackingPerTxn": cfg["class_tracking"] == "document",
                "ClassTrackingPerTxnLine": cfg["class_tracking"] == "line",
            },
            "SalesFormsPrefs": {
                "CustomTxnNumbers": False,
                "AllowDiscount": True,
                "AutoApplyCredit": bool(cfg["auto_apply_credit"]),
            },
            "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": cfg["country"] == "US"},
        }

    # ------------------------------------------------------------------ seed
    def seed(self, data=None):
        """Load a realistic US small company (plus optional ``{kind: [objects]}``, written as
        through the API; read-only lists such as a non-US company's TaxRate/TaxCode are stored
        as given)."""
        with self.lock:
            for kind in KINDS:
                self.state[kind], self.deleted[kind], self.next_id[kind] = {}, {}, 1
            self.next_id["transaction"] = 1
            home = {"value": self.config["home_currency"]}
            accounts = [
                ("Checking", "Bank", "Checking"),
                ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
                ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
                ("Inventory Asset", "Other Current Asset", "Inventory"),
                ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
                ("Board of Equalization Payable", "Other Current Liability", "SalesTaxPayable"),
                ("Sales of Product Income", "Income", "SalesOfProductIncome"),
                ("Services", "Income", "ServiceFeeIncome"),
                ("Discounts given", "Income", "DiscountsRefundsGiven"),
                ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
                ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
                ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
            ]
            for name, account_type, sub_type in accounts:
                self._insert(
                    "Account",
                    {
                        "Name": name,
                        "FullyQualifiedName": name,
                        "AccountType": account_type,
                        "AccountSubType": sub_type,
                        "Classification": ACCOUNT_TYPES[account_type],
                        "Active": True,
                        "SubAccount": False,
                        "CurrentBalance": 0.0,
                        "CurrencyRef": dict(home),
                    },
                )
            acc = {a["Name"]: a["Id"] for a in self.state["Account"].values()}
            for code_id, taxable in (("TAX", True), ("NON", False)):
                self._insert(
                    "TaxCode",
                    {
                        "Id": code_id,
                        "Name": code_id,
                        "Description": "Taxable" if taxable else "Non-Taxable",
                        "Active": True,
                        "Taxable": taxable,
                        "TaxGroup": False,
                    },
                )
            self._insert(
                "TaxRate",
                {
                    "Name": "California",
                    "Description": "Sales Tax",
                    "Active": True,
                    "RateValue": 8.25,
                    "AgencyRef": {"value": "1"},
                    "SpecialTaxType": "NONE",
                    "DisplayType": "ReadOnly",
                },
            )
            self._insert(
                "TaxCode",
                {
                    "Id": "2",
                    "Name": "California",
                    "Description": "California",
                    "Active": True,
                    "Taxable": True,
                    "TaxGroup": True,
                    "SalesTaxRateList": {
                        "TaxRateDetail": [
                            {
                                "TaxRateRef": {"value": "1", "name": "California"},
                                "TaxTypeApplicable": "TaxOnAmount",
                                "TaxOrder": 0,
                            }
                        ]
                    },
                    "PurchaseTaxRateList": {"TaxRateDetail": []},
                },
            )
            for name, days in (("Due on receipt", 0), ("Net 30", 30)):
                self._insert(
                    "Term", {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days}
                )
            for name in ("Cash", "Check", "Visa"):
                self._insert(
                    "PaymentMethod",
                    {
                        "Name": name,
                        "Active": True,
                        "Type": "CREDIT_CARD" if name == "Visa" else "NON_CREDIT_CARD",
                    },
                )
            self._insert(
                "Class",
                {
                    "Name": "Retail",
                    "FullyQualifiedName": "Retail",
                    "Active": True,
                    "SubClass": False,
                },
            )
            self._insert(
                "Department",
                {
                    "Name": "Downtown",
                    "FullyQualifiedName": "Downtown",
                    "Active": True,
                    "SubDepartment": False,
                },
            )
            customers = [
                ("Amy's Bird Sanctuary", "Amy", "Lauterbach", "Birds@Intuit.com"),
                ("Bill's Windsurf Shop", "Bill", "Lucchini", "Surf@Intuit.com"),
                ("Cool Cars", "Grace", "Pariente", "Cool_Cars@intuit.com"),
            ]
            for name, given, family, email in customers:
                self._insert(
                    "Customer",
                    {
                        "DisplayName": name,
                        "FullyQualifiedName": name,
                        "PrintOnCheckName": name,
                        "GivenName": given,
                        "FamilyName": family,
                        "CompanyName": name,
                        "PrimaryEmailAddr": {"Address": email},
                        "Active": True,
                        "Taxable": True,
                        "Job": False,
                        "BillWithParent": False,
                        "Balance": 0.0,
                        "CurrencyRef": dict(home),
                        "SalesTermRef": {"value": "2"},
                        "BillAddr": {
                            "Line1": "4581 Finch St.",
                            "City": "Bayshore",
                            "CountrySubDivisionCode": "CA",
                            "PostalCode": "94326",
                        },
                    },
                )
            self._insert(
                "Vendor",
                {
                    "DisplayName": "Norton Lumber and Building Materials",
                    "Active": True,
                    "CurrencyRef": dict(home),
                    "Balance": 0.0,
                },
            )
            self._insert(
                "Employee",
                {
                    "DisplayName": "Emily Platt",
                    "GivenName": "Emily",
                    "FamilyName": "Platt",
                    "Active": True,
                },
            )
            items = [
                ("Services", "Service", None, 0, False, "Services"),
                ("Design", "Service", "DES-001", 75, False, "Services"),
                ("Rock Fountain", "Inventory", "RF-100", 275, True, "Sales of Product Income"),
                ("Pump", "Inventory", "PMP-200", 15, True, "Sales of Product Income"),
            ]
            for name, item_type, sku, price, taxable, income in items:
                item = {
                    "Name": name,
                    "FullyQualifiedName": name,
                    "Type": item_type,
                    "Active": True,
                    "Taxable": taxable,
                    "UnitPrice": float(price),
                    "IncomeAccountRef": {"value": acc[income], "name": income},
                }
                if sku:
                    item["Sku"] = sku
                if item_type == "Inventory":
                    item.update(
                        TrackQtyOnHand=True,
                        QtyOnHand=25.0,
                        InvStartDate="2024-01-01",
                        AssetAccountRef={"value": acc["Inventory Asset"]},
                        ExpenseAccountRef={"value": acc["Cost of Goods Sold"]},
                    )
                self._insert("Item", item)
            self._insert(
                "CompanyInfo",
                {
                    "CompanyName": "Sandbox Company_US_1",
                    "LegalName": "Sandbox Company_US_1",
                    "Country": self.config["country"],
                    "SupportedLanguages": "en",
                    "CompanyAddr": {
                        "Line1": "123 Sierra Way",
                        "City": "San Pablo",
                        "CountrySubDivisionCode": "CA",
                        "PostalCode": "87999",
                    },
                },
            )
            for kind, objects in (data or {}).items():
                for obj in objects:
                    if kind in READ_ONLY:  # not writable through the API: stored as given
                        self._insert(kind, copy.deepcopy(obj))
                    else:
                        self._save(kind, obj)
            return self._summary()

    def _summary(self):
        def names(kind, field):
            return {o[field]: o["Id"] for o in self.state[kind].values()}

        return {
            "realm_id": self.config["realm_id"],
            "counts": {k: len(v) for k, v in self.state.items() if v},
            "accounts": names("Account", "Name"),
            "items": names("Item", "Name"),
            "customers": names("Customer", "DisplayName"),
            "tax_codes": names("TaxCode", "Name"),
            "terms": names("Term", "Name"),
        }

    # ------------------------------------------------------------------ user-side actions
    def pay_invoice(self, invoice_id, amount=None):
        """The user records a payment against an invoice (whole balance by default)."""
        with self.lock:
            invoice = self._get("Invoice", invoice_id)
            amount = invoice["Balance"] if amount is None else amount
            line = {"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
            return self._save(
                "Payment",
                {
                    "CustomerRef": dict(invoice["CustomerRef"]),
                    "CurrencyRef": dict(invoice["CurrencyRef"]),
                    "TotalAmt": amount,
                    "Line": [line],
                },
            )["Payment"]

    def apply_credit(self, memo_id, invoice_id, amount):
        """The user applies ``amount`` of a credit memo to an invoice (a Payment of TotalAmt 0)."""
        with self.lock:
            invoice, memo = self._get("Invoice", invoice_id), self._get("CreditMemo", memo_id)
            return self._save("Payment", _credit_applied(invoice, memo, amount))["Payment"]

    def void_document(self, kind, obj_id):
        """The user voids a document in QuickBooks (any voidable kind)."""
        with self.lock:
            return copy.deepcopy(self._void(kind, self._get(kind, obj_id)))

    def delete_document(self, kind, obj_id):
        """The user deletes a transaction in QuickBooks."""
        with self.lock:
            obj = self._get(kind, obj_id)
            return self._delete(kind, {"Id": obj["Id"], "SyncToken": obj["SyncToken"]})[kind]

    def create_document(self, kind, body):
        """The user creates an object in QuickBooks (validated like the API)."""
        with self.lock:
            return copy.deepcopy(self._save(kind, copy.deepcopy(body), allow_dup=True)[kind])

    def update_document(self, kind, obj_id, changes):
        """The user edits an object in QuickBooks (sparse update, validated like the API)."""
        with self.lock:
            obj = self._get(kind, obj_id)
            body = {**changes, "Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True}
            return self._save(kind, body, allow_dup=True)[kind]

    def void_invoice(self, invoice_id):
        return self.void_document("Invoice", invoice_id)

    def delete_invoice(self, invoice_id):
        return self.delete_document("Invoice", invoice_id)

    def void_credit_memo(self, credit_memo_id):
        return self.void_document("CreditMemo", credit_memo_id)

    def delete_credit_memo(self, credit_memo_id):
        return self.delete_document("CreditMemo", credit_memo_id)

    def send_webhook(self, entities, url=None):
        """POST a legacy eventNotifications payload signed with the verifier token.

        ``entities``: dicts with name, id and optionally operation (default Update) and
        lastUpdated.  Returns the HTTP status (0 when the receiver could not be reached)."""
        url = url or self.config["webhook_url"]
        if not url:
            raise ValueError("no webhook url: pass url= or configure webhook_url")
        events = [
            {
                "name": e["name"],
                "id": str(e["id"]),
                "operation": e.get("operation", "Update"),
                "lastUpdated": e.get("lastUpdated", self._now().isoformat(timespec="seconds")),
            }
            for e in entities
        ]
        body = json.dumps(
            {
                "eventNotifications": [
                    {"realmId": self.config["realm_id"], "dataChangeEvent": {"entities": events}}
                ]
            }
        ).encode()
        signature = self.sign(self.config["webhook_verifier_token"], body)
        return self.post_signed(url, body, "intuit-signature", signature)

    def admin_action(self, action, req, data):
        data = data or {}
        try:
            if action == "tokens" and req.method == "POST":
                return Response(200, self.issue_tokens())
            if action == "pay" and req.method == "POST":
                return Response(200, self.pay_invoice(data["invoice_id"], data.get("amount")))
            if action in ("void", "delete") and req.method == "POST":
                kind = data.get("kind") or ("CreditMemo" if "credit_memo_id" in data else "Invoice")
                obj_id = data.get("id") or data.get("invoice_id") or data.get("credit_memo_id")
                func = self.void_document if action == "void" else self.delete_document
                return Response(200, func(kind, obj_id))
            if action == "webhook" and req.method == "POST":
                return Response(
                    200, {"status": self.send_webhook(data["entities"], data.get("url"))}
                )
        except QboFault as fault:
            return self._fault(fault)
        return None
