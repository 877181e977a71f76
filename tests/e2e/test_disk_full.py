"""A full disk under the records database (SQLite): refused writes change nothing, the hub
recovers by itself when space returns, and after kill -9 every acknowledged write is there
(a real tmpfs)."""
import os
import signal
import subprocess
import time
from decimal import Decimal

import pytest

from hubproc import Hub, fill_disk

KEY = {"Authorization": "Bearer e2e-key"}


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs as the data dir (the records database shares it) (CI runs as root)."""
    mount_point = tmp_path / "data"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)



def post_tx(hub, i):
    return hub.request("POST", "/api/wallet/transactions",
                       {"user_id": f"user{i % 5}", "amount": f"{1 + i % 9}.{i % 100:02d}",
                        "type": "credit" if i % 4 else "debit", "description": "d" * 40, "reference": f"ref-{i}"},
                       headers=KEY)


def test_full_disk_refuses_then_recovers_and_loses_nothing_acknowledged(small_disk):
    hub = Hub(str(small_disk), "--snapshot-interval", "1s")
    acknowledged = {}
    refused = 0
    try:
        i = 0
        for _ in range(100):
            status, tx, _ = post_tx(hub, i)
            assert status == 201, tx
            acknowledged[tx["reference"]] = tx
            i += 1
        filler = fill_disk(small_disk)
        for _ in range(300):
            status, answer, _ = post_tx(hub, i)
            if status == 201:
                acknowledged[answer["reference"]] = answer
            else:
                assert status == 503 and answer["error"]["code"] == "database_unavailable", (status, answer)
                refused += 1
            i += 1
        assert refused > 0, "the disk never filled up"
        # A refused write changed nothing: its reference is unknown.
        status, listed, _ = hub.request("GET", "/api/wallet/transactions?limit=500", headers=KEY)
        assert status == 200 and sorted(t["reference"] for t in listed) == sorted(acknowledged)
        time.sleep(1.5)  # snapshots are tried (and fail) while the disk is full
        assert hub.proc.poll() is None
        assert not (small_disk / "snapshot.tmp").exists(), "a failed snapshot left its temp file"

        os.unlink(filler)
        for _ in range(150):
            status, tx, _ = post_tx(hub, i)
            assert status == 201, tx  # recovered by itself
            acknowledged[tx["reference"]] = tx
            i += 1
        time.sleep(1.5)  # a snapshot and a compaction succeed again
        for _ in range(50):
            status, tx, _ = post_tx(hub, i)
            assert status == 201, tx
            acknowledged[tx["reference"]] = tx
            i += 1
    finally:
        assert hub.stop(signal.SIGKILL) == -signal.SIGKILL

    again = Hub(str(small_disk))
    try:
        assert not any("cut off" in line for line in again.output), again.output
        listed = []
        for skip in (0, 500):
            status, page, _ = again.request("GET", f"/api/wallet/transactions?limit=500&skip={skip}", headers=KEY)
            assert status == 200
            listed += page
        by_ref = {t["reference"]: t for t in listed}
        assert sorted(by_ref) == sorted(acknowledged)
        for ref, tx in acknowledged.items():
            assert by_ref[ref] == tx
        for n in range(5):
            mine = [t for t in listed if t["user_id"] == f"user{n}"]
            total = sum((Decimal(str(t["amount"])) * (1 if t["type"] == "credit" else -1) for t in mine), Decimal(0))
            status, balance, _ = again.request("GET", f"/api/wallet/balance?user_id=user{n}", headers=KEY)
            assert Decimal(str(balance["balance"])) == total
        # What support reads with sqlite3 is what the API says: the same transactions, none twice.
        def db_count():
            return subprocess.run(["sqlite3", str(small_disk / "livehub.db"), "select count(*) from transactions"],
                                  capture_output=True, text=True).stdout.strip()
        for _ in range(100):
            if db_count() == str(len(acknowledged)):
                break
            time.sleep(0.05)
        assert db_count() == str(len(acknowledged))
    finally:
        again.stop()
