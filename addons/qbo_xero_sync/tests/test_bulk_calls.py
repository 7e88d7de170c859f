"""Bulk API calls (issue 16): the rules that keep the calls per document low, end to end (the
real engine and SDKs against the emulators). Call counts are asserted only where they are the
rule itself: no look-up before a first create, no second read of the reference data, new
customers in one batch, one request per poll."""

from odoo.tests import tagged

from .common import QxsCase, XeroMixin


class BulkCallsCommon:
    """What both providers must do; ``create_fault``, ``lookup_calls``, ``customer_writes``
    and ``remote_numbers`` are the provider's."""

    allow_inherited_tests_method = True  # Odoo's loader runs the tests of this mixin too

    def calls(self):
        return len(self.emulator.log)

    def new_partner(self, name):
        email = name.lower().replace(" ", ".") + "@x.example"
        return self.env["res.partner"].create({"name": name, "email": email})

    def test_first_send_makes_no_look_up(self):
        """Once the customer and the reference data are known, a first send is one request:
        the create (no look-up by number before it)."""
        self.sync_one(self.invoice())
        move = self.invoice(amounts=(55.0,))
        before = self.calls()
        self.sync_one(move)
        self.assertEqual(self.calls() - before, 1, self.emulator.log[before:])
        self.assertEqual(len(self.remote_numbers()), 2)

    def test_maybe_sent_record_is_looked_up_and_linked(self):
        """A record whose answer was lost (the provider applied the write) is looked up by
        number on its retry and linked, never created twice."""
        self.sync_one(self.invoice())
        move = self.invoice(amounts=(42.0,))
        self.emulator.add_fault("drop_after_write", **self.create_fault)
        self.sync()
        rec = self.record(move)
        self.assertFalse(rec.remote_id)
        self.assertEqual(self.remote_numbers().count(move.name), 1)
        self.make_due()
        before = self.lookup_calls()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertGreater(self.lookup_calls(), before, "the retry looks the number up")
        self.assertEqual(self.remote_numbers().count(move.name), 1, "linked, not duplicated")

    def test_new_customers_of_pending_documents_go_in_one_batch(self):
        """The group being sent prepares the customers of every pending document: three new
        customers are created by one request although the group holds one document."""
        partners = [self.new_partner(f"Bulk customer {n}") for n in range(3)]
        moves = [self.invoice(partner=p) for p in partners]
        before = self.customer_writes()
        group = self.record(moves[0])
        group.with_company(self.env.company)._process_group()
        self.assertEqual(group.state, "synced", group.last_error)
        self.assertEqual(self.customer_writes() - before, 1)
        ids = [p.id for p in partners]
        bound = self.env["qxs.binding"]._known(self.connection, "customer", ids)
        self.assertEqual(set(bound), set(ids))
        self.sync()
        self.assertEqual(self.customer_writes() - before, 1)
        self.assertTrue(all(self.record(m).state == "synced" for m in moves))

    def sync_one(self, move):
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        return rec


@tagged("post_install", "-at_install")
class TestBulkCallsXero(BulkCallsCommon, XeroMixin, QxsCase):
    create_fault = {"path": "/Invoices", "method": "POST"}

    def remote_numbers(self):
        return [i["InvoiceNumber"] for i in self.emulator.objects("Invoices")]

    def customer_writes(self):
        return self.emulator.count(r"/Contacts$", "PUT")

    def lookup_calls(self):
        return self.emulator.count(r"/Invoices$", method="GET")

    def reference_reads(self):
        return self.emulator.count(r"/Accounts$", "GET") + self.emulator.count(r"/TaxRates$", "GET")

    def test_first_send_reads_no_invoice(self):
        self.sync_one(self.invoice())
        self.assertEqual(self.lookup_calls(), 0)

    def test_reference_data_kept_across_cron_runs(self):
        self.sync_one(self.invoice())
        self.assertEqual(self.reference_reads(), 2)
        self.assertTrue(self.connection.reference_cache, "kept on the connection")
        self.sync_one(self.invoice(amounts=(20.0,)))
        self.assertEqual(self.reference_reads(), 2, "no second read in the next run")

    def test_tax_rate_added_in_xero_after_the_copy_is_read(self):
        """The kept copy lacks a tax rate added since: Xero's rates are read again once, and
        the document goes."""
        self.sync_one(self.invoice())
        self.assertEqual(self.emulator.count(r"/TaxRates$", "GET"), 1)
        tid = self.emulator.config["tenants"][0]["tenantId"]
        with self.emulator.lock:
            self.emulator._insert(
                tid,
                "TaxRates",
                {
                    "Name": "City tax",
                    "TaxType": "TAX002",
                    "Status": "ACTIVE",
                    "ReportTaxType": "OUTPUT",
                    "CanApplyToRevenue": True,
                    "DisplayTaxRate": 8.25,
                    "EffectiveRate": 8.25,
                    "TaxComponents": [
                        {
                            "Name": "City",
                            "Rate": 8.25,
                            "IsCompound": False,
                            "IsNonRecoverable": False,
                        }
                    ],
                },
            )
        city = self.tax_sale.copy({"name": "City tax 8.25%", "qxs_tax_code": "TAX002"})
        rec = self.sync_one(self.invoice(taxes=city))
        self.assertEqual(self.emulator.count(r"/TaxRates$", "GET"), 2)
        self.assertIn("TAX002", self.connection.reference_cache["tax_types"])
        self.assertTrue(rec.remote_id)

    def test_account_refused_by_xero_is_read_again(self):
        """Xero refuses an account the kept copy holds (archived there since): the copy is
        dropped, and the next attempt reads the accounts again and says what to do."""
        self.sync_one(self.invoice())
        accounts = self.emulator.count(r"/Accounts$", "GET")
        tid = self.emulator.config["tenants"][0]["tenantId"]
        with self.emulator.lock:
            for account in self.emulator.orgs[tid]["Accounts"].values():
                if account["Code"] == self.revenue_code_a:
                    account["Status"] = "ARCHIVED"
        move = self.invoice(amounts=(30.0,), products=self.product_a)
        self.sync()
        rec = self.record(move)
        self.assertFalse(rec.remote_id)
        self.assertNotIn("accounts", self.connection.reference_cache or {})
        rec.action_retry()
        self.make_due()
        self.sync()
        self.assertEqual(self.emulator.count(r"/Accounts$", "GET"), accounts + 1)
        self.assertIn("archived", rec.last_error or "")

    def test_poll_is_one_request(self):
        moves = [self.invoice(amounts=(10.0 + n,)) for n in range(3)]
        self.sync()
        for move in moves:
            self.emulator.pay_invoice(self.record(move).remote_id)
        before = self.calls()
        self.poll()
        calls = self.emulator.log[before:]
        self.assertEqual(len(calls), 1, calls)
        self.assertIn("1000", str(calls[0]["query"].get("pageSize")))
        self.assertTrue(all(m.payment_state in ("paid", "in_payment") for m in moves))


@tagged("post_install", "-at_install")
class TestBulkCallsQbo(BulkCallsCommon, QxsCase):
    create_fault = {"path": "/invoice$"}  # a lone invoice: a plain request

    def remote_numbers(self):
        return [i["DocNumber"] for i in self.emulator.objects("Invoice")]

    def customer_writes(self):
        return self.env["qxs.sync.log"].search_count(
            [("connection_id", "=", self.connection.id), ("operation", "ilike", "create customers")]
        )

    def lookup_calls(self):
        # The look-up by number goes alone (POST query) or read ahead in a batch.
        return self.emulator.count(r"/query$") + self.emulator.count(r"/batch$")

    def test_tax_codes_kept_and_read_again_when_one_is_missing(self):
        self.sync_one(self.invoice())
        codes = self.connection.reference_cache["tax_codes"]
        self.assertIn(self.tax_code.lower(), codes)
        # A copy that lacks the code (as if it were added in QuickBooks since): read again.
        self.connection.sudo().reference_cache = {"tax_codes": {"other": "1"}}
        self.sync_one(self.invoice(amounts=(12.0,)))
        self.assertIn(self.tax_code.lower(), self.connection.reference_cache["tax_codes"])

    def test_poll_is_one_request(self):
        moves = [self.invoice(amounts=(10.0 + n,)) for n in range(3)]
        self.sync()
        for move in moves:
            self.emulator.pay_invoice(self.record(move).remote_id)
        before = self.calls()
        self.poll()
        self.assertEqual(len(self.emulator.log[before:]), 1, self.emulator.log[before:])
        self.assertTrue(all(m.payment_state in ("paid", "in_payment") for m in moves))
