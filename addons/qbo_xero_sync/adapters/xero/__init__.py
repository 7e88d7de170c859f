"""Xero adapter (xero-python): translates plain document values to Xero's Accounting API and
Xero's answers back to Results and RemoteStates. It reads and writes no Odoo record.

- ``client``: the SDK client, the one request entry point, errors and the call budget;
- ``oauth``: consent, tokens, organisations;
- ``mapping``: account codes, tax types, contacts;
- ``documents``: invoices and credit notes sent, looked up, allocated and voided;
- ``payments``: payments sent and deleted, credit notes applied;
- ``reference``: the reference data of the mapping wizard (accounts, taxes, tracking,
  currencies);
- ``status``: states read, polled or announced by webhooks.
"""

from ..base import ProviderAdapter
from .client import XeroClientMixin
from .documents import XeroDocumentsMixin
from .mapping import XeroMappingMixin
from .oauth import XeroOAuthMixin
from .payments import XeroPaymentsMixin
from .reference import XeroReferenceMixin
from .status import XeroStatusMixin


class XeroAdapter(
    XeroDocumentsMixin,
    XeroPaymentsMixin,
    XeroStatusMixin,
    XeroMappingMixin,
    XeroReferenceMixin,
    XeroOAuthMixin,
    XeroClientMixin,
    ProviderAdapter,
):
    code = "xero"

    def __init__(self, settings, access_token=None, items=None):
        super().__init__(settings, access_token=access_token, items=items)
        self._client = None  # AccountingApi, built on the first call
        self._api_client_obj = None  # its ApiClient (the last answer's headers)
        self._cache = {}  # accounts, tax types, call budget: read once per adapter


__all__ = ["XeroAdapter"]
