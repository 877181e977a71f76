"""What a newcomer trips on: the command line, one hub per port and data dir, the web
files wherever the hub starts, tokens, the loop count."""
import os
import socket
import subprocess
import urllib.request

import pytest

from conftest import free_port
from hubproc import Hub

BIN = os.environ["LIVEHUB_BIN"]


def run(*args, cwd=None, env=None, prefix=()):
    return subprocess.run([*prefix, BIN, *args], capture_output=True, text=True, timeout=30, cwd=cwd,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args,flag", [
    (["--port", "99999"], "--port"), (["--port", "-1"], "--port"), (["--port", "http"], "--port"),
    (["--loops", "0"], "--loops"), (["--loops", "-2"], "--loops"), (["--max-sessions", "-1"], "--max-sessions"),
    (["--idle-timeout", "soon"], "--idle-timeout"), (["--max-body-size", "big"], "--max-body-size"),
    (["--fsync", "sometimes"], "--fsync"), (["--beacon-rate", "fast"], "--beacon-rate"),
    (["--trusted-proxy", "10.0.0.0/99"], "--trusted-proxy"), (["--no-such-flag"], "--no-such-flag"),
])
def test_a_bad_value_is_one_line_naming_the_flag_exit_64(tmp_path, args, flag):
    result = run("serve", "--data-dir", str(tmp_path), "--secret", "s", *args)
    assert result.returncode == 64, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], result.stderr
    assert "USAGE" not in result.stderr.upper() and result.stdout == ""


@pytest.mark.parametrize("variable,value,flag", [
    ("LIVEHUB_MAX_SESSIONS", "-1", "--max-sessions"), ("LIVEHUB_LOG_LEVEL", "loud", "--log-level"),
    ("LIVEHUB_FSYNC", "sometimes", "--fsync"), ("LIVEHUB_WEBHOOK_BURST", "lots", "--webhook-burst"),
])
def test_every_option_can_come_from_the_environment(tmp_path, variable, value, flag):
    """LIVEHUB_ + the option's name: a bad value there is refused as if it were given."""
    result = run("serve", "--data-dir", str(tmp_path), "--secret", "s", env={variable: value})
    assert result.returncode == 64 and flag in result.stderr, result


def test_runtime_failures_say_what_without_the_usage_text(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    result = run("serve", "--data-dir", str(a_file), "--port", "0")
    assert result.returncode == 1 and "not a directory" in result.stderr and "USAGE" not in result.stderr.upper()
    assert run("--version").returncode == 0 and run("--version").stdout.strip()


def test_a_second_hub_on_the_same_port_or_data_dir_refuses(tmp_path):
    first = Hub(str(tmp_path / "a"))
    try:
        same_port = run("serve", "--port", str(first.port), "--data-dir", str(tmp_path / "b"), "--secret", "e2e-secret")
        assert same_port.returncode == 1 and "in use" in same_port.stderr, same_port
        same_dir = run("serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "a"), "--secret", "e2e-secret")
        assert same_dir.returncode == 1 and f"pid {first.proc.pid}" in same_dir.stderr, same_dir
        # The first hub is alone on its port: every answer is its own.
        token = first.token("balance", "u1")
        codes = {first.request("GET", "/api/wallet/balance", headers={"Authorization": "Bearer " + token})[0] for _ in range(20)}
        assert codes == {200}
    finally:
        first.stop()
    # Once it is gone, the data dir is free again (the lock goes with the process).
    again = Hub(str(tmp_path / "a"))
    again.stop()


def test_the_dashboard_is_served_wherever_the_hub_starts(tmp_path):
    port = free_port()
    proc = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", str(tmp_path / "d"), "--secret", "s"],
                            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("demo store:"):
                break
        assert any(l.startswith("web: serving") for l in lines), lines
        for path in ["/", "/tracker.js", "/demo/"]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
                assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    # An explicit web root without the files: a warning, not silence.
    empty = tmp_path / "empty"
    empty.mkdir()
    hub = Hub(str(tmp_path / "e"), "--web-root", str(empty))
    try:
        assert any("WARNING: no dashboard files" in l for l in hub.output), hub.output
    finally:
        hub.stop()


def test_token_refuses_without_a_secret_or_a_balance_user(tmp_path):
    result = run("token", "--scope", "seller", "--data-dir", str(tmp_path))
    assert result.returncode == 1 and str(tmp_path / "secret") in result.stderr and result.stdout == ""
    assert not (tmp_path / "secret").exists()
    result = run("token", "--scope", "balance", "--secret", "s")
    assert result.returncode == 64 and "--sub" in result.stderr and result.stdout == ""
    assert run("token", "--scope", "balance", "--sub", "u1", "--secret", "s").stdout.count(".") == 2


def test_loops_follow_the_cpus_the_process_may_use(tmp_path):
    port = free_port()
    proc = subprocess.Popen(["taskset", "-c", "0", BIN, "serve", "--port", str(port), "--data-dir", str(tmp_path), "--secret", "s"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        listening = next(line for line in proc.stdout if line.startswith("livehub listening"))
        assert "(1 event loops)" in listening, listening
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_a_negative_duration_is_named_and_a_start_that_fails_leaves_no_data_dir(tmp_path):
    result = run("serve", "--idle-timeout", "-5s", "--data-dir", str(tmp_path / "neg"))
    assert result.returncode == 64 and "--idle-timeout: a duration cannot be negative" in result.stderr, result.stderr
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        result = run("serve", "--port", str(taken.getsockname()[1]), "--data-dir", str(tmp_path / "busy"))
        assert result.returncode == 1 and "in use" in result.stderr, result.stderr
    finally:
        taken.close()
    assert not (tmp_path / "neg").exists() and not (tmp_path / "busy").exists()
    # A data dir that was there keeps what it had, and gets nothing new.
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "notes").write_text("mine")
    result = run("serve", "--port", "1", "--host", "203.0.113.1", "--data-dir", str(tmp_path / "kept"))
    assert result.returncode == 1
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["notes"]
