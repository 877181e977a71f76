"""Safaricom Daraja (M-Pesa) OAuth and M-Pesa Express (STK push) query, faked for
provider_fakes.ProviderFakes.

Imitates, from Safaricom's public Daraja documentation:
- GET /oauth/v1/generate?grant_type=client_credentials -
  https://developer.safaricom.co.ke/apis/Authorization: "Basic Authentication over HTTPS,
  this is a base64 encoded string of an app's consumer key and consumer secret"; the answer
  is {"access_token": "...", "expires_in": "3599"} (expires_in a string of seconds, as in the
  docs' example; "Tokens expire after 3600 seconds"). Refused credentials are 400
  {"requestId", "errorCode": "400.008.01", "errorMessage": "Invalid Authentication passed"},
  a grant_type other than client_credentials 400.008.02 "Invalid grant type passed".
- POST /mpesa/stkpushquery/v1/query - https://developer.safaricom.co.ke/apis/MpesaExpressQuery:
  "Authorization: Bearer <access token>", a JSON body {BusinessShortCode, Password, Timestamp,
  CheckoutRequestID} where Password is base64.encode(Shortcode+Passkey+Timestamp) and
  Timestamp is YYYYMMDDHHmmss; the answer {ResponseCode, ResponseDescription,
  MerchantRequestID, CheckoutRequestID, ResultCode, ResultDesc}, ResultCode "0" paid and
  others failed (1032 cancelled by the user, 1037 no answer from the phone, 1 insufficient
  balance, ...). Errors are {"requestId", "errorCode", "errorMessage"} with the HTTP status
  as the code's first part: 404.001.03 "Invalid Access Token", 400.002.02 "Bad Request -
  Invalid <field>", 500.001.1001 "The transaction is being processed" (asked before the
  customer answered) and 500.001.1001 "Wrong credentials" (a Password that is not
  base64(Shortcode+Passkey+Timestamp)).
The error codes are those of the pages' Error tabs as Daraja answers them and integrators
quote them; the copies of the pages we read did not hold the tabs' text, so the wording of
the rarer ones (400.002.05 "Invalid Request Payload", an unknown CheckoutRequestID as
400.002.02 "Bad Request - Invalid CheckoutRequestID") is our choice.
Time zone: the docs give Timestamp's format but no zone; Daraja's clock is Kenya's (East
Africa Time, UTC+3, no daylight saving), which is how integrators build it. The fake reads
Timestamp as Kenya time and refuses one further than timestamp_skew (300 s) from now: our
choice, the docs state no window.
"""
import base64
import binascii
import datetime
import hmac
import json
import re
import secrets
import string
import threading
import time

KENYA = datetime.timezone(datetime.timedelta(hours=3), "EAT")
RESULT_DESCRIPTIONS = {
    "0": "The service request is processed successfully.",
    "1": "The balance is insufficient for the transaction.",
    "1001": "Unable to lock subscriber, a transaction is already in process for the current subscriber",
    "1019": "Transaction has expired",
    "1025": "An error occurred while sending a push request",
    "1032": "Request cancelled by user",
    "1037": "DS timeout user cannot be reached",
    "2001": "The initiator information is invalid.",
}
ALPHANUMERIC = string.ascii_letters + string.digits


def request_id():
    return f"{secrets.randbelow(90000) + 10000}-{secrets.randbelow(9000000) + 1000000}-1"


def daraja_error(code, message):
    return int(code.split(".")[0]), {"requestId": request_id(), "errorCode": code, "errorMessage": message}, {}


def timestamp(moment=None):
    """A Daraja Timestamp (YYYYMMDDHHmmss, Kenya time) for `moment` (a datetime; now if None)."""
    return (moment or datetime.datetime.now(datetime.timezone.utc)).astimezone(KENYA).strftime("%Y%m%d%H%M%S")


def password(shortcode, passkey, stamp):
    """The documented Password: base64.encode(Shortcode+Passkey+Timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{stamp}".encode()).decode()


class MPesaFake:
    def __init__(self, key, secret, shortcode, passkey):
        self.key, self.secret, self.shortcode, self.passkey = key, secret, str(shortcode), passkey
        self.token_ttl = 3599       # seconds a token issued from now on is good for
        self.timestamp_skew = 300   # seconds a Timestamp may be from now
        self._lock = threading.Lock()
        self._tokens = {}           # access_token -> expiry (time.time())
        self._pushes = {}           # CheckoutRequestID -> the push

    def stk(self, checkout_request_id, result_code="0", desc=None, merchant_request_id=None, amount=1,
            phone="254708374149", receipt=None):
        """Daraja knows this STK push: result_code (a string: "0", "1032", "1037", "1", ...)
        is how it ended, None while the customer has not answered yet (the query then gets
        "The transaction is being processed")."""
        code = None if result_code is None else str(result_code)
        push = {"CheckoutRequestID": checkout_request_id, "ResultCode": code,
                "ResultDesc": desc or RESULT_DESCRIPTIONS.get(code, f"M-Pesa result {code}"),
                "MerchantRequestID": merchant_request_id or f"{secrets.randbelow(90000) + 10000}-"
                                                           f"{secrets.randbelow(90000000) + 10000000}-1",
                "Amount": amount, "PhoneNumber": phone,
                "MpesaReceiptNumber": receipt or "".join(secrets.choice(string.ascii_uppercase + string.digits)
                                                         for _ in range(10))}
        with self._lock:
            self._pushes[checkout_request_id] = push
        return push

    def callback(self, checkout_request_id):
        """The callback Daraja posts for this push (M-Pesa Express Simulate's documented
        Body.stkCallback, with CallbackMetadata items when paid)."""
        with self._lock:
            push = dict(self._pushes[checkout_request_id])
        result = {"MerchantRequestID": push["MerchantRequestID"], "CheckoutRequestID": checkout_request_id,
                  "ResultCode": int(push["ResultCode"] or 0), "ResultDesc": push["ResultDesc"]}
        if push["ResultCode"] == "0":
            result["CallbackMetadata"] = {"Item": [
                {"Name": "Amount", "Value": push["Amount"]},
                {"Name": "MpesaReceiptNumber", "Value": push["MpesaReceiptNumber"]},
                {"Name": "TransactionDate", "Value": int(timestamp())},
                {"Name": "PhoneNumber", "Value": int(push["PhoneNumber"])}]}
        return {"Body": {"stkCallback": result}}

    def expire_tokens(self):
        """Every token issued so far stops being good (as after its hour)."""
        with self._lock:
            self._tokens.clear()

    # --- HTTP --------------------------------------------------------------------------------

    def failure(self, status):
        return daraja_error(f"{status}.003.1001" if status >= 500 else f"{status}.002.01",
                            "Internal Server Error" if status >= 500 else "Bad Request")[1]

    def refusal(self, request):
        # The OAuth endpoint has its own (Basic) check; every other path wants a token it issued.
        if request.path.rstrip("/") == "/oauth/v1/generate":
            return None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or expiry < time.time():
            return daraja_error("404.001.03", "Invalid Access Token")
        return None

    def answer(self, request):
        path = request.path.rstrip("/")
        if path == "/oauth/v1/generate" and request.method == "GET":
            return self.generate(request)
        if path == "/mpesa/stkpushquery/v1/query" and request.method == "POST":
            return self.query(request)
        return daraja_error("404.001.01", "Resource not found")

    def generate(self, request):
        """GET /oauth/v1/generate?grant_type=client_credentials (Authorization API)."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            given = b""
        expected = f"{self.key}:{self.secret}".encode()
        if scheme.lower() != "basic" or not hmac.compare_digest(given, expected):
            return daraja_error("400.008.01", "Invalid Authentication passed")
        if request.query.get("grant_type", [""])[-1] != "client_credentials":
            return daraja_error("400.008.02", "Invalid grant type passed")
        token = "".join(secrets.choice(ALPHANUMERIC) for _ in range(28))
        with self._lock:
            self._tokens[token] = time.time() + self.token_ttl
        return 200, {"access_token": token, "expires_in": str(int(self.token_ttl))}, {}

    def query(self, request):
        """POST /mpesa/stkpushquery/v1/query (M-Pesa Express Query): checks the shortcode,
        the Timestamp (format and Kenya-time window) and the Password, then answers how the
        push ended, or that it is still being processed."""
        try:
            asked = json.loads(request.body)
            if not isinstance(asked, dict):
                raise ValueError
        except ValueError:
            return daraja_error("400.002.05", "Invalid Request Payload")
        shortcode = str(asked.get("BusinessShortCode", ""))
        stamp = str(asked.get("Timestamp", ""))
        checkout = asked.get("CheckoutRequestID")
        if shortcode != self.shortcode:
            return daraja_error("400.002.02", "Bad Request - Invalid BusinessShortCode")
        if not re.fullmatch(r"\d{14}", stamp):
            return daraja_error("400.002.02", "Bad Request - Invalid Timestamp")
        try:
            moment = datetime.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=KENYA)
        except ValueError:
            return daraja_error("400.002.02", "Bad Request - Invalid Timestamp")
        if abs(moment.timestamp() - time.time()) > self.timestamp_skew:
            return daraja_error("400.002.02", "Bad Request - Invalid Timestamp")
        expected = password(self.shortcode, self.passkey, stamp)
        if not hmac.compare_digest(str(asked.get("Password", "")).encode(), expected.encode()):
            return daraja_error("500.001.1001", "Wrong credentials")
        if not isinstance(checkout, str) or not checkout:
            return daraja_error("400.002.02", "Bad Request - Invalid CheckoutRequestID")
        with self._lock:
            push = self._pushes.get(checkout)
            push = dict(push) if push else None
        if push is None:
            return daraja_error("400.002.02", "Bad Request - Invalid CheckoutRequestID")
        if push["ResultCode"] is None:
            return daraja_error("500.001.1001", "The transaction is being processed")
        return 200, {"ResponseCode": "0", "ResponseDescription": "The service request has been accepted successfully",
                     "MerchantRequestID": push["MerchantRequestID"], "CheckoutRequestID": checkout,
                     "ResultCode": push["ResultCode"], "ResultDesc": push["ResultDesc"]}, {}
