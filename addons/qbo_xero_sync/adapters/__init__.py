"""Provider adapters: the only code that knows a provider's payloads, SDK and error codes."""

from .base import Changes, ProviderAdapter, RemoteState, Result, document_kind


def get_adapter(connection):
    """Return the adapter of a connection, chosen by its provider code."""
    from . import qbo, xero

    return ProviderAdapter.registry[connection.provider](connection)
