"""Tokens that can be taken back: an id and an issue time in each, revocation by id or by
subject (HTTP and the CLI), refused by HTTP and WebSocket alike; lifetimes capped per
scope; a wallet page's token as the socket's first message instead of in its URL."""
import asyncio
import json
import os
import subprocess
import time

import pytest
import websockets

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}
BIN = os.environ.get("LIVEHUB_BIN", "")


def mint(scope, sub, ttl="1h"):
    result = subprocess.run([BIN, "token", "--scope", scope, "--sub", sub, "--ttl", ttl, "--secret", "e2e-secret"],
                            capture_output=True, text=True)
    return result


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(str(tmp_path_factory.mktemp("tokens")))
    yield hub
    hub.stop()


async def seller_socket_opens(hub, token):
    try:
        async with websockets.connect(hub.ws + "/ws/seller?token=" + token) as ws:
            await asyncio.wait_for(ws.recv(), 5)
            return True
    except websockets.InvalidStatus as refused:
        assert refused.response.status_code == 401
        return False


def test_a_revoked_token_is_refused_by_http_and_websocket(hub):
    minted = mint("seller", "kiosk-7")
    assert minted.returncode == 0
    token, jti = minted.stdout.strip(), minted.stderr.split("jti):")[1].strip()
    headers = {"Authorization": "Bearer " + token}
    other = mint("seller", "kiosk-8").stdout.strip()
    assert hub.request("GET", "/api/metrics/live-metrics", headers=headers)[0] == 200
    assert asyncio.run(seller_socket_opens(hub, token))
    # By id: this token only.
    assert hub.request("POST", "/api/tokens/revoke", {"jti": jti}, KEY)[0] == 200
    status, body, _ = hub.request("GET", "/api/metrics/live-metrics", headers=headers)
    assert status == 401 and body["error"]["code"] == "token_revoked"
    assert not asyncio.run(seller_socket_opens(hub, token))
    assert hub.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer " + other})[0] == 200
    # By subject, from the command line: every token of kiosk-8 issued until now.
    revoked = subprocess.run([BIN, "token", "revoke", "--sub", "kiosk-8", "--data-dir", hub.data_dir], capture_output=True, text=True)
    assert revoked.returncode == 0, revoked.stderr
    deadline = time.time() + 5
    while time.time() < deadline and hub.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer " + other})[0] == 200:
        time.sleep(0.1)
    assert hub.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer " + other})[0] == 401
    assert not asyncio.run(seller_socket_opens(hub, other))
    time.sleep(1.1)  # a token issued in a later second is not covered
    assert hub.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer " + mint("seller", "kiosk-8").stdout.strip()})[0] == 200
    # Revocations are the audit log's too.
    entries = hub.request("GET", "/api/audit", headers=KEY)[1]["entries"]
    assert [e["action"] for e in entries].count("token_revoke") == 2


def test_a_ttl_over_the_scopes_cap_is_refused():
    for scope, ttl in (("admin", "31d"), ("support", "31d"), ("seller", "91d"), ("balance", "366d")):
        result = mint(scope, "u1", ttl)
        assert result.returncode == 64 and "at most" in result.stderr, (scope, result.stderr)
    assert mint("balance", "u1", "365d").returncode == 0


def test_a_wallet_page_sends_its_token_as_the_first_message(hub):
    assert hub.request("POST", "/api/wallet/transactions", {"user_id": "w-1", "amount": "5.00", "type": "credit",
                                                              "description": "x", "reference": "w-1-a"}, KEY)[0] == 201
    token = hub.token("balance", "w-1")

    async def run():
        async with websockets.connect(hub.ws + "/ws/balance") as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert first["type"] == "balance" and first["user_id"] == "w-1" and first["balance"] == 5.0
        # A wrong first message, or another scope's token, closes it (1008).
        for message in ("hello", json.dumps({"type": "auth", "token": hub.token("seller")})):
            async with websockets.connect(hub.ws + "/ws/balance") as ws:
                await ws.send(message)
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
                assert closed.value.rcvd.code == 1008
    asyncio.run(run())


def test_metrics_and_the_admin_api_move_to_the_internal_address(tmp_path):
    import urllib.error
    import urllib.request
    from conftest import free_port
    internal = free_port()
    hub = Hub(str(tmp_path), "--internal-address", f"127.0.0.1:{internal}")
    try:
        assert any(line.startswith(f"internal: http://127.0.0.1:{internal}") for line in hub.output), hub.output
        with pytest.raises(urllib.error.HTTPError) as public:
            urllib.request.urlopen(hub.base + "/metrics", timeout=5)
        assert public.value.code == 404
        assert hub.request("POST", "/api/tokens/revoke", {"sub": "x"}, KEY)[0] == 404
        assert hub.request("GET", "/api/metrics/live-metrics", headers=KEY)[0] == 200, "the rest stays public"
        with urllib.request.urlopen(f"http://127.0.0.1:{internal}/metrics", timeout=5) as inside:
            assert inside.status == 200 and b"livehub_connections" in inside.read()
        request = urllib.request.Request(f"http://127.0.0.1:{internal}/api/tokens/revoke", data=json.dumps({"sub": "x"}).encode(),
                                         headers={**KEY, "Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=5) as inside:
            assert inside.status == 200
    finally:
        hub.stop()
