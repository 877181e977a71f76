"""The records database (DATA/livehub.db), read by the sqlite3 command-line tool."""
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}


def sql(data_dir, query):
    out = subprocess.run(["sqlite3", str(data_dir / "livehub.db"), query], capture_output=True, text=True, check=True).stdout
    return out.strip()


def post_tx(hub, i, user=None):
    return hub.request("POST", "/api/wallet/transactions",
                       {"user_id": user or f"user{i % 5}", "amount": f"{1 + i % 7}.{i % 100:02d}", "type": "credit" if i % 3 else "debit",
                        "description": "d", "reference": f"ref-{i}"}, headers=KEY)


def wait_for(predicate, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_support_can_query_what_the_api_says(tmp_path):
    hub = Hub(str(tmp_path), "--gap-grace", "1s")
    try:
        with ThreadPoolExecutor(8) as pool:
            assert all(r[0] == 201 for r in pool.map(lambda i: post_tx(hub, i), range(200)))
        hub.request("POST", "/api/payments/events", {"reference": "p1", "provider": "paystack", "stage": "completed",
                                                     "amount": "9.00", "email": "Ann@Shop.test", "phone": "+254 700 000001"}, headers=KEY)
        hub.request("POST", "/api/activity", {"action": "registration_started", "status": "success", "email": "ann@shop.test"}, headers=KEY)
        api = hub.request("GET", "/api/wallet/transactions?limit=500", headers=KEY)[1]
        assert wait_for(lambda: sql(tmp_path, "select count(*) from transactions") == str(len(api)))
        # Each wallet's balance is the sum of its transactions, in the database too.
        for n in range(5):
            balance = hub.request("GET", f"/api/wallet/balance?user_id=user{n}", headers=KEY)[1]["balance"]
            cents = sql(tmp_path, f"select balance_minor from wallets where user_id = 'user{n}'")
            summed = sql(tmp_path, f"select sum(case when type in ('credit','refund') then amount_minor else -amount_minor end) "
                                   f"from transactions where user_id = 'user{n}'")
            assert int(cents) == int(summed) == round(balance * 100)
        # The queries README gives support.
        assert wait_for(lambda: sql(tmp_path, "select reference from payments where gap = 1 or unmatched = 1") == "p1", timeout=5)
        assert sql(tmp_path, "select reference, status from payments where email = 'ann@shop.test' collate nocase") == "p1|completed"
        assert sql(tmp_path, "select reference from payments where phone_digits = '254700000001'") == "p1"
        assert sql(tmp_path, "select count(*) from activity where email = 'ANN@shop.test' collate nocase") == "1"
        # Payment errors, as sellers see them, with the browser's own details.
        hub.request("POST", "/api/metrics/track/payment-error", {"session_id": "s1", "error_code": "card_declined",
                                                                 "error_message": "Declined", "email": "bob@shop.test"},
                    headers={"User-Agent": "TestBrowser/1.0"})
        assert wait_for(lambda: sql(tmp_path, "select error_code, email, user_agent from payment_errors") == "card_declined|bob@shop.test|TestBrowser/1.0")
    finally:
        hub.stop()


def test_after_kill_9_and_from_an_old_data_dir_the_database_catches_up(tmp_path):
    hub = Hub(str(tmp_path), "--snapshot-interval", "1h")
    with ThreadPoolExecutor(8) as pool:
        acknowledged = [r[1]["reference"] for r in pool.map(lambda i: post_tx(hub, i), range(150))]
    assert hub.stop(signal.SIGKILL) == -signal.SIGKILL
    again = Hub(str(tmp_path))
    try:
        assert wait_for(lambda: sql(tmp_path, "select count(*) from transactions") == "150")
        assert sorted(sql(tmp_path, "select reference from transactions").split()) == sorted(acknowledged)
    finally:
        again.stop()
    # A data dir from before the database (snapshot and journal only): rebuilt on start.
    (tmp_path / "livehub.db").unlink()
    for suffix in ["-wal", "-shm"]:
        (tmp_path / ("livehub.db" + suffix)).unlink(missing_ok=True)
    third = Hub(str(tmp_path))
    try:
        assert wait_for(lambda: (tmp_path / "livehub.db").exists() and sql(tmp_path, "select count(*) from transactions") == "150")
        api = third.request("GET", "/api/wallet/balance?user_id=user1", headers=KEY)[1]["balance"]
        assert int(sql(tmp_path, "select balance_minor from wallets where user_id = 'user1'")) == round(api * 100)
    finally:
        third.stop()


def test_the_same_records_in_postgresql_and_the_hub_recovers_when_it_comes_back(tmp_path):
    from pgcluster import Cluster
    cluster = Cluster()
    try:
        url = cluster.create("livehub")
        hub = Hub(str(tmp_path), "--database", url)
        try:
            with ThreadPoolExecutor(8) as pool:
                assert all(r[0] == 201 for r in pool.map(lambda i: post_tx(hub, i), range(100)))
            hub.request("POST", "/api/payments/events", {"reference": "p1", "provider": "paystack", "stage": "completed",
                                                         "amount": "9.00", "email": "Ann@Shop.test"}, headers=KEY)
            assert wait_for(lambda: cluster.psql("livehub", "select count(*) from transactions") == "100")
            for n in range(5):
                balance = hub.request("GET", f"/api/wallet/balance?user_id=user{n}", headers=KEY)[1]["balance"]
                assert int(cluster.psql("livehub", f"select balance_minor from wallets where user_id = 'user{n}'")) == round(balance * 100)
            assert wait_for(lambda: cluster.psql("livehub", "select status from payments where lower(email) = lower('ann@shop.test')") == "completed")
            # The server goes away: the hub keeps answering (the journal holds the money) and
            # the database catches up by itself once the server is back.
            cluster.stop()
            for i in range(100, 150):
                assert post_tx(hub, i)[0] == 201
            cluster.start()
            assert post_tx(hub, 150)[0] == 201
            assert wait_for(lambda: cluster.psql("livehub", "select count(*) from transactions") == "151", timeout=10)
        finally:
            hub.stop()
        # A password is never printed; an unreachable server is a clear start-up failure.
        bad = subprocess.run([os.environ["LIVEHUB_BIN"], "serve", "--port", "0", "--data-dir", str(tmp_path / "x"), "--secret", "s",
                              "--database", "postgresql://ann:s3cret@127.0.0.1:1/none"], capture_output=True, text=True, timeout=30)
        assert bad.returncode == 1 and "s3cret" not in bad.stderr and "ann@127.0.0.1" in bad.stderr, bad.stderr
    finally:
        cluster.destroy()
