"""Privacy: client addresses kept only as far as --ip-privacy says, and a person erased on
request from memory, snapshots and the records database (grepped for afterwards, with the
ledger still summing); the erasure survives a restart and is recorded without the key."""
import asyncio
import hashlib
import hmac
import json
import os
import pathlib
import sqlite3
import time
import urllib.parse

import pytest
import websockets

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}
SQLITE = os.environ.get("LIVEHUB_E2E_BACKEND", "sqlite") == "sqlite"
PAYSTACK = "sk_privacy"


def erase(hub, person, headers=KEY):
    """An erasure as an admin makes one: the preview, then its confirmation. Returns the
    confirmation's (status, answer) and the preview."""
    status, preview, _ = hub.request("POST", "/api/privacy/erase", person, headers)
    assert status == 200, preview
    status, answer, _ = hub.request("POST", "/api/privacy/erase", {"confirm": preview["confirm"]}, headers)
    return status, answer, preview


def grep_data_dir(data_dir, *needles):
    """Every file under the data dir that holds one of the needles (bytes, any case for emails)."""
    found = []
    for path in pathlib.Path(data_dir).rglob("*"):
        if path.is_file():
            content = path.read_bytes().lower()
            found += [f"{path.name}: {n}" for n in needles if n.lower().encode() in content]
    return found


@pytest.mark.parametrize("privacy, kept_v4, kept_v6", [
    ("truncate", "203.0.113.0", "2001:db8:85a3::"),
    ("none", None, None),
    ("full", "203.0.113.77", "2001:db8:85a3:8d3:1319:8a2e:370:7348"),
])
def test_client_addresses_are_kept_only_as_far_as_ip_privacy_says(tmp_path, privacy, kept_v4, kept_v6):
    hub = Hub(str(tmp_path), "--trusted-proxy", "127.0.0.1/32", "--ip-privacy", privacy, "--paystack-secret", PAYSTACK)
    try:
        for session, address in (("v4", "203.0.113.77"), ("v6", "2001:db8:85a3:8d3:1319:8a2e:370:7348")):
            status, _, _ = hub.request("POST", "/api/metrics/track/payment-error",
                                       {"session_id": session, "error_code": "declined", "error_message": "no"},
                                       {"Content-Type": "application/json", "X-Forwarded-For": address})
            assert status == 200
        errors = {e["session_id"]: e["ip"] for e in hub.request("GET", "/api/metrics/payment-errors", headers=KEY)[1]}
        assert errors == {"v4": kept_v4, "v6": kept_v6}
        sessions = hub.request("GET", "/api/sessions?session_id=v4", headers=KEY)[1]
        assert sessions[0]["ip"] == kept_v4
        body = json.dumps({"event": "charge.success", "data": {"reference": "ip-1", "amount": 100, "currency": "NGN"}}).encode()
        signature = hmac.new(PAYSTACK.encode(), body, hashlib.sha512).hexdigest()
        status, _, _ = hub.request("POST", "/api/webhooks/paystack", raw=body, headers={
            "Content-Type": "application/json", "x-paystack-signature": signature, "X-Forwarded-For": "203.0.113.77"})
        assert status == 200
        headers = hub.request("GET", "/api/webhooks/log", headers=KEY)[1][0]["headers"]
        assert headers.get("x-forwarded-for") == kept_v4
    finally:
        hub.stop()
    if privacy != "full":
        assert grep_data_dir(tmp_path, "203.0.113.77", "8a2e:370:7348") == [], "a full address reached the disk"


def test_an_erased_person_is_gone_everywhere_and_the_ledger_still_sums(tmp_path):
    hub = Hub(str(tmp_path), "--paystack-secret", PAYSTACK)
    email, phone, user = "Erin.Erase@shop.test", "+254 700 111 222", "u-erin"
    try:
        # Erin: a session with visits and a failed card, activity, a payment confirmed by a
        # signed webhook that names her email, ledger entries (one raising an alert).
        hub.beacon("session/start", {"session_id": "erin-1", "user_id": user, "email": email, "phone": phone})
        hub.beacon("track/page-visit", {"session_id": "erin-1", "page_type": "category", "page_identifier": "shoes"})
        hub.beacon("track/payment-error", {"session_id": "erin-1", "error_code": "declined", "error_message": "no"})
        hub.beacon("session/start", {"session_id": "other-1", "email": "keep@shop.test"})
        hub.request("POST", "/api/activity", {"user_id": user, "email": email, "action": "registration_started", "status": "success"}, KEY)
        for stage in ("initialized", "completed"):
            hub.request("POST", "/api/payments/events", {"reference": "erin-pay", "provider": "paystack", "stage": stage,
                                                         "amount": "40.00", "user_id": user, "email": email, "phone": phone}, KEY)
        body = json.dumps({"event": "charge.success", "data": {"reference": "erin-pay", "amount": 4000, "currency": "NGN",
                                                              "customer": {"email": email}}}).encode()
        signature = hmac.new(PAYSTACK.encode(), body, hashlib.sha512).hexdigest()
        assert hub.request("POST", "/api/webhooks/paystack", raw=body,
                           headers={"Content-Type": "application/json", "x-paystack-signature": signature})[0] == 200
        for i, (kind, amount) in enumerate([("credit", "40.00"), ("debit", "55.00")]):
            assert hub.request("POST", "/api/wallet/transactions", {"user_id": user, "amount": amount, "type": kind,
                                                                      "description": "x", "reference": f"erin-{i}",
                                                                      **({"payment_reference": "erin-pay"} if i == 0 else {})}, KEY)[0] == 201
        before = hub.request("GET", "/api/admin/transactions/monitor?minutes=60", headers=KEY)[1]
        assert any(user in a["message"] for a in hub.request("GET", "/api/alerts", headers=KEY)[1])

        seller = {"Authorization": "Bearer " + hub.token("seller")}
        assert hub.request("POST", "/api/privacy/erase", {"email": email}, seller)[0] == 403
        assert hub.request("POST", "/api/privacy/erase", {"email": email, "phone": phone}, KEY)[0] == 400
        assert hub.request("POST", "/api/privacy/erase", {}, KEY)[0] == 400
        status, answer, preview = erase(hub, {"email": email.upper()})
        assert status == 200, answer
        # The preview named her by the links the shop made: her payments and activity.
        named = {(i["kind"], i["value"].lower(), i["source"]) for i in preview["preview"]["identities"]}
        assert (("email", email.lower(), "request") in named and ("user_id", user, "payments") in named
                and ("phone", "+254700111222", "payments") in named), named  # kept as E.164 (libphonenumber)
        assert preview["preview"]["counts"]["sessions"] == 1 and preview["preview"]["counts"]["transactions"] == 2
        assert answer["erased"]["sessions"] == 1 and answer["erased"]["payment_errors"] >= 1 and answer["erased"]["activity"] == 1
        assert answer["erased"]["webhook_payloads"] == 1
        assert answer["pseudonymised"]["payments"] == 1 and answer["pseudonymised"]["transactions"] == 2
        pseudonym = answer["pseudonym"]
        assert pseudonym.startswith("erased-") and email.lower() not in pseudonym

        # No API returns her any more.
        assert hub.request("GET", f"/api/sessions?email={email}", headers=KEY)[1] == []
        assert hub.request("GET", f"/api/sessions?user_id={user}", headers=KEY)[1] == []
        assert [s["session_id"] for s in hub.request("GET", "/api/sessions?email=keep@shop.test", headers=KEY)[1]] == ["other-1"]
        everything = json.dumps([hub.request("GET", path, headers=KEY)[1] for path in (
            "/api/metrics/payment-errors?limit=500", f"/api/activity?email={email}", f"/api/activity?user_id={user}",
            "/api/payments", "/api/webhooks/log", "/api/alerts", "/api/wallet/transactions?limit=500",
            "/api/admin/transactions/monitor?minutes=60", "/api/metrics/live-metrics")]).lower()
        for needle in (email.lower(), user, "700 111 222", "254700111222"):
            assert needle not in everything, f"{needle} is still answered"
        # The ledger is whole, under the pseudonym.
        after = hub.request("GET", "/api/admin/transactions/monitor?minutes=60", headers=KEY)[1]
        assert (after["total_added"], after["total_spent"], after["transaction_count"]) == (before["total_added"], before["total_spent"], 2)
        assert hub.request("GET", f"/api/wallet/balance?user_id={pseudonym}", headers=KEY)[1]["balance"] == -15.0
        assert hub.request("GET", "/api/payments?reference=erin-pay", headers=KEY)[1][0]["status"] == "credited"
        # A second erasure finds nothing more.
        again = erase(hub, {"email": email})[1]
        assert again["erased"] == {"sessions": 0, "payment_errors": 0, "activity": 0, "webhook_payloads": 0}
        # She comes back under a new user id and asks again: the same key, a pseudonym of its own.
        hub.request("POST", "/api/payments/events", {"reference": "erin-pay-2", "provider": "paystack", "stage": "initialized",
                                                     "amount": "5.00", "user_id": user + "-2", "email": email}, KEY)
        assert hub.request("POST", "/api/wallet/transactions", {"user_id": user + "-2", "amount": "5.00", "type": "credit",
                                                                  "description": "x", "reference": "erin-again"}, KEY)[0] == 201
        status, third, _ = erase(hub, {"email": email})
        assert status == 200 and third["pseudonymised"]["transactions"] == 1, third
        assert hub.request("GET", f"/api/wallet/balance?user_id={pseudonym}-2", headers=KEY)[1]["balance"] == 5.0
    finally:
        hub.stop()

    # Nor does the disk: snapshots (the current and the one before), the database and its log.
    assert grep_data_dir(tmp_path, email, user, "700 111 222", "254700111222") == []
    if not SQLITE:
        return
    db = sqlite3.connect(tmp_path / "livehub.db")
    kinds = db.execute("SELECT key_kind, by, length(key_hash) FROM erasures ORDER BY id").fetchall()
    assert {by for _, by, _ in kinds} == {"api-key"} and {length for _, _, length in kinds} == {64}
    assert [kind for kind, _, _ in kinds].count("confirm") == 3 and ("email", "api-key", 64) in kinds
    assert db.execute("SELECT sum(CASE WHEN type IN ('credit','refund') THEN amount_minor ELSE -amount_minor END) FROM transactions").fetchone() == (-1000,)
    db.close()

    # A restart on that snapshot does not bring her back.
    hub = Hub(str(tmp_path))
    try:
        assert hub.request("GET", f"/api/sessions?email={email}", headers=KEY)[1] == []
        assert hub.metrics()["total_active"] == 1
    finally:
        hub.stop()


def test_an_erasure_aimed_through_an_anonymous_beacon_leaves_the_victim_whole(tmp_path):
    """Anyone can start a session claiming any user id. An admin erasing the stranger's
    email must erase the stranger, not the user the stranger's beacon named."""
    hub = Hub(str(tmp_path))
    victim, mallory = "victim-1758", "mallory@evil.test"
    try:
        assert hub.request("POST", "/api/wallet/transactions", {"user_id": victim, "amount": "100.00", "type": "credit",
                                                                  "description": "top-up", "reference": "v-1"}, KEY)[0] == 201
        hub.request("POST", "/api/activity", {"user_id": victim, "email": "victim@shop.test", "action": "first_login",
                                              "status": "success"}, KEY)
        hub.request("POST", "/api/payments/events", {"reference": "v-pay", "provider": "paystack", "stage": "initialized",
                                                     "amount": "100.00", "user_id": victim, "email": "victim@shop.test"}, KEY)
        hub.beacon("session/start", {"session_id": "victim-tab", "user_id": victim, "email": "victim@shop.test"})
        # The attack: an anonymous beacon ties the stranger's email to the victim's id.
        hub.beacon("session/start", {"session_id": "m-1", "email": mallory, "user_id": victim})
        hub.beacon("track/payment-error", {"session_id": "m-1", "error_code": "x", "error_message": "y"})

        status, preview, _ = hub.request("POST", "/api/privacy/erase", {"email": mallory}, KEY)
        assert status == 200, preview
        assert preview["preview"]["identities"] == [{"kind": "email", "value": mallory, "source": "request"}]
        assert preview["preview"]["counts"]["transactions"] == 0 and preview["preview"]["counts"]["sessions"] == 1
        # Nothing is erased by the preview.
        assert len(hub.request("GET", f"/api/sessions?email={mallory}", headers=KEY)[1]) == 1
        # A confirmation is the hub's own, whole and unused.
        forged = preview["confirm"][:-4] + ("AAAA" if not preview["confirm"].endswith("AAAA") else "BBBB")
        assert hub.request("POST", "/api/privacy/erase", {"confirm": forged}, KEY)[0] == 422
        status, answer, _ = hub.request("POST", "/api/privacy/erase", {"confirm": preview["confirm"]}, KEY)
        assert status == 200 and answer["erased"]["sessions"] == 1, answer
        assert hub.request("POST", "/api/privacy/erase", {"confirm": preview["confirm"]}, KEY)[0] == 409

        assert hub.request("GET", f"/api/wallet/balance?user_id={victim}", headers=KEY)[1]["balance"] == 100.0
        assert [t["reference"] for t in hub.request("GET", f"/api/wallet/transactions?user_id={victim}", headers=KEY)[1]] == ["v-1"]
        assert len(hub.request("GET", f"/api/activity?user_id={victim}", headers=KEY)[1]) == 1
        assert hub.request("GET", "/api/payments?reference=v-pay", headers=KEY)[1][0]["user_id"] == victim
        assert [s["session_id"] for s in hub.request("GET", f"/api/sessions?user_id={victim}", headers=KEY)[1]] == ["victim-tab"]
        assert hub.request("GET", f"/api/sessions?email={mallory}", headers=KEY)[1] == []
    finally:
        hub.stop()


def test_every_kind_of_record_has_its_retention(tmp_path):
    short = ("--session-retention", "1s", "--error-retention", "1s", "--webhook-payload-retention", "1s",
             "--alert-retention", "1s", "--activity-retention", "1s", "--sweep-interval", "1s", "--paystack-secret", PAYSTACK)
    hub = Hub(str(tmp_path), *short, "--broadcast-interval", "50ms")
    try:
        hub.beacon("session/start", {"session_id": "old-1", "email": "old@shop.test"})
        hub.beacon("track/payment-error", {"session_id": "old-1", "error_code": "declined", "error_message": "no"})
        hub.beacon("session/end", {"session_id": "old-1"})
        hub.request("POST", "/api/activity", {"user_id": "u-old", "action": "first_login", "status": "success"}, KEY)
        body = json.dumps({"event": "charge.success", "data": {"reference": "old-pay", "amount": 100, "currency": "NGN",
                                                              "customer": {"email": "old@shop.test"}}}).encode()
        signature = hmac.new(PAYSTACK.encode(), body, hashlib.sha512).hexdigest()
        assert hub.request("POST", "/api/webhooks/paystack", raw=body,
                           headers={"Content-Type": "application/json", "x-paystack-signature": signature})[0] == 200
        assert hub.request("POST", "/api/wallet/transactions", {"user_id": "u-old", "amount": "60.00", "type": "debit",
                                                                  "description": "x", "reference": "old-led"}, KEY)[0] == 201
        assert hub.request("GET", "/api/alerts", headers=KEY)[1], "the debit raised alerts"
        time.sleep(1.5)
    finally:
        hub.stop()
    if SQLITE:
        db = sqlite3.connect(tmp_path / "livehub.db")
        assert db.execute("SELECT count(*) FROM payment_errors").fetchone() == (1,)
        db.close()
    # The retention pass runs at start, then every minute; the sweep forgets ended sessions.
    hub = Hub(str(tmp_path), *short)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and hub.request("GET", "/api/alerts", headers=KEY)[1]:
            time.sleep(0.2)
        assert hub.request("GET", "/api/alerts", headers=KEY)[1] == []
        entry = hub.request("GET", "/api/webhooks/log", headers=KEY)[1][0]
        assert entry["payload"] == {"expired": True} and entry["headers"] == {} and entry["reference"] == "old-pay"
        assert hub.request("GET", "/api/activity?user_id=u-old", headers=KEY)[1] == []
        while time.time() < deadline and hub.request("GET", "/api/sessions?session_id=old-1", headers=KEY)[1]:
            time.sleep(0.2)
        assert hub.request("GET", "/api/sessions?session_id=old-1", headers=KEY)[1] == []
        assert hub.request("GET", "/api/metrics/payment-errors", headers=KEY)[1] == []
        # Payments and the ledger are kept.
        assert hub.request("GET", "/api/payments?reference=old-pay", headers=KEY)[1][0]["status"] == "webhook_received"
        assert hub.request("GET", "/api/wallet/balance?user_id=u-old", headers=KEY)[1]["balance"] == -60.0
    finally:
        hub.stop()
    if SQLITE:
        db = sqlite3.connect(tmp_path / "livehub.db")
        assert db.execute("SELECT count(*) FROM payment_errors").fetchone() == (0,)
        db.close()


@pytest.mark.parametrize("privacy", ["none", "truncate"])
def test_keeping_less_of_an_address_does_not_merge_rate_limits(tmp_path, privacy):
    """Limits count by the whole address in memory whatever is stored: two clients of one
    /24 (or with no address kept at all) still have a bucket each on /ws/track."""
    hub = Hub(str(tmp_path), "--ip-privacy", privacy, "--beacon-rate", "5/s", "--beacon-burst", "10")

    async def limited(source, messages):
        async with websockets.connect(hub.ws + "/ws/track", local_addr=(source, 0)) as ws:
            for _ in range(messages):
                await ws.send(json.dumps({"type": "heartbeat", "session_id": "s-" + source}))
            refused = 0
            try:
                while True:
                    refused += json.loads(await asyncio.wait_for(ws.recv(), 0.5))["error"]["code"] == "rate_limited"
            except asyncio.TimeoutError:
                return refused

    try:
        assert asyncio.run(limited("127.0.0.2", 15)) >= 4
        assert asyncio.run(limited("127.0.0.3", 5)) == 0, "another client has its own bucket"
    finally:
        hub.stop()


def test_an_email_in_any_case_and_any_unicode_form_is_one_person_and_erased_whole(tmp_path):
    """`ÉLODIE…` (precomposed, upper), `élodie…` and `e\u0301lodie…` (decomposed) are one
    address: found by any of them, and erased completely on either backend."""
    hub = Hub(str(tmp_path))
    upper, lower, decomposed = "ÉLODIE-7@shop.test", "élodie-7@shop.test", "e\u0301lodie-7@shop.test"
    try:
        hub.request("POST", "/api/activity", {"user_id": "u-elodie", "email": upper, "action": "first_login", "status": "success"}, KEY)
        hub.request("POST", "/api/payments/events", {"reference": "el-pay", "provider": "paystack", "stage": "initialized",
                                                     "amount": "10.00", "email": upper}, KEY)
        hub.beacon("session/start", {"session_id": "el-1", "email": decomposed})
        hub.beacon("track/payment-error", {"session_id": "el-1", "error_code": "x", "error_message": "y", "email": upper})
        for form in (upper, lower, decomposed):
            assert [p["reference"] for p in hub.request("GET", f"/api/payments?email={urllib.parse.quote(form)}", headers=KEY)[1]] == ["el-pay"], form
            assert len(hub.request("GET", f"/api/activity?email={urllib.parse.quote(form)}", headers=KEY)[1]) == 1, form
            assert len(hub.request("GET", f"/api/sessions?email={urllib.parse.quote(form)}", headers=KEY)[1]) == 1, form
        status, answer, _ = erase(hub, {"email": lower})
        assert status == 200 and answer["erased"]["activity"] == 1 and answer["pseudonymised"]["payments"] == 1, answer
        assert hub.request("GET", f"/api/sessions?email={urllib.parse.quote(upper)}", headers=KEY)[1] == []
    finally:
        hub.stop()
    if SQLITE:
        db = sqlite3.connect(tmp_path / "livehub.db")
        for table in ("activity", "payments", "payment_events", "payment_errors"):
            rows = db.execute(f"SELECT count(*) FROM {table} WHERE email LIKE '%lodie%' OR email LIKE '%LODIE%'").fetchone()[0]
            assert rows == 0, f"{table} still names her"
        db.close()
