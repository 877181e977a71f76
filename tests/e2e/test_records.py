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
        assert sql(tmp_path, "select count(*) from transactions") == str(len(api))
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


FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "v2-data-dir")


def test_a_data_dir_from_before_the_database_is_taken_in_once(tmp_path):
    """The snapshot (v2, money inside) and journal a previous version wrote, killed -9."""
    import json
    import shutil
    for name in ["snapshot", "journal"]:
        shutil.copy(os.path.join(FIXTURE, name), tmp_path / name)
    expected = json.load(open(os.path.join(FIXTURE, "expected.json")))
    for attempt in range(2):  # the second start finds it done and takes nothing in twice
        hub = Hub(str(tmp_path))
        try:
            notes = "".join(hub.output)
            assert ("took in the money of the old data dir" in notes) == (attempt == 0), notes
            for user, balance in expected["balances"].items():
                assert hub.request("GET", f"/api/wallet/balance?user_id={user}", headers=KEY)[1]["balance"] == balance
                cents = sql(tmp_path, f"select balance_minor from wallets where user_id = '{user}'")
                summed = sql(tmp_path, f"select sum(case when type in ('credit','refund') then amount_minor else -amount_minor end) "
                                       f"from transactions where user_id = '{user}'")
                assert int(cents) == int(summed) == round(balance * 100)
            listed = hub.request("GET", "/api/wallet/transactions?limit=500", headers=KEY)[1]
            assert sorted(t["reference"] for t in listed) == expected["references"]
            assert sql(tmp_path, "select count(*) from transactions") == str(expected["transactions"])
            payments = hub.request("GET", "/api/payments", headers=KEY)[1]
            # pay-3 was resolved by hand without a credit: `resolved` is its state now (issue 27).
            assert {p["reference"]: p["status"] for p in payments} == {**expected["payments"], "pay-3": "resolved"}
            resolved = [p for p in payments if p["reference"] == "pay-3"][0]
            assert resolved["resolutions"][0]["note"] == "credited by hand" and not resolved["gap"]
            assert len(hub.request("GET", "/api/alerts?limit=100", headers=KEY)[1]) == expected["alerts"]
            # New writes go on from there.
            status, tx, _ = post_tx(hub, 1000 + attempt, user="u1")
            assert status == 201 and tx["id"] == expected["transactions"] + 1, tx
            expected["balances"]["u1"] = round(expected["balances"]["u1"] + (tx["amount"] if tx["type"] == "credit" else -tx["amount"]), 2)
            expected["references"] = sorted(expected["references"] + [tx["reference"]])
            expected["transactions"] += 1
        finally:
            hub.stop()
        assert not (tmp_path / "journal").exists() and (tmp_path / "journal.imported").exists()


def test_postgresql_kill_9_and_a_server_that_goes_away(tmp_path):
    from pgcluster import Cluster
    from decimal import Decimal
    cluster = Cluster()
    try:
        url = cluster.create("livehub")
        hub = Hub(str(tmp_path), "--database", url)
        with ThreadPoolExecutor(8) as pool:
            acknowledged = [r[1] for r in pool.map(lambda i: post_tx(hub, i), range(200))]
        assert hub.stop(signal.SIGKILL) == -signal.SIGKILL
        hub = Hub(str(tmp_path), "--database", url)
        try:
            # Every acknowledged write, nothing else, each balance the sum of its transactions.
            assert sorted(cluster.psql("livehub", "select reference from transactions").split()) == sorted(t["reference"] for t in acknowledged)
            for n in range(5):
                mine = [t for t in acknowledged if t["user_id"] == f"user{n}"]
                total = sum((Decimal(str(t["amount"])) * (1 if t["type"] == "credit" else -1) for t in mine), Decimal(0))
                assert Decimal(str(hub.request("GET", f"/api/wallet/balance?user_id=user{n}", headers=KEY)[1]["balance"])) == total
                assert int(cluster.psql("livehub", f"select balance_minor from wallets where user_id = 'user{n}'")) == int(total * 100)
            hub.request("POST", "/api/payments/events", {"reference": "p1", "provider": "paystack", "stage": "completed",
                                                         "amount": "9.00", "email": "Ann@Shop.test"}, headers=KEY)
            assert cluster.psql("livehub", "select status from payments where lower(email) = lower('ann@shop.test')") == "completed"
            # The server goes away: writes are refused (503) and change nothing; the hub
            # reconnects by itself once the server is back.
            cluster.stop()
            for i in range(200, 210):
                status, answer, _ = post_tx(hub, i)
                assert status == 503 and answer["error"]["code"] == "database_unavailable", answer
            assert hub.request("GET", "/healthz")[0] == 200  # presence goes on
            cluster.start()
            assert wait_for(lambda: post_tx(hub, 300)[0] == 201, timeout=10)
            assert cluster.psql("livehub", "select count(*) from transactions where reference like 'ref-20_'") == "0"
            assert cluster.psql("livehub", "select count(*) from transactions") == "201"
        finally:
            hub.stop()
        # A password is never printed; an unreachable server is a clear start-up failure.
        bad = subprocess.run([os.environ["LIVEHUB_BIN"], "serve", "--port", "0", "--data-dir", str(tmp_path / "x"), "--secret", "s",
                              "--database", "postgresql://ann:s3cret@127.0.0.1:1/none"], capture_output=True, text=True, timeout=30)
        assert bad.returncode == 1 and "s3cret" not in bad.stderr and "ann@127.0.0.1" in bad.stderr, bad.stderr
    finally:
        cluster.destroy()
