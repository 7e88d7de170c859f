"""18.0.1.1.0: customer links move from the queue (qxs.sync.record, purpose "customer") to
their own model, qxs.binding."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        INSERT INTO qxs_binding
               (connection_id, company_id, kind, key, partner_id, remote_id,
                create_uid, create_date, write_uid, write_date)
        SELECT connection_id, company_id, 'customer', res_id::varchar, res_id, remote_id,
               create_uid, create_date, write_uid, write_date
          FROM qxs_sync_record
         WHERE purpose = 'customer' AND remote_id IS NOT NULL
        ON CONFLICT DO NOTHING
        """
    )
    cr.execute("DELETE FROM qxs_sync_record WHERE purpose = 'customer'")
