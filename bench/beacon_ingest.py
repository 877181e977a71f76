"""Beacon ingest: page-visit beacons into a running hub, over HTTP keep-alive (pipelined
requests) and over /ws/track (frames), from raw sockets so the client costs little.

usage: beacon_ingest.py PORT [--connections 8] [--beacons 200000]
Prints one line per transport: events/s, measured until the hub has answered (HTTP) or
counted (WebSocket, via /metrics) every beacon."""
import argparse
import json
import socket
import threading
import time
import urllib.request

PAGES = ["homepage", "category", "offer", "product", "checkout"]
# The shop's day (issue 32): a shop's own events, each with a name and 2 props.
EVENTS = ["add_to_cart", "view_item", "search", "add_to_wishlist", "share"]


def beacon_body(i, kind="page-visit"):
    if kind == "event":
        return json.dumps({"session_id": f"b{i % 5000}", "name": EVENTS[i % len(EVENTS)],
                           "props": {"variant": f"v{i % 3}", "list": "home"}}).encode()
    page = PAGES[i % len(PAGES)]
    return json.dumps({"session_id": f"b{i % 5000}", "page_type": page, "page_identifier": f"x{i % 7}"}).encode()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def http_batches(start, count, batch=200, kind="page-visit", user_agent=None):
    """Requests prepared before the clock starts: the run measures the hub, not Python.
    `kind`: page-visit or event (`POST /api/metrics/track/<kind>`); `user_agent`: a
    User-Agent header (without one a hub that counts the shop's day takes the session for a
    bot, and counts it as one only)."""
    agent = b"User-Agent: %s\r\n" % user_agent.encode() if user_agent else b""
    batches = []
    for i in range(start, start + count, batch):
        out = bytearray()
        for k in range(i, min(i + batch, start + count)):
            body = beacon_body(k, kind)
            out += b"POST /api/metrics/track/%s HTTP/1.1\r\nHost: b\r\n%sContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % (kind.encode(), agent, len(body)) + body
        batches.append((min(batch, start + count - i), bytes(out)))
    return batches


def http_worker(port, batches, done):
    s = connect(port)
    for n, out in batches:
        s.sendall(out)
        seen = 0
        buf = b""
        while seen < n:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("closed")
            buf += chunk
            seen = buf.count(b"HTTP/1.1 200")
    s.close()
    done.append(len(batches))


def ws_frame(payload):
    # Masked with the all-zero key: valid (RFC 6455 §5.3), and the payload stays as is.
    n = len(payload)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126, n >> 8, n & 0xFF])
    return head + b"\0\0\0\0" + payload


def ws_frames(start, count, kind="page-visit"):
    out = bytearray()
    for k in range(start, start + count):
        body = json.loads(beacon_body(k, kind))
        body["type"] = kind
        body["session_id"] = f"w{start}"  # one session per socket: a tab
        out += ws_frame(json.dumps(body).encode())
    return bytes(out)


def ws_worker(port, out, done):
    s = connect(port)
    s.sendall(b"GET /ws/track HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += s.recv(4096)
    assert resp.startswith(b"HTTP/1.1 101"), resp
    s.sendall(out)
    done.append(s)  # kept open: closing would end the tab's presence mid-run


def messages_in(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith("livehub_messages_in_total "):
            return int(line.split()[1])
    return 0


def run(port, kind, connections, beacons):
    per = beacons // connections
    done = []
    base = messages_in(port) if kind == "ws" else 0
    if kind == "http":
        work = [(http_worker, http_batches(c * per, per)) for c in range(connections)]
    else:
        work = [(ws_worker, ws_frames(c * per, per)) for c in range(connections)]
    threads = [threading.Thread(target=worker, args=(port, payload, done)) for worker, payload in work]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if kind == "ws":
        while messages_in(port) - base < per * connections:
            time.sleep(0.005)
    elapsed = time.perf_counter() - t0
    if kind == "ws":
        for s in done:
            s.close()
    print(f"ingest transport={kind} connections={connections} beacons={per * connections} seconds={elapsed:.3f} events_per_s={per * connections / elapsed:.0f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--beacons", type=int, default=200000)
    a = ap.parse_args()
    run(a.port, "http", a.connections, a.beacons)
    run(a.port, "ws", a.connections, a.beacons)
