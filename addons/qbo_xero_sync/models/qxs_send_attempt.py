from odoo import api, fields, models


class QxsSendAttempt(models.Model):
    """A mark that a sync record is about to be sent, committed before the request goes out.

    A worker may die after the provider applied its write and before Odoo committed what it
    answered: the sync record then looks as if it was never tried. This mark survives that
    crash (it is written by a transaction of its own), so that the next try looks the remote
    object up by number before creating it again; a first try, without a mark, creates at once
    (one call fewer per group).

    ``record_ref`` is the sync record's id, deliberately not a many2one: the worker holds the
    sync record's row lock while the mark is written by another transaction, and a foreign key
    check would wait for that lock."""

    _name = "qxs.send.attempt"
    _description = "QuickBooks / Xero send attempt"
    _log_access = False

    record_ref = fields.Integer(string="Sync record", required=True, index=True)
    attempted_at = fields.Datetime(required=True, default=fields.Datetime.now)
    # The Odoo documents the attempt writes to (a payment's: those it pays), as ",id,id,": the
    # provider may have them paid by it although Odoo does not know.
    move_refs = fields.Char(string="Documents")

    @api.model
    def _mark(self, records, move_ids=None):
        """Mark ``records`` as tried, in a transaction committed at once. ``move_ids``:
        {record id: ids of the documents the attempt writes to}."""
        if not records:
            return
        move_ids = move_ids or {}
        with records.connection_id[:1]._independent_env() as env:
            env[self._name].create(
                [
                    {
                        "record_ref": rec_id,
                        "move_refs": ",{},".format(
                            ",".join(str(i) for i in move_ids.get(rec_id, ()))
                        ),
                    }
                    for rec_id in records.ids
                ]
            )

    @api.model
    def _attempted_move_ids(self, record):
        """{str(move id)} of the documents that tries of ``record`` wrote to."""
        marks = self.sudo().search([("record_ref", "=", record.id)])
        return {ref for mark in marks for ref in (mark.move_refs or "").split(",") if ref}

    @api.model
    def _unanswered_payments_of(self, connection, move):
        """The payment records of ``connection`` tried without a known answer (no remote id,
        due again) whose tries paid ``move``: the provider may have that cash on it."""
        marks = self.sudo().search([("move_refs", "like", f",{move.id},")])
        return (
            self.env["qxs.sync.record"]
            .sudo()
            .search(
                [
                    ("id", "in", marks.mapped("record_ref")),
                    ("connection_id", "=", connection.id),
                    ("purpose", "=", "payment"),
                    ("state", "=", "pending"),
                    ("remote_id", "=", False),
                ]
            )
        )

    @api.model
    def _marked(self, records):
        """The ids of ``records`` tried before (whether or not the answer reached Odoo)."""
        found = self.sudo().search([("record_ref", "in", records.ids)])
        return set(found.mapped("record_ref"))

    @api.autovacuum
    def _gc_marks_of_known_outcomes(self):
        """Marks of no use any more: their record is gone or has its remote id. They are
        removed here, once a day, rather than with each outcome: the send path stays one
        insert per group, and a mark that outlives its use only costs a look-up."""
        self.env.cr.execute(
            """
            DELETE FROM qxs_send_attempt a
             WHERE NOT EXISTS (
                   SELECT 1 FROM qxs_sync_record r
                    WHERE r.id = a.record_ref AND COALESCE(r.remote_id, '') = '')
            """
        )
