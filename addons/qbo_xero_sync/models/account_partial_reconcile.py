from odoo import api, models


class AccountPartialReconcile(models.Model):
    """A change of reconciliation re-queues the payment units it touches (payments, bank
    statement lines, credit notes applied): the one trigger of payments out."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._qxs_moves()._qxs_enqueue_payments()
        return partials

    def unlink(self):
        moves = self._qxs_moves()
        res = super().unlink()
        moves.exists()._qxs_enqueue_payments()
        return res

    def _qxs_moves(self):
        return (self.debit_move_id | self.credit_move_id).move_id
