from odoo import fields, models

from .. import const


class QxsCustomerOptions(models.AbstractModel):
    """A connection's customer options: when remote customers are created, whether edits of a
    linked customer are sent. Mixed into ``qxs.connection``."""

    _name = "qxs.customer.options"
    _description = "QuickBooks / Xero customer options"

    customer_policy = fields.Selection(
        const.CUSTOMER_POLICIES,
        string="Create remote customers",
        default="on_document",
        required=True,
        help="With the first document sent: an unmatched customer is created then. When the "
        "customer is created in Odoo: queued at once. Never: customers are matched only (by "
        "billing account or name, or linked on the match screen); an unmatched customer is an "
        "error on the document.",
    )
    customer_send_edits = fields.Boolean(
        string="Send customer edits",
        default=True,
        help="Changes to the name, address or e-mail of a linked customer are sent.",
    )

    def _qxs_creates_customers(self):
        """False when the connection matches customers only (never creates them)."""
        self.ensure_one()
        return self.customer_policy != "never"

    def _qxs_exports_cogs(self):
        """True while the COGS addon exports journals for this connection (its COGS account is
        set): the provider's inventory items would then book the cost a second time."""
        self.ensure_one()
        return bool("cogs_account_code" in self._fields and self.cogs_account_code)
