"""Regression tests of the QuickBooks adapter's defects (wave 2), through python-quickbooks over
HTTP against the emulator: each failed before its fix."""

from datetime import datetime, timedelta, timezone

from odoo.tests import tagged

from ..adapters import Result
from ..exceptions import GONE, USER, SyncError
from .common import QxsCase
from .test_qbo_tax_styles import QboGstCase

BATCH = "POST /v3/company/{realm}/batch"  # the emulator's count of batch requests


def _utc(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)


@tagged("post_install", "-at_install")
class TestQboDefects(QxsCase):
    """Inactive references, CDC limits and clock, customer currency, states keyed by kind,
    journals and voids after a lost answer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")

    def adapter(self):
        return self.connection.sudo()._adapter()

    def jobs(self, records, strict=True):
        """The adapter's jobs of ``records`` (in their order); none may be refused."""
        jobs, refused = records._jobs(strict=strict)
        self.assertFalse(refused)
        return jobs

    def customer_binding(self, partner):
        return self.env["qxs.binding"].search(
            [
                ("connection_id", "=", self.connection.id),
                ("kind", "=", "customer"),
                ("partner_id", "=", partner.commercial_partner_id.id),
            ]
        )

    def configure(self, **config):
        old = {key: self.emulator.config[key] for key in config}
        self.emulator.config.update(config)
        self.addCleanup(self.emulator.config.update, old)

    # ------------------------------------------------------------------ 1. fault 610
    def test_inactive_customer_is_a_user_error_naming_it_and_forgets_the_binding(self):
        first = self.invoice()
        self.sync()
        self.assertEqual(self.record(first).state, "synced", self.record(first).last_error)
        customer_id = self.customer_binding(self.partner_a).remote_id
        self.assertTrue(customer_id)
        self.emulator.update_document("Customer", customer_id, {"Active": False})

        move = self.invoice()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error", "a user error, not 'deleted remotely'")
        self.assertIn("Odoo Test Customer A", rec.last_error)
        self.assertIn("reactivate it in QuickBooks", rec.last_error)
        self.assertFalse(rec.remote_id)
        self.assertFalse(self.customer_binding(self.partner_a), "the link is forgotten")
        self.assertEqual(len(self.emulator.objects("Invoice")), 1)

        # The user reactivates it in QuickBooks: the next attempt looks it up again.
        self.emulator.update_document("Customer", customer_id, {"Active": True})
        self.assertIsNone(self.jobs(rec)[0].customer_id)
        move.action_qxs_retry()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(self.customer_binding(self.partner_a).remote_id, customer_id)
        invoice = self.emulator.objects("Invoice")[-1]
        self.assertEqual(invoice["CustomerRef"]["value"], customer_id)

    def test_inactive_customer_on_an_update_is_not_taken_for_a_deleted_invoice(self):
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        remote_id = rec.remote_id
        customer_id = self.customer_binding(self.partner_a).remote_id
        self.emulator.update_document("Customer", customer_id, {"Active": False})
        move.button_draft()
        move.ref = "PO-8"
        move.action_post()
        self.sync()
        self.assertEqual(rec.state, "error", rec.last_error)
        self.assertIn("Odoo Test Customer A", rec.last_error)
        self.assertEqual(rec.remote_id, remote_id, "the link to the invoice stays")
        self.assertEqual(len(self.emulator.objects("Invoice")), 1, "nothing created anew")

    def test_update_of_an_invoice_deleted_in_quickbooks_is_gone(self):
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        self.emulator.delete_invoice(rec.remote_id)
        rec.write({"state": "pending", "action": "push"})
        outcome = self.adapter().push_documents(self.jobs(rec))
        result = outcome.results[rec.id]
        self.assertIsInstance(result, SyncError)
        self.assertEqual((result.kind, result.code), (GONE, 610))

    def test_inactive_item_is_named_and_looked_up_again(self):
        adapter = self.adapter()
        first = self.invoice(products=self.product_a, amounts=())
        sent = adapter.push_documents(self.jobs(self.record(first)))
        self.assertIsInstance(sent.results[self.record(first).id], Result)
        self.assertIn(self.revenue_code_a, adapter.known_items, "known to this adapter")
        item_id = self.summary["items"]["Design"]
        self.emulator.update_document("Item", item_id, {"Active": False})
        move = self.invoice(products=self.product_a, amounts=())
        refused = adapter.push_documents(self.jobs(self.record(move)))
        result = refused.results[self.record(move).id]
        self.assertIsInstance(result, SyncError)
        self.assertEqual(result.kind, USER)
        self.assertIn("“Design”", result.message)
        self.assertIn("revenue code", result.message)
        self.assertNotIn(self.revenue_code_a, adapter.known_items, "looked up again next time")
        self.assertNotIn(self.revenue_code_a, refused.items)

    # ------------------------------------------------------------------ 2 and 7. CDC
    def test_watermark_comes_from_quickbooks_clock(self):
        self.emulator.clock.advance(1800)  # QuickBooks' clock is half an hour ahead of ours
        changes = self.adapter().fetch_changes(datetime.utcnow() - timedelta(hours=1))
        self.assertGreater(changes.watermark, datetime.utcnow() + timedelta(minutes=20))
        self.assertLess(changes.watermark, datetime.utcnow() + timedelta(minutes=30))
        self.assertIsNone(changes.note)

    def test_full_cdc_answer_moves_the_watermark_to_its_last_change_only(self):
        since = datetime.utcnow() - timedelta(minutes=5)
        customer = self.summary["customers"]["Cool Cars"]
        ids = []
        for n in range(1003):
            # The last 3 changes come 5 minutes after the first 1,000.
            self.emulator.clock.advance(300 if n == 1000 else 1)
            inv = self.emulator.create_document(
                "Invoice",
                {
                    "CustomerRef": {"value": customer},
                    "DocNumber": f"BULK-{n}",
                    "Line": [
                        {
                            "Amount": 10,
                            "DetailType": "SalesItemLineDetail",
                            "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 1},
                        }
                    ],
                },
            )
            ids.append(inv["Id"])
        adapter = self.adapter()
        before = self.emulator.counts()
        first = adapter.fetch_changes(since)
        self.assertEqual(self.requests_since(before), {BATCH: 1}, "one request, full or not")
        self.assertEqual(len(first.states), 1000)
        self.assertEqual(
            first.watermark,
            _utc(self.emulator.objects("Invoice")[999]["MetaData"]["LastUpdatedTime"]),
            "the next poll starts at the last change read",
        )
        rest = adapter.fetch_changes(first.watermark)
        read = {s.remote_id for s in first.states} | {s.remote_id for s in rest.states}
        self.assertEqual(read, set(ids), "nothing is lost")
        self.assertLess(len(rest.states), 10)

    def test_outage_longer_than_the_cdc_window_says_so(self):
        changes = self.adapter().fetch_changes(datetime.utcnow() - timedelta(days=40))
        self.assertTrue(changes.note)
        self.assertIn("30 days", changes.note)
        self.assertIn("Re-read all statuses", changes.note)

    def requests_since(self, before):
        """{endpoint: requests} the emulator received since its ``before`` counts."""
        after = self.emulator.counts()
        return {key: n - before.get(key, 0) for key, n in after.items() if n != before.get(key, 0)}

    def test_poll_of_600_paid_invoices_is_one_request(self):
        """600 invoices paid: 1,200 changed objects with their payments. One CDC answer holds
        1,000 objects in all (four requests were needed); one batch of a CDC query per entity
        holds 1,000 per entity: one request, every invoice paid, nothing left for later."""
        since = datetime.utcnow() - timedelta(minutes=5)
        customer = self.summary["customers"]["Cool Cars"]
        ids = []
        for n in range(600):
            inv = self.emulator.create_document(
                "Invoice",
                {
                    "CustomerRef": {"value": customer},
                    "DocNumber": f"PAID-{n}",
                    "Line": [
                        {
                            "Amount": 10,
                            "DetailType": "SalesItemLineDetail",
                            "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 1},
                        }
                    ],
                },
            )
            self.emulator.pay_invoice(inv["Id"])
            ids.append(inv["Id"])
        self.assertEqual(len(self.emulator.objects("Payment")), 600)
        before = self.emulator.counts()
        changes = self.adapter().fetch_changes(since)
        self.assertEqual(self.requests_since(before), {BATCH: 1})
        states = {s.remote_id: s for s in changes.states}
        self.assertEqual(set(states), set(ids), "every invoice read")
        self.assertEqual({(s.kind, s.status) for s in states.values()}, {("invoice", "paid")})
        self.assertTrue(all(s.amount_paid == 10.0 and s.payment_date for s in states.values()))
        now = datetime.fromtimestamp(self.emulator.clock.now(), timezone.utc).replace(tzinfo=None)
        self.assertAlmostEqual(
            changes.watermark,
            now - timedelta(minutes=1),
            delta=timedelta(seconds=5),
            msg="nothing cut: the next poll starts from now (a minute of overlap)",
        )

    def test_refused_change_query_keeps_the_watermark(self):
        """A CDC query the batch refuses is an error of the poll (as a refused GET /cdc was):
        nothing applied, the watermark kept, the same changes read next time."""
        move = self.invoice()
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.emulator.pay_invoice(rec.remote_id)
        self.configure(cdc_max_days=1)  # QuickBooks keeps less than the adapter assumes
        since = (datetime.utcnow() - timedelta(days=2)).replace(microsecond=0)
        with self.assertRaises(SyncError) as refused:
            self.adapter().fetch_changes(since)
        self.assertEqual((refused.exception.kind, refused.exception.code), (USER, 6000))
        self.assertIn("ChangedSince", str(refused.exception))
        self.connection.sudo().last_poll_date = since
        self.poll()
        self.assertEqual(self.connection.last_poll_date, since, "kept")
        self.assertEqual(move.payment_state, "not_paid")
        self.emulator.config["cdc_max_days"] = 30
        self.poll()
        self.assertIn(move.payment_state, ("paid", "in_payment"), "read on the next poll")
        self.assertGreater(self.connection.last_poll_date, since)

    # ------------------------------------------------------------------ 3. currency
    def test_eur_invoice_to_a_new_customer_creates_a_eur_customer(self):
        self.configure(currencies=["USD", "EUR"])
        move = self.init_invoice(
            "out_invoice",
            partner=self.partner_b,
            amounts=[100.0],
            post=True,
            taxes=self.tax_sale,
            currency=self.eur,
        )
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        customers = {c["DisplayName"]: c for c in self.emulator.objects("Customer")}
        self.assertEqual(customers[self.partner_b.name]["CurrencyRef"]["value"], "EUR")
        [inv] = self.emulator.objects("Invoice")
        self.assertEqual(inv["CurrencyRef"]["value"], "EUR")

    # ------------------------------------------------------------------ 4. states keyed by kind
    def test_invoice_and_credit_memo_with_the_same_id_keep_their_own_states(self):
        self.configure(shared_txn_ids=False)  # the worst case: each kind numbered on its own
        since = datetime.utcnow() - timedelta(minutes=5)
        move = self.invoice(amounts=(100.0,))
        refund = self.invoice(amounts=(30.0,), move_type="out_refund")
        self.sync()
        rec, rec_refund = self.record(move), self.record(refund)
        self.assertEqual(rec.remote_id, rec_refund.remote_id, "the same id in both entities")
        self.emulator.pay_invoice(rec.remote_id)
        changes = self.adapter().fetch_changes(since)
        states = {(s.kind, s.remote_id): s.status for s in changes.states}
        self.assertEqual(
            states,
            {("invoice", rec.remote_id): "paid", ("credit_note", rec.remote_id): "open"},
        )
        self.poll()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(rec_refund.remote_status, "open", "the credit note is not paid")
        self.assertEqual(refund.payment_state, "not_paid")
        outcome = self.adapter().read_states(self.jobs(rec_refund, strict=False))
        read = outcome.results[rec_refund.id]
        self.assertEqual((read.kind, read.status), ("credit_note", "open"))

    def test_credit_memo_applied_is_credit_not_cash(self):
        move = self.invoice(amounts=(100.0,), taxes=self.env["account.tax"])
        refund = self.invoice(
            amounts=(40.0,), move_type="out_refund", taxes=self.env["account.tax"]
        )
        self.sync()
        rec, rec_refund = self.record(move), self.record(refund)
        invoice = self.emulator.objects("Invoice")[0]
        # A QuickBooks user applies the credit memo: a payment of 0 linking both documents.
        self.emulator.create_document(
            "Payment",
            {
                "CustomerRef": invoice["CustomerRef"],
                "TotalAmt": 0,
                "Line": [
                    {"Amount": 40, "LinkedTxn": [{"TxnId": rec.remote_id, "TxnType": "Invoice"}]},
                    {
                        "Amount": 40,
                        "LinkedTxn": [{"TxnId": rec_refund.remote_id, "TxnType": "CreditMemo"}],
                    },
                ],
            },
        )
        self.emulator.pay_invoice(rec.remote_id, 25.0)  # and 25 in cash
        changes = self.adapter().fetch_changes(datetime.utcnow() - timedelta(minutes=5))
        states = {(s.kind, s.remote_id): s for s in changes.states}
        inv_state = states[("invoice", rec.remote_id)]
        self.assertEqual(inv_state.status, "partial")
        self.assertAlmostEqual(inv_state.amount_paid, 25.0, 2)
        self.assertAlmostEqual(inv_state.amount_credited, 40.0, 2)
        self.assertTrue(inv_state.payment_date, "the date of the cash payment")
        memo_state = states[("credit_note", rec_refund.remote_id)]
        self.assertEqual((memo_state.status, memo_state.amount_paid), ("paid", 0.0))
        self.assertAlmostEqual(memo_state.amount_credited, 40.0, 2)

    def test_webhooks_name_the_kind_of_each_entity(self):
        realm = self.emulator.config["realm_id"]
        legacy = {
            "eventNotifications": [
                {
                    "realmId": realm,
                    "dataChangeEvent": {
                        "entities": [
                            {"name": "Invoice", "id": "7", "operation": "Update"},
                            {"name": "CreditMemo", "id": "7", "operation": "Update"},
                            {"name": "Payment", "id": "8", "operation": "Create"},
                            {"name": "Customer", "id": "9", "operation": "Update"},
                        ]
                    },
                }
            ]
        }
        expected = {realm: {("invoice", "7"), ("credit_note", "7"), ("other", "8")}}
        self.assertEqual(self.adapter().parse_webhook(legacy), expected)
        cloud = [
            {"type": f"qbo.{name}.updated.v1", "intuitentityid": rid, "intuitaccountid": realm}
            for name, rid in (
                ("invoice", "7"),
                ("creditmemo", "7"),
                ("payment", "8"),
                ("item", "9"),
            )
        ]
        self.assertEqual(self.adapter().parse_webhook(cloud), expected)

    # ------------------------------------------------------------------ 7. void without id
    def test_void_without_remote_id_looks_the_document_up_by_number(self):
        sent = self.invoice(amounts=(100.0,))
        refund = self.invoice(amounts=(20.0,), move_type="out_refund")
        self.sync()
        never = self.invoice(amounts=(50.0,))  # posted, never sent
        recs = self.record(sent) | self.record(refund)
        ids = {rec: rec.remote_id for rec in recs}
        # Their answers were lost: Odoo does not know their ids.
        recs.write({"remote_id": False, "sync_token": False})
        jobs = self.jobs(recs | self.record(never), strict=False)
        results = self.adapter().void_documents(jobs).results
        voided = results[self.record(sent).id]
        self.assertEqual(
            (voided.remote_id, voided.remote_status), (ids[self.record(sent)], "voided")
        )
        self.assertEqual(self.emulator.objects("Invoice")[0]["TotalAmt"], 0)
        deleted = results[self.record(refund).id]
        self.assertEqual(
            (deleted.remote_id, deleted.remote_status), (ids[self.record(refund)], "deleted")
        )
        self.assertEqual(self.emulator.objects("CreditMemo"), [])
        missing = results[self.record(never).id]
        self.assertIsInstance(missing, SyncError)
        self.assertEqual(missing.kind, GONE)
        self.assertEqual(len(self.emulator.objects("Invoice")), 1, "nothing else touched")

    def test_cancel_after_a_lost_answer_voids_the_invoice_found_by_number(self):
        self.partner_a.qxs_billing_account = "Cool Cars"  # no customer batch before the invoice
        # Customer, items and tax codes known first: the invoice's batch is then the only one
        # (the look-ups of a first send are read ahead in a batch of their own).
        first = self.invoice(amounts=(10.0,))
        self.sync()
        self.assertEqual(self.record(first).state, "synced", self.record(first).last_error)
        move = self.invoice(amounts=(100.0,))
        self.emulator.add_fault("drop_after_write", path="/invoice$")
        self.sync()
        rec = self.record(move)
        self.assertFalse(rec.remote_id, "the answer was lost")
        [remote] = [i for i in self.emulator.objects("Invoice") if i["DocNumber"] == move.name]
        never = self.invoice(amounts=(50.0,))
        (move | never).button_cancel()
        self.sync()
        self.assertEqual((rec.remote_id, rec.remote_status), (remote["Id"], "voided"))
        by_number = {i["DocNumber"]: i for i in self.emulator.objects("Invoice")}
        self.assertEqual(by_number[move.name]["TotalAmt"], 0)
        never_rec = self.record(never)
        self.assertEqual(never_rec.state, "skipped", never_rec.last_error)
        self.assertNotIn(never.name, by_number, "the other was never sent")


@tagged("post_install", "-at_install")
class TestQboDefectsGlobalTax(QboGstCase):
    """A GST company: lines with tax-included and tax-excluded prices on one document."""

    def test_mixed_tax_included_and_excluded_lines_keep_odoo_total(self):
        move = self.invoice(amounts=(100.0, 110.0), taxes=self.tax_gst, post=False)
        move.invoice_line_ids[1].tax_ids = self.tax_gst_included
        move.action_post()
        self.assertAlmostEqual(move.amount_total, 220.0, 2)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [inv] = self.emulator.objects("Invoice")
        self.assertEqual(inv["GlobalTaxCalculation"], "TaxExcluded")
        self.assertAlmostEqual(inv["TotalAmt"], move.amount_total, 2)
        self.assertAlmostEqual(inv["TxnTaxDetail"]["TotalTax"], move.amount_tax, 2)
        self.assertFalse(rec.total_mismatch)
