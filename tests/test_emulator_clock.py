"""The emulators' scaled clock (``clock_speed``, opt-in) and scaled limits (plain pytest)."""

import time

import pytest
import requests
from xero_python.exceptions import RateLimitException

from tests.emulators.base import Clock
from tests.emulators.qbo import QboEmulator
from tests.emulators.xero import XeroEmulator
from tests.test_xero_emulator import Client, T


def test_clock_runs_at_wall_speed_by_default():
    clock = Clock()
    assert clock.speed == 1.0
    assert abs(clock.now() - time.time()) < 0.05
    clock.advance(30)
    assert abs(clock.now() - time.time() - 30) < 0.05
    assert clock.real_seconds(60) == 60


def test_clock_speed_scales_elapsed_time_and_keeps_time_reached():
    clock = Clock(speed=50)
    start = clock.now()
    time.sleep(0.2)
    elapsed = clock.now() - start
    assert 9.5 <= elapsed <= 15  # 0.2 real seconds are about 10 emulated seconds
    assert clock.real_seconds(60) == pytest.approx(1.2)
    reached = clock.now()
    clock.set_speed(1)
    assert clock.now() >= reached  # slowing down never moves the clock back
    assert clock.now() - reached < 0.1
    with pytest.raises(ValueError):
        clock.set_speed(0)


def test_emulators_default_to_wall_clock_and_take_clock_speed():
    for cls in (QboEmulator, XeroEmulator):
        assert cls().clock.speed == 1.0
        emu = cls(clock_speed=20)
        assert emu.clock.speed == 20
        emu.reset()  # the speed is configuration: kept by a reset, the offset is not
        assert emu.clock.speed == 20 and emu.clock.offset == 0


def test_admin_api_sets_the_clock_speed():
    with XeroEmulator() as emu:
        answer = requests.post(f"{emu.base_url}/_admin/clock", json={"speed": 4}, timeout=5)
        assert answer.json()["speed"] == 4 and emu.clock.speed == 4
        requests.post(f"{emu.base_url}/_admin/config", json={"clock_speed": 8}, timeout=5)
        assert emu.clock.speed == 8


def test_xero_minute_window_passes_faster_and_retry_after_is_real_seconds():
    # 60 times faster: Xero's minute passes in one real second.
    with XeroEmulator(rate_limit_per_minute=3, clock_speed=60) as emu:
        emu.seed()
        xero = Client(emu)
        for _ in range(3):
            xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        with pytest.raises(RateLimitException) as info:
            xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        assert info.value.rate_limit == "minute"
        assert info.value.headers["Retry-After"] == "1"  # not the emulated ~60 s
        time.sleep(1.1)
        xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)


def test_xero_retry_after_unchanged_at_wall_speed():
    with XeroEmulator(rate_limit_per_minute=2) as emu:
        emu.seed()
        xero = Client(emu)
        for _ in range(2):
            xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        with pytest.raises(RateLimitException) as info:
            xero.acc.get_tax_rates(xero.tenant, _request_timeout=T)
        assert 58 <= int(info.value.headers["Retry-After"]) <= 60
