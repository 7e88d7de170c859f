"""Contract checks over every pytest test (tests/contracts): a test fails when a JSON body an
emulator of this process received or answered broke the provider's schema."""

import pytest

from tests.contracts.check import assert_no_violations, take_violations


@pytest.fixture(autouse=True)
def _contracts():
    take_violations()  # a previous test's leftovers were reported by that test
    yield
    assert_no_violations()
