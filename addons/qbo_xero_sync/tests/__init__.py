from . import test_posting, test_qbo_sync, test_xero_sync
