"""The money side through real clients: ledger, balance rooms, payments, and durability under kill -9."""
import asyncio
import base64
import hashlib
import hmac
import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import websockets

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}


def jwt(secret, claims):
    """An HS256 token made by Python's hmac, not by livehub."""
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())


@pytest.fixture
def money_hub(tmp_path):
    hub = Hub(str(tmp_path), "--gap-grace", "1s", "--loops", "2")
    yield hub
    hub.stop()


def post_tx(hub, user, amount, type_, reference, description="x"):
    return hub.request("POST", "/api/wallet/transactions",
                       {"user_id": user, "amount": amount, "type": type_, "description": description, "reference": reference},
                       headers=KEY)


def test_ledger_is_exact_idempotent_and_refuses_bad_entries(money_hub):
    hub = money_hub
    status, first, _ = post_tx(hub, "u1", "10.10", "credit", "r1")
    assert status == 201 and first["balance_after"] == 10.1 and first["type"] == "credit" and first["status"] == "completed"
    # A retry with the same reference: 200 and the original, charged once.
    status, again, _ = post_tx(hub, "u1", "10.10", "credit", "r1")
    assert status == 200 and again == first
    for amount in ["0.10", "0.20"]:
        assert post_tx(hub, "u1", amount, "sms_purchase", "sms-" + amount)[0] == 201
    status, refund, _ = post_tx(hub, "u1", "0.1", "refund", "ref-1")
    # 10.10 - 0.10 - 0.20 + 0.10, exactly (a float would give 9.899999…).
    assert status == 201 and Decimal(str(refund["balance_after"])) == Decimal("9.90")
    status, body, _ = hub.request("GET", "/api/wallet/balance?user_id=u1", headers=KEY)
    assert status == 200 and body == {"user_id": "u1", "balance": 9.9}
    # A wallet user reads their own balance, never another's.
    own = {"Authorization": "Bearer " + hub.token("balance", "u1")}
    assert hub.request("GET", "/api/wallet/balance", headers=own)[1] == {"user_id": "u1", "balance": 9.9}
    status, error, _ = hub.request("GET", "/api/wallet/balance?user_id=u2", headers=own)
    assert status == 403 and error["error"]["code"] == "wrong_user"

    for bad in [{"type": "gift"}, {"reference": None}, {"amount": "ten"}, {"amount": "-5"}, {"amount": "1.005"}, {"amount": "0"}]:
        entry = {"user_id": "u1", "amount": "1.00", "type": "debit", "description": "d", "reference": "bad"}
        entry.update(bad)
        status, error, _ = hub.request("POST", "/api/wallet/transactions", entry, headers=KEY)
        assert status == 400 and error["error"]["code"] == "invalid_transaction", bad
    assert hub.request("POST", "/api/wallet/transactions", {"user_id": "u1"})[0] == 401
    assert hub.request("POST", "/api/wallet/transactions", {"user_id": "u1"},
                       headers={"Authorization": "Bearer " + hub.token("seller")})[0] == 403

    status, listed, _ = hub.request("GET", "/api/wallet/transactions?user_id=u1&type=sms_purchase", headers=KEY)
    assert status == 200 and [t["reference"] for t in listed] == ["sms-0.20", "sms-0.10"]  # newest first
    status, page, _ = hub.request("GET", "/api/wallet/transactions?user_id=u1&skip=1&limit=2", headers=KEY)
    assert [t["reference"] for t in page] == ["sms-0.20", "sms-0.10"]
    assert hub.request("GET", "/api/wallet/transactions?limit=0", headers=KEY)[0] == 400
    status, monitor, _ = hub.request("GET", "/api/admin/transactions/monitor?minutes=60", headers=KEY)
    assert status == 200
    assert monitor["total_added"] == 10.1 and monitor["total_spent"] == 0.3 and monitor["total_refunded"] == 0.1
    assert monitor["unique_users"] == 1 and monitor["counts_by_type"]["sms_purchase"] == 2 and len(monitor["recent"]) == 4


def test_a_key_holding_a_nul_is_refused_and_never_reaches_another_users_wallet(money_hub):
    """PostgreSQL's text cannot hold NUL, and a parameter is a C string: "u-nul\\0x" would
    credit "u-nul". Refused at the door on either backend (the money suite runs on both)."""
    hub = money_hub
    assert post_tx(hub, "u-nul", "5.00", "credit", "nul-ok")[0] == 201
    status, error, _ = post_tx(hub, "u-nul\u0000x", "7.00", "credit", "nul-1")
    assert status == 400 and error["error"]["code"] == "invalid_transaction" and "NUL" in error["error"]["message"], error
    status, error, _ = post_tx(hub, "u-nul", "7.00", "credit", "nul-\u0000")
    assert status == 400, error
    assert hub.request("GET", "/api/wallet/balance?user_id=u-nul", headers=KEY)[1]["balance"] == 5.0
    # A query string naming one: no key at all (400), not another's.
    status, error, _ = hub.request("GET", "/api/wallet/balance?user_id=u-nul%00x", headers=KEY)
    assert status == 400, error
    status, listed, _ = hub.request("GET", "/api/wallet/transactions?user_id=u-nul%00x", headers=KEY)
    assert status == 400 or listed == [], listed
    # Nor from an anonymous beacon.
    status, error, _ = hub.request("POST", "/api/metrics/session/start", {"session_id": "s\u0000"})
    assert status == 400 and "NUL" in error["error"]["message"], error


async def recv_json(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def test_a_balance_socket_gets_its_own_user_only_and_bad_tokens_are_refused(money_hub):
    hub = money_hub

    async def run():
        # Several sockets each, so both loops hold members of both rooms.
        a_sockets = [await websockets.connect(hub.ws + "/ws/balance?token=" + hub.token("balance", "alice")) for _ in range(3)]
        b_sockets = [await websockets.connect(hub.ws + "/ws/balance?token=" + hub.token("balance", "bob")) for _ in range(3)]
        # The first message: the balance and seq now.
        for ws in a_sockets + b_sockets:
            first = await recv_json(ws)
            assert first["type"] == "balance" and first["balance"] == 0 and first["seq"] == 0, first
        await asyncio.to_thread(post_tx, hub, "bob", "7.00", "credit", "b1")
        await asyncio.to_thread(post_tx, hub, "alice", "3.00", "credit", "a1")
        await asyncio.to_thread(post_tx, hub, "alice", "1.25", "debit", "a2", "sms bundle")
        for ws in a_sockets:
            first, second = await recv_json(ws), await recv_json(ws)
            assert (first["seq"], second["seq"]) == (1, 2)
            assert first["type"] == "balance_update" and first["balance"] == 3.0
            assert first["transaction"]["reference"] == "a1" and first["notification"]["type"] == "credit_added"
            assert second["balance"] == 1.75 and second["notification"]["type"] == "credit_deducted"
            with pytest.raises(asyncio.TimeoutError):
                await recv_json(ws, timeout=0.3)  # nothing of bob's
        for ws in b_sockets:
            update = await recv_json(ws)
            assert update["transaction"]["user_id"] == "bob" and update["seq"] == 1
            with pytest.raises(asyncio.TimeoutError):
                await recv_json(ws, timeout=0.3)
        for ws in a_sockets + b_sockets:
            await ws.close()

        now = int(time.time())
        refused = {
            "seller scope": hub.token("seller", "alice"),
            "wrong secret": jwt("other-secret", {"sub": "alice", "scope": "balance", "exp": now + 600}),
            "expired": jwt("e2e-secret", {"sub": "alice", "scope": "balance", "exp": now - 10}),
            "api key": "e2e-key",
        }
        # The same minting by Python's hmac is accepted: the refusals above are about what they say.
        ok = await websockets.connect(hub.ws + "/ws/balance?token=" + jwt("e2e-secret", {"sub": "alice", "scope": "balance", "exp": now + 600}))
        await ok.close()
        for why, token in refused.items():
            with pytest.raises(websockets.exceptions.InvalidStatus) as error:
                await websockets.connect(hub.ws + "/ws/balance?token=" + token)
            assert error.value.response.status_code in (401, 403), why

    asyncio.run(run())


def test_a_reconnect_with_since_replays_exactly_what_was_missed(money_hub):
    hub = money_hub
    token = hub.token("balance", "carol")

    async def run():
        ws = await websockets.connect(hub.ws + "/ws/balance?token=" + token)
        assert (await recv_json(ws)) == {"type": "balance", "user_id": "carol", "balance": 0, "seq": 0, "unseen": 0}
        for i in range(2):
            await asyncio.to_thread(post_tx, hub, "carol", "1.00", "credit", f"c{i}")
        seen = [(await recv_json(ws))["seq"] for _ in range(2)]
        assert seen == [1, 2]
        await ws.close()
        for i in range(2, 5):  # missed while away
            await asyncio.to_thread(post_tx, hub, "carol", "1.00", "credit", f"c{i}")
        # Writes keep coming while the replay is on its way: none may be lost or doubled.
        writer = asyncio.create_task(asyncio.to_thread(lambda: [post_tx(hub, "carol", "1.00", "credit", f"c{i}") for i in range(5, 25)]))
        ws = await websockets.connect(hub.ws + f"/ws/balance?token={token}&since={seen[-1]}")
        await writer
        # The balance the replay starts from first (at since: seq 2, 2.00), then the replay;
        # a client that drops every seq at or below the last it saw keeps all of them.
        opening = await recv_json(ws)
        # Its unseen count is the inbox's as the replay was read (every write is a notification).
        assert {k: v for k, v in opening.items() if k != "unseen"} == {"type": "balance", "user_id": "carol", "balance": 2.0, "seq": 2}
        assert 5 <= opening["unseen"] <= 25
        updates = [await recv_json(ws) for _ in range(23)]
        kept, last = [], opening["seq"]
        for u in updates:
            if u["seq"] > last:
                kept.append(u)
                last = u["seq"]
        assert kept == updates, "a message carried a seq at or below one already sent"
        assert [u["seq"] for u in updates] == list(range(3, 26))
        assert [u["transaction"]["reference"] for u in updates] == [f"c{i}" for i in range(2, 25)]
        assert updates[-1]["balance"] == 25.0
        with pytest.raises(asyncio.TimeoutError):
            await recv_json(ws, timeout=0.3)
        await ws.close()

    asyncio.run(run())


def test_payment_flow_gap_to_sellers_and_resolution(money_hub):
    hub = money_hub

    def event(stage, reference="pay-1", **extra):
        body = {"reference": reference, "provider": "paystack", "stage": stage, "amount": "25.00", "email": "Ann@shop.test", "user_id": "ann"}
        body.update(extra)
        status, answer, _ = hub.request("POST", "/api/payments/events", body, headers=KEY)
        assert status == 200, answer
        return answer

    async def run():
        seller = await websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller"))
        event("webhook_received")
        event("initialized")  # late: the status stays at the furthest stage
        assert event("completed")["status"] == "webhook_received"
        event("initialized", "pay-2")
        event("failed", "pay-3", error_message="card declined")
        deadline = time.time() + 5
        gap = None
        while time.time() < deadline and gap is None:
            message = await recv_json(seller, timeout=5)
            if message["type"] == "payment-gap":
                gap = message["data"]
        assert gap is not None and gap["reference"] == "pay-1" and gap["gap"] is True and gap["email"] == "Ann@shop.test"
        await seller.close()
        # A seller joining now gets the state, the errors, then the open gaps.
        late = await websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller"))
        first = [await recv_json(late) for _ in range(3)]
        assert [m["type"] for m in first] == ["metrics-update", "payment-errors-update", "payment-gap"]
        assert first[2]["data"]["reference"] == "pay-1"
        await late.close()

    asyncio.run(run())
    status, gaps, _ = hub.request("GET", "/api/payments/gaps", headers=KEY)
    assert [g["reference"] for g in gaps] == ["pay-1"]
    status, stats, _ = hub.request("GET", "/api/payments/stats?window=24h", headers={"Authorization": "Bearer " + hub.token("seller")})
    assert stats == {"total": 3, "pending": 1, "initialized": 1, "completed": 1, "webhook_received": 1, "failed": 1, "credited": 0,
                     "resolved": 0, "gaps": 1, "unmatched": 0, "amount_mismatch": 0, "currency": "USD", "total_amount": 25.0,
                     "totals": [{"currency": "USD", "amount": 25.0}], "success_rate": 0.5, "median_minutes_to_credit": None}
    assert [p["reference"] for p in hub.request("GET", "/api/payments?email=ann@shop.test&status=failed", headers=KEY)[1]] == ["pay-3"]

    async def resolve_while_watching():
        # A seller watching sees the gap leave when it is resolved.
        watcher = await websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller"))
        assert [(await recv_json(watcher))["type"] for _ in range(3)][2] == "payment-gap"
        status, resolved, _ = await asyncio.to_thread(hub.request, "POST", "/api/payments/pay-1/resolve", {"note": "credited by hand"}, KEY)
        assert status == 200 and resolved["gap"] is False and resolved["resolution"] == "credited by hand"
        while True:
            message = await recv_json(watcher, timeout=5)
            if message["type"] == "payment-gap-closed":
                break
        assert message["data"] == {"reference": "pay-1", "kind": "gap"}
        await watcher.close()

    asyncio.run(resolve_while_watching())
    assert hub.request("GET", "/api/payments/gaps", headers=KEY)[1] == []
    assert hub.request("POST", "/api/payments/nope/resolve", {}, headers=KEY)[0] == 404
    assert hub.request("POST", "/api/payments/events", {"reference": "x", "provider": "p", "stage": "paid"}, headers=KEY)[0] == 400
    assert hub.request("GET", "/api/payments/stats?window=soon", headers=KEY)[0] == 400


@pytest.mark.parametrize("fsync", ["always", "batch"])
def test_acknowledged_writes_survive_kill_minus_9(tmp_path, fsync):
    # Long snapshot interval: what survives must come from the journal.
    hub = Hub(str(tmp_path), "--fsync", fsync, "--snapshot-interval", "1h", "--loops", "2")
    acknowledged = []
    lock = threading.Lock()

    def write(i):
        user = f"user{i % 7}"
        type_ = "credit" if i % 3 else "debit"
        status, tx, _ = post_tx(hub, user, f"{i % 50}.{i % 100:02d}" if i % 50 else "0.01", type_, f"ref-{i}")
        assert status == 201
        status, payment, _ = hub.request("POST", "/api/payments/events",
                                         {"reference": f"pay-{i}", "provider": "stripe", "stage": "completed", "amount": "1.00"}, headers=KEY)
        assert status == 200
        with lock:
            acknowledged.append(tx)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(300)))
    assert hub.stop(signal.SIGKILL) == -signal.SIGKILL
    again = Hub(str(tmp_path))
    try:
        assert any("300 transactions, 300 payments" in line for line in again.output), again.output
        status, listed, _ = again.request("GET", "/api/wallet/transactions?limit=500", headers=KEY)
        assert sorted(t["reference"] for t in listed) == sorted(t["reference"] for t in acknowledged)
        by_ref = {t["reference"]: t for t in listed}
        for tx in acknowledged:
            assert by_ref[tx["reference"]] == tx
        for n in range(7):
            user = f"user{n}"
            mine = [t for t in listed if t["user_id"] == user]
            total = sum((Decimal(str(t["amount"])) if t["type"] in ("credit", "refund") else -Decimal(str(t["amount"])) for t in mine), Decimal(0))
            status, balance, _ = again.request("GET", f"/api/wallet/balance?user_id={user}", headers=KEY)
            assert Decimal(str(balance["balance"])) == total, user
        assert len(again.request("GET", "/api/payments", headers=KEY)[1]) == 300
    finally:
        again.stop()


def test_activity_journeys_and_funnels_with_drop_off(money_hub):
    hub = money_hub

    def act(action, status="success", **who):
        body = {"action": action, "status": status, **who}
        code, answer, _ = hub.request("POST", "/api/activity", body, headers=KEY)
        assert code == 201, answer
        return answer

    for user in ["u1", "u2", "u3", "u4"]:
        act("registration_started", user_id=user)
    for user in ["u1", "u2", "u3"]:
        act("registration_completed", user_id=user)
    act("email_verified", user_id="u1")
    act("email_verified", "failed", user_id="u2", error_message="link expired")
    act("email_verified", user_id="u9")  # never started: not counted past step one
    act("login", email="Ann@Shop.test", details={"ip": "1.2.3.4"})
    assert hub.request("POST", "/api/activity", {"action": "x", "status": "success"}, headers=KEY)[0] == 400

    code, journey, _ = hub.request("GET", "/api/activity?user_id=u2", headers=KEY)
    assert code == 200 and [(e["action"], e["status"]) for e in journey] == [
        ("registration_started", "success"), ("registration_completed", "success"), ("email_verified", "failed")]
    assert journey[2]["error_message"] == "link expired"
    code, by_email, _ = hub.request("GET", "/api/activity?email=ann@shop.test", headers=KEY)
    assert [e["details"] for e in by_email] == [{"ip": "1.2.3.4"}]

    # Beacons feed the checkout funnel on their own.
    hub.beacon("session/start", {"session_id": "f1"})
    hub.beacon("track/page-visit", {"session_id": "f1", "page_type": "category", "page_identifier": "shoes"})
    hub.beacon("track/checkout-start", {"session_id": "f1", "checkout_items": [], "total_amount": "5.00"})
    hub.beacon("track/payment-start", {"session_id": "f1"})
    hub.beacon("track/payment-success", {"session_id": "f1"})
    hub.beacon("session/start", {"session_id": "f2"})
    hub.beacon("track/page-visit", {"session_id": "f2", "page_type": "offer"})
    hub.beacon("track/checkout-start", {"session_id": "f2", "checkout_items": [], "total_amount": "5.00"})
    hub.beacon("session/start", {"session_id": "f3"})

    code, funnels, _ = hub.request("GET", "/api/funnels?window=24h", headers=KEY)
    assert code == 200
    registration = funnels["registration"]["steps"]
    assert [s["count"] for s in registration] == [4, 3, 1, 0]
    assert registration[1]["drop_off"] == 1 and registration[1]["drop_off_rate"] == 0.25
    checkout = funnels["checkout"]["steps"]
    assert [s["count"] for s in checkout] == [3, 2, 2, 1, 1]
    assert funnels["checkout"]["conversion_rate"] == 0.3333


def test_a_reused_reference_with_other_values_is_a_conflict_and_a_credit_can_close_a_payment(money_hub):
    hub = money_hub
    status, original, _ = post_tx(hub, "u9", "5.00", "credit", "dup-1")
    assert status == 201
    assert post_tx(hub, "u9", "5.00", "credit", "dup-1")[:2] == (200, original)  # a retry
    for user, amount, type_ in [("u10", "5.00", "credit"), ("u9", "6.00", "credit"), ("u9", "5.00", "refund")]:
        status, body, _ = post_tx(hub, user, amount, type_, "dup-1")
        assert status == 409 and body["error"]["code"] == "reference_conflict", body
        assert body["error"]["transaction"] == original
    assert hub.request("GET", "/api/wallet/balance?user_id=u10", headers=KEY)[1]["balance"] == 0

    # A payment confirmed, then the credit that pays it out closes it in the same write.
    assert hub.request("POST", "/api/payments/events", {"reference": "p-77", "provider": "paystack", "stage": "completed",
                                                        "amount": "5.00", "user_id": "u9"}, headers=KEY)[0] == 200
    status, tx, _ = hub.request("POST", "/api/wallet/transactions",
                                {"user_id": "u9", "amount": "5.00", "type": "credit", "description": "top-up", "reference": "credit-p-77",
                                 "payment_reference": "p-77"}, headers=KEY)
    assert status == 201 and tx["payment_reference"] == "p-77"
    status, payments, _ = hub.request("GET", "/api/payments?user_id=u9", headers=KEY)
    assert [p["status"] for p in payments if p["reference"] == "p-77"] == ["credited"]
    status, body, _ = hub.request("POST", "/api/wallet/transactions",
                                  {"user_id": "u9", "amount": "1.00", "type": "credit", "description": "x", "reference": "credit-none",
                                   "payment_reference": "no-such-payment"}, headers=KEY)
    assert status == 404 and body["error"]["code"] == "unknown_payment"
    assert hub.request("GET", "/api/wallet/balance?user_id=u9", headers=KEY)[1]["balance"] == 10.0


def test_a_journey_joins_events_by_email_once_the_email_is_theirs_and_phones_match_by_digits(money_hub):
    hub = money_hub

    def act(action, **who):
        status, answer, _ = hub.request("POST", "/api/activity", {"action": action, "status": "success", **who}, headers=KEY)
        assert status == 201, answer

    act("landing_viewed", email="Zed@Shop.test")            # before the user had an id
    act("registration_started", email="zed@shop.test")
    act("registration_completed", user_id="zed", email="zed@shop.test")  # ties the two
    act("email_verified", user_id="zed")
    act("someone_else", email="other@shop.test")
    journey = hub.request("GET", "/api/activity?user_id=zed", headers=KEY)[1]
    assert [e["action"] for e in journey] == ["landing_viewed", "registration_started", "registration_completed", "email_verified"]
    by_email = hub.request("GET", "/api/activity?email=ZED@shop.test", headers=KEY)[1]
    assert [e["action"] for e in by_email] == [e["action"] for e in journey]

    assert hub.request("POST", "/api/payments/events", {"reference": "ph-1", "provider": "mpesa", "stage": "initialized",
                                                        "amount": "1.00", "phone": "+254700000001"}, headers=KEY)[0] == 200
    for query in ["254700000001", "%2B254700000001", "254-700-000001"]:
        found = hub.request("GET", f"/api/payments?phone={query}", headers=KEY)[1]
        assert [p["reference"] for p in found] == ["ph-1"], query


def test_pipelined_requests_are_answered_in_order(tmp_path):
    """Writes the money engine answers and reads answered at once, pipelined on one
    connection: every answer comes back, in request order (RFC 9112 §9.3.2)."""
    import socket
    hub = Hub(str(tmp_path))
    try:
        out = b""
        for i in range(150):
            if i % 3 == 2:
                out += b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
            else:
                # One retry of an earlier write among them: answered with the original.
                reference = "pipe-0" if i == 100 else f"pipe-{i}"
                body = json.dumps({"user_id": "pipe", "amount": "1.00", "type": "credit", "description": "p", "reference": reference}).encode()
                out += (b"POST /api/wallet/transactions HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer e2e-key\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        s = socket.create_connection(("127.0.0.1", hub.port))
        s.sendall(out)
        s.settimeout(10)
        data = b""
        while data.count(b"HTTP/1.1 ") < 150 or not data.endswith((b"}", b"\n")):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        answers = data.split(b"HTTP/1.1 ")[1:]
        assert len(answers) == 150
        for i, answer in enumerate(answers):
            if i % 3 == 2:
                assert answer.startswith(b"200") and b"pipe-" not in answer, (i, answer[:200])
            elif i == 100:
                assert answer.startswith(b"200") and b'"reference":"pipe-0"' in answer and b'"balance_after":1' in answer, answer[:300]
            else:
                assert answer.startswith(b"201") and f'"reference":"pipe-{i}"'.encode() in answer, (i, answer[:300])
        # 99 writes of 1.00, the retry charged nothing.
        assert hub.request("GET", "/api/wallet/balance?user_id=pipe", headers=KEY)[1]["balance"] == 99
    finally:
        hub.stop()


def test_a_wallet_user_reads_their_own_history_and_every_pushed_link_resolves(money_hub):
    hub = money_hub
    for i in range(2):
        post_tx(hub, "dora", "3.00", "credit", f"dora-{i}")
    post_tx(hub, "eve", "1.00", "credit", "eve-0")
    token = {"Authorization": "Bearer " + hub.token("balance", "dora")}
    status, mine, _ = hub.request("GET", "/api/wallet/transactions", headers=token)
    assert status == 200 and [t["reference"] for t in mine] == ["dora-1", "dora-0"]
    assert hub.request("GET", "/api/wallet/transactions?user_id=dora", headers=token)[0] == 200
    assert hub.request("GET", "/api/wallet/transactions?user_id=eve", headers=token)[0] == 403

    async def pushed_link():
        async with websockets.connect(hub.ws + "/ws/balance?token=" + hub.token("balance", "dora")) as ws:
            await recv_json(ws)
            await asyncio.to_thread(post_tx, hub, "dora", "1.00", "credit", "dora-2")
            return (await recv_json(ws))["notification"]["link"]
    link = asyncio.run(pushed_link())
    status, one, _ = hub.request("GET", link, headers=token)
    assert status == 200 and one["reference"] == "dora-2"
    eves = hub.request("GET", "/api/wallet/transactions?user_id=eve", headers=KEY)[1][0]["id"]
    assert hub.request("GET", f"/api/wallet/transactions/{eves}", headers=token)[0] == 404, "another user's is not found for her"
    assert hub.request("GET", f"/api/wallet/transactions/{eves}", headers=KEY)[0] == 200
