from . import (
    test_cogs_qbo,
    test_cogs_qbo_defects,
    test_cogs_xero,
    test_cogs_xero_defects,
    test_demo_connect,
    test_install,
)
