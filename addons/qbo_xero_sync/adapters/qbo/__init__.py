"""QuickBooks Online adapter: translates plain document values to QuickBooks' API and back.

Composed of mixins: ``client`` (SDK clients, OAuth, the request entry point, the fault
classifier), ``mapping`` (customers, items, tax codes, accounts), ``documents`` (payloads,
sending, voiding, look-ups by number), ``payments`` (payments and credits applied) and
``status`` (states, change data capture, webhooks).
"""

from ..base import ProviderAdapter
from .client import QboClientMixin
from .documents import ENTITY, QboDocumentsMixin
from .mapping import QboMappingMixin
from .payments import QboPaymentsMixin
from .status import KIND, QboStatusMixin

__all__ = ["ENTITY", "KIND", "QboAdapter"]


class QboAdapter(
    QboDocumentsMixin,
    QboPaymentsMixin,
    QboStatusMixin,
    QboMappingMixin,
    QboClientMixin,
    ProviderAdapter,
):
    code = "qbo"
