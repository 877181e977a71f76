"""The shop's day over HTTP (README "The shop's day"): what beacons count, as the records
database has it (`GET /api/analytics/day`), exactly; goals and custom funnels; refusals of
what a browser or a caller must not send; the day surviving a restart, and two nodes on one
PostgreSQL database adding to the same day. The browser's side (the tracker in Chromium) is
test_browser_day.py."""
import os
import shutil
import tempfile
import time
import urllib.parse

import pytest

from hubproc import Hub, wait_for

KEY = {"Authorization": "Bearer e2e-key"}
DESKTOP = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"}
PHONE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"}
BOT = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
FUNNEL = {"name": "Buy", "steps": [{"page_type": "homepage"}, {"page_type": "product", "identifier": "sku-1"},
                                    {"event": "add_to_cart"}, {"page_type": "checkout"}]}


def beacon(hub, path, body, headers=DESKTOP):
    status, answer, _ = hub.request("POST", "/api/metrics/" + path, body, headers=headers)
    assert status == 200, answer
    return answer


def day(hub):
    status, answer, _ = hub.request("GET", "/api/analytics/day", headers=KEY)
    assert status == 200, answer
    return answer


def funnel_numbers(hub, funnel_id="buy"):
    status, answer, _ = hub.request("GET", f"/api/analytics/funnels/{funnel_id}", headers=KEY)
    assert status == 200, answer
    return [step["sessions"] for step in answer["steps"]]


def shop_visits(hub, prefix):
    """Four visitors and a bot: what the test expects of them is written beside each."""
    # a: from a newsletter, through the whole funnel, pays.
    beacon(hub, "session/start", {"session_id": f"{prefix}a", "referrer": "https://www.news.example/today",
                                  "utm_source": "Newsletter", "utm_medium": "email", "utm_campaign": "winter"})
    beacon(hub, "track/page-visit", {"session_id": f"{prefix}a", "page_type": "home", "page_url": "https://shop.example/?ref=1"})
    beacon(hub, "track/page-visit", {"session_id": f"{prefix}a", "page_type": "product", "page_identifier": "sku-1",
                                     "page_url": "https://shop.example/p/sku-1"})
    beacon(hub, "track/event", {"session_id": f"{prefix}a", "name": "add_to_cart", "props": {"sku": "sku-1"}})
    beacon(hub, "track/checkout-start", {"session_id": f"{prefix}a", "checkout_items": [{"sku": "sku-1"}], "total_amount": "12.00"})
    beacon(hub, "track/payment-success", {"session_id": f"{prefix}a", "reference": f"{prefix}pay"})
    beacon(hub, "session/end", {"session_id": f"{prefix}a"})
    # b, c, d: on phones, direct, each adds to cart and abandons at payment.
    for who in "bcd":
        sid = f"{prefix}{who}"
        beacon(hub, "session/start", {"session_id": sid}, PHONE)
        beacon(hub, "track/page-visit", {"session_id": sid, "page_type": "homepage", "page_url": "https://shop.example/"}, PHONE)
        beacon(hub, "track/event", {"session_id": sid, "name": "add_to_cart", "props": {"sku": "sku-2"}}, PHONE)
        beacon(hub, "track/event", {"session_id": sid, "name": "add_to_cart", "props": {"sku": "sku-3"}}, PHONE)
        beacon(hub, "track/checkout-start", {"session_id": sid, "checkout_items": [], "total_amount": "3"}, PHONE)
        beacon(hub, "track/payment-start", {"session_id": sid, "payment_method": "card"}, PHONE)
        beacon(hub, "session/end", {"session_id": sid}, PHONE)
    # A crawler: counted as a bot, nothing else.
    beacon(hub, "session/start", {"session_id": f"{prefix}bot"}, BOT)
    beacon(hub, "track/page-visit", {"session_id": f"{prefix}bot", "page_type": "homepage", "page_url": "https://shop.example/"}, BOT)
    beacon(hub, "track/event", {"session_id": f"{prefix}bot", "name": "add_to_cart"}, BOT)


def expect_one_round(figures, rounds=1):
    n = rounds
    assert figures["visitors"] == 4 * n and figures["bots"] == 1 * n and figures["sessions"] == 4 * n
    # a: home, product, checkout, payment_success; b-d: home, checkout, payment each.
    assert figures["pageviews"] == (4 + 3 * 3) * n
    assert {e["name"]: (e["count"], e["sessions"]) for e in figures["events"]} == {"add_to_cart": (7 * n, 4 * n)}
    assert {s["source"]: s["visitors"] for s in figures["sources"]} == {"news.example": n, "(direct)": 3 * n}
    assert figures["utm_sources"] == [{"value": "newsletter", "visitors": n}]
    assert figures["utm_campaigns"] == [{"value": "winter", "visitors": n}]
    assert {d["device"]: d["visitors"] for d in figures["devices"]} == {"mobile": 3 * n, "desktop": n, "bot": n}
    assert figures["abandoned_checkout"] == {"checkout": 0, "payment": 3 * n, "payment_error": 0}
    assert figures["paid"] == n
    exits = {p["page_type"]: p["exits"] for p in figures["page_types"] if p["exits"]}
    assert exits == {"payment": 3 * n, "payment_success": n}
    assert {p["page"]: p["pageviews"] for p in figures["top_pages"]} == {"/": 4 * n, "/p/sku-1": n}
    goals = {g["name"]: (g["conversions"], g["rate"]) for g in figures["goals"]}
    assert goals == {"Cart": (4 * n, 1), "Paid": (n, 0.25)}


@pytest.fixture(scope="module")
def day_hub():
    data = tempfile.mkdtemp(prefix="livehub-day-")
    hub = Hub(data, "--rollup-interval", "200ms")
    yield hub
    hub.stop()
    shutil.rmtree(data, ignore_errors=True)


def define(hub):
    for name, goal in {"Cart": {"kind": "event", "target": "add_to_cart"}, "Paid": {"kind": "page_type", "target": "payment_success"}}.items():
        status, answer, _ = hub.request("PUT", "/api/analytics/goals/" + urllib.parse.quote(name), goal, headers=KEY)
        assert status == 200, answer
    status, answer, _ = hub.request("PUT", "/api/analytics/funnels/buy", FUNNEL, headers=KEY)
    assert status == 200 and answer["steps"][0] == {"page_type": "homepage"}, answer
    # Each node reads the funnels again every --rollup-interval (200 ms here), and counts
    # them from then on.
    time.sleep(0.6)


def test_a_day_of_visits_is_counted_exactly_and_survives_a_restart(day_hub, tmp_path):
    define(day_hub)
    shop_visits(day_hub, "r1-")
    figures = wait_for(lambda: (lambda f: f if f["visitors"] == 4 and f["paid"] == 1 and f["bots"] == 1 else None)(day(day_hub)))
    expect_one_round(figures)
    # a reached all four steps; b-d the home page and the cart, but never the product sku-1.
    assert funnel_numbers(day_hub) == [4, 1, 1, 1]

    # The day is in the database: a hub started again on the same data dir reads it whole,
    # and keeps counting on top.
    day_hub.stop()
    again = Hub(day_hub.data_dir, "--rollup-interval", "200ms", port=day_hub.port)
    day_hub.__dict__.update(again.__dict__)
    expect_one_round(day(day_hub))
    time.sleep(0.6)
    shop_visits(day_hub, "r2-")
    expect_one_round(wait_for(lambda: (lambda f: f if f["visitors"] == 8 else None)(day(day_hub))), rounds=2)
    assert funnel_numbers(day_hub) == [8, 2, 2, 2]


def test_engaged_time_is_capped_by_the_time_that_passed(day_hub):
    beacon(day_hub, "session/start", {"session_id": "eng"})
    beacon(day_hub, "track/page-visit", {"session_id": "eng", "page_type": "offer"})
    time.sleep(2)
    beacon(day_hub, "heartbeat", {"session_id": "eng", "engaged_ms": 600000})  # ten minutes claimed after two seconds
    beacon(day_hub, "heartbeat", {"session_id": "eng", "engaged_ms": 0})       # a hidden tab
    offer = wait_for(lambda: next((p for p in day(day_hub)["page_types"] if p["page_type"] == "offer" and p["engaged_seconds"] > 0), None))
    assert 2.0 <= offer["engaged_seconds"] <= 3.5, offer


@pytest.mark.parametrize("path,body,says", [
    ("track/event", {"session_id": "x"}, "name is required"),
    ("track/event", {"session_id": "x", "name": "a", "props": {"k": 1}}, "props.k must be a string"),
    ("track/event", {"session_id": "x", "name": "a", "props": {str(i): "v" for i in range(9)}}, "more than 8"),
    ("track/event", {"session_id": "x", "name": "a" * 65}, "longer than 64"),
    ("track/event", {"session_id": "x", "name": "a\u0007b"}, "control characters"),
    ("heartbeat", {"session_id": "x", "engaged_ms": 600001}, "engaged_ms"),
    ("heartbeat", {"session_id": "x", "engaged_ms": "5"}, "engaged_ms"),
    ("session/start", {"session_id": "x", "referrer": "javascript:alert(1)"}, "referrer must be an http"),
    ("session/start", {"session_id": "x", "utm_source": "a" * 129}, "longer than 128"),
])
def test_bad_shop_day_fields_are_refused_by_name(day_hub, path, body, says):
    status, answer, _ = day_hub.request("POST", "/api/metrics/" + path, body)
    assert status == 400 and says in answer["error"]["message"], answer


@pytest.mark.parametrize("method,path,body,status,code", [
    ("PUT", "/api/analytics/funnels/Bad%20Id", FUNNEL, 400, "invalid_funnel"),
    ("PUT", "/api/analytics/funnels/one", {"name": "x", "steps": [{"event": "a"}]}, 400, "invalid_funnel"),
    ("PUT", "/api/analytics/funnels/one", {"name": "x", "steps": [{"event": "a", "page_type": "b"}, {"event": "c"}]}, 400, "invalid_funnel"),
    ("PUT", "/api/analytics/goals/g", {"kind": "url", "target": "x"}, 400, "invalid_goal"),
    ("PUT", "/api/analytics/goals/g", {"kind": "event", "target": "x", "extra": 1}, 400, "invalid_goal"),
    ("DELETE", "/api/analytics/goals/never-made", None, 404, "not_found"),
    ("GET", "/api/analytics/funnels/never-made", None, 404, "not_found"),
    ("GET", "/api/analytics/day?date=2026-13-01", None, 400, "invalid_query"),
    ("GET", "/api/analytics/series?grain=minute&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", None, 400, "invalid_query"),
    ("GET", "/api/analytics/series?metric=events", None, 400, "invalid_query"),
])
def test_bad_definitions_and_queries_are_refused(day_hub, method, path, body, status, code):
    got, answer, _ = day_hub.request(method, path, body, headers=KEY)
    assert got == status and answer["error"]["code"] == code, answer


def test_a_seller_reads_the_day_and_may_not_define_funnels(day_hub):
    seller = {"Authorization": "Bearer " + day_hub.token("seller")}
    assert day_hub.request("GET", "/api/analytics/day", headers=seller)[0] == 200
    assert day_hub.request("PUT", "/api/analytics/funnels/mine", FUNNEL, headers=seller)[0] == 403
    assert day_hub.request("GET", "/api/analytics/day")[0] == 401
    admin = {"Authorization": "Bearer " + day_hub.token("admin", sub="ops")}
    status, _, _ = day_hub.request("PUT", "/api/analytics/goals/Signup", {"kind": "event", "target": "signup"}, headers=admin)
    assert status == 200
    status, audit, _ = day_hub.request("GET", "/api/audit", headers=KEY)
    assert any(entry["action"] == "goal_saved" and entry["target"] == "Signup" for entry in audit["entries"]), audit


def test_the_series_has_a_point_per_bucket(day_hub):
    status, series, _ = day_hub.request("GET", "/api/analytics/series?grain=hour&metric=pageviews,visitors", headers=KEY)
    assert status == 200 and series["grain"] == "hour" and len(series["points"]) == 24
    assert sum(p["pageviews"] for p in series["points"]) == day(day_hub)["pageviews"]


def test_two_nodes_on_one_database_add_to_the_same_day(tmp_path):
    """Cluster mode: two nodes, one PostgreSQL database; each counts its own sessions, and
    either node answers the whole day."""
    from pgcluster import Cluster
    pg = None
    template = os.environ.get("LIVEHUB_E2E_POSTGRES")
    if not template:
        pg = Cluster()
        template = pg.url("{db}")
    try:
        database = template.replace("{db}", "postgres")
        nodes = [Hub(str(tmp_path / f"n{k}"), "--database", database, "--node-id", f"day-{k}", "--rollup-interval", "200ms") for k in (1, 2)]
        try:
            status, _, _ = nodes[0].request("PUT", "/api/analytics/goals/Cart", {"kind": "event", "target": "add_to_cart"}, headers=KEY)
            assert status == 200
            status, _, _ = nodes[0].request("PUT", "/api/analytics/goals/Paid", {"kind": "page_type", "target": "payment_success"}, headers=KEY)
            assert status == 200
            shop_visits(nodes[0], "n1-")
            shop_visits(nodes[1], "n2-")
            for node in nodes:
                expect_one_round(wait_for(lambda: (lambda f: f if f["visitors"] == 8 and f["bots"] == 2 else None)(day(node))), rounds=2)
        finally:
            for node in nodes:
                node.stop()
    finally:
        if pg:
            pg.destroy()
