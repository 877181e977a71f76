"""Snapshots: the counts survive kill -9, and a damaged snapshot is reported, not loaded."""
import os
import signal
import subprocess
import threading
import time

from hubproc import Hub


def populate(hub):
    hub.beacon("track/page-visit", {"session_id": "a", "page_type": "homepage"})
    hub.beacon("track/page-visit", {"session_id": "b", "page_type": "category", "page_identifier": "shoes"})
    hub.beacon("track/checkout-start", {"session_id": "c", "checkout_items": [], "total_amount": "3.00"})
    hub.beacon("track/payment-error", {"session_id": "d", "error_code": "declined", "error_message": "m"})


def test_counts_survive_kill_minus_9(tmp_path):
    hub = Hub(str(tmp_path), "--snapshot-interval", "200ms")
    populate(hub)
    before = hub.metrics()
    # Traffic goes on through the snapshots and the kill: heartbeats of the same sessions
    # (they keep the sessions fresh and leave the counts as they are).
    stop = threading.Event()

    def traffic():
        while not stop.is_set():
            try:
                hub.request("POST", "/api/metrics/heartbeat", {"session_id": "a"})
            except OSError:
                return

    sender = threading.Thread(target=traffic)
    sender.start()
    time.sleep(0.6)  # at least two snapshots
    assert hub.stop(signal.SIGKILL) == -signal.SIGKILL
    stop.set()
    sender.join()
    again = Hub(str(tmp_path))
    try:
        assert any("loaded" in line for line in again.output)
        after = again.metrics()
        for key in ("homepage", "checkout", "payment_errors", "categories", "pages", "total_active"):
            assert after[key] == before[key], key
        _, errors, _ = again.request("GET", "/api/metrics/payment-errors", headers={"Authorization": "Bearer e2e-key"})
        assert [e["error_code"] for e in errors] == ["declined"]
    finally:
        again.stop()


def test_clean_shutdown_writes_a_snapshot_and_idle_sessions_end_on_restart(tmp_path):
    hub = Hub(str(tmp_path), "--snapshot-interval", "1h")
    populate(hub)
    assert hub.stop() == 0
    inspect = subprocess.run([os.environ["LIVEHUB_BIN"], "snapshot", "inspect", str(tmp_path / "snapshot")], capture_output=True, text=True)
    assert inspect.returncode == 0 and "checksum OK" in inspect.stdout and "4 active" in inspect.stdout
    time.sleep(1.2)
    again = Hub(str(tmp_path), "--idle-timeout", "1s")
    try:
        assert again.metrics()["total_active"] == 0  # they idled out while the hub was down
    finally:
        again.stop()


def test_a_damaged_snapshot_is_reported_and_the_previous_one_loaded(tmp_path):
    hub = Hub(str(tmp_path), "--snapshot-interval", "1h")
    hub.beacon("track/page-visit", {"session_id": "a", "page_type": "homepage"})
    assert hub.stop() == 0  # snapshot 1
    hub = Hub(str(tmp_path), "--snapshot-interval", "1h")
    hub.beacon("track/page-visit", {"session_id": "b", "page_type": "homepage"})
    assert hub.stop() == 0  # snapshot 2; snapshot 1 is now snapshot.prev
    snapshot = tmp_path / "snapshot"
    snapshot.write_bytes(snapshot.read_bytes()[:-7])  # truncated
    inspect = subprocess.run([os.environ["LIVEHUB_BIN"], "snapshot", "inspect", str(snapshot)], capture_output=True, text=True)
    assert inspect.returncode == 1 and "truncated" in inspect.stdout
    again = Hub(str(tmp_path))
    try:
        assert any("WARNING" in line and "truncated" in line for line in again.output)
        assert again.metrics()["homepage"] == 1  # the previous snapshot's state
        assert (tmp_path / "snapshot.corrupt").exists()
    finally:
        again.stop()


def test_no_readable_snapshot_refuses_to_start(tmp_path):
    (tmp_path / "snapshot").write_bytes(b"LHSNAP garbage")
    (tmp_path / "snapshot.prev").write_bytes(b"")
    proc = subprocess.run([os.environ["LIVEHUB_BIN"], "serve", "--port", "0", "--data-dir", str(tmp_path), "--secret", "x"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode != 0
    assert "Refusing to start with an empty hub" in proc.stdout + proc.stderr
