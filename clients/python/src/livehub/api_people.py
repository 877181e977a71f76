"""The people side of the server API: a wallet user's notifications (README
"Notifications"), privacy erasure (README "Privacy"), the read APIs sellers and support use,
and token revocation. As in `api_money`, each method describes its call once."""
from decimal import Decimal
from typing import Any, Dict, Iterable, Optional, Union

from .calls import Call, Page, Retry

PERSON_KEYS = ("email", "phone", "user_id", "session_id")


def _one_key(keys: Dict[str, Optional[str]], allowed: Iterable[str]) -> Dict[str, str]:
    given = {k: v for k, v in keys.items() if v is not None}
    if len(given) != 1 or next(iter(given)) not in allowed:
        raise ValueError(f"give exactly one of {', '.join(allowed)}")
    return given


def _inbox(status: int, headers: Any, body: Any) -> Page:
    page = Page(body.get("notifications", []), body.get("next_before"))
    page.unseen = body.get("unseen")  # type: ignore[attr-defined]
    return page


class PeopleAPI:
    def _run(self, call: Call) -> Any:  # the client's: sends, retries, parses
        raise NotImplementedError

    # -- notifications (a balance token: its own user's only, `user_id` may be left out)

    def notifications(self, user_id: Optional[str] = None, status: str = "all", limit: Optional[int] = None,
                      before: Optional[int] = None) -> Any:
        """A `Page` of notifications, newest first, with `unseen` and `next_before`."""
        return self._run(Call("GET", "/api/notifications", params={"user_id": user_id, "status": status, "limit": limit,
                                                                   "before": before}, parse=_inbox))

    def notification_count(self, user_id: Optional[str] = None) -> int:
        """The unseen count (it stops at 10,000)."""
        return self._run(Call("GET", "/api/notifications/count", params={"user_id": user_id},
                              parse=lambda status, headers, body: body["unseen"]))

    def mark_read(self, user_id: Optional[str] = None, ids: Optional[Iterable[int]] = None, up_to: Optional[int] = None) -> Any:
        """`{changed, unseen}`. `up_to` moves the user's cursor (one row however many it covers)."""
        return self._run(self._mark("/api/notifications/read", user_id, ids, up_to))

    def archive(self, user_id: Optional[str] = None, ids: Optional[Iterable[int]] = None, up_to: Optional[int] = None) -> Any:
        """`{changed, unseen}`; archived is read too."""
        return self._run(self._mark("/api/notifications/archive", user_id, ids, up_to))

    @staticmethod
    def _mark(path: str, user_id: Optional[str], ids: Optional[Iterable[int]], up_to: Optional[int]) -> Call:
        if ids is None and up_to is None:
            raise ValueError("give ids or up_to")
        body: Dict[str, Any] = {"user_id": user_id, "up_to": up_to}
        if ids is not None:
            body["ids"] = [int(i) for i in ids]
        # Marking twice changes nothing the second time: safe to repeat.
        return Call("POST", path, json_body={k: v for k, v in body.items() if v is not None}, retry=Retry.ALWAYS)

    def preferences(self, user_id: Optional[str] = None) -> Any:
        """`{user_id, email, kinds: {KIND or "*": {in_app, email, min_amount}}, …}`."""
        return self._run(Call("GET", "/api/notifications/preferences", params={"user_id": user_id}))

    def set_preferences(self, user_id: Optional[str] = None, kinds: Optional[Dict[str, Dict[str, Any]]] = None,
                        email: Union[str, None, type(...)] = ...) -> Any:
        """Replaces the user's choices; `email=None` removes the address, leaving it out keeps it."""
        body: Dict[str, Any] = {}
        if user_id is not None:
            body["user_id"] = user_id
        if kinds is not None:
            body["kinds"] = kinds
        if email is not ...:
            body["email"] = email
        return self._run(Call("PUT", "/api/notifications/preferences", json_body=body, retry=Retry.ALWAYS))

    def post_notification(self, user_id: str, kind: str, title: Optional[str] = None, message: Optional[str] = None,
                          amount: Union[Decimal, str, int, None] = None, currency: Optional[str] = None,
                          reference: Optional[str] = None, link: Optional[str] = None) -> Any:
        """The shop's own notice (kind: 1-64 of a-z, 0-9, _); pushed live as `{"type": "notification"}`."""
        body = {"user_id": user_id, "kind": kind, "title": title, "message": message,
                "amount": None if amount is None else str(amount), "currency": currency, "reference": reference, "link": link}
        return self._run(Call("POST", "/api/notifications", json_body={k: v for k, v in body.items() if v is not None},
                              retry=Retry.IF_NOT_DONE))

    # -- privacy

    def erasure_preview(self, email: Optional[str] = None, phone: Optional[str] = None, user_id: Optional[str] = None,
                        session_id: Optional[str] = None) -> Any:
        """Erases nothing: `{preview: {identities, counts}, confirm, expires_at}`. Show it to
        a person, then pass `confirm` to `confirm_erasure` within 10 minutes."""
        key = _one_key({"email": email, "phone": phone, "user_id": user_id, "session_id": session_id}, PERSON_KEYS)
        return self._run(Call("POST", "/api/privacy/erase", json_body=key, retry=Retry.ALWAYS))

    def confirm_erasure(self, confirm: str) -> Any:
        """Erases what the preview named: `{erased, pseudonymised, pseudonym}`. Used once: a
        second use is `Conflict` (`confirmation_used`)."""
        return self._run(Call("POST", "/api/privacy/erase", json_body={"confirm": confirm}, retry=Retry.IF_NOT_DONE))

    # -- reads (sellers, support, admins)

    def live_metrics(self) -> Any:
        return self._run(Call("GET", "/api/metrics/live-metrics"))

    def payment_errors(self, limit: Optional[int] = None, since: Optional[str] = None) -> Any:
        return self._run(Call("GET", "/api/metrics/payment-errors", params={"limit": limit, "since": since}))

    def history(self, minutes: int = 60) -> Any:
        return self._run(Call("GET", "/api/metrics/history", params={"minutes": minutes}))

    def sessions(self, email: Optional[str] = None, phone: Optional[str] = None, user_id: Optional[str] = None,
                 session_id: Optional[str] = None) -> Any:
        key = _one_key({"email": email, "phone": phone, "user_id": user_id, "session_id": session_id}, PERSON_KEYS)
        return self._run(Call("GET", "/api/sessions", params=key))

    def support_timeline(self, email: Optional[str] = None, phone: Optional[str] = None, user_id: Optional[str] = None,
                         reference: Optional[str] = None, limit: Optional[int] = None) -> Any:
        """One person's whole story (what /support shows)."""
        key = _one_key({"email": email, "phone": phone, "user_id": user_id, "reference": reference},
                       ("email", "phone", "user_id", "reference"))
        return self._run(Call("GET", "/api/support/timeline", params={**key, "limit": limit}))

    def alerts(self, limit: Optional[int] = None) -> Any:
        return self._run(Call("GET", "/api/alerts", params={"limit": limit}))

    def audit(self, limit: Optional[int] = None, before: Optional[int] = None) -> Any:
        return self._run(Call("GET", "/api/audit", params={"limit": limit, "before": before}))

    def health(self) -> Any:
        return self._run(Call("GET", "/healthz", authenticated=False))

    # -- tokens

    def revoke_token(self, jti: Optional[str] = None, sub: Optional[str] = None, before: Optional[str] = None) -> Any:
        """Revokes one token by id, or every token and console session of `sub` issued up to
        `before` (ISO 8601; now when left out)."""
        if (jti is None) == (sub is None):
            raise ValueError("give jti, or sub (and before)")
        body = {"jti": jti} if jti is not None else {k: v for k, v in {"sub": sub, "before": before}.items() if v is not None}
        return self._run(Call("POST", "/api/tokens/revoke", json_body=body, retry=Retry.ALWAYS))
