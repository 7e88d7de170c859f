"""QuickBooks Online adapter: translates plain document values to QuickBooks' API and back.

Composed of mixins: ``client`` (SDK clients, OAuth, the request entry point, the fault
classifier), ``calls`` (queries, writes, batches), ``mapping`` (customers, items, tax codes,
accounts), ``documents`` (payloads, sending, voiding, look-ups by number), ``payments``
(payments and credits applied), ``reference`` (the reference data of the mapping wizard) and
``status`` (states, change data capture, webhooks).
"""

from ..base import ProviderAdapter
from .calls import QboCallsMixin
from .client import QboClientMixin
from .documents import ENTITY, QboDocumentsMixin
from .mapping import QboMappingMixin
from .payments import QboPaymentsMixin
from .reference import QboReferenceMixin
from .status import KIND, QboStatusMixin

__all__ = ["ENTITY", "KIND", "QboAdapter"]


class QboAdapter(
    QboDocumentsMixin,
    QboPaymentsMixin,
    QboStatusMixin,
    QboMappingMixin,
    QboReferenceMixin,
    QboCallsMixin,
    QboClientMixin,
    ProviderAdapter,
):
    code = "qbo"
