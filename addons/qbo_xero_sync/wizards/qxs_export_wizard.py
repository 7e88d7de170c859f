from odoo import _, api, fields, models


class QxsExportWizard(models.TransientModel):
    """Historical export: which documents posted before the connection to send, with the
    number that would be sent and of those already linked (skipped), before it starts."""

    _name = "qxs.export.wizard"
    _description = "QuickBooks / Xero historical export"

    connection_id = fields.Many2one(
        "qxs.connection",
        required=True,
        default=lambda self: self.env["qxs.connection"]._for_company(self.env.company),
        domain="[('state', 'in', ('connected', 'reconnect'))]",
    )
    date_from = fields.Date(help="Invoice date; empty: from the first document.")
    date_to = fields.Date(
        default=lambda self: self.env["qxs.connection"]
        ._for_company(self.env.company)
        .history_cutoff_date,
        help="Invoice date; empty: up to the last document. By default the connection's "
        "history cut-off (the day of its first connection).",
    )
    include_invoices = fields.Boolean(string="Invoices", default=True)
    include_credit_notes = fields.Boolean(string="Credit notes", default=True)
    include_payments = fields.Boolean(
        string="Payments",
        default=True,
        help="Payments, credit notes applied and refunds reconciled with the documents of the "
        "range, once all the documents they pay are sent or linked.",
    )
    team_ids = fields.Many2many(
        "crm.team", string="Sales channels", help="Empty: every sales channel."
    )
    document_count = fields.Integer(string="Documents to send", compute="_compute_counts")
    payment_count = fields.Integer(string="Payments to send", compute="_compute_counts")
    linked_count = fields.Integer(
        string="Already linked (skipped)",
        compute="_compute_counts",
        help="Linked to a remote document or payment already: not sent again.",
    )

    @api.depends(
        "connection_id",
        "date_from",
        "date_to",
        "include_invoices",
        "include_credit_notes",
        "include_payments",
        "team_ids",
    )
    def _compute_counts(self):
        Run = self.env["qxs.export.run"]
        for wizard in self:
            selection = Run._selection(wizard)
            wizard.document_count = len(selection["documents"])
            wizard.payment_count = len(selection["payments"])
            wizard.linked_count = len(selection["linked"])

    def action_start(self):
        """Create the run (the export cron queues its documents in chunks) and open it."""
        self.ensure_one()
        run = self.env["qxs.export.run"]._start(self)
        return {
            "type": "ir.actions.act_window",
            "name": _("Historical export"),
            "res_model": "qxs.export.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }
