from odoo import _, api, fields, models
from odoo.tools import float_compare, float_is_zero

from odoo.addons.qbo_xero_sync import const

COGS_TYPES = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    qxs_cogs_state = fields.Selection(
        const.SYNC_STATES + [("none", "Not exported")],
        string="COGS journal",
        compute="_compute_qxs_cogs",
    )
    qxs_cogs_error = fields.Text(string="COGS journal error", compute="_compute_qxs_cogs")
    qxs_cogs_number = fields.Char(string="COGS journal number", compute="_compute_qxs_cogs")

    def _qxs_cogs_record(self, connection=None):
        """The cost of goods sold record of this document (for ``connection``, else the
        newest one)."""
        self.ensure_one()
        recs = self.sudo().qxs_sync_record_ids.filtered(
            lambda r: r.purpose == "cogs" and (not connection or r.connection_id == connection)
        )
        return recs.sorted("id", reverse=True)[:1]

    @api.depends("qxs_sync_record_ids.state", "qxs_sync_record_ids.last_error")
    def _compute_qxs_cogs(self):
        for move in self:
            rec = move._qxs_cogs_record()
            move.qxs_cogs_state = rec.state or "none"
            move.qxs_cogs_error = rec.last_error
            move.qxs_cogs_number = rec.remote_number

    # ------------------------------------------------------------------ valuation
    @staticmethod
    def _qxs_cogs_move_kind(stock_move):
        """'delivery' (goods leave to a customer), 'return' (they come back) or None."""
        if stock_move.location_id.usage == "customer":
            return "return"
        if stock_move.location_dest_id.usage == "customer":
            return "delivery"
        return None

    @staticmethod
    def _qxs_cogs_move_qty(stock_move):
        """Done quantity of a stock move, in the product's unit."""
        return stock_move.product_uom._compute_quantity(
            stock_move.quantity, stock_move.product_id.uom_id
        )

    def _qxs_cogs_compute(self, claimed):
        """The stock moves whose cost this document carries and their cost, from Odoo's stock
        valuation layers: ``(stock moves, [{"product", "description", "amount"}])``, or
        ``None`` while goods are still to be delivered (or returned).

        A document takes the done moves of its sale lines that no other document took
        (``claimed``), oldest first, until they cover its quantity: an invoice takes deliveries
        (then the returns of the excess, if more was delivered than invoiced), a credit note
        takes returns. A move is never split between documents. While the moves found don't
        cover the quantity and more moves of those sale lines are still open (a backorder), the
        document waits. Amounts are in the company currency: cost > 0 means goods out.
        """
        self.ensure_one()
        refund = self.move_type == "out_refund"
        StockMove = self.env["stock.move"]
        taken = StockMove
        waiting = False
        for line in self.invoice_line_ids.filtered(
            lambda ln: ln.display_type == "product" and ln.sale_line_ids
        ):
            product = line.product_id
            if not product.is_storable:
                continue
            wanted = abs(line.product_uom_id._compute_quantity(line.quantity, product.uom_id))
            rounding = product.uom_id.rounding
            if float_is_zero(wanted, precision_rounding=rounding):
                continue
            all_moves = line.sale_line_ids.move_ids.filtered(
                lambda m, p=product: m.product_id == p and self._qxs_cogs_move_kind(m)
            )
            free = (all_moves.filtered(lambda m: m.state == "done") - claimed - taken).sorted(
                lambda m: (m.date, m.id)
            )
            deliveries = free.filtered(lambda m: self._qxs_cogs_move_kind(m) == "delivery")
            returns = free - deliveries
            main, counter = (returns, deliveries) if refund else (deliveries, returns)
            got = 0.0
            for stock_move in main:
                if float_compare(got, wanted, precision_rounding=rounding) >= 0:
                    break
                taken |= stock_move
                got += self._qxs_cogs_move_qty(stock_move)
            if not refund:
                # More delivered than invoiced: the returns of that excess belong here too.
                for stock_move in counter:
                    qty = self._qxs_cogs_move_qty(stock_move)
                    if float_compare(qty, got - wanted, precision_rounding=rounding) > 0:
                        continue
                    taken |= stock_move
                    got -= qty
            if float_compare(got, wanted, precision_rounding=rounding) < 0:
                kind = "return" if refund else "delivery"
                waiting |= any(
                    m.state not in ("done", "cancel") and self._qxs_cogs_move_kind(m) == kind
                    for m in all_moves
                )
        if waiting or not taken:
            return None
        by_product = {}
        for stock_move in taken:
            cost = -sum(stock_move.sudo().stock_valuation_layer_ids.mapped("value"))
            by_product[stock_move.product_id] = by_product.get(stock_move.product_id, 0.0) + cost
        currency = self.company_id.currency_id
        values = [
            {
                "product": product.id,
                "description": _(
                    "Cost of goods sold: %(product)s (%(doc)s)",
                    product=product.display_name,
                    doc=self.name,
                ),
                "amount": currency.round(amount),
            }
            for product, amount in by_product.items()
        ]
        return taken, values

    # ------------------------------------------------------------------ hooks and actions
    def button_cancel(self):
        res = super().button_cancel()
        self.filtered(
            lambda m: m.move_type in COGS_TYPES and m.state == "cancel"
        )._qxs_cogs_release()
        return res

    def _qxs_cogs_release(self):
        """A cancelled document gives its goods back: its journal is voided (when the connection
        voids on cancel) and its stock moves become free for the document that replaces it."""
        for move in self:
            for rec in move.sudo().qxs_sync_record_ids.filtered(lambda r: r.purpose == "cogs"):
                rec.cogs_move_ids = [fields.Command.clear()]
                rec._void_or_skip()

    def action_qxs_cogs_retry(self):
        """Compute the cost again and send the journal (after a failure)."""
        for move in self:
            rec = move._qxs_cogs_record()
            if rec:
                rec.connection_id._cogs_export(moves=move, retry=True)
