"""Daily summaries (issue 16), the same scenarios against both emulators: the provider's side
is read through the few helpers each test class gives (its documents, totals, lines)."""

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form

from .payments_common import PaymentsMixin


class DailySummaryMixin(PaymentsMixin):
    """Two sales channels set to "Daily summary"; the provider-specific readers are defined
    by the test classes (``remote_docs``, ``remote_total``, ``remote_lines``, ``voided``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Team = cls.env["crm.team"]
        cls.shop = Team.create({"name": "Web shop", "qxs_invoice_sync_type": "summary"})
        cls.pos = Team.create({"name": "Counter", "qxs_invoice_sync_type": "summary"})
        cls.accountant = cls.company_user(
            f"summary_accountant_{cls.provider}", "account.group_account_manager"
        )

    def doc(self, team, amounts=(100.0,), move_type="out_invoice", products=None, date=None):
        move = self.invoice(amounts=amounts, move_type=move_type, products=products, post=False)
        move.team_id = team
        if date:
            move.invoice_date = date
        move.with_user(self.billing_user).action_post()
        return move

    def summaries(self, team=None):
        domain = [("team_id", "=", team.id)] if team else []
        return self.env["qxs.daily.summary"].search(domain, order="team_id, kind")

    def summary_rec(self, summary):
        return summary._sync_record()

    def wizard(self, action, date, teams=None):
        wizard = (
            self.env["qxs.summary.wizard"]
            .with_user(self.accountant)
            .create(
                {
                    "connection_id": self.connection.id,
                    "action": action,
                    "date_from": date,
                    "date_to": date,
                    "team_ids": [(6, 0, (teams or self.shop).ids)],
                }
            )
        )
        return wizard.action_apply()

    # ------------------------------------------------------------------ scenarios
    def test_one_summary_per_channel_and_kind_lines_grouped_totals_equal(self):
        # Amounts whose 8.25 % tax is exact to the cent (see the rounding test below).
        inv1 = self.doc(self.shop, amounts=(100.0,), products=self.product_a)
        inv2 = self.doc(self.shop, amounts=(48.0, 32.0), products=self.product_a + self.product_b)
        inv3 = self.doc(self.pos, amounts=(20.0,), products=self.product_a)
        note = self.doc(self.shop, amounts=(12.0,), move_type="out_refund", products=self.product_a)
        self.sync()
        shop_inv, shop_note = self.summaries(self.shop).sorted(lambda s: s.kind != "invoice")
        [pos_inv] = self.summaries(self.pos)
        self.assertEqual(
            (shop_inv.kind, shop_note.kind, pos_inv.kind), ("invoice", "credit_note", "invoice")
        )
        for summary in (shop_inv, shop_note, pos_inv):
            rec = self.summary_rec(summary)
            self.assertEqual(rec.state, "synced", rec.last_error)
            self.assertFalse(rec.total_mismatch, (rec.remote_total, rec.local_total))
        self.assertEqual(shop_inv.move_ids, inv1 + inv2)
        self.assertEqual(shop_note.move_ids, note)
        self.assertEqual(pos_inv.move_ids, inv3)
        # One remote document per channel, day and kind; none per Odoo document.
        invoices = self.remote_docs("invoice")
        self.assertEqual(len(invoices), 2)
        self.assertEqual(len(self.remote_docs("credit_note")), 1)
        by_number = {self.remote_number(d): d for d in invoices}
        self.assertNotIn(inv1.name, by_number)
        remote = by_number[shop_inv.name]
        self.assertLessEqual(len(shop_inv.name), 21)
        self.assertAlmostEqual(self.remote_total(remote), inv1.amount_total + inv2.amount_total, 2)
        # Grouped by revenue code and tax: one line per revenue code (product A's, and product
        # B's with the lines without product, under the default revenue code or B's).
        lines = self.remote_lines(remote)
        expected = {}
        for line in (inv1 + inv2).invoice_line_ids:
            code = line.product_id.qxs_revenue_code or self.default_revenue_code
            expected[code] = expected.get(code, 0.0) + line.price_subtotal
        self.assertEqual(len(lines), len(expected), lines)
        self.assertEqual(sorted(round(a, 2) for a in lines), sorted(expected.values()))
        self.assertAlmostEqual(
            self.remote_total(self.remote_docs("credit_note")[0]), note.amount_total, 2
        )
        # The documents are not sent alone: skipped with the reason, linked, showing the
        # summary's state and number.
        for move in (inv1, inv2, note):
            rec = self.record(move)
            self.assertEqual(rec.state, "skipped")
            self.assertIn(rec.summary_id.name, rec.skip_reason)
            self.assertEqual(move.qxs_daily_summary_id, rec.summary_id)
            self.assertEqual(move.qxs_sync_state, "synced")
            self.assertEqual(move.qxs_remote_number, rec.summary_id.name)
        self.assertEqual(self.record(inv3).summary_id, pos_inv)
        self.assertTrue(self.summary_rec(shop_inv).remote_id)
        # Searched as they are shown: by their summary's state.
        docs = inv1 + inv2 + inv3 + note
        Move = self.env["account.move"]
        self.assertEqual(
            Move.search([("id", "in", docs.ids), ("qxs_sync_state", "=", "synced")]), docs
        )
        self.assertFalse(Move.search([("id", "in", docs.ids), ("qxs_sync_state", "=", "skipped")]))
        self.assertEqual(
            Move.search([("id", "in", docs.ids), ("qxs_sync_state", "!=", "skipped")]), docs
        )
        # A customer per channel, created on demand.
        self.assertEqual(self.shop.qxs_summary_partner_id.name, "Web shop (daily sales)")
        self.assertEqual(shop_inv.partner_id, self.shop.qxs_summary_partner_id)
        self.assertNotEqual(pos_inv.partner_id, shop_inv.partner_id)

    def test_a_document_the_provider_would_refuse_stops_its_summary_with_the_reason(self):
        self.product_b.qxs_revenue_code = False
        self.connection.sudo().default_revenue_code = False
        good = self.doc(self.shop, amounts=(), products=self.product_a)
        bad = self.doc(self.shop, amounts=(), products=self.product_b)
        self.sync()
        [summary] = self.summaries(self.shop)
        rec = self.summary_rec(summary)
        self.assertEqual(rec.state, "error")
        self.assertIn(bad.name, rec.last_error)
        self.assertIn("revenue code", rec.last_error)
        self.assertNotIn(good.name, rec.last_error)
        self.assertEqual((good.qxs_sync_state, bad.qxs_sync_state), ("error", "error"))
        self.assertEqual(self.remote_docs("invoice"), [])
        # Fixed, then sent again from the invoice (the billing user's "send it again").
        self.product_b.qxs_revenue_code = self.revenue_code_b
        bad.with_user(self.billing_user).action_qxs_retry()
        self.assertEqual(self.summary_rec(summary).state, "pending")
        self.sync()
        self.assertEqual(self.summary_rec(summary).state, "synced")
        self.assertEqual(len(self.remote_docs("invoice")), 1)

    def test_summary_total_equals_its_documents_to_the_cent(self):
        """Each document's tax is rounded in Odoo: the summary carries the sum of those taxes
        as is (QuickBooks' US sales tax, computed on the summary's total, would be 6.60, a cent
        below), so its remote total equals the documents' to the cent."""
        first = self.doc(self.shop, amounts=(50.0,))  # tax 4.125 -> 4.13
        second = self.doc(self.shop, amounts=(30.0,))  # tax 2.475 -> 2.48
        self.sync()
        [summary] = self.summaries(self.shop)
        rec = self.summary_rec(summary)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertAlmostEqual(rec.local_total, first.amount_total + second.amount_total, 2)
        [remote] = self.remote_docs("invoice")
        self.assertAlmostEqual(self.remote_total(remote), 86.61, 2)  # 80 + 4.13 + 2.48
        self.assertAlmostEqual(rec.remote_total, 86.61, 2)
        self.assertFalse(rec.total_mismatch)
        self.assertFalse(summary.total_mismatch)

    def test_late_document_and_cancel_update_the_same_remote_document(self):
        inv1 = self.doc(self.shop, amounts=(100.0,))
        self.sync()
        [summary] = self.summaries(self.shop)
        remote_id = self.summary_rec(summary).remote_id
        self.assertTrue(remote_id)
        late = self.doc(self.shop, amounts=(40.0,))
        self.assertEqual(self.summary_rec(summary).state, "pending", "queued as an update")
        self.sync()
        rec = self.summary_rec(summary)
        self.assertEqual((rec.state, rec.remote_id), ("synced", remote_id), rec.last_error)
        [remote] = self.remote_docs("invoice")
        self.assertAlmostEqual(self.remote_total(remote), inv1.amount_total + late.amount_total, 2)
        # Cancelling a carried invoice takes it out of the summary: an update again.
        inv1.button_cancel()
        self.assertFalse(self.record(inv1).summary_id)
        self.assertIn("Cancelled", self.record(inv1).skip_reason)
        self.sync()
        rec = self.summary_rec(summary)
        self.assertEqual((rec.state, rec.remote_id), ("synced", remote_id), rec.last_error)
        [remote] = self.remote_docs("invoice")
        self.assertAlmostEqual(self.remote_total(remote), late.amount_total, 2)
        self.assertEqual(summary.move_ids, late)
        # A day left with no document: its summary is voided.
        late.button_cancel()
        self.sync()
        rec = self.summary_rec(summary)
        self.assertEqual(rec.remote_status, "voided", rec.last_error)
        self.assertTrue(self.voided(self.remote_docs("invoice")[0]))

    def test_wizard_voids_and_exports_again(self):
        move = self.doc(self.shop, amounts=(70.0,))
        self.sync()
        [summary] = self.summaries(self.shop)
        number = summary.name
        self.wizard("void", move.invoice_date)
        self.sync()
        self.assertEqual(self.summary_rec(summary).remote_status, "voided")
        self.assertTrue(all(self.voided(d) for d in self.remote_docs("invoice")))
        self.assertEqual(self.record(move).summary_id, summary, "still carried")
        self.wizard("export", move.invoice_date)
        self.sync()
        rec = self.summary_rec(summary)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertNotEqual(rec.remote_status, "voided")
        live = [d for d in self.remote_docs("invoice") if not self.voided(d)]
        self.assertEqual(len(live), 1)
        self.assertAlmostEqual(self.remote_total(live[0]), move.amount_total, 2)
        # The providers keep a voided document's number: the new copy is the next revision.
        self.assertEqual(self.remote_number(live[0]), summary.name)
        self.assertEqual(summary.name, f"{number}-2")
        self.assertIn(summary.name, self.record(move).skip_reason)

    def test_wizard_is_for_accountants(self):
        with self.assertRaises(AccessError):
            self.env["qxs.summary.wizard"].with_user(self.billing_user).create(
                {"connection_id": self.connection.id}
            )

    def test_billing_user_and_auditor_see_the_summary_of_their_invoice(self):
        move = self.doc(self.shop, amounts=(44.0,))
        self.sync()
        auditor = self.company_user(
            f"summary_auditor_{self.provider}", "account.group_account_readonly"
        )
        for user in (self.billing_user, auditor):
            seen = move.with_user(user)
            seen.invalidate_recordset()
            self.assertEqual(seen.qxs_daily_summary_id.name, self.summaries(self.shop).name)
            self.assertEqual(seen.qxs_sync_state, "synced")
            self.assertEqual(seen.qxs_daily_summary_id.amount_total, move.amount_total)
            with self.assertRaises(AccessError):
                seen.qxs_daily_summary_id.with_user(user).action_send_again()

    def test_salesman_sees_the_summary_of_their_invoice_and_maintains_nothing(self):
        """A plain salesperson opens their invoice carried by a summary (the form as their
        groups show it) and reads its summary link and state; the maintenance wizard and
        "send again" are refused."""
        salesman = self.company_user(
            f"summary_salesman_{self.provider}", "sales_team.group_sale_salesman"
        )
        move = self.invoice(amounts=(33.0,), post=False)
        move.write({"team_id": self.shop.id, "invoice_user_id": salesman.id})
        move.with_user(self.billing_user).action_post()
        self.sync()
        summary = self.record(move).summary_id
        self.assertEqual(self.summary_rec(summary).state, "synced")
        self.env.invalidate_all()
        form = Form(move.with_user(salesman))
        self.assertEqual(form.name, move.name)
        self.assertEqual(form.qxs_daily_summary_id.id, summary.id)
        self.env.invalidate_all()
        [values] = move.with_user(salesman).web_read(
            {
                "qxs_daily_summary_id": {"fields": {"display_name": {}}},
                "qxs_sync_state": {},
                "qxs_remote_number": {},
            }
        )
        self.assertEqual(values["qxs_daily_summary_id"]["id"], summary.id)
        self.assertEqual(values["qxs_daily_summary_id"]["display_name"], summary.display_name)
        self.assertEqual(values["qxs_sync_state"], "synced")
        self.assertEqual(values["qxs_remote_number"], summary.name)
        with self.assertRaises(AccessError):
            self.env["qxs.summary.wizard"].with_user(salesman).create(
                {"connection_id": self.connection.id}
            )
        with self.assertRaises(AccessError):
            summary.with_user(salesman).action_send_again()
        self.assertEqual(self.summary_rec(summary).state, "synced", "nothing queued")

    def test_wizard_range_is_today_by_default_and_refused_backwards(self):
        """The range of days of qxs.date.range.mixin, as the summary wizard uses it."""
        Wizard = self.env["qxs.summary.wizard"].with_user(self.accountant)
        today = fields.Date.context_today(Wizard)
        wizard = Wizard.create({"connection_id": self.connection.id})
        self.assertEqual((wizard.date_from, wizard.date_to), (today, today))
        with self.assertRaises(ValidationError):
            Wizard.create(
                {
                    "connection_id": self.connection.id,
                    "date_from": today,
                    "date_to": fields.Date.add(today, days=-1),
                }
            )

    def test_payments_of_summarized_invoices_are_kept_in_odoo(self):
        move = self.doc(self.shop, amounts=(60.0,))
        self.sync()
        payment = self.pay(move)
        rec = self.env["qxs.sync.record"]._record_of(self.connection, payment.move_id, "payment")
        self.assertEqual(rec.state, "skipped")
        self.assertIn("Keep in Odoo", rec.skip_reason)
        self.sync()
        self.assertEqual(self.remote_payments(), [])
        self.assertEqual(self.summary_rec(self.summaries(self.shop)).state, "synced")

    def test_reset_to_draft_and_post_on_another_day_moves_the_document(self):
        move = self.doc(self.shop, amounts=(25.0,))
        other = self.doc(self.shop, amounts=(35.0,))
        self.sync()
        first = self.record(move).summary_id
        move.button_draft()
        self.assertIn("Reset to draft", self.record(move).skip_reason)
        move.invoice_date = fields.Date.add(move.invoice_date, days=1)
        move.action_post()
        second = self.record(move).summary_id
        self.assertNotEqual(first, second)
        self.sync()
        self.assertEqual(first.move_ids, other)
        totals = sorted(self.remote_total(d) for d in self.remote_docs("invoice"))
        self.assertEqual(len(totals), 2)
        self.assertAlmostEqual(totals[0], move.amount_total, 2)
        self.assertAlmostEqual(totals[1], other.amount_total, 2)

    # ------------------------------------------------------------------ one deposit per day
    def deposit_mode(self):
        self.shop.qxs_summary_payment_mode = "deposit"
        self.bank.qxs_deposit_account = self.deposit_account

    def settle(self, rounds=4):
        """Run the cron until nothing is due (a summary waiting for its deposit to be removed
        is due again once it is)."""
        for _n in range(rounds):
            self.make_due()
            self.sync()

    def test_deposits_switched_on_with_the_channel_back_to_individual(self):
        """Cash kept in Odoo for a summary, then the channel switched to Individual and one
        deposit per day at once: the summary keeps its invoice, so its cash goes as its
        deposit now (campaign, Xero seed 11: the switch queued nothing, deposit_differs)."""
        move = self.doc(self.shop, amounts=(100.0,))
        self.sync()
        [summary] = self.summaries(self.shop)
        self.pay(move, amount=30.0, user=self.billing_user)
        self.settle()
        self.assertEqual(self.live_payments(), [])
        self.bank.qxs_deposit_account = self.deposit_account
        self.shop.write(  # by an administrator, in the sales channel's form
            {"qxs_invoice_sync_type": "individual", "qxs_summary_payment_mode": "deposit"}
        )
        self.settle()
        dep = summary._deposit_record()
        self.assertEqual(dep.state, "synced", dep.last_error)
        [remote] = self.live_payments()
        self.assertAlmostEqual(self.payment_amount(remote), 30.0, 2)
        self.assertEqual(self.paid_document(remote), self.summary_rec(summary).remote_id)

    def test_one_deposit_per_day_carries_the_cash_of_the_summarized_invoices(self):
        self.deposit_mode()
        first = self.doc(self.shop, amounts=(100.0,))
        second = self.doc(self.shop, amounts=(40.0,))
        self.sync()
        [summary] = self.summaries(self.shop)
        pay_first = self.pay(first, user=self.billing_user)
        pay_second = self.pay(second, amount=20.0, user=self.billing_user)
        for payment in pay_first + pay_second:
            rec = self.env["qxs.sync.record"]._record_of(
                self.connection, payment.move_id, "payment"
            )
            self.assertEqual(rec.state, "skipped")
            self.assertIn("deposit", rec.skip_reason)
        self.settle()
        dep = summary._deposit_record()
        self.assertEqual(dep.state, "synced", dep.last_error)
        cash = first.amount_total + 20.0
        self.assertAlmostEqual(summary.deposit_amount, cash, 2)
        [remote] = self.live_payments()
        self.assertAlmostEqual(self.payment_amount(remote), cash, 2)
        self.assertEqual(self.paid_document(remote), self.summary_rec(summary).remote_id)
        # More cash the same day: the one deposit is sent again with the new amount.
        self.pay(second, user=self.billing_user)
        self.settle()
        [remote] = self.live_payments()
        self.assertAlmostEqual(
            self.payment_amount(remote), first.amount_total + second.amount_total, 2
        )
        # A late invoice: the summary is updated (Xero: its deposit removed first, then sent
        # again), still one deposit of the day's cash.
        late = self.doc(self.shop, amounts=(12.0,))
        self.settle()
        rec = self.summary_rec(summary)
        self.assertEqual(rec.state, "synced", rec.last_error)
        [remote_doc] = [d for d in self.remote_docs("invoice") if not self.voided(d)]
        total = first.amount_total + second.amount_total + late.amount_total
        self.assertAlmostEqual(self.remote_total(remote_doc), total, 2)
        [remote] = self.live_payments()
        self.assertAlmostEqual(
            self.payment_amount(remote), first.amount_total + second.amount_total, 2
        )
        self.assertEqual(summary._deposit_record().state, "synced")
        # A payment unreconciled in Odoo: the deposit follows.
        self.unreconcile(pay_first)
        self.settle()
        [remote] = self.live_payments()
        self.assertAlmostEqual(self.payment_amount(remote), second.amount_total, 2)
