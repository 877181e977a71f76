"""The two clients: `LiveHub` (blocking) and `AsyncLiveHub` (asyncio). Each only sends a
`Call`, sleeps between attempts and hands the answer to `read_answer`; every method, its
request, its parsing and its retry rule come from `MoneyAPI` and `PeopleAPI`, once."""
import asyncio
import time
from typing import Any, Optional

import httpx

from .api_money import MoneyAPI
from .api_people import PeopleAPI
from .calls import Call, RetryPolicy, read_answer


def _credential(api_key: Optional[str], token: Optional[str]) -> Optional[str]:
    if api_key and token:
        raise ValueError("give api_key or token, not both")
    return api_key or token


class LiveHub(MoneyAPI, PeopleAPI):
    """A blocking client. `api_key` is the hub's `--api-key` (every server API); `token` an
    access token (`livehub.mint_token`) for what its scope may do. `retry` says how often
    a call whose outcome is unknown is tried again (`NO_RETRIES` to see every failure).
    `transport` is handed to httpx (a test's `MockTransport`, a proxy's)."""

    def __init__(self, base_url: str, api_key: Optional[str] = None, token: Optional[str] = None, *,
                 timeout: float = 10.0, retry: RetryPolicy = RetryPolicy(), transport: Optional[httpx.BaseTransport] = None):
        self._credential = _credential(api_key, token)
        self._retry = retry
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def _run(self, call: Call) -> Any:
        attempt = 0
        while True:
            try:
                answer = self._http.request(call.method, call.path, params=call.query(), content=call.content,
                                            headers=call.request_headers(self._credential))
                return read_answer(call, answer.status_code, answer.headers, answer.content)
            except Exception as error:
                wait = self._retry.wait_before_retry(call, attempt, error)
                if wait is None:
                    raise
            attempt += 1
            time.sleep(wait)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "LiveHub":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncLiveHub(MoneyAPI, PeopleAPI):
    """The same client for asyncio: every method is awaited (`await hub.balance("u1")`)."""

    def __init__(self, base_url: str, api_key: Optional[str] = None, token: Optional[str] = None, *,
                 timeout: float = 10.0, retry: RetryPolicy = RetryPolicy(),
                 transport: Optional[httpx.AsyncBaseTransport] = None):
        self._credential = _credential(api_key, token)
        self._retry = retry
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def _run(self, call: Call) -> Any:
        attempt = 0
        while True:
            try:
                answer = await self._http.request(call.method, call.path, params=call.query(), content=call.content,
                                                  headers=call.request_headers(self._credential))
                return read_answer(call, answer.status_code, answer.headers, answer.content)
            except Exception as error:
                wait = self._retry.wait_before_retry(call, attempt, error)
                if wait is None:
                    raise
            attempt += 1
            await asyncio.sleep(wait)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncLiveHub":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
