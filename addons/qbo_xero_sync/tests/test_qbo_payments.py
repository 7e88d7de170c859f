from odoo.tests import tagged

from .common import QxsCase
from .payments_common import PaymentsMixin


@tagged("post_install", "-at_install")
class TestQboPayments(PaymentsMixin, QxsCase):
    """Payments registered in Odoo -> QuickBooks Payments (the emulator), and back."""

    def qbo(self, kind="Payment"):
        return self.emulator.objects(kind)

    def remote_invoice(self, move):
        return next(i for i in self.qbo("Invoice") if i["Id"] == self.record(move).remote_id)

    def test_full_payment_is_one_payment_linked_to_the_invoice(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move)
        self.assertEqual(self.qbo(), [], "nothing is sent while the user registers it")
        self.sync()
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [remote] = self.qbo()
        self.assertEqual(remote["Id"], rec.remote_id)
        self.assertAlmostEqual(remote["TotalAmt"], move.amount_total, 2)
        self.assertEqual(remote["PaymentRefNum"], payment.move_id.name[:21])
        [line] = remote["Line"]
        self.assertEqual(
            line["LinkedTxn"], [{"TxnId": self.record(move).remote_id, "TxnType": "Invoice"}]
        )
        self.assertEqual(
            remote["DepositToAccountRef"]["value"], self.summary["accounts"]["Undeposited Funds"]
        )
        self.assertEqual(self.remote_invoice(move)["Balance"], 0.0)
        self.assertIn("Payment sent to QuickBooks Online", payment.move_id.message_ids[0].body)
        self.assertIn("1 synced", move.qxs_payment_sync_summary)
        self.sync_all()
        self.assertEqual(len(self.qbo()), 1, "sent once")

    def test_partial_payment_then_unreconcile_deletes_it(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move, amount=40.0)
        self.sync()
        self.assertAlmostEqual(self.remote_invoice(move)["Balance"], move.amount_total - 40.0, 2)
        self.unreconcile(payment)
        self.sync()
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(rec.remote_status, "deleted")
        self.assertEqual(self.qbo(), [])
        self.assertAlmostEqual(self.remote_invoice(move)["Balance"], move.amount_total, 2)
        # Reconciled again: sent anew, with new request ids.
        self.reconcile(payment, move)
        self.sync()
        self.assertEqual(len(self.qbo()), 1)
        self.assertEqual(self.payment_record(payment).state, "synced")

    def test_one_payment_of_two_invoices_and_the_journal_account(self):
        self.bank.qxs_deposit_account = "Checking"
        first, second = self.invoice(amounts=(100.0,)), self.invoice(amounts=(50.0,))
        self.sync()
        payment = self.pay(first + second)
        self.sync()
        [remote] = self.qbo()
        self.assertEqual(
            {li["LinkedTxn"][0]["TxnId"] for li in remote["Line"]},
            {self.record(first).remote_id, self.record(second).remote_id},
        )
        self.assertAlmostEqual(remote["TotalAmt"], first.amount_total + second.amount_total, 2)
        self.assertEqual(
            remote["DepositToAccountRef"]["value"], self.summary["accounts"]["Checking"]
        )
        self.assertEqual(self.payment_record(payment).state, "synced")

    def test_payment_changed_remotely_is_read_again_then_updated_and_deleted(self):
        """A stale SyncToken (the QuickBooks user edited the payment's memo) is read again and
        the write is made once more: for an update and for a delete."""
        first, second = self.invoice(amounts=(100.0,)), self.invoice(amounts=(50.0,))
        self.sync()
        payment = self.pay(first + second)
        self.sync()
        rec = self.payment_record(payment)
        [remote] = self.qbo()
        with self.emulator.lock:
            stored = self.emulator.state["Payment"][remote["Id"]]
            stored["SyncToken"] = str(int(stored["SyncToken"]) + 1)
        self.unreconcile(payment)
        self.reconcile(payment, first)  # the payment now pays only the first invoice
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        [remote] = self.qbo()
        self.assertEqual(
            [li["LinkedTxn"][0]["TxnId"] for li in remote["Line"]], [self.record(first).remote_id]
        )
        with self.emulator.lock:
            stored = self.emulator.state["Payment"][remote["Id"]]
            stored["SyncToken"] = str(int(stored["SyncToken"]) + 1)
        self.cancel(payment)
        self.assertEqual((rec.state, rec.action), ("pending", "void"))
        self.sync()
        self.assertEqual((rec.state, rec.remote_status), ("synced", "deleted"), rec.last_error)
        self.assertEqual(self.qbo(), [])

    def test_cancel_deletes_and_repost_sends_anew(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move)
        self.sync()
        rec = self.payment_record(payment)
        self.cancel(payment)  # its entry is deleted: the record stays, to remove the payment
        self.sync()
        self.assertEqual(self.qbo(), [])
        self.assertEqual((rec.state, rec.remote_status), ("synced", "deleted"))
        payment.action_draft()
        payment.action_post()
        self.reconcile(payment, move)
        self.sync()
        [remote] = self.qbo()
        self.assertEqual(self.payment_record(payment).remote_id, remote["Id"])

    def test_payment_waits_for_its_invoice(self):
        move = self.invoice()
        payment = self.pay(move)  # before the invoice was sent
        self.sync()
        self.assertEqual(self.record(move).state, "synced")
        rec = self.payment_record(payment)
        self.sync_all()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(rec.attempts, 0, "waiting is no failure")
        self.assertEqual(len(self.qbo()), 1)

    def test_option_off_and_no_sync_channel_skip_with_the_reason(self):
        self.connection.send_payments = False
        move = self.invoice()
        self.sync()
        payment = self.pay(move)
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "skipped")
        self.assertIn("turned off", rec.skip_reason)
        self.connection.send_payments = True
        team = self.env["crm.team"].create({"name": "Counter", "qxs_invoice_sync_type": "none"})
        other = self.invoice(post=False)
        other.team_id = team
        other.action_post()
        payment = self.pay(other)
        rec = self.payment_record(payment)
        self.assertEqual(rec.state, "skipped")
        self.assertIn("Counter", rec.skip_reason)
        self.sync_all()
        self.assertEqual(self.qbo(), [])

    def test_credit_note_applied_is_a_zero_amount_payment(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        credit = self.invoice(amounts=(30.0,), move_type="out_refund")
        self.sync()
        (credit + move).line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        ).reconcile()
        self.sync()
        rec = credit._qxs_payment_record(self.connection)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [remote] = self.qbo()
        self.assertEqual(remote["TotalAmt"], 0.0)
        self.assertEqual(
            sorted(li["LinkedTxn"][0]["TxnType"] for li in remote["Line"]),
            ["CreditMemo", "Invoice"],
        )
        self.assertAlmostEqual(
            self.remote_invoice(move)["Balance"], move.amount_total - credit.amount_total, 2
        )
        # Credit applied is not cash: nothing is registered in Odoo after a poll.
        self.poll()
        self.assertFalse(
            self.env["account.move"].search([("qxs_origin_document_id", "=", move.id)])
        )

    def test_lost_answer_makes_exactly_one_payment(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move)
        self.emulator.add_fault("drop_after_write", path="batch")
        self.sync()
        self.assertEqual(len(self.qbo()), 1, "written, the answer lost")
        self.sync_all()
        self.assertEqual(len(self.qbo()), 1)
        self.assertEqual(self.payment_record(payment).state, "synced")

    def test_no_echo_both_ways(self):
        move = self.invoice()
        self.sync()
        # Odoo -> QuickBooks, then a poll and a webhook read: nothing comes back.
        payment = self.pay(move, amount=40.0)
        self.sync()
        self.poll()
        self.env["qxs.sync.record"]._enqueue_pull(
            self.connection, [("invoice", self.record(move).remote_id)]
        )
        self.sync()
        self.assertEqual(move.amount_residual, move.amount_total - 40.0)
        self.assertFalse(
            self.env["account.move"].search([("qxs_origin_document_id", "=", move.id)])
        )
        # QuickBooks -> Odoo: registered, marked, never sent back.
        self.emulator.pay_invoice(self.record(move).remote_id, 10.0)
        self.poll()
        mine = self.env["account.move"].search([("qxs_origin_document_id", "=", move.id)])
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine.qxs_origin_connection_id, self.connection)
        self.sync_all()
        self.assertEqual(len(self.qbo()), 2, "the remote payment is not sent back")
        self.assertFalse(mine._qxs_payment_record(self.connection))
        self.assertEqual(self.payment_record(payment).state, "synced")

    def test_remote_deletion_cancels_only_the_payments_it_registered(self):
        move = self.invoice()
        self.sync()
        mine = self.pay(move, amount=30.0)
        self.sync()
        remote = self.emulator.pay_invoice(self.record(move).remote_id, 20.0)
        self.poll()
        theirs = self.env["account.move"].search([("qxs_origin_document_id", "=", move.id)])
        self.assertEqual(theirs.state, "posted")
        self.emulator.delete_document("Payment", remote["Id"])
        self.poll()
        self.assertFalse(theirs.exists() and theirs.state == "posted", "cancelled")
        self.assertIn("cancelled", move.message_ids[0].body)
        self.assertEqual(mine.move_id.state, "posted", "Odoo's own payment is kept")
        self.assertAlmostEqual(move.amount_residual, move.amount_total - 30.0, 2)
        # Odoo's own payment deleted remotely: kept in Odoo, its record says so.
        self.emulator.delete_document("Payment", self.payment_record(mine).remote_id)
        self.poll()
        self.assertEqual(mine.move_id.state, "posted")
        self.assertEqual(self.payment_record(mine).state, "remote_deleted")

    def test_billing_user_registers_a_payment(self):
        move = self.invoice()
        self.sync()
        payment = self.pay(move.with_user(self.billing_user), user=self.billing_user)
        self.assertEqual(self.payment_record(payment).state, "pending")
        self.sync()
        self.assertEqual(self.payment_record(payment).state, "synced")
        self.assertEqual(len(self.qbo()), 1)
        self.assertTrue(move.with_user(self.billing_user).qxs_payment_sync_summary)

    def test_calls_per_payment_in_bulk(self):
        """30 payments go in one batch request: at most 0.05 API calls per payment."""
        moves = self.env["account.move"]
        for _n in range(30):
            moves |= self.invoice(amounts=(20.0,))
        self.sync()
        for move in moves:
            self.pay(move)
        before = len(self.emulator.log)
        self.sync()
        calls = len(self.emulator.log) - before
        self.assertEqual(len(self.qbo()), 30)
        self.assertLessEqual(calls / 30, 0.05, self.emulator.counts())
