from . import test_posting
