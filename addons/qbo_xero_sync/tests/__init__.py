from . import (
    test_access,
    test_campaign,
    test_engine_defects,
    test_gaps,
    test_http,
    test_posting,
    test_qbo_defects,
    test_qbo_sync,
    test_remote_accounts,
    test_tour,
    test_xero_defects,
    test_xero_sync,
)
