"""Provider adapters: the only code that knows a provider's payloads, SDK and error codes."""

from .base import ProviderAdapter, RemoteState, Result


def get_adapter(connection):
    """Return the adapter of a connection, chosen by its provider code."""
    from . import qbo, xero

    return ProviderAdapter.registry[connection.provider](connection)
