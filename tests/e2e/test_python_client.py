"""clients/python against a real hub, each scenario with the sync and the async client: a
ledger write whose answer is lost charges once, every typed error from the hub's own
answer (a real 409, a real 429 from the read limits, a real 503 from a full disk), tokens
minted by the SDK, and test webhooks signed by the SDK for every provider."""
import asyncio
import functools
import inspect
import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

# The SDK from this checkout's source, so the tests always test the working tree.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python" / "src"))
import livehub  # noqa: E402
from livehub import webhooks  # noqa: E402

from hubproc import Hub, fill_disk  # noqa: E402
from tcp_proxy import TCPProxy  # noqa: E402

SECRET, API_KEY = "e2e-secret", "e2e-key"
PROVIDERS = {"paystack": "sk_test_paystack", "nowpayments": "ipn-secret", "stripe": "whsec_test", "mpesa": "mpesa-path-token"}
FLAVORS = ["sync", "async"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """One hub for the module. As root (CI), its data dir is a small tmpfs, so a test can
    fill the disk under the records database and get the hub's real 503."""
    data = tmp_path_factory.mktemp("pysdk") / "data"
    data.mkdir()
    small_disk = (os.geteuid() == 0 and not os.environ.get("LIVEHUB_E2E_POSTGRES")
                  and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(data)]).returncode == 0)
    hub = Hub(str(data), "--paystack-secret", PROVIDERS["paystack"], "--nowpayments-secret", PROVIDERS["nowpayments"],
              "--stripe-secret", PROVIDERS["stripe"], "--mpesa-token", PROVIDERS["mpesa"])
    hub.small_disk = data if small_disk else None
    yield hub
    hub.stop()
    if small_disk:
        subprocess.run(["umount", "-l", str(data)], check=False)


@pytest.fixture(scope="module")
def proxy(hub):
    p = TCPProxy(hub.port)
    yield p
    p.close()


def client(flavor, base, **kwargs):
    kwargs.setdefault("api_key", None if "token" in kwargs else API_KEY)
    return (livehub.LiveHub if flavor == "sync" else livehub.AsyncLiveHub)(base, **kwargs)


async def settle(value):
    """A sync client's value as it is, an async client's awaited: one scenario, both clients."""
    return await value if inspect.isawaitable(value) else value


async def close(c):
    await settle(c.aclose() if isinstance(c, livehub.AsyncLiveHub) else c.close())


def scenario(fn):
    """Runs `async fn(flavor, …)` to the end in its own event loop."""
    @functools.wraps(fn)  # keeps the signature pytest reads fixtures from
    def run(*args, **kwargs):
        asyncio.run(fn(*args, **kwargs))
    return run


@pytest.mark.parametrize("flavor", FLAVORS)
@scenario
async def test_a_write_whose_answer_is_lost_is_retried_and_charges_once(hub, proxy, flavor):
    user, reference = f"drop-{flavor}", f"drop-ref-{flavor}"
    c = client(flavor, proxy.base)
    try:
        proxy.cut_next_answers(1)
        tx = await settle(c.write_transaction(user, Decimal("7.25"), "credit", reference, description="top-up"))
        # The hub did answer the first attempt (201, committed); the client never saw it,
        # tried again on a new connection and got the original back.
        assert proxy.cut_answers[-1].startswith(b"HTTP/1.1 201"), proxy.cut_answers[-1][:40]
        assert tx.created is False and tx["reference"] == reference and tx["balance_after"] == Decimal("7.25")
        assert (await settle(c.balance(user)))["balance"] == Decimal("7.25")
        listed = await settle(c.transactions(user_id=user))
        assert [t["id"] for t in listed] == [tx["id"]]

        # Without retries the lost answer is the caller's to handle, as httpx says it.
        bare = client(flavor, proxy.base, retry=livehub.NO_RETRIES)
        proxy.cut_next_answers(1)
        with pytest.raises(httpx.RemoteProtocolError):
            await settle(bare.write_transaction(user, "1.00", "debit", reference + "-2"))
        await close(bare)
        # A payment event has no reference to make a repeat harmless: a lost answer is raised, not sent again.
        proxy.cut_next_answers(1)
        with pytest.raises(httpx.RemoteProtocolError):
            await settle(c.payment_event(f"pay-drop-{flavor}", "paystack", "initialized", amount="5.00"))
        assert len(await settle(c.payments(reference=f"pay-drop-{flavor}"))) == 1
    finally:
        await close(c)


@pytest.mark.parametrize("flavor", FLAVORS)
@scenario
async def test_a_reference_used_for_another_amount_is_a_reference_conflict(hub, flavor):
    c = client(flavor, hub.base)
    try:
        first = await settle(c.write_transaction(f"rc-{flavor}", "5.00", "credit", f"rc-ref-{flavor}"))
        assert first.created is True
        with pytest.raises(livehub.ReferenceConflict) as refused:
            await settle(c.write_transaction(f"rc-{flavor}", "6.00", "credit", f"rc-ref-{flavor}"))
        error = refused.value
        assert (error.status, error.code) == (409, "reference_conflict") and isinstance(error, livehub.LiveHubError)
        assert error.transaction == dict(first) and error.transaction["amount"] == Decimal("5.00")
        assert (await settle(c.balance(f"rc-{flavor}")))["balance"] == Decimal("5.00")
        # The hub's other refusals, typed too.
        with pytest.raises(livehub.BadRequest) as bad:
            await settle(c.transactions(limit=100000))
        assert bad.value.status == 400 and bad.value.code
        with pytest.raises(livehub.NotFound):
            await settle(c.write_transaction(f"rc-{flavor}", "1.00", "credit", f"rc-pay-{flavor}", payment_reference="no-such-payment"))
    finally:
        await close(c)


@pytest.mark.parametrize("flavor", FLAVORS)
@scenario
async def test_reads_past_the_hub_read_rate_are_rate_limited_with_retry_after(hub, flavor):
    # Its own token: the hub's read limits count per credential (default: burst 100, 50/s).
    token = livehub.mint_token(SECRET, "support", f"reader-{flavor}")
    c = client(flavor, hub.base, token=token, retry=livehub.NO_RETRIES)
    try:
        with pytest.raises(livehub.RateLimited) as limited:
            for _ in range(2000):
                await settle(c.notification_count(user_id="nobody"))
        error = limited.value
        assert error.status == 429 and error.code == "rate_limited" and error.retry_after >= 1 and error.retryable
        # The default policy waits the Retry-After and gets the answer.
        patient = client(flavor, hub.base, token=token)
        assert await settle(patient.notification_count(user_id="nobody")) == 0
        await close(patient)
    finally:
        await close(c)



@pytest.mark.parametrize("flavor", FLAVORS)
@scenario
async def test_a_full_disk_is_unavailable_and_a_retrying_write_lands_once_space_returns(hub, flavor):
    if hub.small_disk is None:
        pytest.skip("filling the records database's disk needs root (a tmpfs) and SQLite")
    user = f"disk-{flavor}"
    bare, c = client(flavor, hub.base, retry=livehub.NO_RETRIES), client(flavor, hub.base, retry=livehub.RetryPolicy(max_retries=8))
    filler = fill_disk(hub.small_disk)
    try:
        landed = Decimal(0)
        for i in range(300):
            try:
                await settle(bare.write_transaction(user, "1.00", "credit", f"disk-{flavor}-{i}", description="d" * 200))
                landed += 1
            except livehub.Unavailable as error:
                assert (error.status, error.code, error.retryable) == (503, "database_unavailable", True)
                break
        else:
            pytest.fail("the disk never filled up")
        # Space comes back while the client waits between attempts.
        threading.Timer(0.6, os.unlink, [filler]).start()
        tx = await settle(c.write_transaction(user, "2.50", "credit", f"disk-{flavor}-last"))
        assert tx.created is True and tx["balance_after"] == landed + Decimal("2.50")
        assert len(await settle(c.transactions(user_id=user, limit=500))) == landed + 1
    finally:
        if filler.exists():
            os.unlink(filler)
        await close(bare)
        await close(c)


@pytest.mark.parametrize("flavor", FLAVORS)
@scenario
async def test_tokens_minted_by_the_sdk_are_accepted_by_the_hub(hub, flavor):
    admin = client(flavor, hub.base, token=livehub.mint_token(SECRET, "admin", f"ops-{flavor}", ttl=3600))
    wallet = client(flavor, hub.base, token=livehub.mint_token(SECRET, "balance", f"wallet-{flavor}"))
    forged = client(flavor, hub.base, token=livehub.mint_token("another-secret", "admin", "ops"))
    try:
        tx = await settle(admin.write_transaction(f"wallet-{flavor}", "3.00", "credit", f"tok-{flavor}"))
        assert tx.created
        assert (await settle(wallet.balance()))["balance"] == Decimal("3.00")
        inbox = await settle(wallet.notifications())
        assert inbox.unseen == 1 and inbox[0]["kind"] == "credit_added"
        with pytest.raises(livehub.Forbidden) as other_user:
            await settle(wallet.balance("someone-else"))
        assert other_user.value.code == "wrong_user"
        with pytest.raises(livehub.Unauthorized):
            await settle(forged.live_metrics())
        with pytest.raises(ValueError):  # the hub would refuse an admin token living past 30 days
            livehub.mint_token(SECRET, "admin", "ops", ttl=31 * 86_400)
    finally:
        for c in (admin, wallet, forged):
            await close(c)


@pytest.mark.parametrize("flavor", FLAVORS)
@scenario
async def test_test_webhooks_signed_by_the_sdk_are_accepted_for_every_provider(hub, flavor):
    c = client(flavor, hub.base)
    n = FLAVORS.index(flavor)
    deliveries = {
        "paystack": ("12500.00", "NGN", lambda ref: webhooks.paystack_charge(PROVIDERS["paystack"], ref, 1250000, "NGN",
                                                                               charge_id=900 + n)),
        "nowpayments": ("49.99", "USD", lambda ref: webhooks.nowpayments_ipn(PROVIDERS["nowpayments"], ref, "49.99", "usd",
                                                                             payment_id=700 + n)),
        "stripe": ("20.00", "USD", lambda ref: webhooks.stripe_checkout_completed(PROVIDERS["stripe"], ref, 2000, "usd",
                                                                                   event_id=f"evt_sdk_{flavor}")),
        "mpesa": ("100", "KES", lambda ref: webhooks.mpesa_callback(PROVIDERS["mpesa"], ref, amount=100, receipt=f"SDK{n}")),
    }
    try:
        for provider, (amount, currency, make) in deliveries.items():
            reference = f"wh-{provider}-{flavor}"
            await settle(c.payment_event(reference, provider, "initialized", amount=amount, currency=currency, user_id="buyer"))
            signed = make(reference)
            answer = await settle(c.deliver_webhook(signed))
            assert answer["status"] == "webhook_received" and answer["duplicate"] is False, (provider, answer)
            assert (await settle(c.deliver_webhook(signed)))["duplicate"] is True
            payment = (await settle(c.payments(reference=reference)))[0]
            # The provider's amount, as the hub read it from the SDK's payload, is the shop's.
            assert payment["status"] == "webhook_received" and payment["provider_amount"] == Decimal(amount), payment
            assert payment["amount_mismatch"] is False and payment["unmatched"] is False
            # The signature is really checked: one changed byte and the hub refuses it.
            if provider != "mpesa":
                tampered = webhooks.SignedWebhook(signed.path, signed.body.replace(reference.encode(), b"x" + reference.encode()),
                                                  signed.headers)
                with pytest.raises(livehub.Unauthorized) as refused:
                    await settle(c.deliver_webhook(tampered))
                assert refused.value.code == "invalid_signature"
            if provider == "nowpayments":
                # Signed over the hub's own re-serialization: non-ASCII, `/`, quotes and control characters too.
                odd = webhooks.sign_nowpayments(PROVIDERS["nowpayments"], {
                    "payment_id": 800 + n, "payment_status": "waiting", "order_id": reference,
                    "order_description": "Caf\u00e9 \u2615 a/b \"q\" \b\f\u0001", "price_amount": Decimal("49.99")})
                assert (await settle(c.deliver_webhook(odd)))["duplicate"] is False
            log = await settle(c.webhook_log(provider=provider, reference=reference))
            assert "Authorization" not in str(log)  # the SDK sends no credential to a webhook
    finally:
        await close(c)


@pytest.mark.parametrize("flavor", FLAVORS)
@scenario
async def test_notifications_activity_privacy_and_reads(hub, flavor):
    user = f"nora-{flavor}"
    c = client(flavor, hub.base)
    try:
        await settle(c.write_transaction(user, "10.00", "credit", f"n-{flavor}-1", email=f"{user}@shop.test"))
        posted = await settle(c.post_notification(user, "welcome_bonus", title="Welcome", message="Hello"))
        assert posted["notification"]["kind"] == "welcome_bonus"
        inbox = await settle(c.notifications(user))
        assert inbox.unseen == 2 and await settle(c.notification_count(user)) == 2
        assert await settle(c.mark_read(user, up_to=max(n["id"] for n in inbox))) == {"changed": 2, "unseen": 0}
        assert (await settle(c.archive(user, ids=[inbox[0]["id"]])))["unseen"] == 0
        prefs = await settle(c.set_preferences(user, kinds={"credit_added": {"in_app": False, "email": False}}))
        assert prefs["kinds"]["credit_added"]["in_app"] is False
        assert (await settle(c.preferences(user)))["email"] == f"{user}@shop.test"

        await settle(c.record_activity("registration_started", "success", user_id=user, details={"plan": "pro"}))
        assert [e["action"] for e in await settle(c.activity(user_id=user))] == ["registration_started"]
        timeline = await settle(c.support_timeline(user_id=user))
        assert timeline["balances"] == [{"user_id": user, "balance": Decimal("10.00")}]
        for read in (c.live_metrics(), c.payment_stats(), c.payment_gaps(), c.history(5), c.funnels(), c.alerts(),
                     c.transactions_monitor(), c.payment_errors(), c.health()):
            assert await settle(read) is not None

        preview = await settle(c.erasure_preview(user_id=user))
        assert preview["preview"]["counts"]["activity"] == 1
        done = await settle(c.confirm_erasure(preview["confirm"]))
        assert done["erased"]["activity"] == 1 and done["pseudonym"].startswith("erased-")
        with pytest.raises(livehub.Conflict) as used:
            await settle(c.confirm_erasure(preview["confirm"]))
        assert used.value.code == "confirmation_used"
    finally:
        await close(c)
