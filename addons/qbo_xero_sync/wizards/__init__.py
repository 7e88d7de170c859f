# Transient models (wizards) of the addon: one per file.
from . import qxs_match_remote, qxs_match_line, qxs_match_wizard  # noqa: I001
