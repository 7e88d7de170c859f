from odoo.tests import tagged

from .common import QxsCase, XeroMixin


@tagged("post_install", "-at_install")
class TestXeroSync(XeroMixin, QxsCase):
    """Posting in Odoo -> Xero (the emulator, through xero-python), same engine as QuickBooks."""

    def xero(self, kind="Invoices"):
        return self.emulator.objects(kind)

    def test_post_sends_authorised_invoice_once_with_totals_equal(self):
        move = self.invoice(amounts=(100.0, 33.33, 0.07), products=self.product_a)
        self.assertEqual(self.xero(), [])
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.xero()
        self.assertEqual((inv["Type"], inv["Status"]), ("ACCREC", "AUTHORISED"))
        self.assertEqual(inv["InvoiceNumber"], move.name)
        self.assertEqual(inv["InvoiceID"], rec.remote_id)
        self.assertEqual(len(inv["LineItems"]), 4)
        self.assertAlmostEqual(inv["Total"], move.amount_total, 2)
        self.assertFalse(rec.total_mismatch)
        self.sync()
        self.assertEqual(len(self.xero()), 1)

    def test_contact_matched_by_account_number_else_created(self):
        self.partner_a.qxs_billing_account = "MARI-003"
        move = self.invoice()
        move_b = self.invoice(partner=self.partner_b)
        self.sync()
        by_id = {c["ContactID"]: c for c in self.xero("Contacts")}
        inv_a, inv_b = sorted(self.xero(), key=lambda i: i["InvoiceNumber"])
        self.assertEqual(by_id[inv_a["Contact"]["ContactID"]]["Name"], "Marine Systems")
        self.assertEqual(by_id[inv_b["Contact"]["ContactID"]]["Name"], self.partner_b.name)
        self.assertEqual(self.record(move).state, "synced")
        self.assertEqual(self.record(move_b).state, "synced")

    def test_contact_name_clash_is_explained(self):
        self.partner_b.name = "Bayside Club"  # exists in Xero, but no billing account given
        move = self.invoice(partner=self.partner_b)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("billing account", rec.last_error)
        self.assertEqual(self.xero(), [])

    def test_wrong_or_non_revenue_account_code_blocks_the_document(self):
        self.product_a.qxs_revenue_code = "999"
        self.product_b.qxs_revenue_code = "400"  # Advertising: OVERHEADS
        move_a = self.invoice(amounts=(), products=self.product_a)
        move_b = self.invoice(amounts=(), products=self.product_b)
        self.sync()
        self.assertEqual(self.record(move_a).state, "error")
        self.assertIn("999", self.record(move_a).last_error)
        self.assertIn("not an account code", self.record(move_a).last_error)
        self.assertIn("OVERHEADS", self.record(move_b).last_error)
        self.assertEqual(self.xero(), [])

    def test_invalid_tax_type_blocks_the_document(self):
        self.tax_sale.qxs_tax_code = "GST_ON_MARS"
        move = self.invoice()
        self.sync()
        self.assertIn("GST_ON_MARS", self.record(move).last_error)
        self.assertEqual(move.qxs_sync_state, "error")

    def test_batch_with_one_bad_invoice_among_good_ones(self):
        """Xero refuses one element (a currency the organisation lacks): its own error lands on
        its own document, the valid siblings of the same request are created."""
        eur = self.setup_other_currency("EUR")
        good = [self.invoice(amounts=(10.0 + n,)) for n in range(3)]
        bad = self.init_invoice(
            "out_invoice", amounts=[5.0], taxes=self.tax_sale, post=True, currency=eur
        )
        calls = self.emulator.count("/Invoices$", "POST")
        self.sync()
        self.assertEqual(self.emulator.count("/Invoices$", "POST") - calls, 1, "one request")
        self.assertTrue(all(self.record(m).state == "synced" for m in good))
        self.assertEqual(self.record(bad).state, "error")
        self.assertIn("EUR", self.record(bad).last_error)
        self.assertEqual(len(self.xero()), 3)

    def test_repost_updates_the_same_invoice(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        remote_id = rec.remote_id
        move.button_draft()
        move.invoice_line_ids[0].price_unit = 150.0
        move.action_post()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.xero()
        self.assertEqual(inv["InvoiceID"], remote_id)
        self.assertAlmostEqual(inv["Total"], move.amount_total, 2)

    def test_repost_of_a_paid_invoice_explains_what_to_do(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        self.emulator.pay_invoice(self.record(move).remote_id, 20.0)
        move.button_draft()
        move.invoice_line_ids[0].price_unit = 150.0
        move.action_post()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("credit note", rec.last_error)
        self.assertEqual(len(self.xero()), 1)

    def test_write_applied_but_answer_lost_does_not_duplicate(self):
        self.partner_a.qxs_billing_account = "RIDGE-001"
        move = self.invoice()
        self.emulator.add_fault("drop_after_write", path="/Invoices", method="POST")
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "pending")
        self.assertEqual(len(self.xero()), 1)
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(len(self.xero()), 1)
        self.assertEqual(rec.remote_id, self.xero()[0]["InvoiceID"])

    def test_lost_local_commit_is_linked_by_invoice_number(self):
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        remote_id = rec.remote_id
        rec.write({"remote_id": False, "state": "pending", "generation": rec.generation + 1})
        self.sync()
        self.assertEqual((rec.state, rec.remote_id), ("synced", remote_id), rec.last_error)
        self.assertEqual(len(self.xero()), 1)

    def test_429_and_5xx_recover(self):
        move = self.invoice()
        self.emulator.add_fault("status", status=503, path="/Invoices")
        self.sync()
        rec = self.record(move)
        self.assertEqual((rec.state, rec.attempts), ("pending", 1))
        self.emulator.config["rate_limit_per_minute"] = 0
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "pending")
        self.assertIn("rate limit", rec.last_error)
        self.emulator.config["rate_limit_per_minute"] = 60
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertTrue(self.connection.rate_day_remaining > 0)

    def test_expired_token_refreshed_single_use_rotation_stored(self):
        self.connection.sudo().token_expiry = "2000-01-01 00:00:00"
        old = self.connection.sudo().refresh_token
        move = self.invoice()
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        self.assertNotEqual(self.connection.sudo().refresh_token, old)

    def test_credit_note_allocated_to_its_invoice(self):
        invoice = self.invoice(amounts=(100.0,))
        self.sync()
        refund = invoice._reverse_moves(cancel=True)  # posted, reconciled with the invoice
        self.assertEqual(refund.state, "posted")
        self.sync()
        rec = self.record(refund)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [note] = self.xero("CreditNotes")
        self.assertEqual(note["Type"], "ACCRECCREDIT")
        self.assertTrue(note.get("Allocations"), "allocated to the invoice Odoo reconciled")
        self.assertEqual(self.xero()[0]["Status"], "PAID")

    def test_cancel_voids_in_xero(self):
        move = self.invoice()
        self.sync()
        move.button_cancel()
        self.sync()
        self.assertEqual(self.record(move).remote_status, "voided", self.record(move).last_error)
        self.assertEqual(self.xero()[0]["Status"], "VOIDED")

    def test_paid_partial_voided_come_back_by_polling(self):
        paid, partial, voided = (self.invoice(amounts=(100.0,)) for _i in range(3))
        self.sync()
        self.emulator.pay_invoice(self.record(paid).remote_id)
        self.emulator.pay_invoice(self.record(partial).remote_id, 30.0)
        self.emulator.void_invoice(self.record(voided).remote_id)
        self.poll()
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertEqual(partial.payment_state, "partial")
        self.assertEqual(voided.state, "cancel")
        self.poll()
        self.assertEqual(len(paid._get_reconciled_payments()), 1)
