"""Strict local emulators of the QuickBooks Online and Xero APIs (see README.md here)."""


def get_emulator_class(provider):
    """Return the emulator class for 'qbo' or 'xero' (imported lazily)."""
    if provider == "qbo":
        from .qbo import QboEmulator

        return QboEmulator
    if provider == "xero":
        from .xero import XeroEmulator

        return XeroEmulator
    raise ValueError(f"unknown provider {provider!r}: expected 'qbo' or 'xero'")
