"""The shared emulator machinery: routing, request log, fault injection, admin API, clock."""

import time

import pytest
import requests

from tests.emulators.base import Emulator, Response


class EchoEmulator(Emulator):
    name = "echo"

    def on_reset(self):
        self.state = {"Thing": {}}

    def register_routes(self):
        self.route("POST", r"/things", self._create, endpoint="things")

    def _create(self, req):
        with self.lock:
            things = self.state["Thing"]
            thing = {"Id": str(len(things) + 1), **(req.json() or {})}
            things[thing["Id"]] = thing
        return Response(200, thing)


@pytest.fixture
def emu():
    with EchoEmulator() as emulator:
        yield emulator


def test_routes_log_and_counts(emu):
    res = requests.post(emu.base_url + "/things", json={"Name": "a"}, timeout=5)
    assert res.status_code == 200 and res.json() == {"Id": "1", "Name": "a"}
    assert requests.get(emu.base_url + "/nothing", timeout=5).status_code == 404
    assert emu.count("/things", "POST") == 1
    assert emu.counts() == {"POST things": 1}
    log = requests.get(emu.urls()["admin"] + "/log", timeout=5).json()
    assert log["total"] == 1


def test_status_fault_applies_to_next_n_calls(emu):
    emu.add_fault("status", count=2, status=503, path="/things")
    codes = [
        requests.post(emu.base_url + "/things", json={}, timeout=5).status_code for _ in range(3)
    ]
    assert codes == [503, 503, 200]
    assert len(emu.objects("Thing")) == 1


def test_drop_after_write_applies_the_write(emu):
    emu.add_fault("drop_after_write", path="/things")
    with pytest.raises(requests.ConnectionError):
        requests.post(emu.base_url + "/things", json={"Name": "lost answer"}, timeout=5)
    assert [t["Name"] for t in emu.objects("Thing")] == ["lost answer"]


def test_drop_before_write_writes_nothing(emu):
    emu.add_fault("drop", path="/things")
    with pytest.raises(requests.ConnectionError):
        requests.post(emu.base_url + "/things", json={}, timeout=5)
    assert emu.objects("Thing") == []


def test_delay_fault_answers_normally_but_late(emu):
    emu.add_fault("delay", path="/things", delay=0.3)
    start = time.monotonic()
    res = requests.post(emu.base_url + "/things", json={"Name": "slow"}, timeout=5)
    assert time.monotonic() - start >= 0.3
    assert res.status_code == 200 and res.json() == {"Id": "1", "Name": "slow"}
    start = time.monotonic()
    assert requests.post(emu.base_url + "/things", json={}, timeout=5).status_code == 200
    assert time.monotonic() - start < 0.3, "only the next matching call is delayed"
    assert len(emu.objects("Thing")) == 2 and emu.faults == []


def test_admin_faults_clock_config_reset(emu):
    admin = emu.urls()["admin"]
    requests.post(admin + "/faults", json={"kind": "status", "status": 500}, timeout=5)
    assert requests.get(admin + "/faults", timeout=5).json()[0]["status"] == 500
    before = emu.clock.now()
    requests.post(admin + "/clock", json={"advance": 3600}, timeout=5)
    assert emu.clock.now() - before >= 3600
    requests.post(admin + "/config", json={"limit": 3}, timeout=5)
    assert emu.config["limit"] == 3
    requests.post(admin + "/reset", json={}, timeout=5)
    assert emu.faults == [] and emu.clock.offset == 0 and emu.config["limit"] == 3


def test_unknown_fault_kind_refused(emu):
    with pytest.raises(ValueError):
        emu.add_fault("meteor")
