"""The OpenAPI description (issue 31): served at /openapi.json and /docs/api, valid OpenAPI
3.1 (openapi-spec-validator), and true of a live hub: schemathesis sends every operation
generated requests, valid and invalid, with the API key, and checks each answer: no 5xx,
a status the description lists, its content type and body as described.

Runs on SQLite, and on PostgreSQL with LIVEHUB_E2E_BACKEND=postgres (conftest's cluster;
`hubproc.Hub` gives the hub its database)."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SPEC = os.path.join(ROOT, "web", "openapi.json")
ST = os.path.join(os.path.dirname(sys.executable), "st")

# Examples per operation for the fuzzing phase (the coverage phase adds its own boundary
# cases), and the whole run's budget: fuzzing and the stateful phase repeat until it is
# spent, so a run takes about this long (two minutes per backend on two cores).
MAX_EXAMPLES = int(os.environ.get("LIVEHUB_SCHEMATHESIS_EXAMPLES", "25"))
MAX_SECONDS = int(os.environ.get("LIVEHUB_SCHEMATHESIS_SECONDS", "120"))
# A fixed seed: CI fails on a finding, not on the luck of a draw (change it to explore).
SEED = os.environ.get("LIVEHUB_SCHEMATHESIS_SEED", "31")
# What the issue asks for: no 5xx, the status codes, content types, headers and bodies
# the description lists. Not run: positive_data_acceptance and negative_data_rejection
# (JSON Schema counts characters where the hub counts bytes, and the hub takes a number
# where a text is described), and the auth checks (ignored_auth would send requests with
# no credential, which the description already says are 401).
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"
# Operations left out of the run, with why (none: the one schemathesis found hanging, POST
# /api/payments/check on a hub without a provider key, is fixed and tested below).
EXCLUDED: dict = {}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    # --test-endpoints: /ws/echo and /ws/broadcast exist, as the description says they may.
    # The rate limits are raised so that operations are exercised rather than answered 429
    # (the 429s themselves are described, and tests/e2e/test_limits.py checks them).
    hub = Hub(str(tmp_path_factory.mktemp("openapi")), "--test-endpoints",
              "--read-rate", "100000/s", "--read-burst", "100000", "--beacon-rate", "100000/s", "--beacon-burst", "100000",
              "--webhook-rate", "100000/s", "--webhook-burst", "100000")
    yield hub
    hub.stop()


def test_the_description_is_valid_openapi_3_1():
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename
    spec, _ = read_from_filename(SPEC)
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_the_hub_serves_the_description_and_its_reference_page(hub):
    with open(SPEC, "rb") as f:
        on_disk = json.load(f)
    with urllib.request.urlopen(hub.base + "/openapi.json", timeout=10) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "application/json"
        assert json.load(r) == on_disk
    with urllib.request.urlopen(hub.base + "/docs/api", timeout=10) as r:
        page = r.read().decode()
        assert r.headers["Content-Type"].startswith("text/html")
        # The page policy holds: its script is a file of the hub, nothing inline.
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert '<script src="/docs/api.js"></script>' in page and "style=" not in page
    for path in ("/docs/api.js", "/docs/api.css"):
        with urllib.request.urlopen(hub.base + path, timeout=10) as r:
            assert r.status == 200


def test_the_reference_page_renders_every_operation_under_the_page_policy(hub, browser):
    # Headless Chromium (conftest's `browser`; skipped without it): the page reads the
    # description and shows each operation, with nothing the Content-Security-Policy refuses.
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    with open(SPEC) as f:
        spec = json.load(f)
    described = sum(1 for item in spec["paths"].values() for m in item if m in ("get", "put", "post", "delete", "options"))
    browser.get_log("browser")  # the log from here on
    browser.get(hub.base + "/docs/api#op-write-ledger")
    WebDriverWait(browser, 10, poll_frequency=0.1).until(lambda d: d.find_elements(By.ID, "api-count"))
    assert browser.find_element(By.ID, "api-count").text == f"{described} operations"
    assert len(browser.find_elements(By.CSS_SELECTOR, "details.op")) == described
    # A link to an operation opens it; its schema links lead to the schemas.
    opened = browser.find_element(By.ID, "op-write-ledger")
    assert opened.get_attribute("open") is not None and "/api/wallet/transactions" in opened.text
    assert browser.find_elements(By.ID, "schema-LedgerWrite")
    log = browser.get_log("browser")
    assert not [e for e in log if "content security policy" in e["message"].lower() or e.get("source") == "javascript"], log


def test_check_with_provider_answers_without_provider_keys(hub):
    # README "Reconciliation": a hub with no key for the provider says so (409). It was
    # never answered (found by schemathesis): the refusal went out before the connection
    # waited for it.
    status, answer, _ = hub.request("POST", "/api/payments/check", {"reference": "pay-openapi"}, headers=KEY)
    assert status == 409 and answer["error"]["code"] == "provider_not_configured"


def test_schemathesis_finds_every_operation_true_to_its_description(hub, tmp_path):
    # Money in the books first, so that reads answer rows and not only empty lists (and the
    # PostgreSQL run's conftest finds the transactions it checks for).
    status, answer, _ = hub.request("POST", "/api/wallet/transactions",
                                    {"user_id": "u-openapi", "amount": "12.50", "type": "credit", "reference": "openapi-1"}, headers=KEY)
    assert status == 201, answer
    for stage in ("initialized", "completed"):
        status, answer, _ = hub.request("POST", "/api/payments/events",
                                        {"reference": "pay-openapi", "provider": "paystack", "stage": stage, "amount": "5.00",
                                         "user_id": "u-openapi", "email": "ann@shop.test"}, headers=KEY)
        assert status == 200, answer
    hub.beacon("session/start", {"session_id": "s-openapi", "email": "ann@shop.test"})
    hub.beacon("track/payment-error", {"session_id": "s-openapi", "error_code": "card_declined", "error_message": "declined"})

    # Every operation of the description (but any EXCLUDED), including these: POST /api/privacy/erase only
    # previews without a confirmation the hub signed (which a generator cannot forge),
    # /api/tokens/revoke revokes tokens nobody here holds, and the WebSocket handshakes
    # are answered as the HTTP they are (426/400: schemathesis sends no Upgrade).
    backend = os.environ.get("LIVEHUB_E2E_BACKEND", "sqlite")
    reports = os.path.join(ROOT, "test-artifacts")
    os.makedirs(reports, exist_ok=True)
    # `--include-path-regex .`: with only an exclusion, schemathesis also drops the
    # description's own path (GET /openapi.json) from the run.
    excluded = ["--include-path-regex", "."] + [arg for operation_id in EXCLUDED for arg in ("--exclude-operation-id", operation_id)]
    started = time.monotonic()
    # One worker: Python 3.11's ast module keeps one recursion count for every thread
    # (CPython gh-106905), and hypothesis parses lambdas' sources as it describes them; two
    # workers parsing at once made a spurious "AST constructor recursion depth mismatch"
    # (seen once in CI, a run error of the tool with every test case passed).
    run = subprocess.run([ST, "run", hub.base + "/openapi.json", "--url", hub.base, *excluded,
                          "--header", "Authorization: Bearer e2e-key",
                          "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_SECONDS),
                          "--seed", SEED, "--workers", "1", "--request-timeout", "15",
                          "--generation-database", "none", "--no-color",
                          "--report", "junit", "--report-junit-path", os.path.join(reports, f"schemathesis-{backend}.xml")],
                         capture_output=True, text=True, timeout=MAX_SECONDS + 120,
                         cwd=tmp_path)  # its crash cache (.schemathesis/) stays out of the work tree
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    print(output[-6000:])
    cases = re.search(r"(\d+) generated", output)
    print(f"schemathesis on {backend}: {elapsed:.0f} s, {cases.group(1) if cases else '?'} test cases")
    assert run.returncode == 0, output[-20000:]
    # Every operation but the excluded was tested (none skipped for a schema it could not read).
    with open(SPEC) as f:
        described = sum(1 for item in json.load(f)["paths"].values() for m in item if m in ("get", "put", "post", "delete", "options"))
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) == described - len(EXCLUDED), output[-3000:]
