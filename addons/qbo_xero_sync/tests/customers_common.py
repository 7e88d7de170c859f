"""Checks of the customer policy, customer edits and the match screen, run against both
emulators (the concrete classes call them from one-line tests)."""

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user


class CustomerHelpers:
    """Users and emulator helpers; mixed into a QxsCase subclass that sets ``customer_kind``
    (the emulator's kind of customers) and implements ``remote_customer(remote_id)`` as
    {"name", "email", "currency", "street"}."""

    @classmethod
    def make_users(cls):
        company = cls.env.company

        def user(login, groups):
            return new_test_user(
                cls.env,
                login=login,
                groups="base.group_user,base.group_partner_manager," + groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.billing = user("qxs_c_billing", "account.group_account_invoice")
        cls.accountant = user("qxs_c_accountant", "account.group_account_manager")

    def customers(self):
        return self.emulator.objects(self.customer_kind)

    def link_of(self, partner):
        return (
            self.env["qxs.binding"]
            ._known(self.connection, "customer", [partner.id])
            .get(partner.id)
        )

    def customer_record(self, partner):
        return self.env["qxs.sync.record"]._record_of(self.connection, partner, "customer")

    def new_customer(self, name, user=None, **vals):
        return (
            self.env["res.partner"]
            .with_user(user or self.billing)
            .create({"name": name, "customer_rank": 1, **vals})
        )

    def match_wizard(self, user, kind="customer"):
        wizard = (
            self.env["qxs.match.wizard"]
            .with_user(user)
            .create({"connection_id": self.connection.id, "kind": kind})
        )
        wizard.action_load()
        return wizard

    # ------------------------------------------------------------------ policy
    def check_never_create_unmatched_is_an_error_then_linked(self):
        self.connection.customer_policy = "never"
        partner = self.new_customer("Nobody Known Anywhere")
        before = len(self.customers())
        move = self.invoice(partner=partner)
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "error")
        self.assertIn("never creates customers", rec.last_error)
        self.assertIn("match screen", rec.last_error)
        self.assertEqual(len(self.customers()), before, "nothing created remotely")
        # The accountant links it on the match screen, then the document goes.
        wizard = self.match_wizard(self.accountant)
        line = wizard.line_ids.filtered(lambda row: row.partner_id == partner)
        line.candidate_id = wizard.remote_ids.filtered(lambda r: r.name == self.existing_name)
        line.action_link()
        rec.action_retry()
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.assertEqual(self.link_of(partner), line.candidate_id.remote_id)
        self.assertEqual(len(self.customers()), before)

    def check_never_create_matches_an_existing_customer(self):
        self.connection.customer_policy = "never"
        partner = self.new_customer(self.existing_name)
        move = self.invoice(partner=partner)
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        [remote] = [c for c in self.customers() if self.remote_name(c) == self.existing_name]
        self.assertEqual(self.link_of(partner), self.remote_id(remote))

    def check_created_when_created_in_odoo(self):
        self.connection.customer_policy = "on_create"
        partner = self.new_customer("Brand New Customer", email="new@customer.example")
        rec = self.customer_record(partner)
        self.assertEqual((rec.state, rec.purpose), ("pending", "customer"))
        self.sync()
        self.assertEqual(rec.state, "synced", rec.last_error)
        remote = self.remote_customer(self.link_of(partner))
        self.assertEqual(remote["name"], "Brand New Customer")
        self.assertEqual(remote["email"], "new@customer.example")
        self.assertEqual(remote["currency"], self.env.company.currency_id.name)
        # Not with the default policy (created with the first document).
        self.connection.customer_policy = "on_document"
        other = self.new_customer("Later Customer")
        self.assertFalse(self.customer_record(other))

    def check_first_sale_queues_the_customer(self):
        self.connection.customer_policy = "on_create"
        partner = self.env["res.partner"].create({"name": "Walk-in Buyer"})
        self.assertFalse(self.customer_record(partner), "not a customer yet")
        partner._increase_rank("customer_rank")
        self.assertEqual(self.customer_record(partner).state, "pending")

    def check_first_invoice_of_a_new_customer_makes_one_remote_customer(self):
        self.connection.customer_policy = "on_create"
        partner = self.env["res.partner"].create({"name": "First Invoice Buyer"})
        before = len(self.customers())
        move = self.invoice(partner=partner)
        self.assertEqual(self.customer_record(partner).state, "pending")
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        self.assertEqual(self.customer_record(partner).state, "synced")
        self.assertEqual(len(self.customers()), before + 1, "one remote customer")

    def check_edits_of_a_linked_customer_are_sent_coalesced(self):
        move = self.invoice()
        self.sync()
        self.assertEqual(self.record(move).state, "synced", self.record(move).last_error)
        remote_id = self.link_of(self.partner_a)
        partner = self.partner_a.with_user(self.billing)
        partner.write({"email": "changed@customer.example"})
        partner.write({"name": "Odoo Test Customer A Renamed", "street": "1 New Street"})
        partner.write({"city": "Springfield"})
        recs = self.env["qxs.sync.record"].search([("purpose", "=", "customer")])
        self.assertEqual(len(recs), 1, "one record per customer and connection")
        self.sync()
        self.assertEqual(recs.state, "synced", recs.last_error)
        remote = self.remote_customer(remote_id)
        self.assertEqual(remote["name"], "Odoo Test Customer A Renamed")
        self.assertEqual(remote["email"], "changed@customer.example")
        self.assertEqual(remote["street"], "1 New Street")
        self.assertEqual(self.link_of(self.partner_a), remote_id, "the same customer")
        # Turned off: edits stay in Odoo.
        self.connection.customer_send_edits = False
        partner.write({"email": "again@customer.example"})
        self.assertEqual(recs.state, "synced")

    def check_edit_undone_is_sent_too(self):
        self.invoice()
        self.sync()
        remote_id = self.link_of(self.partner_a)
        partner = self.partner_a.with_user(self.billing)
        for email in (
            "first@customer.example",
            "second@customer.example",
            "first@customer.example",
        ):
            partner.email = email
            self.sync()
            self.assertEqual(self.customer_record(self.partner_a).state, "synced")
            self.assertEqual(self.remote_customer(remote_id)["email"], email)

    def check_unlinked_customer_edits_are_not_queued(self):
        self.partner_b.with_user(self.billing).write({"email": "b@customer.example"})
        self.assertFalse(self.customer_record(self.partner_b))

    def check_document_currency_on_new_customer(self):
        move = self.invoice()
        self.sync()
        remote = self.remote_customer(self.link_of(self.partner_a))
        self.assertEqual(remote["currency"], move.currency_id.name)

    # ------------------------------------------------------------------ match screen
    def check_match_screen_scores_links_and_hides(self):
        partner = self.new_customer(self.existing_name.upper() + " ")
        other = self.new_customer("Zebra Unrelated Holdings")
        wizard = self.match_wizard(self.accountant)
        line = wizard.line_ids.filtered(lambda row: row.partner_id == partner)
        self.assertEqual(line.candidate_id.name, self.existing_name)
        self.assertGreaterEqual(line.score, 90)
        self.assertFalse(line.linked)
        low = wizard.line_ids.filtered(lambda row: row.partner_id == other)
        self.assertEqual(len(low), 1)
        self.assertLess(low.score, 90)
        wizard.threshold = 90
        wizard.action_match_above()
        self.assertTrue(line.linked)
        self.assertFalse(low.linked, "below the threshold")
        self.assertEqual(self.link_of(partner), line.candidate_id.remote_id)
        self.assertNotIn(line, wizard.open_line_ids, "hidden once linked")
        self.assertIn(low, wizard.open_line_ids)
        # A remote customer is linked once.
        low.candidate_id = line.candidate_id
        with self.assertRaisesRegex(Exception, "already linked"):
            low.action_link()
        line.action_unlink()
        self.assertFalse(self.link_of(partner))
        self.assertIn(line, wizard.open_line_ids)

    def check_match_screen_creates_remote_customers_in_odoo(self):
        wizard = self.match_wizard(self.accountant)
        remote_only = wizard.line_ids.filtered("remote_only")
        self.assertTrue(remote_only, "remote customers Odoo lacks are listed")
        line = remote_only[0]
        name = line.candidate_id.name
        line.action_create_in_odoo()
        partner = self.env["res.partner"].search([("name", "=", name)])
        self.assertEqual(len(partner), 1)
        self.assertEqual(self.link_of(partner), line.candidate_id.remote_id)
        self.assertFalse(self.customer_record(partner), "not sent back")

    def check_match_screen_reads_every_page(self):
        names = [f"Paged Customer {n:03d}" for n in range(130)]
        self.seed_customers(names)
        partner = self.new_customer("paged customer 129")
        wizard = self.match_wizard(self.accountant)
        read = set(wizard.remote_ids.mapped("name"))
        self.assertLessEqual(set(names), read, "the customers of every page")
        line = wizard.line_ids.filtered(lambda row: row.partner_id == partner)
        self.assertEqual((line.candidate_id.name, line.score), ("Paged Customer 129", 100))

    def check_match_screen_rights(self):
        with self.assertRaises(AccessError):
            self.env["qxs.match.wizard"].with_user(self.billing).create(
                {"connection_id": self.connection.id}
            )
        wizard = self.match_wizard(self.accountant)
        self.assertTrue(wizard.line_ids)
        form = Form(self.env["qxs.match.wizard"].with_user(self.accountant))
        self.assertEqual(form.kind, "customer")
        self.assertEqual(form.connection_id, self.connection)
        with self.assertRaises(ValidationError):
            wizard.threshold = 101
        # The connection's form has the page of the customer options.
        arch = self.env["qxs.connection"].get_view(view_type="form")["arch"]
        self.assertIn('name="customer_policy"', arch)
        self.assertIn('name="customer_send_edits"', arch)
