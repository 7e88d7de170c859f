from . import (
    test_cogs_qbo,
    test_cogs_qbo_defects,
    test_cogs_xero,
    test_cogs_xero_defects,
    test_install,
)
