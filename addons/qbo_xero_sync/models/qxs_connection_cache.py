import logging

from odoo import fields, models

_logger = logging.getLogger(__name__)


class QxsConnection(models.Model):
    """The provider's reference data that the adapters check documents against (a chart of
    accounts, tax codes or rates), kept per connection across cron runs and Odoo servers: an
    adapter starts from it and reads the provider again only when a code is missing from it or
    the provider refused one it holds (issue 16: no Accounts / TaxRates read at every run)."""

    _inherit = "qxs.connection"  # pylint: disable=consider-merging-classes-inherited

    reference_cache = fields.Json(
        readonly=True,
        copy=False,
        help="The provider's reference data as the sync last read it (plain values), so that "
        "each cron run does not read it again. Cleared by “Reload from QuickBooks / Xero”.",
    )

    def _qxs_reference_cache(self):
        """The kept reference data (a dict, empty when none)."""
        self.ensure_one()
        data = self.sudo().reference_cache
        return data if isinstance(data, dict) else {}

    def _qxs_store_reference(self, adapter):
        """Keep what ``adapter`` read of the reference data (or dropped from it) for the next
        runs, in its own transaction (the sending one may be older than a token refresh
        committed meanwhile). Never raises: the copy is an aid."""
        self.ensure_one()
        if not getattr(adapter, "reference_changed", False):
            return
        try:
            with self._independent_env() as env:
                env["qxs.connection"].browse(self.id).write(
                    {"reference_cache": dict(adapter.reference) or False}
                )
            adapter.reference_changed = False
        except Exception:  # a lost copy only costs a read on the next run
            _logger.exception("qbo_xero_sync: the reference data of %s was not kept", self.id)
