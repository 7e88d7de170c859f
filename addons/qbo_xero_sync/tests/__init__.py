from . import test_posting, test_qbo_sync
