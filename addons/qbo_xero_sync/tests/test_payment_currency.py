"""Foreign-currency payments: a EUR invoice of a USD company, paid in EUR, sent with Odoo's rate
of the payment date (QuickBooks: ExchangeRate, home currency per unit; Xero: CurrencyRate, units
of the invoice's currency per unit of base currency)."""

from odoo import fields
from odoo.tests import tagged

from .common import QxsCase, XeroMixin
from .payments_common import PaymentsMixin

INVOICE_DATE = "2024-02-01"  # EUR rate 0.9 (EUR per USD)
PAYMENT_DATE = "2024-03-15"  # EUR rate 0.8: 1.25 USD per EUR


class PaymentCurrencyMixin(PaymentsMixin):
    """Both providers: the organisation has EUR enabled, Odoo has EUR with two rates."""

    emulator_config = {"currencies": ["USD", "EUR"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2024-01-01", 0.9), ("2024-03-01", 0.8)])

    def eur_invoice_paid(self):
        """A EUR invoice (108.25 EUR with its tax) sent, then paid in full in EUR."""
        move = self.init_invoice(
            "out_invoice",
            partner=self.partner_a,  # immediate payment terms: one installment
            invoice_date=INVOICE_DATE,
            amounts=[100.0],
            post=True,
            taxes=self.tax_sale,
            currency=self.eur,
        )
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        payment = self.pay(move, date=PAYMENT_DATE, user=self.billing_user)
        self.assertEqual(payment.currency_id, self.eur)
        self.sync()
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "synced", rec.last_error)
        # Odoo's own rate of the payment date, not the invoice's.
        odoo_rate = self.eur._get_rates(self.env.company, fields.Date.to_date(PAYMENT_DATE))
        self.assertAlmostEqual(odoo_rate[self.eur.id], 0.8)
        return move, payment, rec


@tagged("post_install", "-at_install")
class TestQboPaymentCurrency(PaymentCurrencyMixin, QxsCase):
    def test_eur_payment_carries_the_exchange_rate_of_its_date(self):
        move, payment, rec = self.eur_invoice_paid()
        [remote] = self.emulator.objects("Payment")
        self.assertEqual(remote["Id"], rec.remote_id)
        self.assertEqual(remote["CurrencyRef"]["value"], "EUR")
        self.assertEqual(remote["ExchangeRate"], 1.25, "USD per EUR on the payment date")
        self.assertEqual(remote["TxnDate"], PAYMENT_DATE)
        self.assertAlmostEqual(remote["TotalAmt"], move.amount_total, 2)
        self.assertAlmostEqual(remote["TotalAmt"], 108.25, 2)
        [invoice] = self.emulator.objects("Invoice")
        self.assertEqual(invoice["Balance"], 0.0)
        self.assertEqual(invoice["HomeBalance"], 0.0)


@tagged("post_install", "-at_install")
class TestXeroPaymentCurrency(PaymentCurrencyMixin, XeroMixin, QxsCase):
    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "090"

    def test_eur_payment_carries_the_currency_rate_of_its_date(self):
        move, payment, rec = self.eur_invoice_paid()
        [remote] = [p for p in self.emulator.objects("Payments") if p["Status"] != "DELETED"]
        self.assertEqual(remote["PaymentID"], rec.remote_id)
        self.assertEqual(remote["Invoice"]["CurrencyCode"], "EUR")
        self.assertEqual(remote["CurrencyRate"], 0.8, "EUR per USD on the payment date")
        self.assertEqual(remote["Amount"], 108.25)
        # Into the USD bank account: the amount in USD at the payment's rate.
        self.assertEqual(remote["BankAmount"], 135.31)
        self.assertAlmostEqual(remote["Amount"], move.amount_total, 2)
        [invoice] = self.emulator.objects("Invoices")
        self.assertEqual(invoice["Status"], "PAID")
        self.assertEqual(payment.move_id.name, remote["Reference"])
