import threading
import time
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from ..adapters.qbo.pacing import PACER
from ..exceptions import SyncError
from .common import QxsCase


@tagged("post_install", "-at_install")
class TestQboPacing(QxsCase):
    """QuickBooks' 10 requests per second per company, on in the emulator (its default): the
    adapter paces its calls, so that a burst is never refused."""

    def setUp(self):
        super().setUp()  # a fresh emulator state and clock (reset), no 429 given yet
        self.assertEqual(self.emulator.config["rate_limit_per_second"], 10)
        self.assertEqual(self.emulator.throttled, 0)

    def new_invoices(self, count, prefix):
        """``count`` posted invoices, each of a new customer with a new item (created at once:
        the burst under test is the cron's, not the set-up's)."""
        names = [f"{prefix} {n:02d}" for n in range(count)]
        partners = self.env["res.partner"].create([{"name": name} for name in names])
        products = self.env["product.product"].create(
            [{"name": name, "qxs_revenue_code": name} for name in names]
        )
        moves = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": "2019-01-01",
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "price_unit": 100.0,
                                "tax_ids": [Command.set(self.tax_sale.ids)],
                            }
                        )
                    ],
                }
                for partner, product in zip(partners, products, strict=True)
            ]
        )
        moves.action_post()
        return moves

    def assert_synced(self, moves):
        records = [self.record(move) for move in moves]
        states = {rec.state for rec in records}
        self.assertEqual(states, {"synced"}, [rec.last_error for rec in records])

    def test_burst_of_new_customers_and_items_gets_no_429(self):
        """120 invoices of 120 new customers, each with a new item, in one cron run: more than
        ten calls are needed (customers, items and invoices go 30 to a batch), none is refused
        and every document is synced."""
        moves = self.new_invoices(120, "Paced")
        calls = self.emulator.count("/v3/")
        started = time.monotonic()
        self.sync()
        elapsed = time.monotonic() - started
        self.assert_synced(moves)
        self.assertEqual(self.emulator.throttled, 0, "no call was refused (429)")
        self.assertEqual(len(self.emulator.objects("Invoice")), 120)
        self.assertEqual(len(self.emulator.objects("Customer")), 3 + 120)  # seeded + new
        made = self.emulator.count("/v3/") - calls
        self.assertGreater(made, 10, "a burst beyond one second's allowance")
        # Paced: n calls need at least ceil(n / 10) - 1 seconds, and never a wait of a whole
        # rate window (a minute) on top of the 120 documents' own work.
        self.assertGreaterEqual(elapsed, (made - 1) // 10)
        self.assertLess(elapsed, (made - 1) // 10 + 45)

    def test_adapters_of_several_workers_share_the_pace(self):
        """Three cron workers (threads), each with its own adapter, read the same company at
        once: 30 calls take at least two seconds, and none is refused."""
        settings = self.connection._settings()
        token = self.connection.sudo().access_token
        adapter_class = self.connection._adapter_class()
        errors = []

        def worker():
            adapter = adapter_class(settings, access_token=lambda force_refresh=False: token)
            try:
                for _ in range(10):
                    adapter._query("SELECT * FROM Term")
            except SyncError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        self.assertEqual(errors, [])
        self.assertEqual(self.emulator.throttled, 0)
        self.assertGreaterEqual(self.emulator.count("/v3/"), 30)
        self.assertGreaterEqual(elapsed, 2.0, "30 calls of one company at 10 per second")
        self.assertEqual(PACER._in_flight[settings.org_id], 0, "every slot given back")

    def test_advanced_emulator_clock_keeps_the_pace(self):
        """Tests move the emulator's clock forward; the pacer keeps real time, so that the
        emulator (real time plus the offset) sees calls at least as far apart."""
        adapter = self.connection._adapter()
        for _ in range(10):
            adapter._query("SELECT * FROM Term")
        self.emulator.clock.advance(600)
        for _ in range(15):
            adapter._query("SELECT * FROM Term")
        self.assertEqual(self.emulator.count("/v3/"), 25)
        self.assertEqual(self.emulator.throttled, 0)

    def test_429_still_waits_its_retry_after(self):
        """A 429 that still comes (another process used the allowance) is retried after the
        Retry-After QuickBooks gave."""
        self.partner_a.qxs_billing_account = "Cool Cars"  # a known customer: one batch
        move = self.invoice()
        self.emulator.add_fault(
            "status",
            status=429,
            path="/batch",
            headers={"Retry-After": "900"},
            body={"Fault": {"Error": [{"code": "3001", "Message": "ThrottleExceeded"}]}},
        )
        before = fields.Datetime.now()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "pending")
        self.assertIn("429", rec.last_error)
        self.assertGreaterEqual(rec.next_attempt, before + timedelta(seconds=900))
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
