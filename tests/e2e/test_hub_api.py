"""The live-metrics contract, over HTTP and WebSocket, with clients that are not ours."""
import asyncio
import json
import signal
import subprocess
import os

import pytest
import websockets

from hubproc import Hub


@pytest.fixture
def hub(tmp_path):
    h = Hub(str(tmp_path), "--broadcast-interval", "50ms", "--allowed-origin", "https://shop.example")
    yield h
    h.stop()


def test_beacons_move_the_live_metrics(hub):
    assert hub.beacon("session/start", {"session_id": "s1", "email": "a@x.io"})["session_id"] == "s1"
    started = hub.beacon("session/start", {})
    assert started["session_id"].startswith("s_")
    hub.beacon("track/page-visit", {"session_id": "s1", "page_type": "category", "page_identifier": "electronics"})
    hub.beacon("track/page-visit", {"session_id": "s2", "page_type": "offer", "page_identifier": "black-friday"})
    hub.beacon("track/page-visit", {"session_id": "s3", "page_type": "product"})
    hub.beacon("track/checkout-start", {"session_id": "s4", "checkout_items": [{"sku": "a"}], "total_amount": "49.99"})
    hub.beacon("track/payment-start", {"session_id": "s5", "amount": 10})
    hub.beacon("track/payment-error", {"session_id": "s6", "error_code": "declined", "error_message": "Declined"})
    hub.beacon("track/page-visit", {"session_id": "s7", "page_type": "homepage"})
    m = hub.metrics()
    assert (m["homepage"], m["checkout"], m["payment"], m["payment_errors"]) == (1, 1, 1, 1)
    assert m["categories"] == {"electronics": 1} and m["offers"] == {"black-friday": 1}
    assert m["pages"] == {"category": 1, "offer": 1, "product": 1, "checkout": 1, "payment": 1, "payment_error": 1, "homepage": 1}
    assert m["total_active"] == 8  # the started session without a page counts too
    hub.beacon("session/end", {"session_id": "s7"})
    hub.beacon("session/end", {"session_id": "s7"})
    assert hub.metrics()["homepage"] == 0


def test_sendbeacon_text_plain_is_accepted_and_other_types_are_not(hub):
    status, _, _ = hub.request("POST", "/api/metrics/heartbeat", raw=b'{"session_id":"x"}', headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert status == 200
    status, body, _ = hub.request("POST", "/api/metrics/heartbeat", raw=b"session_id=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("path,body,needle", [
    ("track/page-visit", {"session_id": "s"}, "page_type"),
    ("track/page-visit", {"page_type": "homepage"}, "session_id"),
    ("track/checkout-start", {"session_id": "s", "checkout_items": []}, "total_amount"),
    ("track/checkout-start", {"session_id": "s", "checkout_items": [], "total_amount": "ten"}, "decimal"),
    ("track/payment-error", {"session_id": "s", "error_code": "x"}, "error_message"),
    ("track/page-visit", [1, 2], "object"),
    # A field the beacon does not have, or of the wrong type, is named: never stored as null.
    ("track/payment-error", {"session_id": "s", "error_code": "x", "error_message": "m", "total_amount": "199.00",
                             "payment_method": "card"}, "total_amount is not a field of this beacon"),
    ("track/page-visit", {"session_id": "s", "page_type": "home", "pagetype": "x"}, "pagetype is not a field"),
    ("session/start", {"session_id": "s", "email": {"a": 1}}, "email must be a string"),
    ("track/checkout-start", {"session_id": "s", "checkout_items": [], "total_amount": [1]}, "total_amount must be a decimal"),
])
def test_bad_beacons_get_a_clear_400(hub, path, body, needle):
    status, answer, _ = hub.request("POST", "/api/metrics/" + path, body)
    assert status == 400
    assert needle in answer["error"]["message"]
    assert hub.metrics()["total_active"] == 0


def test_broken_json_is_400(hub):
    status, answer, _ = hub.request("POST", "/api/metrics/heartbeat", raw=b'{"session_id": ')
    assert status == 400 and answer["error"]["code"] == "invalid_json"


def test_cors_for_allowed_origins_only(hub):
    status, _, headers = hub.request("OPTIONS", "/api/metrics/track/page-visit", headers={"Origin": "https://shop.example"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "https://shop.example"
    status, _, headers = hub.request("POST", "/api/metrics/heartbeat", {"session_id": "s"}, headers={"Origin": "https://shop.example", "Content-Type": "application/json"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://shop.example"
    status, body, _ = hub.request("POST", "/api/metrics/heartbeat", {"session_id": "s"}, headers={"Origin": "https://evil.example", "Content-Type": "application/json"})
    assert status == 403 and body["error"]["code"] == "origin_not_allowed"


def test_reads_need_a_seller_token_or_the_api_key(hub):
    assert hub.request("GET", "/api/metrics/live-metrics")[0] == 401
    assert hub.request("GET", "/api/metrics/live-metrics?token=garbage")[0] == 401
    assert hub.request("GET", "/api/metrics/live-metrics?token=" + hub.token("balance"))[0] == 403
    assert hub.request("GET", "/api/metrics/live-metrics?token=" + hub.token("seller"))[0] == 200
    assert hub.request("GET", "/api/metrics/payment-errors", headers={"Authorization": "Bearer " + hub.token("admin")})[0] == 200
    forged = subprocess.run([os.environ["LIVEHUB_BIN"], "token", "--scope", "seller", "--secret", "other"], capture_output=True, text=True).stdout.strip()
    assert hub.request("GET", "/api/metrics/live-metrics?token=" + forged)[0] == 401


def test_payment_errors_newest_first_with_limit_and_since(hub):
    hub.beacon("session/start", {"session_id": "p", "email": "buyer@x.io", "phone": "+254700"})
    hub.beacon("track/checkout-start", {"session_id": "p", "checkout_items": [{"sku": "k"}], "total_amount": "5.10", "payment_method": "mpesa"})
    for code in ("first", "second", "third"):
        hub.beacon("track/payment-error", {"session_id": "p", "error_code": code, "error_message": "m", "error_details": {"why": code}})
    _, errors, _ = hub.request("GET", "/api/metrics/payment-errors?limit=2", headers={"Authorization": "Bearer e2e-key"})
    assert [e["error_code"] for e in errors] == ["third", "second"]
    e = errors[0]
    assert set(e) == {"id", "session_id", "occurred_at", "email", "phone", "checkout_items", "total_amount", "payment_method",
                      "error_code", "error_message", "error_details", "ip", "user_agent"}
    assert (e["email"], e["phone"], e["total_amount"], e["payment_method"]) == ("buyer@x.io", "+254700", "5.10", "mpesa")
    assert e["checkout_items"] == [{"sku": "k"}] and e["error_details"] == {"why": "third"} and e["ip"] == "127.0.0.0", "--ip-privacy truncate (the default) keeps the /24"
    _, since, _ = hub.request("GET", "/api/metrics/payment-errors?since=" + errors[1]["occurred_at"], headers={"Authorization": "Bearer e2e-key"})
    assert all(x["occurred_at"] > errors[1]["occurred_at"] for x in since)
    assert hub.request("GET", "/api/metrics/payment-errors?limit=0", headers={"Authorization": "Bearer e2e-key"})[0] == 400


def test_cleanup_needs_admin_and_answers_expired(hub):
    assert hub.request("POST", "/api/metrics/cleanup-sessions", raw=b"")[0] == 401
    status, body, _ = hub.request("POST", "/api/metrics/cleanup-sessions", raw=b"", headers={"Authorization": "Bearer e2e-key"})
    assert status == 200 and body == {"expired": 0}


def test_seller_room_join_state_then_updates(hub):
    """The full state on join, then updates; every payment error exactly once."""
    hub.beacon("track/payment-error", {"session_id": "e", "error_code": "old", "error_message": "m"})

    async def run():
        async with websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller")) as seller:
            first = json.loads(await seller.recv())
            assert first["type"] == "metrics-update" and first["data"]["payment_errors"] == 1
            second = json.loads(await seller.recv())
            assert second["type"] == "payment-errors-update"
            codes = [e["error_code"] for e in second["data"]]
            hub.beacon("track/payment-error", {"session_id": "f", "error_code": "new", "error_message": "m"})
            latest_errors_tile = None
            while sorted(codes) != ["new", "old"] or latest_errors_tile != 2:
                msg = json.loads(await asyncio.wait_for(seller.recv(), 5))
                if msg["type"] == "payment-errors-update":
                    codes += [e["error_code"] for e in msg["data"]]
                    assert len(codes) == len(set(codes)), codes
                elif msg["type"] == "metrics-update":
                    latest_errors_tile = msg["data"]["payment_errors"]
    asyncio.run(run())


def test_a_token_of_the_wrong_scope_is_refused_on_the_seller_room(hub):
    async def run():
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("balance"))
        assert refused.value.response.status_code == 403
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(hub.ws + "/ws/seller")
        assert refused.value.response.status_code == 401
    asyncio.run(run())


def test_track_socket_tabs_count_once_and_closing_the_last_ends_presence(hub):
    async def run():
        a = await websockets.connect(hub.ws + "/ws/track")
        b = await websockets.connect(hub.ws + "/ws/track")
        for tab in (a, b):
            await tab.send(json.dumps({"type": "page-visit", "session_id": "tabs", "page_type": "homepage"}))
        await a.send(json.dumps({"type": "nonsense", "session_id": "tabs"}))
        error = json.loads(await a.recv())
        assert error["type"] == "error" and "nonsense" in error["error"]["message"]
        # The error is the socket's own answer (its loop parsed the message); the beacons
        # before it reach the hub's loop on their own time.
        for _ in range(100):
            m = hub.metrics()
            if (m["total_active"], m["homepage"]) == (1, 1):
                break
            await asyncio.sleep(0.05)
        assert (m["total_active"], m["homepage"]) == (1, 1)
        await a.close()
        await asyncio.sleep(0.2)
        assert hub.metrics()["total_active"] == 1
        await b.close()
        # The session ends 3 s after its last socket closed (a navigation's next page may come).
        for _ in range(200):
            if hub.metrics()["total_active"] == 0:
                break
            await asyncio.sleep(0.05)
        assert hub.metrics()["homepage"] == 0 and hub.metrics()["total_active"] == 0
    asyncio.run(run())


def test_metrics_show_sessions_pages_and_room_members(hub):
    hub.beacon("track/page-visit", {"session_id": "m", "page_type": "homepage"})

    async def run():
        async with websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller")) as seller:
            await seller.recv()
            _, _, _ = hub.request("GET", "/healthz")
            import urllib.request
            text = urllib.request.urlopen(hub.base + "/metrics", timeout=5).read().decode()
            assert "livehub_sessions_live 1\n" in text
            assert 'livehub_sessions_on_page{page="homepage"} 1\n' in text
            assert 'livehub_room_members{room="seller"} 1\n' in text
            assert "# TYPE livehub_sweep_seconds gauge" in text and "# TYPE livehub_snapshot_seconds gauge" in text
    asyncio.run(run())


def test_a_change_after_a_quiet_interval_goes_out_at_once_and_the_next_one_interval_later(tmp_path):
    """The seller push is throttled at its leading edge: a beacon after a quiet interval is
    shown at once (a fixed 3 s tick would make it wait up to 3 s), and a second one right
    after waits for the interval to pass (never two updates in one interval)."""
    hub = Hub(str(tmp_path), "--broadcast-interval", "3s")

    async def update(seller):
        while True:
            message = json.loads(await seller.recv())
            if message["type"] == "metrics-update":
                return message["data"]

    async def run():
        async with websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller")) as seller:
            await update(seller)  # the state at join
            await asyncio.sleep(3.6)  # the last update (the hub's start) is older than the interval
            loop = asyncio.get_running_loop()
            sent = loop.time()
            hub.beacon("track/page-visit", {"session_id": "lead-1", "page_type": "homepage"})
            first = await asyncio.wait_for(update(seller), 2)
            first_at = loop.time()
            assert first["total_active"] == 1 and first_at - sent < 1.0
            hub.beacon("track/page-visit", {"session_id": "lead-2", "page_type": "homepage"})
            second = await asyncio.wait_for(update(seller), 5)
            assert second["total_active"] == 2 and loop.time() - first_at > 2.5
    try:
        asyncio.run(run())
    finally:
        hub.stop()
