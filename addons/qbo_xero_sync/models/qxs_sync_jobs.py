import dataclasses
import logging

from odoo import _, models

from .. import const
from ..adapters import Job
from ..exceptions import SyncError

_logger = logging.getLogger(__name__)


class QxsSyncJobs(models.AbstractModel):
    """What the adapters are given: the plain values (:class:`Job`) of the queue's records,
    or the refusal of a record whose mapping the provider would refuse. Mixed into
    ``qxs.sync.record``; the COGS addon extends :meth:`_job_values`."""

    _name = "qxs.sync.jobs"
    _description = "Jobs of QuickBooks / Xero sync records"

    def _jobs(self, strict=True):
        """(list of Job, {record id: SyncError}): what the adapter is given for these records,
        in their order. ``strict``: a mapping the provider would refuse (a product without a
        revenue code...) refuses the record before any call; voids and reads only need the
        document's number and customer."""
        Binding = self.env["qxs.binding"]
        jobs, refused = [], {}
        tried = self.env["qxs.send.attempt"]._marked(self)
        for rec in self:
            try:
                values = rec._job_values(strict)
            except SyncError as exc:
                refused[rec.id] = exc
                continue
            partner = (values or {}).get("partner") or {}
            customer_id = None
            if partner.get("id"):
                customer_id = Binding._known(rec.connection_id, "customer", [partner["id"]]).get(
                    partner["id"]
                )
            jobs.append(
                Job(
                    key=rec.id,
                    kind=rec._kind(),
                    values=values,
                    remote_id=rec.remote_id or None,
                    sync_token=rec.sync_token or None,
                    remote_number=rec.remote_number or None,
                    generation=rec.generation,
                    customer_id=customer_id,
                    maybe_sent=not rec.remote_id
                    and (rec.id in tried or bool(rec.last_attempt_date)),
                )
            )
        if self[:1].purpose == "payment":
            # Payments without remote id may be looked up by number (a create or a void);
            # only the payment adapters read others_ids, so documents skip the query.
            held = self._remote_ids_held_elsewhere([job for job in jobs if not job.remote_id])
            jobs = [
                dataclasses.replace(job, others_ids=held) if not job.remote_id else job
                for job in jobs
            ]
        return jobs, refused

    def _prepare_customers(self, adapter):
        """Find or create, before the first group of documents of a cron run is sent, the
        customers of the connection's pending documents (at most
        const.BULK_CUSTOMER_DOCUMENTS of them) that are not bound yet: in full batches (30 for
        QuickBooks, 50 for Xero) rather than a few in each group. Once per connection and cron
        run: ``adapter`` lives for one run of one connection, and is marked on the first call
        (searching up to 1,000 pending records before each group of a backlog cost more than
        the rare customer it would find: the groups create their missing customers
        themselves). A failure is left to the group of its documents, which tries again and
        records it on them. Only for connections that create customers."""
        if not getattr(adapter, "create_customers", False):
            return
        if getattr(adapter, "_qxs_customers_prepared", False):
            return
        adapter._qxs_customers_prepared = True
        connection = self.connection_id
        records = self._pending_customer_records(connection)
        first_move = {}  # commercial partner -> its first document (the new customer's currency)
        for move in records.move_id:
            partner = move.partner_id.commercial_partner_id
            if partner:
                first_move.setdefault(partner.id, move)
        known = self.env["qxs.binding"]._known(connection, "customer", list(first_move))
        todo = {pid: move for pid, move in first_move.items() if pid not in known}
        if len(todo) < 2:
            return  # the group's own send costs no more
        jobs = [
            Job(
                key=-pid,
                kind="customer",
                values={"partner": move._qxs_partner_values(move.currency_id)},
            )
            for pid, move in todo.items()
        ]
        try:
            outcome = adapter.push_customers(jobs)
        except SyncError as exc:  # the groups' own sends record it on their documents
            _logger.info("qbo_xero_sync: customers not prepared: %s", exc.message)
            return
        except Exception:  # a bug here must not stop the documents
            _logger.exception("qbo_xero_sync: customers not prepared")
            return
        Binding = self.env["qxs.binding"]
        Binding._remember(connection, "customer", outcome.customers)
        Binding._forget(connection, "customer", outcome.forget_customers)

    def _pending_customer_records(self, connection):
        """The pending first sends of documents of ``connection`` whose customers are prepared
        ahead (the oldest const.BULK_CUSTOMER_DOCUMENTS)."""
        return self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("purpose", "=", "document"),
                ("action", "=", "push"),
                ("state", "=", "pending"),
                ("remote_id", "=", False),
                ("move_id", "!=", False),
            ],
            order="id",
            limit=const.BULK_CUSTOMER_DOCUMENTS,
        )

    def _remote_ids_held_elsewhere(self, jobs):
        """The remote ids that other records of this connection and purpose hold under the
        numbers of ``jobs``: a look-up by number must never take (nor remove) them as the jobs'
        own copies (Odoo may give a new payment the number of a cancelled one)."""
        numbers = {(job.values or {}).get("number") for job in jobs} - {None, ""}
        if not numbers:
            return frozenset()
        others = self.sudo().search(
            [
                ("connection_id", "=", self.connection_id.id),
                ("purpose", "=", self[:1].purpose),
                ("id", "not in", self.ids),
                ("remote_id", "!=", False),
                ("remote_number", "in", sorted(numbers)),
            ]
        )
        return frozenset(
            rid for rec in others for rid in rec.remote_id.split(const.XERO_REMOTE_ID_SEP) if rid
        )

    def _job_values(self, strict=True):
        """The plain values of this record's Odoo document or payment. Extended by other
        modules."""
        self.ensure_one()
        if self.purpose == "customer":
            partner = self._target()
            if not partner.exists():
                raise SyncError(_("The customer no longer exists in Odoo."))
            return {"partner": partner._qxs_customer_values()}
        if self.purpose == "payment":
            if not self.payment_move_id:
                values = dict(self.payment_values or {})
            else:
                values = self.payment_move_id._qxs_payment_values(self.connection_id, strict)
            if self.action == "void" and (self.payment_values or {}).get("kind"):
                # A void removes what was sent: a refund unreconciled is no refund any more.
                values["kind"] = self.payment_values["kind"]
            return values
        if self.action == "void" or (self.action == "push" and self.remote_id):
            # Voided or updated once its payments being removed are gone (Xero refuses to edit
            # a document with a payment; no provider voids one).
            self.move_id._qxs_check_payments_removed(self.connection_id)
        return self.move_id._qxs_document_values(self.connection_id, strict=strict)
