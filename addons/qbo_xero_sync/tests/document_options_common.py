"""Set-up of the document options tests (both providers): a billing user who posts, sales
teams, analytic accounts, a EUR rate, sales orders delivered or not."""

from odoo import Command, fields
from odoo.tests import new_test_user

INVOICE_DATE = "2024-02-01"  # EUR rate 0.8 EUR per USD: 1.25 USD per EUR


class DocumentOptionsMixin:
    """Mixed into a QxsCase before it."""

    emulator_config = {"currencies": ["USD", "EUR"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2024-01-01", 0.8)])
        cls.billing_user = new_test_user(
            cls.env,
            login=f"qxs_doc_billing_{cls.provider}",
            groups="account.group_account_invoice",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )
        plan = cls.env["account.analytic.plan"].create({"name": "QXS channels"})
        cls.analytic = {
            name: cls.env["account.analytic.account"].create({"name": name, "plan_id": plan.id})
            for name in ("Retail", "Online", "Shop", "Wholesale")
        }
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )

    def set_config(self, **values):
        """Change the emulator's configuration for this test only."""
        old = {key: self.emulator.config[key] for key in values}
        self.emulator.config.update(values)
        self.addCleanup(self.emulator.config.update, old)

    def team(self, name):
        return self.env["crm.team"].create({"name": name, "company_id": self.env.company.id})

    def draft(
        self,
        amounts=(100.0,),
        currency=None,
        partner=None,
        team=None,
        analytic=(),
        move_type="out_invoice",
    ):
        """A draft invoice or credit note (created by the administrator, posted by the billing
        user with ``post``): one line per amount, line i in analytic account ``analytic[i]``."""
        move = self.init_invoice(
            move_type,
            partner=partner or self.partner_a,
            invoice_date=INVOICE_DATE,
            amounts=list(amounts),
            taxes=self.tax_sale,
            currency=currency,
        )
        if team:
            move.team_id = team
        for line, name in zip(move.invoice_line_ids, analytic, strict=False):
            line.analytic_distribution = {str(self.analytic[name].id): 100}
        return move

    def post(self, move):
        """Posted by a billing user (as users do), then the send cron."""
        move.with_user(self.billing_user).action_post()
        self.sync()
        return self.record(move)

    def sent(self, move):
        rec = self.post(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        return rec

    def refused(self, move):
        rec = self.post(move)
        self.assertEqual(rec.state, "error", "refused before or by the provider")
        return rec.last_error

    def sale_invoice(self, commitment=None, done=None):
        """An invoice of a confirmed sales order (delivered on ``done`` when given) of
        ``self.warehouse``, left in draft."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner_a.id,
                "warehouse_id": self.warehouse.id,
                "commitment_date": commitment,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product_a.id,
                            "product_uom_qty": 2,
                            "price_unit": 50.0,
                            "tax_id": [Command.set(self.tax_sale.ids)],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        if done:
            picking = order.picking_ids
            for stock_move in picking.move_ids:
                stock_move.quantity = stock_move.product_uom_qty
                stock_move.picked = True
            picking.button_validate()
            self.assertEqual(picking.state, "done")
            picking.date_done = done
        move = order._create_invoices()
        move.invoice_date = INVOICE_DATE
        return move

    @staticmethod
    def date(value):
        return fields.Date.to_date(value)
