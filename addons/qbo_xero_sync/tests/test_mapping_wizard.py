"""The mapping wizard: proposals scored by matching.match_score, one-to-one deposit accounts,
Apply writes (and only Apply), against both emulators, run by a Settings administrator."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.qbo_xero_sync import const
from odoo.addons.qbo_xero_sync.matching import match_score

from .common import QxsCase, XeroMixin


class WizardChecks:
    """``check_*`` helpers, called by one-line tests in each provider's class."""

    expense_name = None  # an expense account of the provider's chart
    same_name = None  # a revenue account of the provider's chart (its name)
    tax_remote = None  # the tax code proposed for the 8.25 % sale tax
    bank_codes = ()  # bank-type accounts of the chart (codes)
    revenue_code = None  # a revenue account's code, to map an Odoo income account to

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin_user = new_test_user(
            cls.env,
            login="qxs_map_admin",
            groups="base.group_user,base.group_system,account.group_account_manager",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )

    def open_wizard(self):
        return (
            self.env["qxs.mapping.wizard"]
            .with_user(self.admin_user)
            .with_context(active_id=self.connection.id, active_model="qxs.connection")
            .create({})
        )

    def remote(self, name=None, code=None):
        records = self.connection.remote_record_ids
        return records.filtered(
            lambda r: (name is None or r.name == name) and (code is None or r.code == code)
        )[:1]

    def income_account(self, name, product):
        account = self.env["account.account"].create(
            {"name": name, "code": f"4{abs(hash(name)) % 10000:04d}", "account_type": "income"}
        )
        product.property_account_income_id = account
        return account

    @staticmethod
    def line_of(lines, record):
        return lines.filtered(
            lambda ln: record in (ln.account_id, ln.tax_id, ln.term_id, ln.journal_id)
        )

    # ------------------------------------------------------------------ checks
    def check_scores(self):
        types = ("Income",)
        self.assertEqual(match_score("Sales", "Other", code="200", remote_code="200"), 100)
        self.assertEqual(match_score("Services", "services"), const.MAPPING_SCORE_SAME_NAME)
        similar = match_score("Service fees", "Services")
        self.assertTrue(const.MAPPING_MIN_SCORE <= similar < const.MAPPING_SCORE_SAME_NAME)
        self.assertEqual(
            match_score(
                "Office Expenses", "Office Expenses", remote_type="Expense", allowed_types=types
            ),
            0,
        )
        self.assertEqual(match_score("VAT 8.25%", "California", rate=8.25, remote_rate=15.0), 0)
        self.assertGreaterEqual(match_score("Tax", "California", rate=8.25, remote_rate=8.25), 50)

    def check_expense_never_proposed_for_revenue(self):
        account = self.income_account(self.expense_name, self.product_b)
        wizard = self.open_wizard()
        revenue_types = const.REVENUE_ACCOUNT_TYPES[self.connection.provider]
        for line in wizard.revenue_line_ids.filtered("remote_id"):
            self.assertIn(line.remote_id.account_type, revenue_types, line.name)
        line = self.line_of(wizard.revenue_line_ids, account)
        self.assertNotEqual(line.remote_id.name, self.expense_name)
        expense = self.remote(name=self.expense_name)
        self.assertEqual(line._score(expense), 0)
        line.remote_id = expense  # chosen anyway (past the picker's domain): refused on Apply
        with self.assertRaisesRegex(UserError, "cannot be mapped"):
            wizard.action_apply()
        self.assertFalse(account.qxs_revenue_code, "nothing written")

    def check_exact_beats_similar(self):
        account = self.income_account(self.same_name, self.product_b)
        wizard = self.open_wizard()
        line = self.line_of(wizard.revenue_line_ids, account)
        self.assertEqual(line.remote_id, self.remote(name=self.same_name))
        self.assertEqual(line.score, const.MAPPING_SCORE_SAME_NAME)

    def check_tax_proposed_by_rate(self):
        self.tax_sale.qxs_tax_code = False
        wizard = self.open_wizard()
        line = self.line_of(wizard.tax_line_ids, self.tax_sale)
        self.assertEqual(line.remote_id.code, self.tax_remote)
        self.assertGreaterEqual(line.score, 50)
        wizard.action_apply()
        self.assertEqual(self.tax_sale.qxs_tax_code, self.tax_remote)

    def check_one_to_one_deposit(self):
        bank = self.company_data["default_journal_bank"]
        cash = self.company_data["default_journal_cash"]
        wizard = self.open_wizard()
        proposed = wizard.journal_line_ids.remote_id
        self.assertEqual(len(proposed), len(wizard.journal_line_ids.filtered("remote_id")))
        self.assertEqual(set(proposed.mapped("usage")) - {"bank"}, set())
        target = self.remote(code=self.bank_codes[0])
        self.line_of(wizard.journal_line_ids, bank).remote_id = target
        self.line_of(wizard.journal_line_ids, cash).remote_id = target
        with self.assertRaisesRegex(UserError, "same account"):
            wizard.action_apply()
        self.assertFalse(bank.qxs_deposit_account or cash.qxs_deposit_account)
        # A journal already depositing there counts too (its line left empty keeps it).
        bank.qxs_deposit_account = self.bank_codes[0]
        wizard = self.open_wizard()
        self.line_of(wizard.journal_line_ids, cash).remote_id = target
        with self.assertRaisesRegex(UserError, "same account"):
            wizard.action_apply()

    def check_apply_writes(self):
        revenue = self.company_data["default_account_revenue"]
        bank = self.company_data["default_journal_bank"]
        wizard = self.open_wizard()
        self.assertIn(bank.name, wizard.unmapped_journal)
        self.line_of(wizard.revenue_line_ids, revenue).remote_id = self.remote(
            code=self.revenue_code
        )
        self.line_of(wizard.journal_line_ids, bank).remote_id = self.remote(code=self.bank_codes[0])
        wizard.default_remote_id = self.remote(code=self.revenue_code)
        self.assertIn(self.revenue_code, wizard.unmapped_default)
        self.assertNotIn(bank.name, wizard.unmapped_journal)
        self.assertFalse(revenue.qxs_revenue_code, "nothing written before Apply")
        wizard.action_apply()
        self.assertEqual(revenue.qxs_revenue_code, self.revenue_code)
        self.assertEqual(bank.qxs_deposit_account, self.bank_codes[0])
        self.assertEqual(self.connection._qxs_default_revenue_account(), self.revenue_code)
        # Re-opened, the wizard shows what is mapped now.
        again = self.open_wizard()
        line = self.line_of(again.revenue_line_ids, revenue)
        self.assertEqual((line.current_code, line.remote_id.code), (self.revenue_code,) * 2)
        # A line whose product has no revenue code takes its income account's.
        self.product_b.qxs_revenue_code = False
        move = self.invoice(products=self.product_b, post=False)
        move.invoice_line_ids.account_id = revenue
        values = move._qxs_document_values(self.connection)
        self.assertEqual(values["lines"][0]["revenue_code"], self.revenue_code)


@tagged("post_install", "-at_install")
class TestMappingWizardQbo(WizardChecks, QxsCase):
    expense_name = "Office Expenses"
    same_name = "Discounts given"
    tax_remote = "California"
    bank_codes = ("Checking",)
    revenue_code = "Services"

    def test_scores(self):
        self.check_scores()

    def test_expense_never_proposed_for_revenue(self):
        self.check_expense_never_proposed_for_revenue()

    def test_exact_beats_similar(self):
        self.check_exact_beats_similar()

    def test_tax_proposed_by_rate(self):
        self.check_tax_proposed_by_rate()

    def test_one_to_one_deposit(self):
        self.check_one_to_one_deposit()

    def test_apply_writes(self):
        self.check_apply_writes()

    def test_us_pseudo_codes_only_for_us_sales_tax(self):
        exempt = self.env["account.tax"].create(
            {"name": "Exempt", "amount": 0.0, "type_tax_use": "sale"}
        )
        line = self.line_of(self.open_wizard().tax_line_ids, exempt)
        self.assertEqual(line.remote_id.code, "NON", "US sales tax: a 0 % tax is NON")
        self.connection.qbo_tax_style = "global"
        line = self.line_of(self.open_wizard().tax_line_ids, exempt)
        self.assertNotEqual(line.remote_id.code, "NON")
        self.assertEqual(line._score(self.remote(code="NON")), 0)

    def test_terms_mapped_to_quickbooks_terms(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "Net 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})
                ],
            }
        )
        wizard = self.open_wizard()
        line = self.line_of(wizard.term_line_ids, term)
        self.assertEqual(line.remote_id.code, "Net 30", "same due days, similar name")
        wizard.action_apply()
        self.assertEqual(term.qxs_term_name, "Net 30")


@tagged("post_install", "-at_install")
class TestMappingWizardXero(XeroMixin, WizardChecks, QxsCase):
    expense_name = "General Expenses"
    same_name = "Interest Income"
    tax_remote = "OUTPUT"
    bank_codes = ("090", "091")
    revenue_code = "260"

    def test_scores(self):
        self.check_scores()

    def test_expense_never_proposed_for_revenue(self):
        self.check_expense_never_proposed_for_revenue()

    def test_exact_beats_similar(self):
        self.check_exact_beats_similar()

    def test_tax_proposed_by_rate(self):
        self.check_tax_proposed_by_rate()

    def test_one_to_one_deposit(self):
        self.check_one_to_one_deposit()

    def test_apply_writes(self):
        self.check_apply_writes()

    def test_no_terms_for_xero(self):
        self.assertFalse(self.open_wizard().term_line_ids, "Xero invoices carry no terms")
