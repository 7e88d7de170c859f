from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .daily_summary_common import DailySummaryMixin


@tagged("post_install", "-at_install")
class TestQboDailySummary(DailySummaryMixin, QxsCase):
    """Daily summaries sent to QuickBooks Online (the emulator, through python-quickbooks)."""

    allow_inherited_tests_method = True  # the scenarios are DailySummaryMixin's

    def remote_docs(self, kind):
        return self.emulator.objects("Invoice" if kind == "invoice" else "CreditMemo")

    @staticmethod
    def remote_number(doc):
        return doc["DocNumber"]

    @staticmethod
    def remote_total(doc):
        return float(doc["TotalAmt"])

    @staticmethod
    def remote_lines(doc):
        return [li["Amount"] for li in doc["Line"] if li.get("DetailType") == "SalesItemLineDetail"]

    @staticmethod
    def voided(doc):
        return (doc.get("PrivateNote") or "").startswith("Voided")

    def remote_payments(self):
        return self.emulator.objects("Payment")

    deposit_account = ""  # Undeposited Funds

    def live_payments(self):
        return [p for p in self.emulator.objects("Payment") if float(p.get("TotalAmt") or 0)]

    @staticmethod
    def payment_amount(payment):
        return float(payment["TotalAmt"])

    @staticmethod
    def paid_document(payment):
        [line] = payment["Line"]
        return line["LinkedTxn"][0]["TxnId"]


@tagged("post_install", "-at_install")
class TestXeroDailySummary(DailySummaryMixin, XeroMixin, QxsCase):
    """Daily summaries sent to Xero (the emulator, through xero-python)."""

    allow_inherited_tests_method = True  # the scenarios are DailySummaryMixin's

    def remote_docs(self, kind):
        if kind == "invoice":
            return [d for d in self.emulator.objects("Invoices") if d["Type"] == "ACCREC"]
        return self.emulator.objects("CreditNotes")

    @staticmethod
    def remote_number(doc):
        return doc.get("InvoiceNumber") or doc.get("CreditNoteNumber")

    @staticmethod
    def remote_total(doc):
        return float(doc["Total"])

    @staticmethod
    def remote_lines(doc):
        return [li["LineAmount"] for li in doc["LineItems"]]

    @staticmethod
    def voided(doc):
        return doc["Status"] == "VOIDED"

    def remote_payments(self):
        return self.emulator.objects("Payments")

    deposit_account = "090"  # the seeded bank account

    def live_payments(self):
        return [p for p in self.emulator.objects("Payments") if p["Status"] != "DELETED"]

    @staticmethod
    def payment_amount(payment):
        return float(payment["Amount"])

    @staticmethod
    def paid_document(payment):
        return payment["Invoice"]["InvoiceID"]
