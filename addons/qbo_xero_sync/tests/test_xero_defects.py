"""Regression tests of the Xero adapter's defects: the real xero-python SDK against the Xero
emulator over HTTP, as in test_xero_sync.py. (The COGS journals' are in the COGS addon's
test_cogs_xero_defects.py.)"""

from datetime import datetime, timedelta, timezone

from odoo import Command
from odoo.tests import tagged

from ..exceptions import GONE, SyncError
from .common import QxsCase, XeroMixin


@tagged("post_install", "-at_install")
class TestXeroDefects(XeroMixin, QxsCase):
    """Each test failed before the fix of the defect it names (see the section titles)."""

    # ------------------------------------------------------------------ helpers
    def xero(self, kind="Invoices"):
        return self.emulator.objects(kind)

    def adapter(self):
        return self.connection.sudo()._adapter()

    def jobs(self, records):
        """The jobs the engine would give the adapter for ``records``, in their order."""
        jobs, refused = records._jobs()
        self.assertFalse(refused)
        return jobs

    def move(self, lines, move_type="out_invoice", partner=None, origin=None):
        """A posted document whose lines are (price_unit, quantity, discount, taxes)."""
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.partner_a).id,
                "reversed_entry_id": origin and origin.id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": f"Line {n}",
                            "price_unit": price,
                            "quantity": qty,
                            "discount": discount,
                            "tax_ids": [Command.set(taxes.ids)],
                        }
                    )
                    for n, (price, qty, discount, taxes) in enumerate(lines)
                ],
            }
        )
        move.action_post()
        return move

    def refund_part(self, invoice, amount):
        """A credit note of ``amount`` (+ tax) reconciled with ``invoice``, as Odoo does."""
        refund = self.move([(amount, 1, 0, self.tax_sale)], "out_refund", origin=invoice)
        lines = (invoice + refund).line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        if not lines.filtered("reconciled"):
            lines.reconcile()
        self.assertEqual(invoice.payment_state, "partial")
        return refund

    def contact_id(self, name):
        return next(c["ContactID"] for c in self.xero("Contacts") if c["Name"] == name)

    def one(self, kind, number):
        key = "InvoiceNumber" if kind == "Invoices" else "CreditNoteNumber"
        found = [
            d
            for d in self.xero(kind)
            if d.get(key) == number and d["Type"] in ("ACCREC", "ACCRECCREDIT")
        ]
        self.assertEqual(len(found), 1, f"one {kind} numbered {number}")
        return found[0]

    # ------------------------------------------------------------------ 1. cash apart from credits
    def test_credit_allocation_is_not_read_back_as_cash(self):
        """An invoice reversed in Odoo (its credit note allocated in Xero) is PAID in Xero with
        no cash received: the state says so (AmountPaid, AmountCredited)."""
        invoice = self.invoice(amounts=(100.0,))
        self.sync()
        refund = invoice._reverse_moves(cancel=True)
        self.sync()
        inv_rec, cn_rec = self.record(invoice), self.record(refund)
        self.assertEqual(cn_rec.state, "synced", cn_rec.last_error)
        self.assertEqual(self.one("Invoices", invoice.name)["Status"], "PAID")
        states = self.adapter().read_states(self.jobs(inv_rec + cn_rec)).results
        inv_state, cn_state = states[inv_rec.id], states[cn_rec.id]
        self.assertEqual((inv_state.kind, inv_state.status), ("invoice", "paid"))
        self.assertEqual(inv_state.amount_paid, 0.0, "a credit allocation is not cash")
        self.assertAlmostEqual(inv_state.amount_credited, 108.25, 2)
        self.assertEqual((cn_state.kind, cn_state.status), ("credit_note", "paid"))
        self.assertEqual(cn_state.amount_paid, 0.0, "nothing was refunded in cash")
        self.assertAlmostEqual(cn_state.amount_credited, 108.25, 2)

    def test_partial_credit_note_then_cash_registers_only_the_cash(self):
        invoice = self.invoice(amounts=(100.0,))  # 108.25
        self.sync()
        refund = self.refund_part(invoice, 30.0)  # 32.48, allocated in Xero
        self.sync()
        self.assertEqual(self.record(refund).state, "synced", self.record(refund).last_error)
        remote = self.one("Invoices", invoice.name)
        self.assertAlmostEqual(remote["AmountCredited"], 32.48, 2)
        self.emulator.pay_invoice(remote["InvoiceID"], 20.0)
        since = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=1)
        changes = self.adapter().fetch_changes(since)
        states = {(s.kind, s.remote_id): s for s in changes.states}
        state = states[("invoice", remote["InvoiceID"])]
        self.assertEqual(state.status, "partial")
        self.assertEqual((state.amount_paid, state.amount_credited), (20.0, 32.48))
        self.assertIn(("credit_note", self.record(refund).remote_id), states)
        self.poll()
        payments = invoice._get_reconciled_payments()
        self.assertEqual(sum(payments.mapped("amount")), 20.0, "only the cash is registered")
        self.assertEqual(invoice.payment_state, "partial")

    # ------------------------------------------------------------------ 2. credit notes looked up
    def test_lost_credit_note_answer_then_bigger_batch_links_the_first(self):
        first = self.invoice(amounts=(40.0,), move_type="out_refund")
        self.emulator.add_fault("drop_after_write", path="/CreditNotes$", method="POST")
        self.sync()
        rec = self.record(first)
        self.assertEqual((rec.state, rec.remote_id), ("pending", False))
        [remote] = self.xero("CreditNotes")
        second = self.invoice(amounts=(15.0,), move_type="out_refund")  # joins the retry
        self.make_due()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(rec.remote_id, remote["CreditNoteID"], "linked, never refused")
        self.assertEqual(self.record(second).state, "synced", self.record(second).last_error)
        self.assertEqual(len(self.xero("CreditNotes")), 2)

    # ------------------------------------------------------------------ 3. contact and type
    def test_same_number_for_another_contact_is_refused(self):
        move = self.invoice(amounts=(100.0,))
        other = self.emulator.enter_document("Invoices", move.name, "Bayside Club", total=55.0)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("another contact", rec.last_error)
        self.assertIn(move.name, rec.last_error)
        self.assertFalse(rec.remote_id)
        [remote] = self.xero()
        self.assertEqual(remote["Contact"]["ContactID"], other["Contact"]["ContactID"])
        self.assertEqual(remote["Total"], 55.0, "the other contact's invoice is left alone")

    def test_bill_with_the_same_number_is_ignored(self):
        move = self.invoice(amounts=(100.0,))
        bill = self.emulator.enter_document(
            "Invoices", move.name, "Marine Systems", doc_type="ACCPAY", total=12.0
        )
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertNotEqual(rec.remote_id, bill["InvoiceID"])
        remote = self.one("Invoices", move.name)
        self.assertEqual(remote["InvoiceID"], rec.remote_id)
        [kept] = [i for i in self.xero() if i["Type"] == "ACCPAY"]
        self.assertEqual((kept["Total"], kept["Contact"]), (12.0, bill["Contact"]))

    # ------------------------------------------------------------------ 4. credit note discounts
    def test_discounted_credit_note_line_is_sent_at_its_net_price(self):
        refund = self.move(
            [(100.0, 3, 10.0, self.tax_sale), (20.0, 1, 0.0, self.tax_sale)], "out_refund"
        )
        self.sync()
        rec = self.record(refund)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [note] = self.xero("CreditNotes")
        self.assertAlmostEqual(note["Total"], refund.amount_total, 2)
        self.assertFalse(any(li.get("DiscountRate") for li in note["LineItems"]))
        line = note["LineItems"][0]
        self.assertEqual((line["Quantity"], line["UnitAmount"], line["LineAmount"]), (3, 90, 270))
        self.assertIn("(discount 10%)", line["Description"])

    # ------------------------------------------------------------------ 5. contact request key
    def test_contact_retry_after_fixing_the_email_is_not_refused(self):
        self.partner_b.email = "billing@@example.com"
        move = self.invoice(partner=self.partner_b)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("Email", rec.last_error)
        self.partner_b.email = "billing@example.com"
        rec.action_retry()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        contact = self.contact_id(self.partner_b.name)
        self.assertEqual(self.one("Invoices", move.name)["Contact"]["ContactID"], contact)

    # ------------------------------------------------------------------ 6. mixed tax modes
    def test_mixed_tax_included_and_excluded_lines(self):
        included = self.tax_sale.copy(
            {"name": "Sales tax 8.25% incl.", "price_include_override": "tax_included"}
        )
        move = self.move([(108.25, 1, 0.0, included), (100.0, 1, 0.0, self.tax_sale)])
        self.assertAlmostEqual(move.amount_total, 216.5, 2)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        remote = self.one("Invoices", move.name)
        self.assertEqual(remote["LineAmountTypes"], "Exclusive")
        self.assertEqual([li["LineAmount"] for li in remote["LineItems"]], [100.0, 100.0])
        self.assertAlmostEqual(remote["Total"], move.amount_total, 2)
        self.assertFalse(rec.total_mismatch)

    def test_all_taxed_lines_included_stays_inclusive(self):
        included = self.tax_sale.copy(
            {"name": "Sales tax 8.25% incl.", "price_include_override": "tax_included"}
        )
        move = self.move([(108.25, 2, 0.0, included), (10.0, 1, 0.0, self.env["account.tax"])])
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        remote = self.one("Invoices", move.name)
        self.assertEqual(remote["LineAmountTypes"], "Inclusive")
        self.assertAlmostEqual(remote["Total"], move.amount_total, 2)

    # ------------------------------------------------------------------ 7. kinds, watermark
    def test_states_carry_their_kind(self):
        invoice = self.invoice(amounts=(10.0,))
        refund = self.invoice(amounts=(5.0,), move_type="out_refund")
        self.sync()
        since = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=1)
        changes = self.adapter().fetch_changes(since)
        keys = {(s.kind, s.remote_id) for s in changes.states}
        self.assertEqual(
            keys,
            {
                ("invoice", self.record(invoice).remote_id),
                ("credit_note", self.record(refund).remote_id),
            },
        )
        recs = self.record(invoice) + self.record(refund)
        states = self.adapter().read_states(self.jobs(recs)).results
        self.assertEqual(
            [states[rec.id].kind for rec in recs], ["invoice", "credit_note"], "read states too"
        )

    def test_watermark_comes_from_xero_clock(self):
        """Xero's clock 10 minutes behind Odoo's: a payment made right after a poll is still
        read by the next one."""
        move = self.invoice(amounts=(10.0,))
        self.sync()
        self.emulator.clock.advance(-600)
        since = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=1)
        first = self.adapter().fetch_changes(since)
        xero_now = datetime.fromtimestamp(self.emulator.clock.now(), timezone.utc)
        self.assertLess(
            abs(first.watermark - (xero_now.replace(tzinfo=None) - timedelta(minutes=1))),
            timedelta(seconds=5),
        )
        self.assertIsNone(first.watermark.tzinfo)
        self.emulator.pay_invoice(self.record(move).remote_id)
        second = self.adapter().fetch_changes(first.watermark)
        self.assertEqual(
            [(s.kind, s.remote_id, s.status) for s in second.states],
            [("invoice", self.record(move).remote_id, "paid")],
        )

    def test_webhook_names_kind_and_id(self):
        tenant = self.connection.remote_org_id
        parsed = self.adapter().parse_webhook(
            {
                "events": [
                    {"eventCategory": "INVOICE", "resourceId": "i-1", "tenantId": tenant},
                    {"eventCategory": "CREDITNOTE", "resourceId": "c-1", "tenantId": tenant},
                    {"eventCategory": "CONTACT", "resourceId": "x-1", "tenantId": tenant},
                ]
            }
        )
        self.assertEqual(parsed, {tenant: {("invoice", "i-1"), ("credit_note", "c-1")}})

    # ------------------------------------------------------------------ void without remote id
    def test_void_of_a_document_whose_answer_was_lost(self):
        move = self.invoice(amounts=(10.0,))
        self.emulator.add_fault("drop_after_write", path="/Invoices$", method="POST")
        self.sync()
        rec = self.record(move)
        self.assertFalse(rec.remote_id)
        [remote] = self.xero()
        result = self.adapter().void_documents(self.jobs(rec)).results[rec.id]
        self.assertNotIsInstance(result, SyncError)
        self.assertEqual((result.remote_id, result.remote_status), (remote["InvoiceID"], "voided"))
        self.assertEqual(self.xero()[0]["Status"], "VOIDED")

    def test_void_of_a_document_never_sent_is_gone(self):
        move = self.invoice(amounts=(10.0,))
        refund = self.invoice(amounts=(10.0,), move_type="out_refund")
        self.emulator.add_fault("drop", path="/Invoices$", method="POST")
        self.emulator.add_fault("drop", path="/CreditNotes$", method="POST")
        self.sync()
        recs = self.record(move) + self.record(refund)
        self.assertEqual(recs.mapped("remote_id"), [False, False])
        results = self.adapter().void_documents(self.jobs(recs)).results
        for rec in recs:
            self.assertIsInstance(results[rec.id], SyncError)
            self.assertEqual(results[rec.id].kind, GONE)
        self.assertEqual(self.xero() + self.xero("CreditNotes"), [])
