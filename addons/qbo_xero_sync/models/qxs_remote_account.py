# Kept for the addons importing the pickers' helpers from here (the COGS addon): the mirror of
# the provider's reference data is qxs.remote.record (qxs_remote_record.py).
from .qxs_remote_record import apply_picked_accounts, remote_account_domain

__all__ = ["apply_picked_accounts", "remote_account_domain"]
