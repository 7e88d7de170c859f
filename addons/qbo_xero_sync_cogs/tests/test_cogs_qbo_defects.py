"""Regression tests of the QuickBooks journal adapter's defects: the real python-quickbooks SDK
against the QuickBooks emulator over HTTP."""

from odoo.tests import tagged

from .common import QxsCogsCase


@tagged("post_install", "-at_install")
class TestQboCogsDefects(QxsCogsCase):
    """A journal entry whose answer was lost is looked up by its number before one is created
    for a record without remote id: a changed narration updates it, never a second one."""

    def test_lost_journal_answer_then_changed_narration_updates_the_same_journal(self):
        inv = self.invoice_order(self.order(self.shop, {self.lamp: 2}), self.day2)
        self.emulator.add_fault("drop_after_write", path="journalentry", method="POST")
        self.export()
        rec = self.cogs(inv)
        self.assertEqual((rec.state, rec.remote_id), ("pending", False))
        [first] = self.emulator.objects("JournalEntry")
        self.partner_a.name = "Renamed Customer"  # the narration changes before the retry
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        [journal] = self.emulator.objects("JournalEntry")
        self.assertEqual(rec.remote_id, first["Id"])
        self.assertIn("Renamed Customer", journal["PrivateNote"])
