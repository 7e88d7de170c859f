from odoo import fields, models


class AccountMove(models.Model):
    """What a document carries besides its lines (``_qxs_document_values``): the rate of a
    foreign currency, the payment term, the class / location / tracking values picked on the
    connection and the ship date. Plain values only; the adapters translate them."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _qxs_rate(self, currency, date):
        """Odoo's rate of ``currency`` on ``date``: company currency per unit (QuickBooks'
        ExchangeRate as is, Xero's CurrencyRate its inverse), rounded to 6 decimals; None in
        the company's currency. The one rule of documents and payments."""
        self.ensure_one()
        company = self.company_id
        if not currency or currency == company.currency_id:
            return None
        rate = currency._get_conversion_rate(
            currency, company.currency_id, company, date or fields.Date.context_today(self)
        )
        return round(rate, 6)

    def _qxs_term_name(self):
        """The QuickBooks term of this invoice's payment term ("" without one)."""
        self.ensure_one()
        term = self.invoice_payment_term_id
        if self.move_type != "out_invoice" or not term:
            return ""
        return (term.qxs_term_name or term.name or "").strip()

    def _qxs_sale_orders(self):
        """The sales orders this document invoices (sudo: their warehouse and deliveries are
        read for their names and dates only)."""
        return self.sudo().invoice_line_ids.sale_line_ids.order_id

    def _qxs_source_name(self, source, line=None):
        """The name ``source`` ("team", "warehouse", "analytic"; "none") gives this document,
        or one of its lines ("" when it gives none)."""
        self.ensure_one()
        if source == "team":
            return (self.team_id.name or "").strip()
        if source == "warehouse":
            orders = line.sudo().sale_line_ids.order_id if line else None
            orders = orders or self._qxs_sale_orders()
            if "warehouse_id" not in orders._fields:
                return ""  # sale_stock is not installed
            return (orders.sorted("id")[:1].warehouse_id.name or "").strip()
        if source == "analytic":
            account = self._qxs_main_analytic(line)
            return (account.name or "").strip()
        return ""

    def _qxs_main_analytic(self, line=None):
        """The analytic account with the largest share of ``line`` (its distribution), or of
        the whole document (weighted by the lines' amounts); ties: the lowest id."""
        self.ensure_one()
        shares = {}
        lines = line or self.invoice_line_ids.filtered(lambda ln: ln.display_type == "product")
        for ln in lines:
            weight = 1.0 if line else abs(ln.price_subtotal)
            for key, percent in (ln.analytic_distribution or {}).items():
                for account_id in str(key).split(","):
                    if account_id.strip().isdigit():
                        account_id = int(account_id)
                        shares[account_id] = shares.get(account_id, 0.0) + weight * percent
        if not shares:
            return self.env["account.analytic.account"]
        best = min(shares, key=lambda account_id: (-shares[account_id], account_id))
        return self.env["account.analytic.account"].sudo().browse(best).exists()

    def _qxs_tracking(self, connection, line):
        """[{"category", "option"}] of a line for Xero (the connection's two categories whose
        source gives the line a name)."""
        tracking = []
        for category, source in connection._tracking_pairs():
            option = self._qxs_source_name(source, line) if category else ""
            if option:
                tracking.append({"category": category, "option": option})
        return tracking

    def _qxs_ship_date(self, connection):
        """The QuickBooks ship date of an invoice: with "Use actual shipment date", the date its
        last delivery to the customer was done (Inventory installed); else the delivery date
        promised on its sales order (the latest); None without either."""
        self.ensure_one()
        if self.move_type != "out_invoice":
            return None
        orders = self._qxs_sale_orders()
        if connection.use_shipment_date and "picking_ids" in orders._fields:
            done = orders.picking_ids.filtered(
                lambda p: p.state == "done" and p.picking_type_code == "outgoing" and p.date_done
            )
            if done:
                return self._qxs_local_date(max(done.mapped("date_done")))
        promised = [d for d in orders.mapped("commitment_date") if d]
        return self._qxs_local_date(max(promised)) if promised else None

    def _qxs_local_date(self, moment):
        """The date of a UTC datetime in the user's time zone (the company's when none)."""
        tz = self.env.context.get("tz") or self.env.user.tz or self.company_id.partner_id.tz
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), moment).date()

    def _qxs_option_values(self, connection):
        """The document-level values of the connection's document options."""
        self.ensure_one()
        return {
            "rate": self._qxs_rate(self.currency_id, self.invoice_date or self.date),
            "term": self._qxs_term_name(),
            "class_name": self._qxs_source_name(connection.class_source),
            "location": self._qxs_source_name(connection.location_source),
            "reference_on_statement": connection.reference_on_statement,
            "ship_date": self._qxs_ship_date(connection),
        }

    def _qxs_line_option_values(self, connection, line):
        """The line-level values of the connection's document options."""
        return {
            "class_name": self._qxs_source_name(connection.class_source, line),
            "tracking": self._qxs_tracking(connection, line),
        }
