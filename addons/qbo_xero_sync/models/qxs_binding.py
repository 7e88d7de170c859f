from odoo import api, fields, models


class QxsBinding(models.Model):
    """A link between an Odoo customer (or a revenue code) and its record in QuickBooks or Xero,
    per connection: what the adapters found or created once and need not look up again. It is
    a cache of the provider's ids, not work to do (that is ``qxs.sync.record``)."""

    _name = "qxs.binding"
    _description = "Link to a QuickBooks / Xero record"
    _order = "connection_id, kind, id"

    connection_id = fields.Many2one("qxs.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("customer", "Customer"), ("item", "Item (revenue code)")], required=True
    )
    key = fields.Char(
        required=True, help="The customer's id in Odoo, or the revenue code of an item."
    )
    partner_id = fields.Many2one("res.partner", string="Customer", ondelete="cascade", index=True)
    remote_id = fields.Char(required=True)

    _sql_constraints = [
        (
            "binding_uniq",
            "unique(connection_id, kind, key)",
            "An Odoo customer or revenue code is linked once per connection.",
        ),
    ]

    @staticmethod
    def _decode(kind, key):
        return int(key) if kind == "customer" else key

    @api.model
    def _search_links(self, connection, kind, keys=None):
        domain = [("connection_id", "=", connection.id), ("kind", "=", kind)]
        if keys is not None:
            domain.append(("key", "in", [str(k) for k in keys]))
        return self.sudo().search(domain)

    @api.model
    def _known(self, connection, kind, keys=None):
        """{partner id or revenue code: remote id} of a connection's links of ``kind`` (all,
        or those of ``keys``)."""
        return {
            self._decode(kind, b.key): b.remote_id
            for b in self._search_links(connection, kind, keys)
        }

    @api.model
    def _remember(self, connection, kind, links):
        """Store ``links`` ({partner id or revenue code: remote id}) found or created remotely."""
        if not links:
            return
        existing = {b.key: b for b in self._search_links(connection, kind, links)}
        for key, remote_id in links.items():
            link = existing.get(str(key))
            if link:
                if link.remote_id != remote_id:
                    link.remote_id = remote_id
                continue
            self.sudo().create(
                {
                    "connection_id": connection.id,
                    "kind": kind,
                    "key": str(key),
                    "partner_id": key if kind == "customer" else False,
                    "remote_id": remote_id,
                }
            )

    @api.model
    def _forget(self, connection, kind, keys):
        """Drop links the provider no longer honours (e.g. a customer made inactive there)."""
        if keys:
            self._search_links(connection, kind, keys).unlink()
