from . import qxs_cogs_wizard
