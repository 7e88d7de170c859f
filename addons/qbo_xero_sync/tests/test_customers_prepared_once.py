"""The customers of the pending documents are prepared (found or created in full batches) once
per connection and cron run, before its first group of documents: a backlog sent in many
groups does not search its pending records again before each group. A group whose customers
were left out of the preparation creates them itself."""

from unittest.mock import patch

from odoo.tests import tagged

from .. import const
from .common import QxsCase, XeroMixin


class PreparedOnceCommon:
    """What both providers must do; ``customer_writes`` is the provider's."""

    allow_inherited_tests_method = True  # Odoo's loader runs the tests of this mixin too

    def new_moves(self, count, prefix="Prepared"):
        """``count`` invoices, each of a new customer (names unique: Xero's contact names)."""
        moves = self.env["account.move"]
        for n in range(count):
            partner = self.env["res.partner"].create(
                {"name": f"{prefix} customer {n}", "email": f"{prefix.lower()}.{n}@x.example"}
            )
            moves |= self.invoice(partner=partner, amounts=(10.0 + n,))
        return moves

    def run_cron_in_groups_of_two(self):
        """One run of the send cron, documents two to a group; returns (the connections whose
        pending records were searched to prepare customers, the document groups sent)."""
        Record = self.registry["qxs.sync.record"]
        search, process = Record._pending_customer_records, Record._process_group
        searched, groups = [], []

        def counting_search(records, connection):
            searched.append(connection.id)
            return search(records, connection)

        def counting_process(records, adapters=None):
            if records[:1].purpose == "document":
                groups.append(records.ids)
            return process(records, adapters)

        with (
            patch.object(Record, "_group_size", lambda records, connection_id: 2),
            patch.object(Record, "_pending_customer_records", counting_search),
            patch.object(Record, "_process_group", counting_process),
        ):
            self.sync()
        return searched, groups

    def assert_all_synced(self, moves):
        for move in moves:
            rec = self.record(move)
            self.assertEqual(rec.state, "synced", rec.last_error)
        partners = moves.partner_id.ids
        bound = self.env["qxs.binding"]._known(self.connection, "customer", partners)
        self.assertEqual(set(bound), set(partners))

    def test_one_preparation_for_a_cron_run_of_several_groups(self):
        moves = self.new_moves(5)
        before = self.customer_writes()
        searched, groups = self.run_cron_in_groups_of_two()
        self.assertEqual(len(groups), 3, "five documents, two to a group")
        self.assertEqual(searched, [self.connection.id], "searched before the first group only")
        self.assertEqual(self.customer_writes() - before, 1, "the five customers in one batch")
        self.assert_all_synced(moves)
        # The next cron run (a new adapter) prepares again, for the documents posted since.
        later = self.new_moves(2, prefix="Later")
        searched, groups = self.run_cron_in_groups_of_two()
        self.assertEqual((searched, len(groups)), ([self.connection.id], 1))
        self.assert_all_synced(later)

    def test_groups_create_the_customers_left_out_of_the_preparation(self):
        """Only the first two documents' customers are prepared: the later groups of the same
        run are not prepared again, and create their customers themselves."""
        moves = self.new_moves(5)
        with patch.object(const, "BULK_CUSTOMER_DOCUMENTS", 2):
            searched, groups = self.run_cron_in_groups_of_two()
        self.assertEqual(len(groups), 3)
        self.assertEqual(searched, [self.connection.id])
        self.assert_all_synced(moves)


@tagged("post_install", "-at_install")
class TestQboCustomersPreparedOnce(PreparedOnceCommon, QxsCase):
    def customer_writes(self):
        return self.env["qxs.sync.log"].search_count(
            [("connection_id", "=", self.connection.id), ("operation", "ilike", "create customers")]
        )


@tagged("post_install", "-at_install")
class TestXeroCustomersPreparedOnce(PreparedOnceCommon, XeroMixin, QxsCase):
    def customer_writes(self):
        return self.emulator.count(r"/Contacts$", "PUT")
