"""Xero adapter (xero-python)."""

from .base import ProviderAdapter


class XeroAdapter(ProviderAdapter):
    code = "xero"
