"""The COGS addon's adapters: journals on top of the base addon's document adapters.

Only the provider-neutral checks are imported here; the provider modules (``qbo``, ``xero``)
are imported by the addon's ``__init__`` (importing them needs the provider SDKs)."""

from . import journal_checks
