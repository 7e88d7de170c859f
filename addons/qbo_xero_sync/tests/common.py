"""Shared set-up: a real Odoo company connected to the project's local API emulators.

The emulators live in the repository's top-level ``tests/emulators`` package (importable as
``tests.emulators``: setup/test.sh puts the repository root on PYTHONPATH); they are started in
this process on a free port and spoken to over real HTTP by the real SDKs.
"""

import contextlib

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from tests.contracts.check import assert_no_violations
from tests.emulators import get_emulator_class
from tests.emulators.odoo_connect import connect_company


@contextlib.contextmanager
def lost_commit(env, connection):
    """Run the block as a worker whose transaction is lost at its end (it died before its
    commit, after the provider applied its writes): all it wrote in Odoo is rolled back, except
    what the addon commits in transactions of their own and a crash does not undo (the
    connection's rotated tokens, the marks of send attempts). In tests those transactions are
    savepoints of the test's, so they are carried over the rollback here."""
    savepoint = env.cr.savepoint()
    try:
        yield
    finally:
        conn = connection.sudo()
        conn.invalidate_recordset()
        tokens = {
            key: conn[key] for key in ("access_token", "refresh_token", "token_expiry", "state")
        }
        marks = env["qxs.send.attempt"].sudo().search_read([], ["record_ref", "attempted_at"])
        savepoint.rollback()
        savepoint.close(rollback=False)
        env.invalidate_all()
        conn.write(tokens)
        kept = set(env["qxs.send.attempt"].sudo().search([]).ids)
        env["qxs.send.attempt"].sudo().create(
            [
                {"record_ref": m["record_ref"], "attempted_at": m["attempted_at"]}
                for m in marks
                if m["id"] not in kept
            ]
        )


class XeroMixin:
    """Mixed into a QxsCase (before it): the company is connected to the Xero emulator, with
    its seeded accounts and tax as the mapped codes."""

    provider = "xero"
    default_revenue_code = "200"  # Sales (REVENUE)
    revenue_code_a = "200"
    revenue_code_b = "260"  # Other Revenue (OTHERINCOME)
    tax_code = "OUTPUT"  # Tax on Sales 8.25 %


class QxsCase(AccountTestInvoicingCommon):
    """A company connected to one emulator (``provider``), with mapped taxes and products."""

    provider = "qbo"
    emulator_config = {}
    default_revenue_code = "Services"
    revenue_code_a = "DES-001"  # the SKU of the seeded "Design" item
    revenue_code_b = "Consulting Hours"  # no such item: created as a Service item
    tax_code = "California"  # the seeded 8.25 % sales tax code

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = get_emulator_class(cls.provider)(**cls.emulator_config).start()
        cls.addClassCleanup(cls.emulator.stop)
        cls.summary = cls.emulator.seed()
        cls.connection = cls._connect(cls.env.company, cls.emulator)
        # A sale tax whose rate matches the emulator's, so that totals agree to the cent.
        cls.tax_sale = cls.env["account.tax"].create(
            {
                "name": "Sales tax 8.25%",
                "amount": 8.25,
                "type_tax_use": "sale",
                "company_id": cls.env.company.id,
                "qxs_tax_code": cls.tax_code,
            }
        )
        cls.product_a.qxs_revenue_code = cls.revenue_code_a
        cls.product_b.qxs_revenue_code = cls.revenue_code_b
        cls.partner_a.name = "Odoo Test Customer A"
        # partner_b's payment term as a QuickBooks term (partner_a's, Odoo's "Immediate
        # Payment", is "Due on receipt" from the install).
        cls.pay_terms_b.qxs_term_name = "Net 30"

    @classmethod
    def _connect(cls, company, emulator):
        """Connect ``company`` to ``emulator`` (tests/emulators/odoo_connect.py); the payments
        go to the bank journal of the main test company, none for another company."""
        return connect_company(
            cls.env,
            company,
            emulator,
            provider=cls.provider,
            default_revenue_code=cls.default_revenue_code,
            payment_journal=cls.company_data["default_journal_bank"]
            if company == cls.env.company
            else False,
        )

    @classmethod
    def company_user(cls, login, groups):
        """An internal user of the test company with ``groups`` (comma-separated xml ids)."""
        company = cls.env.company
        return new_test_user(
            cls.env,
            login=login,
            groups="base.group_user," + groups,
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )

    def setUp(self):
        super().setUp()
        # Every JSON body the emulators of this process received or answered, from the class
        # set-up on, follows the provider's schema (tests/contracts); checked after each test.
        assert_no_violations()
        self.addCleanup(assert_no_violations)
        self.emulator.reset()
        self.summary = self.emulator.seed()
        self.connection.sudo().write(self.connection._token_values(self.emulator.issue_tokens()))

    # ------------------------------------------------------------------ helpers
    def sync(self):
        """Run the sync cron once (as the scheduler would, outside any user action)."""
        return self.env["qxs.sync.record"]._cron_sync()

    def poll(self):
        return self.env["qxs.sync.record"]._cron_poll()

    def make_due(self):
        """Make records that wait for a retry due now (instead of sleeping)."""
        self.env["qxs.sync.record"].search([("state", "=", "pending")]).write(
            {"next_attempt": fields.Datetime.now()}
        )

    def invoice(
        self,
        amounts=(100.0,),
        move_type="out_invoice",
        partner=None,
        post=True,
        taxes=None,
        products=None,
    ):
        return self.init_invoice(
            move_type,
            partner=partner or self.partner_a,
            amounts=list(amounts),
            post=post,
            taxes=taxes if taxes is not None else self.tax_sale,
            products=products,
        )

    @staticmethod
    def record(move):
        return move._qxs_document_record()
