from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import QxsCase


class RemoteAccountScenarios:
    """Accounts mirrored from the provider's chart ("Reload from QuickBooks / Xero"), then
    picked instead of typed (mixed into a QxsCase per provider)."""

    allow_inherited_tests_method = True  # Odoo's loader: run the test methods of this mixin
    # (code, label, type) of one loaded account, the codes of the income accounts, one of them
    sales_account = income_codes = picked_code = None
    accounts_path = None  # the path of the call that lists the accounts
    provider_name = None

    def load(self):
        self.connection.action_reload_reference_data()
        return self.connection.remote_account_ids

    def picker_choices(self, field="default_income_account_id"):
        domain = safe_eval(self.connection._fields[field].domain, {"id": self.connection.id})
        return self.env["qxs.remote.record"].search(domain)

    def test_load_replaces_the_list(self):
        accounts = self.load()
        listed = {(a.code, a.name, a.account_type) for a in accounts}
        self.assertIn(self.sales_account, listed)
        self.assertEqual(set(accounts.mapped("kind")), {"account"})
        self.assertIn(f": {len(accounts)} accounts,", self.connection.message_ids[0].body)
        self.assertEqual(len(self.load()), len(accounts), "loading again replaces the list")
        self.assertFalse(accounts.exists())

    def test_load_error_is_the_providers_message(self):
        accounts = self.load()
        self.emulator.add_fault("status", status=503, path=self.accounts_path)
        with self.assertRaises(UserError) as caught:
            self.load()
        self.assertIn(f"{self.provider_name} error", str(caught.exception))
        self.assertIn("503", str(caught.exception))
        self.assertEqual(self.connection.remote_account_ids, accounts, "the list is kept")

    def test_picking_an_income_account_sets_the_code(self):
        self.load()
        choices = self.picker_choices()
        self.assertEqual(set(choices.mapped("code")), self.income_codes)
        picked = choices.filtered(lambda a: a.code == self.picked_code)
        self.connection.default_income_account_id = picked
        self.assertEqual(self.connection.default_income_account, self.picked_code)
        self.assertEqual(self.connection.default_income_account_id, picked)


@tagged("post_install", "-at_install")
class TestRemoteAccountsQbo(RemoteAccountScenarios, QxsCase):
    """QuickBooks also uses the picked income account for the items it creates."""

    sales_account = ("Sales of Product Income", "Sales of Product Income", "Income")
    income_codes = {"Sales of Product Income", "Services", "Discounts given"}
    picked_code = "Services"
    accounts_path = "/batch"  # one batch of queries
    provider_name = "QuickBooks"

    def test_picked_in_the_settings_and_used_for_new_items(self):
        self.load()
        settings = Form(self.env["res.config.settings"])
        self.assertEqual(settings.qxs_default_income_account_id.code, "Sales of Product Income")
        settings.qxs_default_income_account_id = self.picker_choices().filtered(
            lambda a: a.code == self.picked_code
        )
        self.assertEqual(settings.qxs_default_income_account, self.picked_code, "onchange")
        settings.save().execute()
        self.assertEqual(self.connection.default_income_account, self.picked_code)

        self.invoice(amounts=(), products=self.product_b)  # "Consulting Hours": no item yet
        self.sync()
        created = {i["Name"]: i for i in self.emulator.objects("Item")}["Consulting Hours"]
        self.assertEqual(
            created["IncomeAccountRef"]["value"], self.summary["accounts"][self.picked_code]
        )

    def test_picked_on_the_connection(self):
        self.load()
        self.connection.default_income_account_id = self.picker_choices().filtered(
            lambda a: a.code == self.picked_code
        )
        self.assertEqual(self.connection.default_income_account, self.picked_code)


@tagged("post_install", "-at_install")
class TestRemoteAccountsXero(RemoteAccountScenarios, QxsCase):
    provider = "xero"
    default_revenue_code = "200"
    revenue_code_a = "200"
    revenue_code_b = "260"
    tax_code = "OUTPUT"
    sales_account = ("200", "Sales", "REVENUE")
    income_codes = {"200", "260", "270"}
    picked_code = "260"
    accounts_path = "/Accounts"
    provider_name = "Xero"
