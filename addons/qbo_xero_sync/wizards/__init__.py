# Transient models (wizards) of the addon: one per file.
from . import (
    qxs_dry_run_line,
    qxs_dry_run_wizard,
    qxs_export_wizard,
    qxs_mapping_line,
    qxs_mapping_wizard,
    qxs_match_line,
    qxs_match_remote,
    qxs_match_wizard,
    qxs_org_change_wizard,
    qxs_summary_wizard,
)
