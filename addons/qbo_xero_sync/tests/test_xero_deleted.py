"""A Xero invoice deleted remotely (only DRAFT and SUBMITTED invoices can be deleted:
https://developer.xero.com/documentation/api/accounting/invoices): polling reports it, and
posting the Odoo invoice again creates it anew.

Same set-up as the other files (``common.QxsCase``): a real Odoo company, the real SDK, real
HTTP to the in-process emulator.
"""

from odoo.tests import tagged

from .common import QxsCase, XeroMixin


@tagged("post_install", "-at_install")
class TestXeroDeletedRemotely(XeroMixin, QxsCase):
    """An invoice deleted in Xero comes back by polling; posting again creates it anew."""

    def test_deleted_in_xero_comes_back_by_polling_and_repost_creates_it_anew(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        old_id = rec.remote_id
        # Only DRAFT or SUBMITTED invoices can be deleted in Xero: the copy is a draft there
        # (as if a user had saved it as a draft), then a user deletes it.
        with self.emulator.lock:
            self.emulator.state["Invoices"][old_id]["Status"] = "DRAFT"
        self.emulator.delete_invoice(old_id)
        self.assertEqual(self.emulator.objects("Invoices")[0]["Status"], "DELETED")

        self.poll()
        self.assertEqual(rec.state, "remote_deleted")
        self.assertEqual(move.qxs_sync_state, "remote_deleted")
        self.assertEqual(
            dict(rec._fields["state"]._description_selection(self.env))[rec.state],
            "Deleted remotely",
        )
        self.assertFalse(rec.remote_id, "the link is dropped")
        self.assertIn("deleted in Xero", move.message_ids[0].body)
        self.assertEqual(move.state, "posted", "the Odoo invoice stays")

        move.button_draft()
        move.action_post()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertNotEqual(rec.remote_id, old_id)
        by_status = {i["Status"]: i for i in self.emulator.objects("Invoices")}
        self.assertEqual(set(by_status), {"DELETED", "AUTHORISED"})
        self.assertEqual(by_status["AUTHORISED"]["InvoiceID"], rec.remote_id)
        self.assertEqual(by_status["AUTHORISED"]["InvoiceNumber"], move.name)
