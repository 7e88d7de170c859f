from odoo.tests import tagged

from .. import const
from .common import QxsCase, XeroMixin
from .payments_common import PaymentsMixin


class ThrottlingMixin(PaymentsMixin):
    """A provider's rate limit is not a failure of the records it holds back: they wait what
    the provider says, no attempt is counted, and none ends in error however long it lasts."""

    def throttle_next_calls(self, count):
        raise NotImplementedError

    def payment_records(self, payments):
        return self.env["qxs.sync.record"].union(*(self.payment_record(p) for p in payments))

    def remote_payments(self):
        raise NotImplementedError

    def check_a_long_rate_limit(self):
        moves = self.invoice() + self.invoice(amounts=(50.0,))
        self.sync()
        payments = self.pay(moves, group=False)
        # More 429s in a row than a transient failure may last before it becomes an error.
        self.throttle_next_calls(const.MAX_TRANSIENT_ATTEMPTS + 2)
        records = self.payment_records(payments)
        for _round in range(const.MAX_TRANSIENT_ATTEMPTS + 2):
            self.make_due()
            self.sync()
            errors = records.filtered(lambda r: r.state == "error")
            self.assertFalse(errors, errors.mapped("last_error"))
            self.assertEqual(set(records.mapped("attempts")), {0}, "a rate limit is no attempt")
        self.sync_all()
        self.assertEqual(set(records.mapped("state")), {"synced"}, records.mapped("last_error"))
        self.assertEqual(len(self.remote_payments()), 2, "sent once each")


@tagged("post_install", "-at_install")
class TestQboThrottling(ThrottlingMixin, QxsCase):
    def throttle_next_calls(self, count):
        self.emulator.add_fault("status", status=429, count=count, path="/batch")

    def remote_payments(self):
        return self.emulator.objects("Payment")

    def test_a_long_rate_limit_never_turns_records_into_errors(self):
        self.check_a_long_rate_limit()


@tagged("post_install", "-at_install")
class TestXeroThrottling(ThrottlingMixin, XeroMixin, QxsCase):
    def setUp(self):
        super().setUp()
        self.bank.qxs_deposit_account = "090"

    def throttle_next_calls(self, count):
        self.emulator.add_fault(
            "status", status=429, count=count, path="/Payments", headers={"Retry-After": "30"}
        )

    def remote_payments(self):
        return [p for p in self.emulator.objects("Payments") if p["Status"] != "DELETED"]

    def test_a_long_rate_limit_never_turns_records_into_errors(self):
        self.check_a_long_rate_limit()

    def test_bulk_delete_stops_calling_at_the_minute_limit(self):
        """Xero deletes payments one call each: once its minute's calls are spent, the rest of
        the group waits without calling, and all are deleted in the next minutes."""
        moves = self.invoice() + self.invoice(amounts=(50.0,)) + self.invoice(amounts=(20.0,))
        self.sync()
        payments = self.pay(moves, group=False)
        self.sync_all()
        self.assertEqual(len(self.remote_payments()), 3)
        self.emulator.clock.advance(120)
        self.emulator.config["rate_limit_per_minute"] = 1
        for payment in payments:
            self.unreconcile(payment)
        calls = self.emulator.count("/Payments")
        self.sync()
        self.assertLessEqual(self.emulator.count("/Payments") - calls, 2, "stops at the first 429")
        records = self.payment_records(payments)
        for _round in range(6):
            self.emulator.clock.advance(61)
            self.make_due()
            self.sync()
        errors = records.filtered(lambda r: r.state == "error")
        self.assertFalse(errors, errors.mapped("last_error"))
        self.assertEqual(self.remote_payments(), [], "all deleted remotely")
