import os
import shutil
import tempfile
import socket
import subprocess
import time
import urllib.request

import pytest


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Selenium, one per test module (skipped where
    chromium or chromium-driver is missing)."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def hub():
    """A hub built by scripts/test (LIVEHUB_BIN), with the test endpoints on."""
    binary = os.environ["LIVEHUB_BIN"]
    port = free_port()
    data = tempfile.mkdtemp(prefix="livehub-e2e-")
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--test-endpoints", "--max-body-size", "64KiB",
                             "--data-dir", data, "--secret", "e2e-secret"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("hub did not start: " + proc.stdout.read().decode())
    yield {"port": port, "http": base, "ws": f"ws://127.0.0.1:{port}", "proc": proc}
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def postgres_backend():
    """LIVEHUB_E2E_BACKEND=postgres: the same tests with every hub's records in a throwaway
    PostgreSQL cluster (scripts/test runs the money suite so)."""
    if os.environ.get("LIVEHUB_E2E_BACKEND") != "postgres":
        yield None
        return
    from pgcluster import Cluster
    cluster = Cluster()
    os.environ["LIVEHUB_E2E_POSTGRES"] = cluster.url("{db}")
    try:
        yield cluster
        # The hubs did keep their records there (a database per data dir, with rows).
        databases = cluster.psql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'd%'").split()
        assert databases and any(cluster.psql(d, "SELECT count(*) FROM transactions") != "0" for d in databases)
    finally:
        del os.environ["LIVEHUB_E2E_POSTGRES"]
        cluster.destroy()
