"""Regression tests of the Xero journal adapter's defects: the real xero-python SDK against the
Xero emulator over HTTP."""

from odoo.tests import tagged

from odoo.addons.qbo_xero_sync.tests.common import XeroMixin

from .common import QxsCogsCase


@tagged("post_install", "-at_install")
class TestXeroCogsDefects(XeroMixin, QxsCogsCase):
    """Manual journals are looked up (by the number starting their narration) before one is
    created for a record without remote id."""

    cogs_code = "310"
    stock_code = "630"

    def xero(self, kind="ManualJournals"):
        return self.emulator.objects(kind)

    def test_lost_journal_answer_then_changed_narration_updates_the_same_journal(self):
        inv = self.invoice_order(self.order(self.shop, {self.lamp: 2}), self.day2)
        self.emulator.add_fault("drop_after_write", path="ManualJournals", method="POST")
        self.export()
        rec = self.cogs(inv)
        self.assertEqual((rec.state, rec.remote_id), ("pending", False))
        [first] = self.xero()
        self.partner_a.name = "Renamed Customer"  # the narration changes before the retry
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        [journal] = self.xero()
        self.assertEqual(rec.remote_id, first["ManualJournalID"])
        self.assertIn("Renamed Customer", journal["Narration"])
