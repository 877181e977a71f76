"""Clients that are not ours talk to the hub: Python's websockets and curl."""
import asyncio
import json
import os
import signal
import subprocess

import pytest
import websockets


def curl(*args):
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, timeout=30)
    body, _, status = out.stdout.rpartition("\n")
    return int(status), body


def test_curl_health(hub):
    status, body = curl(hub["http"] + "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}


def test_curl_not_found_is_a_json_error(hub):
    status, body = curl(hub["http"] + "/missing")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"


def test_curl_chunked_upload_is_read(hub):
    # curl sends the body chunked; the route does not exist, so the answer is 404 — after
    # the whole chunked body was read (a parse failure would be 400).
    status, _ = curl("-X", "POST", "-H", "Transfer-Encoding: chunked", "--data-binary", "x" * 5000, hub["http"] + "/missing")
    assert status == 404


def test_curl_body_over_the_limit_is_413(hub):
    status, body = curl("-X", "POST", "--data-binary", "x" * 70000, hub["http"] + "/missing")
    assert status == 413
    assert json.loads(body)["error"]["code"] == "body_too_large"


def test_curl_metrics_are_prometheus_text(hub):
    status, body = curl(hub["http"] + "/metrics")
    assert status == 200
    assert "# TYPE livehub_connections_accepted_total counter" in body


def test_websockets_echo_text_and_binary(hub):
    async def run():
        async with websockets.connect(hub["ws"] + "/ws/echo", compression=None) as ws:
            await ws.send("grüß dich")
            assert await ws.recv() == "grüß dich"
            await ws.send(bytes(range(256)) * 300)
            assert await ws.recv() == bytes(range(256)) * 300
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 5)
    asyncio.run(run())


def test_websockets_broadcast(hub):
    async def run():
        url = hub["ws"] + "/ws/broadcast"
        async with websockets.connect(url) as a, websockets.connect(url) as b, websockets.connect(url) as c:
            await a.send("pub:hello")
            assert await asyncio.wait_for(b.recv(), 5) == "hello"
            assert await asyncio.wait_for(c.recv(), 5) == "hello"
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(a.recv(), 0.3)
    asyncio.run(run())


def test_websockets_close_code_is_echoed(hub):
    async def run():
        ws = await websockets.connect(hub["ws"] + "/ws/echo")
        await ws.close(code=4321, reason="done")
        assert ws.protocol.close_rcvd.code == 4321
    asyncio.run(run())


def test_message_over_the_limit_closes_with_1009(hub):
    async def run():
        async with websockets.connect(hub["ws"] + "/ws/echo", max_size=None) as ws:
            await ws.send("x" * (1024 * 1024 + 1))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd.code == 1009
    asyncio.run(run())


def test_websockets_with_compression(hub):
    """Python websockets offers permessage-deflate by default: the hub accepts, inflates
    what the client compressed, and compresses what it sends back."""
    async def run():
        async with websockets.connect(hub["ws"] + "/ws/echo") as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            assert extensions.startswith("permessage-deflate") and "server_no_context_takeover" in extensions
            text = "live metrics " * 500
            for _ in range(3):  # the client keeps its context between messages
                await ws.send(text)
                assert await ws.recv() == text
            await ws.send(bytes(range(256)) * 100)
            assert await ws.recv() == bytes(range(256)) * 100
    asyncio.run(run())


def test_compression_can_be_refused(tmp_path):
    import subprocess, time
    from conftest import free_port
    port = free_port()
    proc = subprocess.Popen([os.environ["LIVEHUB_BIN"], "serve", "--port", str(port), "--test-endpoints", "--no-compression",
                             "--data-dir", str(tmp_path), "--secret", "x"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)

        async def run():
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/echo") as ws:
                assert "Sec-WebSocket-Extensions" not in ws.response.headers
                await ws.send("hi")
                assert await ws.recv() == "hi"
        asyncio.run(run())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sigterm_sends_1001_and_exits_0(hub):
    """Last in this file: it stops the session's hub."""
    async def run():
        async with websockets.connect(hub["ws"] + "/ws/echo") as ws:
            hub["proc"].send_signal(signal.SIGTERM)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 1001
    asyncio.run(run())
    assert hub["proc"].wait(timeout=10) == 0
