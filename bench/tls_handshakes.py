"""New connections per second with and without TLS: each one connects, sends
GET /healthz, reads the answer and closes; 4 client threads. One hub with --tls-cert on
PORT_TLS and one without on PORT_PLAIN, both started by the caller.

usage: tls_handshakes.py PORT_PLAIN PORT_TLS CERT [SECONDS]"""
import socket
import ssl
import sys
import threading
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"


def one(port, context):
    s = socket.create_connection(("127.0.0.1", port))
    if context:
        s = context.wrap_socket(s, server_hostname="localhost")
    s.sendall(REQUEST)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:40]


def rate(port, context, seconds, threads=4):
    count = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(i):
        while time.perf_counter() < deadline:
            one(port, context)
            count[i] += 1

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(count) / (time.perf_counter() - start)


if __name__ == "__main__":
    plain, tls, cert = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10
    context = ssl.create_default_context(cafile=cert)
    for version, name in ((ssl.TLSVersion.TLSv1_3, "tls1.3"), (ssl.TLSVersion.TLSv1_2, "tls1.2")):
        context.minimum_version = context.maximum_version = version
        print(f"connections server=livehub transport={name} per_s={rate(tls, context, seconds):.0f}")
    print(f"connections server=livehub transport=plain per_s={rate(plain, None, seconds):.0f}")
