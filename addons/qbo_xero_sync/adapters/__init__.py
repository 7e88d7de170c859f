"""Provider adapters: the only code that knows a provider's payloads, SDK and error codes."""

from .base import (
    Changes,
    Job,
    Outcome,
    ProviderAdapter,
    RemoteState,
    Result,
    Settings,
    document_kind,
)


def adapter_class(provider):
    """The adapter class of a provider code (the connection's hook may choose a subclass)."""
    from . import qbo, xero  # importing them registers their classes

    return ProviderAdapter.registry[provider]
