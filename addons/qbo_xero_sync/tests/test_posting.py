from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestPosting(AccountTestInvoicingCommon):
    """Posting stays a local operation: it only records the intent to send."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env["qxs.connection"].create(
            {
                "name": "Unreachable QuickBooks",
                "provider": "qbo",
                "environment": "custom",
                # Nothing listens there: any network call during posting would fail the test.
                "custom_base_url": "http://127.0.0.1:9",
                "client_id": "id",
                "client_secret": "secret",
            }
        )
        cls.connection.sudo().write(
            {"state": "connected", "remote_org_id": "1", "refresh_token": "rt"}
        )

    def test_post_without_connection(self):
        self.connection.state = "disconnected"
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(invoice.qxs_sync_record_ids)
        self.assertEqual(invoice.qxs_sync_state, "none")

    def test_post_enqueues_without_network(self):
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        self.assertEqual(invoice.state, "posted")
        rec = invoice.qxs_sync_record_ids
        self.assertEqual(len(rec), 1)
        self.assertEqual((rec.state, rec.action, rec.attempts), ("pending", "push", 0))
        self.assertEqual(invoice.qxs_sync_state, "pending")

    def test_vendor_bill_not_enqueued(self):
        bill = self.init_invoice("in_invoice", amounts=[100.0], post=True)
        self.assertFalse(bill.qxs_sync_record_ids)

    def test_repost_reuses_record(self):
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        rec = invoice.qxs_sync_record_ids
        rec.write({"state": "synced", "remote_id": "42", "sync_token": "3"})
        invoice.button_draft()
        invoice.action_post()
        self.assertEqual(invoice.qxs_sync_record_ids, rec, "never a second sync record")
        self.assertEqual((rec.state, rec.remote_id), ("pending", "42"))

    def test_no_sync_channel_skips(self):
        team = self.env["crm.team"].create({"name": "Marketplace", "qxs_invoice_sync_type": "none"})
        invoice = self.init_invoice("out_invoice", amounts=[100.0])
        invoice.team_id = team
        invoice.action_post()
        rec = invoice.qxs_sync_record_ids
        self.assertEqual(rec.state, "skipped")
        self.assertIn("Marketplace", rec.skip_reason)
        invoice.action_qxs_retry()
        self.assertEqual(rec.state, "pending", "send skipped puts it back in the queue")

    def test_document_sent_remotely_cannot_be_deleted(self):
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        invoice._qxs_document_record().write({"state": "synced", "remote_id": "42"})
        invoice.button_draft()
        with self.assertRaisesRegex(UserError, "cancel it instead"):
            invoice.unlink()
        draft = self.init_invoice("out_invoice", amounts=[10.0])
        draft.unlink()  # never sent: deleting stays possible
