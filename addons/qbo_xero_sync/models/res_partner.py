from odoo import api, fields, models

from .. import const


class ResPartner(models.Model):
    _inherit = "res.partner"

    qxs_billing_account = fields.Char(
        string="Billing account",
        company_dependent=True,
        help="The customer's account number in QuickBooks Online or Xero (Xero: the contact's "
        "AccountNumber, matched exactly). When empty or unmatched, the customer is found by "
        "name or created.",
    )

    # ------------------------------------------------------------------ values
    def _qxs_customer_values(self, currency=None):
        """The customer as adapters bind it (the same plain values as a document's partner),
        with its addresses; ``currency`` is that of a customer created remotely. No partner
        (e.g. a statement line without one) gives empty values, refused later with a reason."""
        partner = self[:1].commercial_partner_id
        currency = (
            currency
            or partner.property_product_pricelist.currency_id
            or (partner.company_id or self.env.company).currency_id
        )
        return {
            "name": partner.name or "",
            "billing_account": (partner.qxs_billing_account or "").strip(),
            "email": partner.email or "",
            "phone": partner.phone or "",
            "street": partner.street or "",
            "street2": partner.street2 or "",
            "city": partner.city or "",
            "zip": partner.zip or "",
            "country": partner.country_id.code or "",
            "vat": partner.vat or "",
            "id": partner.id,
            "currency": currency.name,
        }

    # ------------------------------------------------------------------ triggers
    def _qxs_connections(self):
        """The active, connected connections that may hold this partner remotely."""
        domain = [("state", "=", "connected")]
        if self.company_id:
            domain.append(("company_id", "=", self.company_id.id))
        return self.env["qxs.connection"].sudo().search(domain)

    def _qxs_queue_customer(self, reason):
        """Queue the customer's own record on each connection that wants it: ``reason``
        "created" (connections creating customers when they are created) or "edited"
        (connections sending edits of linked customers). One record per customer and
        connection: a later edit is sent with the same record (coalesced)."""
        if self.env.context.get("qxs_from_remote"):
            return  # made from the remote record (the match screen): nothing to send back
        Record = self.env["qxs.sync.record"].sudo()
        Binding = self.env["qxs.binding"].sudo()
        for partner in self.filtered(lambda p: p.is_company or not p.parent_id):
            for conn in partner._qxs_connections():
                if reason == "created":
                    wanted = conn.customer_policy == "on_create"
                else:
                    wanted = conn.customer_send_edits and bool(
                        Binding._known(conn, "customer", [partner.id])
                    )
                if wanted:
                    Record._enqueue(conn, partner, purpose="customer")

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners.filtered(lambda p: p.customer_rank > 0)._qxs_queue_customer("created")
        return partners

    def write(self, vals):
        result = super().write(vals)
        if set(vals) & set(const.CUSTOMER_SYNC_FIELDS):
            self._qxs_queue_customer("edited")
        return result

    def _increase_rank(self, field, n=1):
        """A partner becoming a customer (its first sale or invoice) is created remotely by
        connections that create customers when they are created."""
        new = self.filtered(lambda p: not p[field]) if field == "customer_rank" else self.browse()
        result = super()._increase_rank(field, n)
        new._qxs_queue_customer("created")
        return result
