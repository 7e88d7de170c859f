from odoo.tests import tagged

from .common import QxsCase


@tagged("post_install", "-at_install")
class TestQboSync(QxsCase):
    """Posting in Odoo -> QuickBooks Online (the emulator, through python-quickbooks)."""

    def qbo(self, kind="Invoice"):
        return self.emulator.objects(kind)

    def test_post_sends_invoice_once_with_every_line(self):
        move = self.invoice(amounts=(100.0, 50.5), products=self.product_a)
        self.assertEqual(self.qbo(), [], "nothing is sent while posting")
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.qbo()
        self.assertEqual(inv["Id"], rec.remote_id)
        self.assertEqual(inv["DocNumber"], move.name)
        self.assertEqual(rec.remote_number, move.name)
        lines = [li for li in inv["Line"] if li.get("DetailType") == "SalesItemLineDetail"]
        self.assertEqual(len(lines), 3)
        self.assertAlmostEqual(sum(li["Amount"] for li in lines), move.amount_untaxed, 2)
        self.assertEqual(
            {li["SalesItemLineDetail"]["TaxCodeRef"]["value"] for li in lines}, {"TAX"}
        )
        self.assertEqual(
            inv["CustomerRef"]["value"],
            self.summary["customers"].get("Odoo Test Customer A") or inv["CustomerRef"]["value"],
        )
        self.assertIn("Sent to QuickBooks Online", move.message_ids[0].body)
        self.sync()
        self.assertEqual(len(self.qbo()), 1, "running the cron again sends nothing twice")

    def test_customer_found_by_billing_account_else_created(self):
        self.partner_a.qxs_billing_account = "Cool Cars"
        self.sync()
        move = self.invoice()
        self.sync()
        [inv] = self.qbo()
        self.assertEqual(inv["CustomerRef"]["value"], self.summary["customers"]["Cool Cars"])
        move_b = self.invoice(partner=self.partner_b)
        self.sync()
        customers = {c["DisplayName"]: c["Id"] for c in self.qbo("Customer")}
        self.assertIn(self.partner_b.name, customers, "an unknown customer is created")
        self.assertEqual(self.record(move_b).state, "synced")
        self.assertEqual(self.record(move).state, "synced")

    def test_item_matched_by_sku_or_created_under_default_income_account(self):
        self.invoice(amounts=(), products=self.product_a + self.product_b)
        self.sync()
        [inv] = self.qbo()
        item_ids = [
            li["SalesItemLineDetail"]["ItemRef"]["value"]
            for li in inv["Line"]
            if li.get("DetailType") == "SalesItemLineDetail"
        ]
        self.assertEqual(item_ids[0], self.summary["items"]["Design"], "matched by SKU")
        created = {i["Name"]: i for i in self.qbo("Item")}["Consulting Hours"]
        self.assertEqual(created["Type"], "Service")
        self.assertEqual(
            created["IncomeAccountRef"]["value"],
            self.summary["accounts"]["Sales of Product Income"],
        )
        self.assertEqual(item_ids[1], created["Id"])

    def test_bad_item_name_is_refused_with_a_clear_message(self):
        self.product_b.qxs_revenue_code = "Hardware:Bolts"
        move = self.invoice(amounts=(), products=self.product_b)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("Hardware:Bolts", rec.last_error)
        self.assertIn("':'", rec.last_error)
        self.assertEqual(move.qxs_sync_state, "error")
        self.assertEqual(self.qbo(), [])

    def test_unmapped_tax_blocks_before_any_call(self):
        self.tax_sale.qxs_tax_code = False
        move = self.invoice()
        calls = self.emulator.count()
        self.sync()
        self.assertEqual(self.record(move).state, "error")
        self.assertIn(self.tax_sale.name, self.record(move).last_error)
        self.assertEqual(self.emulator.count(), calls, "no API call for a document that can't go")

    def test_repost_updates_the_same_document(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        first_id, first_token = rec.remote_id, rec.sync_token
        move.button_draft()
        move.invoice_line_ids[0].price_unit = 120.0
        move.action_post()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.qbo()
        self.assertEqual(inv["Id"], first_id)
        self.assertNotEqual(rec.sync_token, first_token)
        self.assertAlmostEqual(inv["TotalAmt"], rec.remote_total, 2)
        self.assertEqual(len(move.qxs_sync_record_ids), 1)

    def test_stale_sync_token_after_a_payment_is_reread(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        self.emulator.update_document("Invoice", rec.remote_id, {"PrivateNote": "edited in QBO"})
        move.button_draft()
        move.ref = "PO-7"
        move.action_post()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(len(self.qbo()), 1)

    def test_write_applied_but_answer_lost_does_not_duplicate(self):
        self.partner_a.qxs_billing_account = "Cool Cars"  # no customer batch before the invoice
        # Customer, items and tax codes known first: the invoice's batch is then the only one
        # (the look-ups of a first send are read ahead in a batch of their own).
        self.sync_first()
        move = self.invoice(amounts=(42.0,))
        self.emulator.add_fault("drop_after_write", path="/invoice$")
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "pending", "a lost answer is retried")
        self.assertTrue(rec.last_error)
        self.assertEqual(len(self.qbo()), 2, "the write was applied remotely")
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(len(self.qbo()), 2, "never a duplicate")
        self.assertEqual(rec.remote_id, self.qbo()[1]["Id"])

    def sync_first(self):
        first = self.invoice()
        self.sync()
        self.assertEqual(self.record(first).state, "synced", self.record(first).last_error)

    def test_write_applied_then_rolled_back_locally_is_linked_by_docnumber(self):
        """Odoo crashed after QuickBooks applied the write: the retry finds it by DocNumber."""
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        remote_id = rec.remote_id
        rec.write(
            {
                "remote_id": False,
                "sync_token": False,
                "state": "pending",
                "generation": rec.generation + 1,
            }
        )  # as if the local commit was lost
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(rec.remote_id, remote_id)
        self.assertEqual(len(self.qbo()), 1)

    def test_transient_errors_retry_with_backoff(self):
        self.sync_first()  # the invoice's batch is then the only one
        move = self.invoice(amounts=(42.0,))
        self.emulator.add_fault("status", status=503, path="/invoice$")
        self.sync()
        rec = self.record(move)
        self.assertEqual((rec.state, rec.attempts), ("pending", 1))
        self.assertTrue(rec.next_attempt)
        self.assertIn("retry", rec.last_error)
        self.sync()
        self.assertEqual(rec.attempts, 1, "not retried before its time")
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)

    def test_throttled_429_waits_and_recovers(self):
        move = self.invoice()
        self.emulator.config["rate_limit_per_minute"] = 0
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "pending")
        self.assertIn("429", rec.last_error)
        self.emulator.config["rate_limit_per_minute"] = 500
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)

    def test_expired_access_token_is_refreshed_and_rotation_stored(self):
        self.connection.sudo().token_expiry = "2000-01-01 00:00:00"
        old_refresh = self.connection.sudo().refresh_token
        move = self.invoice()
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        self.assertNotEqual(self.connection.sudo().refresh_token, old_refresh)
        self.assertEqual(self.connection.state, "connected")

    def test_refused_refresh_asks_to_reconnect(self):
        self.connection.sudo().write(
            {"token_expiry": "2000-01-01 00:00:00", "refresh_token": "revoked-or-unknown"}
        )
        move = self.invoice()
        self.sync()
        self.assertEqual(self.connection.state, "reconnect")
        rec = self.record(move)
        self.assertEqual(rec.state, "pending", "the document waits for the connection")
        self.assertIn("re-authorised", rec.last_error)
        self.assertIn("Reconnect needed", self.connection.message_ids[0].body)
        # The administrator connects again: the waiting document goes at once.
        self.connection.sudo().write(
            self.connection._token_values(self.emulator.issue_tokens()) | {"state": "connected"}
        )
        self.connection._resume_queue()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)

    def test_credit_note_is_sent_as_credit_memo(self):
        move = self.invoice(amounts=(40.0,), move_type="out_refund")
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        [memo] = self.qbo("CreditMemo")
        self.assertEqual(memo["DocNumber"], move.name)

    def test_cancel_voids_in_quickbooks(self):
        move = self.invoice()
        self.sync()
        move.button_cancel()
        self.sync()
        rec = self.record(move)
        self.assertEqual((rec.state, rec.remote_status), ("synced", "voided"), rec.last_error)
        self.assertEqual(self.qbo()[0]["TotalAmt"], 0)

    def test_total_difference_is_flagged_with_both_amounts(self):
        tax_15 = self.company_data["default_tax_sale"]
        tax_15.qxs_tax_code = "California"  # QuickBooks: 8.25 %, Odoo: 15 %
        move = self.invoice(amounts=(100.0,), taxes=tax_15)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertTrue(rec.total_mismatch)
        self.assertAlmostEqual(rec.remote_total, 108.25, 2)
        self.assertAlmostEqual(rec.local_total, 115.0, 2)
        self.assertIn("108.25", move.qxs_total_mismatch_note)
        self.assertIn("115.00", move.qxs_total_mismatch_note)

    def test_paid_partial_voided_deleted_come_back_by_polling(self):
        paid, partial, voided, deleted = (self.invoice(amounts=(100.0,)) for _i in range(4))
        self.sync()
        self.emulator.pay_invoice(self.record(paid).remote_id)
        self.emulator.pay_invoice(self.record(partial).remote_id, 50.0)
        self.emulator.void_invoice(self.record(voided).remote_id)
        self.emulator.delete_invoice(self.record(deleted).remote_id)
        self.poll()
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertEqual(partial.payment_state, "partial")
        self.assertAlmostEqual(partial.amount_residual, partial.amount_total - 50.0, 2)
        self.assertEqual(voided.state, "cancel")
        self.assertEqual(self.record(voided).remote_status, "voided")
        self.assertEqual(self.record(deleted).state, "remote_deleted")
        self.assertFalse(self.record(deleted).remote_id)
        self.poll()
        self.assertEqual(
            len(paid.matched_payment_ids | paid._get_reconciled_payments()),
            1,
            "a second poll registers nothing twice",
        )
        # Posting the deleted one again creates it anew (a new request id generation).
        deleted.button_draft()
        deleted.action_post()
        self.sync()
        self.assertEqual(self.record(deleted).state, "synced", self.record(deleted).last_error)
        self.assertEqual(len([i for i in self.qbo() if i["DocNumber"] == deleted.name]), 1)

    def test_batches_many_documents(self):
        moves = [self.invoice(amounts=(10.0 + n,)) for n in range(35)]
        calls = self.emulator.count("/batch")
        self.sync()
        self.assertTrue(all(self.record(m).state == "synced" for m in moves))
        self.assertEqual(len(self.qbo()), 35)
        self.assertLessEqual(
            self.emulator.count("/batch") - calls,
            4,
            "35 invoices (+1 customer) take at most 4 batch requests",
        )

    def test_other_company_is_not_sent(self):
        other = self.setup_other_company()["company"]
        move = self.init_invoice("out_invoice", amounts=[10.0], post=True, company=other)
        self.assertFalse(move.qxs_sync_record_ids)

    def test_paid_in_full_with_a_tax_rounding_cent_closes_the_invoice(self):
        """QuickBooks computes US sales tax on the total, Odoo per line: 3 x 0.10 at 8.25 %
        is 0.33 in Odoo (3 x 0.01) and 0.32 in QuickBooks. Paid in full there: paid here."""
        move = self.invoice(amounts=(0.1, 0.1, 0.1))
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertTrue(rec.total_mismatch, "the cent is flagged")
        self.emulator.pay_invoice(rec.remote_id)
        self.poll()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertIn("tax rounding", move.message_ids[0].body)
