"""Local fakes of four payment providers' HTTP APIs, for LiveHub's end-to-end tests and
benchmarks (issue 29). Standard library only: one ThreadingHTTPServer on a loopback port,
in a thread, serving each provider under its own path prefix, so a hub is pointed at them
with

    --paystack-api-url    http://127.0.0.1:PORT/paystack
    --stripe-api-url      http://127.0.0.1:PORT/stripe
    --nowpayments-api-url http://127.0.0.1:PORT/nowpayments
    --mpesa-api-url       http://127.0.0.1:PORT/mpesa

and each provider's documented paths sit under its prefix (GET
/paystack/transaction/verify/{reference}, POST /mpesa/mpesa/stkpushquery/v1/query, ...).

Written from each provider's public API documentation; every handler says which documented
endpoint it imitates. The sources:

- Paystack: https://paystack.com/docs/api/transaction/ (Verify, List),
  https://paystack.com/docs/api/pagination/ (meta: total, total_volume, skipped, perPage,
  page, pageCount), https://paystack.com/docs/api/errors/ (401 for a missing or wrong secret
  key, 404 for a resource that does not exist),
  https://docs-v2.paystack.com/docs/payments/verify-payments (the verify answer).
- Stripe: https://docs.stripe.com/api/authentication (HTTP Basic with the key as user name,
  or Bearer), https://docs.stripe.com/api/errors (the error object, 401, 404),
  https://docs.stripe.com/api/events/list (delivery_success, types, limit, starting_after),
  https://docs.stripe.com/api/payment_intents/retrieve, .../payment_intents/search,
  https://docs.stripe.com/api/checkout/sessions/retrieve, https://docs.stripe.com/search
  (the query language).
- NOWPayments: https://documenter.getpostman.com/view/7907941/S1a32n38 (the API reference:
  x-api-key header, "Get payment status" GET /v1/payment/{payment_id} and its statuses; the
  403 INVALID_API_KEY body for a wrong key is what integrators report, not printed there).
- Safaricom Daraja: https://developer.safaricom.co.ke/apis/Authorization (GET
  /oauth/v1/generate?grant_type=client_credentials, Basic base64(key:secret), a token for
  3600 s, answered as {"access_token", "expires_in": "3599"}),
  https://developer.safaricom.co.ke/apis/MpesaExpressQuery (POST /mpesa/stkpushquery/v1/query,
  Password = base64(Shortcode+Passkey+Timestamp), Timestamp YYYYMMDDHHmmss, read as Kenya
  time, UTC+3: the docs name no zone) and its Error tab (see provider_fakes_mpesa.py).

Tests drive the fakes through Python methods (no HTTP): see ProviderFakes. Standalone, for a
benchmark:

    python tests/e2e/provider_fakes.py --port 9400 --delay 0.2 --payments 1000

prints the URL prefixes and the keys (the constants below) and serves until interrupted.
"""
import argparse
import collections
import json
import signal
import sys
import threading
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from provider_fakes_mpesa import MPesaFake
from provider_fakes_mpesa import password as mpesa_password, timestamp as mpesa_timestamp  # noqa: F401 (for tests)
from provider_fakes_nowpayments import NOWPaymentsFake
from provider_fakes_paystack import PaystackFake
from provider_fakes_stripe import StripeFake

# The keys a fake accepts unless told others (also the standalone server's).
PAYSTACK_SECRET = "sk_test_livehub_fake_paystack"
STRIPE_KEY = "sk_test_livehub_fake_stripe"
NOWPAYMENTS_KEY = "LHFAKE1-NOWPAYM-E2E0KEY-0000001"
MPESA_KEY = "livehub-fake-consumer-key"
MPESA_SECRET = "livehub-fake-consumer-secret"
MPESA_SHORTCODE = "174379"  # the shortcode of Daraja's own examples
MPESA_PASSKEY = "livehub-fake-passkey-0f6b2c9e8d7a"
PROVIDERS = ("paystack", "stripe", "nowpayments", "mpesa")

# One request as it arrived: path is the provider's own path (after its prefix), query maps
# each (percent-decoded) name to its list of values, headers has lower-case names.
Call = collections.namedtuple("Call", "provider method path query headers body")
Request = collections.namedtuple("Request", "method path query pairs headers body")


class ProviderFakes:
    """The four fakes on one loopback port. Control methods (thread-safe):

    start() -> port; stop(); url(provider); with ProviderFakes() as fakes: ...
    paystack_transaction(reference, status="success", amount=..., currency="NGN", email=..., paid_at=...)
    stripe_undelivered_event(reference, kind="payment_intent.succeeded", amount=, currency=, object_id=)
    stripe_event(..., delivered=True), stripe_payment_intent(reference, ...), stripe_checkout_session(reference, ...)
    nowpayments_payment(payment_id, order_id, status, price_amount, price_currency, ...)
    mpesa_stk(checkout_request_id, result_code="0", desc=None)  (result_code=None: still being processed)
    mpesa_callback(checkout_request_id)  (the Body.stkCallback Daraja would post for it)
    mpesa.token_ttl, mpesa.timestamp_skew (seconds), mpesa.expire_tokens()
    fail(provider, status=500, times=1, body=None); hang(provider, seconds, times=None);
    delay(provider, seconds); reset(provider=None)
    calls, calls_to(provider, path_prefix=""), clear_calls(), errors
    """

    def __init__(self, paystack_secret=PAYSTACK_SECRET, stripe_key=STRIPE_KEY, nowpayments_key=NOWPAYMENTS_KEY,
                 mpesa_key=MPESA_KEY, mpesa_secret=MPESA_SECRET, mpesa_shortcode=MPESA_SHORTCODE,
                 mpesa_passkey=MPESA_PASSKEY, port=0):
        self.paystack = PaystackFake(paystack_secret)
        self.stripe = StripeFake(stripe_key)
        self.nowpayments = NOWPaymentsFake(nowpayments_key)
        self.mpesa = MPesaFake(mpesa_key, mpesa_secret, mpesa_shortcode, mpesa_passkey)
        self._apis = {"paystack": self.paystack, "stripe": self.stripe, "nowpayments": self.nowpayments, "mpesa": self.mpesa}
        self._lock = threading.Lock()
        self._calls = []
        self._failing = {}   # provider -> [status, times left (None: every request), body]
        self._hanging = {}   # provider -> [seconds, times left (None: every request)]
        self._delays = {}    # provider -> seconds before every answer
        self._stopping = threading.Event()
        self.errors = []     # tracebacks of handlers that raised (answered 500)
        self.port = port
        self._server = None
        self._thread = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self):
        fakes = self

        class Handler(_Handler):
            owner = fakes

        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="provider-fakes",
                                        daemon=True)
        self._thread.start()
        return self.port

    def stop(self):
        """Stops serving; a request that hangs or waits out a delay is let go at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def url(self, provider):
        self._check(provider)
        return f"http://127.0.0.1:{self.port}/{provider}"

    # --- what each fake knows ----------------------------------------------------------------

    def paystack_transaction(self, reference, **fields):
        return self.paystack.transaction(reference, **fields)

    def stripe_event(self, reference, **fields):
        return self.stripe.event(reference, **fields)

    def stripe_undelivered_event(self, reference, **fields):
        return self.stripe.event(reference, delivered=False, **fields)

    def stripe_payment_intent(self, reference, **fields):
        return self.stripe.payment_intent(reference, **fields)

    def stripe_checkout_session(self, reference, **fields):
        return self.stripe.checkout_session(reference, **fields)

    def nowpayments_payment(self, payment_id, order_id, status="finished", price_amount=49.99, price_currency="usd", **fields):
        return self.nowpayments.payment(payment_id, order_id, status, price_amount, price_currency, **fields)

    def mpesa_stk(self, checkout_request_id, result_code="0", desc=None, **fields):
        return self.mpesa.stk(checkout_request_id, result_code, desc, **fields)

    def mpesa_callback(self, checkout_request_id):
        return self.mpesa.callback(checkout_request_id)

    # --- misbehaviour ------------------------------------------------------------------------

    def fail(self, provider, status=500, times=1, body=None):
        """Answer the next `times` requests (None: every one, until reset) with `status` and
        the provider's own error shape (or `body`), then answer normally."""
        with self._lock:
            self._failing[self._check(provider)] = [status, times, body]

    def hang(self, provider, seconds, times=None):
        """Sleep `seconds` before answering the next `times` requests (None: every one)."""
        with self._lock:
            self._hanging[self._check(provider)] = [seconds, times]

    def delay(self, provider, seconds):
        """Sleep `seconds` before every answer (a benchmark's provider latency); 0 stops it."""
        with self._lock:
            self._delays[self._check(provider)] = seconds

    def reset(self, provider=None):
        """Forget fail, hang and delay (for one provider, or all)."""
        with self._lock:
            for table in (self._failing, self._hanging, self._delays):
                for name in ([self._check(provider)] if provider else list(table)):
                    table.pop(name, None)

    # --- what was asked ----------------------------------------------------------------------

    @property
    def calls(self):
        with self._lock:
            return list(self._calls)

    def calls_to(self, provider, path_prefix=""):
        self._check(provider)
        return [c for c in self.calls if c.provider == provider and c.path.startswith(path_prefix)]

    def clear_calls(self):
        with self._lock:
            self._calls.clear()

    # --- inside --------------------------------------------------------------------------------

    def _check(self, provider):
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; one of {PROVIDERS}")
        return provider

    def _take(self, provider):
        """This request's delay, hang and failure, counting it against `times`."""
        with self._lock:
            delay = self._delays.get(provider, 0)
            hang = 0
            if provider in self._hanging:
                seconds, left = self._hanging[provider]
                hang = seconds
                if left is not None:
                    left -= 1
                    if left <= 0:
                        del self._hanging[provider]
                    else:
                        self._hanging[provider][1] = left
            failure = None
            if provider in self._failing:
                status, left, body = self._failing[provider]
                failure = (status, body)
                if left is not None:
                    left -= 1
                    if left <= 0:
                        del self._failing[provider]
                    else:
                        self._failing[provider][1] = left
            return delay, hang, failure

    def _serve(self, provider, request):
        """(status, JSON body, extra headers) for one request, or None when stopping."""
        with self._lock:
            self._calls.append(Call(provider, request.method, request.path, request.query, request.headers,
                                    request.body.decode("utf-8", "replace")))
        delay, hang, failure = self._take(provider)
        for seconds in (delay, hang):
            if seconds and self._stopping.wait(seconds):
                return None
        api = self._apis[provider]
        if failure is not None:
            status, body = failure
            return status, body if body is not None else api.failure(status), {}
        try:
            return api.refusal(request) or api.answer(request)
        except Exception:
            self.errors.append(traceback.format_exc())
            return 500, {"fake_error": traceback.format_exc()}, {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a benchmark's many connections at once (the default 5 drops SYNs)


class _Handler(BaseHTTPRequestHandler):
    owner = None  # the ProviderFakes, set by start()
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs
    timeout = 120  # an idle keep-alive connection's thread goes after this

    def log_message(self, *args):
        pass

    def _handle(self):
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        provider, _, rest = split.path.lstrip("/").partition("/")
        if provider not in PROVIDERS:
            return self._send(404, {"error": f"no provider fake at /{provider}; one of {PROVIDERS}"}, {})
        pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        query = {}
        for name, value in pairs:
            query.setdefault(name, []).append(value)
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = "/" + urllib.parse.unquote(rest)
        answer = self.owner._serve(provider, Request(self.command, path, query, pairs, headers, body))
        if answer is None:
            self.close_connection = True
            return
        self._send(*answer)

    def _send(self, status, body, headers):
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (its timeout) while we hung

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


def seed(fakes, n):
    """N payments at each provider, for a benchmark: Paystack references bench-ps-I, Stripe
    undelivered events for bench-st-I, NOWPayments payments 5000000000+I with order_id
    bench-np-I, M-Pesa STK pushes ws_CO_bench_I (all paid)."""
    for i in range(n):
        fakes.paystack_transaction(f"bench-ps-{i}", amount=100000 + i, email=f"buyer{i}@shop.test")
        fakes.stripe_undelivered_event(f"bench-st-{i}", amount=2000 + i)
        fakes.nowpayments_payment(5000000000 + i, f"bench-np-{i}", "finished", price_amount=10 + i % 90)
        fakes.mpesa_stk(f"ws_CO_bench_{i}", "0", amount=100 + i % 900)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve the four payment provider fakes on a loopback port.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer, each provider")
    parser.add_argument("--payments", type=int, default=0, help="payments to know at each provider (see seed())")
    args = parser.parse_args(argv)
    fakes = ProviderFakes(port=args.port)
    seed(fakes, args.payments)
    fakes.start()
    for provider in PROVIDERS:
        if args.delay:
            fakes.delay(provider, args.delay)
        print(f"--{provider}-api-url {fakes.url(provider)}")
    print(f"paystack secret {PAYSTACK_SECRET}; stripe key {STRIPE_KEY}; nowpayments key {NOWPAYMENTS_KEY}")
    print(f"mpesa key {MPESA_KEY} secret {MPESA_SECRET} shortcode {MPESA_SHORTCODE} passkey {MPESA_PASSKEY}")
    print(f"{args.payments} payments each; delay {args.delay} s; serving until interrupted", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    fakes.stop()
    print(f"{len(fakes.calls)} requests answered", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
