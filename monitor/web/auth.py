"""Who is asking and what they may do: named Bearer tokens with a role, decided at the listener's edge.

Tokens come in the Authorization header (scripts, Prometheus, curl) or, for a browser, in the cookie the login
form sets. Each given token is compared with every known one in constant time, all of them every time, so
neither timing nor the order of [service.tokens] tells which one matched or how much of it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import Enum
from http.cookies import CookieError, SimpleCookie
from typing import Literal

from monitor.config.schema import HTTP_TOKEN_NAME, ServiceConfig

Role = Literal["viewer", "operator"]
COOKIE = "drifthound_token"
# The monitor page's one script (silencing), served from the package: pages allow scripts from 'self' only.
SCRIPT_PATH = "/_site/silences.js"
_OPEN = frozenset({"/healthz", "/readyz", "/metrics", "/favicon.ico", "/login", "/logout", SCRIPT_PATH})


@dataclass(frozen=True)
class Caller:
    name: str  # the token's name in [service.tokens] ("http_token" for the single one): what a silence records
    role: Role


@dataclass(frozen=True)
class KnownToken:
    caller: Caller
    digest: bytes  # SHA-256 of the token: equal lengths for compare_digest, whatever the token's length


class Need(Enum):
    """What a path asks of its caller."""

    NOTHING = "nothing"  # /healthz, /readyz, /metrics
    VIEWER = "viewer"  # pages, reports, /api reads
    OPERATOR = "operator"  # silences and unsilences


class Access(Enum):
    ALLOWED = "allowed"
    NO_TOKEN = "no token"  # 401: send one
    NOT_OPERATOR = "not an operator"  # 403: a known token whose role may not do this


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def known_tokens(service: ServiceConfig) -> tuple[KnownToken, ...]:
    known = [KnownToken(Caller(HTTP_TOKEN_NAME, "viewer"), _digest(service.http_token))] if service.http_token else []
    known += [KnownToken(Caller(name, entry.role), _digest(entry.token)) for name, entry in service.tokens.items()]
    return tuple(known)


def identify(token: str | None, known: tuple[KnownToken, ...]) -> Caller | None:
    """The caller whose token this is, or None. Compares with every known token, without an early exit."""
    if not token:
        return None
    given = _digest(token)
    found = None
    for entry in known:
        if hmac.compare_digest(given, entry.digest):
            found = entry.caller
    return found


def presented_token(authorization: str | None, cookie_header: str | None) -> str | None:
    """The token the request carries: `Authorization: Bearer <token>`, else the login cookie."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if cookie_header:
        try:
            morsel = SimpleCookie(cookie_header).get(COOKIE)
        except CookieError:
            return None
        return morsel.value if morsel is not None and morsel.value else None
    return None


def need_of(method: str, path: str) -> Need:
    if path in _OPEN:
        return Need.NOTHING
    if method in ("POST", "DELETE") and (path == "/api/silences" or path.startswith("/api/silences/")):
        return Need.OPERATOR
    return Need.VIEWER


def access(need: Need, caller: Caller | None, *, guarded: bool) -> Access:
    """`guarded`: some token is configured, so reading needs one too. Writing always needs an operator, even on
    a listener without tokens: whoever can reach it must not be able to silence alerts."""
    if need is Need.NOTHING or (need is Need.VIEWER and not guarded):
        return Access.ALLOWED
    if caller is None:
        return Access.NO_TOKEN
    if need is Need.OPERATOR and caller.role != "operator":
        return Access.NOT_OPERATOR
    return Access.ALLOWED
