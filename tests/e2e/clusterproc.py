"""A three-node LiveHub cluster for the e2e tests (scripts/cluster: Debian's PostgreSQL, three
hubs on one database, nginx in front), started once per test module, and the helpers the
cluster modules share."""
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from test_alerts import Receiver

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
NODES = 3


def free_block(size):
    """A port with the `size` ports after it free too (nginx, then the nodes)."""
    for _ in range(200):
        base = random.randint(20000, 60000)
        try:
            for port in range(base, base + size):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free block of ports")


class Cluster:
    def __init__(self, *hub_args):
        self.dir = tempfile.mkdtemp(prefix="livehub-cluster-")
        self.port = free_block(NODES + 1)
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.node_ports = [self.port + k for k in range(1, NODES + 1)]
        self.restarted = []
        self.current = {}  # node → pid, for nodes restarted by the tests
        out = self.cluster("up", "--", "--api-key", "e2e-key", "--broadcast-interval", "100ms", *hub_args)
        assert "cluster up" in out, out
        with open(os.path.join(self.dir, "secret")) as f:
            self.secret = f.read().strip()

    def cluster(self, *args):
        done = subprocess.run([os.path.join(ROOT, "scripts", "cluster"), args[0], "--dir", self.dir, "--port", str(self.port), *args[1:]],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def token(self, scope):
        return self.token_for(scope, "t")

    def token_for(self, scope, sub):
        return subprocess.run([os.environ["LIVEHUB_BIN"], "token", "--scope", scope, "--sub", sub, "--secret", self.secret],
                              capture_output=True, text=True, check=True).stdout.strip()

    def post(self, path, body, base=None):
        req = urllib.request.Request((base or self.base) + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")

    def node_sessions(self, port):
        """Sessions live on one node alone (its Prometheus gauge)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            for line in resp.read().decode().splitlines():
                if line.startswith("livehub_sessions_live "):
                    return int(float(line.split()[1]))
        raise AssertionError("no livehub_sessions_live")

    def psql(self, sql):
        url = f"postgresql://postgres@/livehub?host={self.dir}/pg&port=5432"
        return subprocess.run(["psql", "-X", "-A", "-t", "-q", url, "-c", sql], check=True, capture_output=True, text=True).stdout

    def pid(self, node):
        """The running process of node `node` (0-based)."""
        if node in self.current:
            return self.current[node]
        with open(os.path.join(self.dir, "pids")) as f:
            return [int(line) for line in f if line.strip()][node]

    def command(self, node):
        with open(f"/proc/{self.pid(node)}/cmdline", "rb") as f:
            return [part.decode() for part in f.read().split(b"\0") if part]

    def restart(self, node, command):
        """Starts node `node` (0-based) again as it was started, on its data dir."""
        log = open(os.path.join(self.dir, f"node-{node + 1}", "log"), "a")
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.restarted.append(proc)
        self.current[node] = proc.pid
        with open(os.path.join(self.dir, "pids"), "a") as f:
            f.write(f"{proc.pid}\n")
        port = self.node_ports[node]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                return proc
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"node {node + 1} did not come back")

    def destroy(self):
        for proc in self.restarted:
            proc.terminate()
            proc.wait(timeout=20)
        try:
            self.cluster("down")
        finally:

            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def receiver():
    """Where every node sends its alerts (--alert-webhook)."""
    made = Receiver()
    yield made
    made.close()


@pytest.fixture(scope="module")
def cluster(receiver):
    made = Cluster("--alert-webhook", f"http://127.0.0.1:{receiver.port}/hook", "--gap-grace", "1s", "--notify", "none",
                   "--snapshot-interval", "1s")
    try:
        yield made
    finally:
        made.destroy()


KEY = {"Authorization": "Bearer e2e-key"}


def ledger_write(port, user, reference):
    return post_json(port, "/api/wallet/transactions",
                     {"user_id": user, "amount": "1.00", "type": "credit", "description": "top-up", "reference": reference})


async def recv_json(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def post_json(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **KEY})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())
