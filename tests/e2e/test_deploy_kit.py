"""The operator's kit in deploy/ against the real things: promtool checks and unit-tests the
alerting rules, Debian's Prometheus scrapes a running hub with those rules loaded and shows
alerts firing when their conditions are made true, every metric the dashboard and the rules
name is in the hub's /metrics, and systemd-analyze verifies the unit."""
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port
from hubproc import Hub, wait_for

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "livehub-rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "livehub-rules.test.yml"
DASHBOARD = DEPLOY / "grafana" / "livehub-dashboard.json"
UNIT = DEPLOY / "systemd" / "livehub.service"
KEY = {"Authorization": "Bearer e2e-key"}
PAYSTACK_SECRET = "ps"

# Names the kit uses that are not the hub's, on purpose (the rules file says why).
NOT_THE_HUBS = {
    "up": "Prometheus's own scrape result (a node missing)",
    "node_filesystem_avail_bytes": "node_exporter (the hub has no disk metric)",
    "node_filesystem_size_bytes": "node_exporter (the hub has no disk metric)",
}
# The hub's families that /metrics declares (# HELP/# TYPE) from the start but that have no
# sample until reconciliation asks a provider's API, which needs a provider (or its fake)
# and is not done here: the name is checked against the declaration instead.
DECLARED_ONLY = {
    "livehub_provider_calls_total": "counter",
    "livehub_provider_call_seconds_sum": "summary",
    "livehub_provider_call_seconds_count": "summary",
}


def tool(name):
    path = shutil.which(name)
    assert path, f"{name} is missing: Debian's prometheus package has it (scripts/setup-test-env installs it)"
    return path


def http_json(url, data=None):
    with urllib.request.urlopen(url, data=data, timeout=5) as resp:
        return json.loads(resp.read())


def query(stack, promql):
    """Prometheus's answer to an instant query (status, data.result)."""
    return http_json(stack["prometheus"] + "/api/v1/query?" + urllib.parse.urlencode({"query": promql}))


def paystack(hub, reference, signature=None):
    """A charge.success delivery, signed with the hub's Paystack secret unless `signature` is given."""
    body = json.dumps({"event": "charge.success", "data": {"reference": reference, "amount": 500, "currency": "USD",
                                                           "status": "success", "customer": {"email": "a@shop.test"}}}).encode()
    good = hmac.new(PAYSTACK_SECRET.encode(), body, hashlib.sha512).hexdigest()
    return hub.request("POST", "/api/webhooks/paystack", None, {"x-paystack-signature": signature or good}, body)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A hub with traffic of every kind the kit watches, and Debian's Prometheus scraping it
    every second with the rules loaded, plus a second target nobody listens on (a node down)."""
    tmp = tmp_path_factory.mktemp("deploy-kit")
    hub = Hub(str(tmp / "hub"), "--gap-grace", "1s", "--paystack-secret", PAYSTACK_SECRET, "--stripe-secret", "sk",
              "--broadcast-interval", "50ms")
    # The rules as they are, but every `for:` at 0s, so a test sees a rule fire within
    # seconds instead of minutes; the expressions are the file's own, unchanged. (The real
    # `for:` durations are what promtool's unit tests check.)
    fast = re.sub(r"(?m)^(\s+for:) \S+$", r"\1 0s", RULES.read_text())
    assert fast.count("for: 0s") == RULES.read_text().count("for:")
    (tmp / "rules-fast.yml").write_text(fast)
    dead = free_port()
    (tmp / "prometheus.yml").write_text(json.dumps({  # JSON is YAML
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp / "rules-fast.yml")],
        "scrape_configs": [{"job_name": "livehub", "static_configs": [{"targets": [f"127.0.0.1:{hub.port}", f"127.0.0.1:{dead}"]}]}],
    }))
    port = free_port()
    prometheus = subprocess.Popen([tool("prometheus"), f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                                   f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                  stdout=subprocess.DEVNULL, stderr=(log := open(tmp / "prometheus.log", "w")))
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return urllib.request.urlopen(base + "/-/ready", timeout=1).status == 200
        except OSError:
            return prometheus.poll() is not None  # exited: said below
    try:
        wait_for(ready)
        assert prometheus.poll() is None, (tmp / "prometheus.log").read_text()
        # Traffic, so that each family the kit names has samples: a session on a page, a
        # ledger write (commits, balance push), a payment that becomes a gap after the 1 s
        # grace (and its alert, delivered nowhere: not_configured), a verified webhook, and
        # 61 forged Stripe deliveries (past the unverified log's 60 rows an hour: counted,
        # not stored).
        hub.beacon("session/start", {"session_id": "s1", "user_id": "u1"})
        hub.beacon("track/page-visit", {"session_id": "s1", "page_type": "checkout"})
        assert hub.request("POST", "/api/wallet/transactions", {"user_id": "u1", "amount": "1.00", "type": "credit",
                                                                  "description": "d", "reference": "r1"}, KEY)[0] == 201
        for stage in ("initialized", "completed"):
            assert hub.request("POST", "/api/payments/events", {"reference": "gap-1", "provider": "paystack", "stage": stage,
                                                                 "amount": "5.00"}, KEY)[0] == 200
        assert paystack(hub, "seen-1")[0] == 200
        for _ in range(61):
            assert hub.request("POST", "/api/webhooks/stripe", None, {"stripe-signature": "t=1,v1=00"}, b"{}")[0] == 401
        yield {"hub": hub, "prometheus": base, "dead": f"127.0.0.1:{dead}", "tmp": tmp}
    finally:
        if prometheus.poll() is None:
            prometheus.send_signal(signal.SIGTERM)
            prometheus.wait(timeout=15)
        log.close()
        hub.stop()


def alerts(stack, name):
    """The alerts Prometheus holds now under `name`, as {instance-or-provider labels: state}."""
    found = http_json(stack["prometheus"] + "/api/v1/alerts")["data"]["alerts"]
    return [a for a in found if a["labels"]["alertname"] == name]


def firing(stack, name, **labels):
    return [a for a in alerts(stack, name) if a["state"] == "firing" and all(a["labels"].get(k) == v for k, v in labels.items())]


# --- promtool -------------------------------------------------------------------------

def test_promtool_checks_the_rules():
    out = subprocess.run([tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 10 rules found" in out.stdout


def test_promtool_unit_tests_pass_and_bite(tmp_path):
    out = subprocess.run([tool("promtool"), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    # The same tests on rules whose `for:` is gone must fail: the "not firing yet" checks
    # really look at the moment before each `for` runs out.
    (tmp_path / "livehub-rules.yml").write_text(re.sub(r"(?m)^(\s+for:) \S+$", r"\1 0s", RULES.read_text()))
    shutil.copy(RULE_TESTS, tmp_path / "livehub-rules.test.yml")
    out = subprocess.run([tool("promtool"), "test", "rules", str(tmp_path / "livehub-rules.test.yml")], capture_output=True, text=True)
    assert out.returncode != 0
    for name in ("LiveHubPaymentGapOpen", "LiveHubUnmatchedPaymentOpen", "LiveHubWebhookVerificationFailures", "LiveHubLoopLag",
                 "LiveHubRecordsRefusingWrites", "LiveHubNodeMissing", "LiveHubDiskNearlyFull", "LiveHubRollupsNotWritten"):
        assert f"alertname: {name}" in out.stdout + out.stderr, name


# --- metric names ---------------------------------------------------------------------

def metric_names(expr):
    """The metric names a PromQL expression selects: what is left once strings, label
    matchers, ranges, grouping clauses, function calls, keywords and numbers are taken out."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word, rest = match.group(), expr[match.end():].lstrip()
        if rest.startswith("(") or word in {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
                                            "group_left", "group_right", "inf", "nan", "e"}:
            continue
        if re.fullmatch(r"[0-9.e+-]+", word):
            continue
        names.add(word)
    return names


def dashboard_queries():
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    variables = [v["query"]["query"] for v in board["templating"]["list"] if v["type"] == "query"]
    return exprs, variables


def dashboard_names():
    exprs, variables = dashboard_queries()
    names = set().union(*map(metric_names, exprs))
    for q in variables:  # Grafana's label_values(METRIC, LABEL)
        names.add(re.fullmatch(r"label_values\((\w+),\s*\w+\)", q).group(1))
    return names


def rule_names(stack):
    """Names in the rules as Prometheus itself loaded and printed them."""
    groups = http_json(stack["prometheus"] + "/api/v1/rules")["data"]["groups"]
    queries = [r["query"] for g in groups for r in g["rules"]]
    assert len(queries) == 10
    return set().union(*map(metric_names, queries))


def test_name_extraction():
    assert metric_names('histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="b c",i=~"$i"}[$__rate_interval])))') == {"a_bucket"}
    assert metric_names('increase(x_total[5m]) > 0 and on (job, instance) increase(y_total[5m]) == 0') == {"x_total", "y_total"}
    assert metric_names('absent(up{job="livehub"})') == {"up"}
    assert metric_names("a / b < 0.10") == {"a", "b"}


def test_every_metric_the_dashboard_and_rules_name_is_exported(stack):
    hub = stack["hub"]
    wait_for(lambda: hub.request("GET", "/api/payments/gaps", headers=KEY)[1])  # the gap after its 1 s grace
    text = urllib.request.urlopen(hub.base + "/metrics", timeout=5).read().decode()
    sampled, declared = set(), {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            sampled.add(sample.name)
    for name, kind in re.findall(r"(?m)^# TYPE (\S+) (\S+)$", text):
        declared[name] = kind
    used = dashboard_names() | rule_names(stack)
    assert {"livehub_open_payment_problems", "livehub_records_commit_seconds_bucket", "up"} <= used
    missing = []
    for name in sorted(used):
        if name in NOT_THE_HUBS or name in sampled:
            continue
        family = re.sub(r"_(sum|count)$", "", name)
        if DECLARED_ONLY.get(name) and declared.get(name if name in declared else family) == DECLARED_ONLY[name]:
            continue
        missing.append(name)
    assert not missing, f"named by the kit, not in the hub's /metrics: {missing}"
    # The exceptions are still needed (else they would hide a mistake later).
    assert set(DECLARED_ONLY) <= used and not set(DECLARED_ONLY) & sampled
    assert set(NOT_THE_HUBS) <= used


def test_every_rule_selector_matches_the_hubs_series(stack):
    """Names are not enough: a label value the hub never prints (kind="mismatch", say)
    would make a rule that can never fire. Each selector in the loaded rules, its label
    matchers included, selects series Prometheus scraped from the hub (node_exporter's
    aside: no node_exporter here)."""
    groups = http_json(stack["prometheus"] + "/api/v1/rules")["data"]["groups"]
    selectors = set()
    for promql in (r["query"] for g in groups for r in g["rules"]):
        for match in re.finditer(r'([A-Za-z_:][A-Za-z0-9_:]*)(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?(?!\s*\()', promql):
            if match.group(1) in metric_names(promql) and not match.group(1).startswith("node_filesystem_"):
                selectors.add(match.group(0))
    assert len(selectors) >= 7, selectors

    def empty():
        return [s for s in sorted(selectors) if not query(stack, s)["data"]["result"]]
    try:
        wait_for(lambda: not empty(), seconds=10)  # a scrape or two after the fixture's traffic
    except AssertionError:
        pytest.fail(f"select nothing the hub exports: {empty()}")


def test_every_dashboard_query_answers_in_prometheus(stack):
    """Each panel's query, with Grafana's variables filled in, parsed and run by the real
    Prometheus over what it scraped: no error, and data (but for the declared-only names)."""
    exprs, variables = dashboard_queries()
    # rate() needs two samples in its window: wait for a few scrapes.
    wait_for(lambda: [r for r in query(stack, "count_over_time(livehub_uptime_seconds[1m])")["data"]["result"]
                      if float(r["value"][1]) >= 3])
    empty = []
    for expr in exprs + ["livehub_uptime_seconds"]:
        answer = query(stack, expr.replace("$__rate_interval", "30s").replace("$instance", ".*"))
        assert answer["status"] == "success", (expr, answer)
        if not answer["data"]["result"] and not metric_names(expr) & set(DECLARED_ONLY):
            empty.append(expr)
    assert not empty, f"no data: {empty}"
    assert variables == ["label_values(livehub_uptime_seconds, instance)"]


# --- alerts in a real Prometheus ----------------------------------------------------------

def test_alerts_fire_when_their_conditions_are_made_true(stack):
    hub = stack["hub"]
    live = f"127.0.0.1:{hub.port}"
    # A node down: the target nobody listens on, and not the live hub.
    wait_for(lambda: firing(stack, "LiveHubNodeMissing", instance=stack["dead"]), seconds=20)
    assert not firing(stack, "LiveHubNodeMissing", instance=live)
    assert not alerts(stack, "LiveHubNoNodeScraped")
    # The gap the fixture's payment became after its 1 s grace.
    wait_for(lambda: firing(stack, "LiveHubPaymentGapOpen", kind="gap"), seconds=20)
    # The verified Paystack delivery for a reference the shop never initialized.
    wait_for(lambda: firing(stack, "LiveHubUnmatchedPaymentOpen", kind="unmatched"), seconds=20)
    # Paystack's verification failures: quiet while only a verified delivery was seen...
    time.sleep(2)  # a few evaluations with the verified delivery's series in place
    assert not [a for a in alerts(stack, "LiveHubWebhookVerificationFailures") if a["labels"].get("provider") == "paystack"]
    # ...then firing once forged deliveries (a wrong signature) keep coming.
    deadline = time.monotonic() + 30
    while not firing(stack, "LiveHubWebhookVerificationFailures", provider="paystack"):
        assert time.monotonic() < deadline, alerts(stack, "LiveHubWebhookVerificationFailures")
        for _ in range(3):
            assert paystack(hub, "forged-1", signature="00" * 64)[0] == 401
        time.sleep(0.3)
    alert = firing(stack, "LiveHubWebhookVerificationFailures", provider="paystack")[0]
    assert alert["labels"]["severity"] == "warning" and float(alert["value"]) > 3
    assert "paystack webhooks failing verification" in alert["annotations"]["summary"]


# --- systemd ------------------------------------------------------------------------------

def analyze():
    path = shutil.which("systemd-analyze")
    if not path:
        pytest.skip("systemd-analyze is missing (Debian's systemd package; scripts/setup-test-env installs it)")
    return path


def verify(path):
    out = subprocess.run([analyze(), "verify", str(path)], capture_output=True, text=True)
    return out.returncode, (out.stdout + out.stderr).strip()


def test_systemd_unit_verifies(tmp_path):
    # verify insists that ExecStart's program exists; /usr/local/bin/livehub is where the
    # unit installs it, not where a test machine has it: the copy names the hub under test.
    # Nothing else in the file is changed.
    text = UNIT.read_text()
    assert text.count("ExecStart=/usr/local/bin/livehub serve ") == 1
    unit = tmp_path / "livehub.service"
    unit.write_text(text.replace("ExecStart=/usr/local/bin/livehub ", "ExecStart=" + os.environ["LIVEHUB_BIN"] + " "))
    assert verify(unit) == (0, "")
    # verify does read the file: a misspelt hardening key is reported.
    bad = tmp_path / "bad" / "livehub.service"
    bad.parent.mkdir()
    bad.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystm=strict"))
    assert "Unknown key 'ProtectSystm'" in verify(bad)[1]
    # The hardening as systemd itself scores it (0 = locked down, 10 = none).
    out = subprocess.run([analyze(), "security", "--offline=yes", str(unit)], capture_output=True, text=True)
    score = re.search(r"Overall exposure level for livehub\.service: ([0-9.]+)", out.stdout)
    assert score and float(score.group(1)) <= 2.0, out.stdout[-2000:]
    for line in ("DynamicUser=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/livehub", "NoNewPrivileges=yes",
                 "PrivateTmp=yes", "ProtectHome=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                 "CapabilityBoundingSet=\n", "LimitNOFILE=", "--data-dir /var/lib/livehub"):
        assert line in text, line
