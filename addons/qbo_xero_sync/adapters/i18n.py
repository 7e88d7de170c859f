"""Translations in code that has no Odoo environment (the adapters)."""

import inspect

from odoo.tools.translate import get_translated_module, get_translation


def _(source, *args, **kwargs):
    """Odoo's ``_`` for adapter code: Odoo's own looks for an environment in the caller's frame
    and, finding none, logs a warning with a stack on every call. The language is that of the
    caller's ``self.settings.lang`` when the engine gives one, else the source text (en_US); the
    module is the caller's (so that the COGS addon's terms come from its own catalogue)."""
    caller = inspect.currentframe().f_back
    settings = getattr(caller.f_locals.get("self"), "settings", None)
    lang = getattr(settings, "lang", None) or "en_US"
    module = get_translated_module(caller.f_globals.get("__name__", ""))
    return get_translation(module, lang, source, args or kwargs)
