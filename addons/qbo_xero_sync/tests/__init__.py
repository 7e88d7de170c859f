from . import (
    test_gaps,
    test_http,
    test_posting,
    test_qbo_sync,
    test_remote_accounts,
    test_tour,
    test_xero_sync,
)
