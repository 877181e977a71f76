"""Start and stop a hub process for a test, with its own data directory."""
import errno
import hashlib
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request

from conftest import free_port


def shared_database(data_dir):
    """With LIVEHUB_E2E_POSTGRES (a cluster's URL template, set by conftest for the
    PostgreSQL run of the money suite), each data dir gets its own database there, the
    same one every time the test restarts its hub."""
    template = os.environ.get("LIVEHUB_E2E_POSTGRES")
    if not template:
        return []
    name = "d" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:16]
    admin = template.replace("{db}", "postgres")
    exists = subprocess.run(["psql", "-X", "-A", "-t", "-q", admin, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            check=True, capture_output=True, text=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", "-X", "-q", admin, "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True, text=True)
    # One node per data dir, whatever port it gets: a restart is the same node (it takes
    # back the alert deliveries it held).
    return ["--database", template.replace("{db}", name), "--node-id", name]


class Hub:
    def __init__(self, data_dir, *args, port=None, env=None):
        if "--database" not in args:
            args = (*args, *shared_database(data_dir))
        self.port = port or free_port()
        self.data_dir = data_dir
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([os.environ["LIVEHUB_BIN"], "serve", "--port", str(self.port), "--data-dir", data_dir,
                                      "--secret", "e2e-secret", "--api-key", "e2e-key", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **(env or {})})
        self.output = []
        for line in self.proc.stdout:
            self.output.append(line)
            if line.startswith("demo store:"):
                break
        else:
            self.proc.wait(timeout=10)
            raise RuntimeError("hub exited: " + "".join(self.output))
        # Keep reading what it logs: a pipe nobody reads fills at 64 KiB, and then the hub's
        # threads wait on their next log line.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def token(self, scope, sub="t"):
        return subprocess.run([os.environ["LIVEHUB_BIN"], "token", "--scope", scope, "--sub", sub, "--secret", "e2e-secret"],
                              capture_output=True, text=True, check=True).stdout.strip()

    def request(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None and "Content-Type" not in (headers or {}):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                text = resp.read().decode()
                return resp.status, (json.loads(text) if text else None), dict(resp.headers)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, (json.loads(text) if text else None), dict(e.headers)

    def beacon(self, path, body):
        status, answer, _ = self.request("POST", "/api/metrics/" + path, body)
        assert status == 200, answer
        return answer

    def metrics(self):
        status, answer, _ = self.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer e2e-key"})
        assert status == 200, answer
        return answer

    def stop(self, sig=None):
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        self._drainer.join(timeout=5)  # everything it said is in self.output
        return self.proc.returncode


def wait_for(what, seconds=15):
    """`what()` once it is truthy (polled every 0.2 s), or an AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not within %s s" % seconds)


def fill_disk(directory):
    """Writes a file in `directory` until its disk refuses (ENOSPC); returns the file's path."""
    path = directory / "filler"
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError as e:
            assert e.errno == errno.ENOSPC
    return path
