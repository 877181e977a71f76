"""TLS on the hub's port, judged by clients that are not ours: curl, openssl s_client,
Python's ssl + websockets."""
import asyncio
import os
import signal
import ssl
import subprocess
import time

import pytest
import websockets

from hubproc import Hub


def make_cert(directory, name):
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", f"/CN={name}", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_hub(tmp_path):
    cert, key = make_cert(tmp_path, "first")
    live_cert, live_key = tmp_path / "live.pem", tmp_path / "live.key"
    live_cert.write_bytes(cert.read_bytes())
    live_key.write_bytes(key.read_bytes())
    hub = Hub(str(tmp_path / "data"), "--test-endpoints", "--tls-cert", str(live_cert), "--tls-key", str(live_key))
    hub.https = f"https://127.0.0.1:{hub.port}"
    hub.cert = cert
    yield hub
    hub.stop()


def s_client(port, *args):
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args], input="", capture_output=True,
                          text=True, timeout=20)


def test_curl_over_https(tls_hub):
    out = subprocess.run(["curl", "-s", "--cacert", str(tls_hub.cert), tls_hub.https + "/healthz"], capture_output=True, text=True)
    assert out.stdout == '{"status":"ok"}'


def test_plain_http_to_the_tls_port_gets_a_clear_error(tls_hub):
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", f"http://127.0.0.1:{tls_hub.port}/healthz"],
                         capture_output=True, text=True, timeout=10)
    body, _, status = out.stdout.rpartition("\n")
    assert status == "400" and "tls_required" in body


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_tls_versions_and_alpn(tls_hub, version):
    out = s_client(tls_hub.port, version, "-alpn", "http/1.1")
    assert "ALPN protocol: http/1.1" in out.stdout
    assert ("TLSv1.2" if version == "-tls1_2" else "TLSv1.3") in out.stdout


def test_old_tls_is_refused(tls_hub):
    out = s_client(tls_hub.port, "-tls1_1")
    assert out.returncode != 0
    assert "Cipher is (NONE)" in out.stdout  # no session was set up
    assert "alert protocol version" in out.stderr


def test_websockets_over_wss_with_compression(tls_hub):
    context = ssl.create_default_context(cafile=str(tls_hub.cert))

    async def run():
        async with websockets.connect(f"wss://127.0.0.1:{tls_hub.port}/ws/echo", ssl=context) as ws:
            assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
            text = "über TLS " * 1000
            await ws.send(text)
            assert await ws.recv() == text
    asyncio.run(run())


def test_beacons_over_https(tls_hub):
    out = subprocess.run(["curl", "-s", "--cacert", str(tls_hub.cert), "-H", "Content-Type: application/json", "-d",
                          '{"session_id":"t","page_type":"homepage"}', tls_hub.https + "/api/metrics/track/page-visit"],
                         capture_output=True, text=True)
    assert '"session_id":"t"' in out.stdout


def test_sighup_reloads_the_certificate(tls_hub, tmp_path):
    def subject():
        return s_client(tls_hub.port, "-tls1_3").stdout

    assert "CN = first" in subject()
    cert, key = make_cert(tmp_path, "second")
    (tmp_path / "live.pem").write_bytes(cert.read_bytes())
    (tmp_path / "live.key").write_bytes(key.read_bytes())
    tls_hub.proc.send_signal(signal.SIGHUP)
    for _ in range(50):
        if "CN = second" in subject():
            break
        time.sleep(0.1)
    assert "CN = second" in subject()
