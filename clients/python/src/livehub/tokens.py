"""Access tokens as the hub verifies them (Sources/Auth/AccessToken.swift): HS256 JWTs with
`sub`, `scope`, `exp`, `iat` and `jti`, signed with the hub's `--secret` (or `DATA/secret`)."""
import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Optional, Union

# The longest a token of each scope may live. The hub refuses a token that would outlive
# its scope's cap wherever it was minted, so minting one here would only make a token that
# fails later: it is refused now instead.
MAX_LIFETIME = {"admin": 30 * 86_400, "support": 30 * 86_400, "seller": 90 * 86_400, "balance": 365 * 86_400}

# The header bytes the hub itself writes; any HS256 header is accepted, this one is exact.
_HEADER = b'{"alg":"HS256","typ":"JWT"}'


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _key(secret: Union[str, bytes]) -> bytes:
    # The hub keys HMAC with the secret's UTF-8 bytes as given (`--secret`) or as the
    # trimmed text of DATA/secret.
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def read_secret_file(path: str) -> str:
    """The secret in a hub's `DATA/secret`, trimmed as the hub trims it."""
    with open(path, encoding="utf-8") as f:
        text = f.read().strip(" \n\r\t")
    if not text:
        raise ValueError(f"{path} is empty")
    return text


def mint_token(secret: Union[str, bytes], scope: str, sub: str, ttl: float = 86_400,
               now: Optional[float] = None, jti: Optional[str] = None) -> str:
    """A token the hub accepts: `scope` one of seller, support, balance, admin; `sub` the
    wallet user for a balance token (its own balance, notifications and socket), else who
    is acting (the audit log and resolutions name it). `ttl` in seconds, at most the
    scope's cap. `jti` is random unless given: it is what `POST /api/tokens/revoke {jti}`
    names, and what the hub's read limits count by."""
    if scope not in MAX_LIFETIME:
        raise ValueError(f"scope must be one of {', '.join(MAX_LIFETIME)}")
    if not isinstance(sub, str) or not sub:
        raise ValueError("sub is required (the hub refuses a token without one)")
    lifetime = int(ttl)
    if not 0 < lifetime <= MAX_LIFETIME[scope]:
        raise ValueError(f"ttl must be 1..{MAX_LIFETIME[scope]} s for a {scope} token")
    issued = int(time.time() if now is None else now)
    token_id = jti if jti is not None else secrets.token_hex(12)
    if not 1 <= len(token_id.encode("utf-8")) <= 128:
        raise ValueError("jti must be 1..128 bytes")
    # Compact JSON in the hub's own member order; exp and iat as JSON integers (RFC 7519
    # NumericDate: the hub refuses a string).
    claims = {"sub": sub, "scope": scope, "exp": issued + lifetime, "iat": issued, "jti": token_id}
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signing_input = _b64url(_HEADER) + "." + _b64url(payload)
    signature = hmac.new(_key(secret), signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64url(signature)
