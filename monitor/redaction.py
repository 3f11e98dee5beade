"""Keeps secrets out of everything DriftHound prints, logs, stores or sends.

Every value that came from `${ENV}` in the config, and every field that holds a
secret by nature (webhook URLs, tokens, header values, passwords and query values
in URLs), is registered here; `redact()` replaces each occurrence with "***".
"""

from __future__ import annotations

import base64
import threading
from urllib.parse import quote, unquote, unquote_plus, urlsplit

MASK = "***"
# Shorter values ("1", "on") would mask ordinary words; they are not secrets worth the name.
_MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()


def register(value: str | None) -> None:
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    with _lock:
        # The URL-encoded and decoded forms leak just as well.
        _secrets.update({value, quote(value, safe=""), unquote(value)})


def register_url_password(url: str) -> None:
    """Registers the password of a database URL, if it has one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return
    if password:
        register(str(password))


def register_url_credentials(url: str, *, secret_path: bool = False) -> None:
    """Registers what gives access in an HTTP URL: its userinfo, each value of its query, and its path
    where that is the token (`secret_path`, as in a Slack webhook URL).

    A receiver may quote the request back (its request line, its Authorization header), so each is
    registered as written, decoded, and as the basic-auth header value that carries the userinfo.
    Query values are masked one by one, not the whole query, so "token=***&x=1" still says which
    parameter it was. A user name is a secret only where no password follows it (https://TOKEN@host);
    beside a password it is a name like "user" or "admin", and masking it would mask those words.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        register(url)
        return
    if secret_path:
        register(parts.path)
    userinfo, _, _host = parts.netloc.rpartition("@")
    if userinfo:
        user, colon, password = userinfo.partition(":")
        register(userinfo)
        register(password if colon else user)
        register(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode())
    for pair in parts.query.split("&"):
        _name, _, value = pair.partition("=")
        register(value)
        register(unquote_plus(value))


def register_header_value(value: str) -> None:
    """Registers a header's value, and the credentials of a "<scheme> <credentials>" value alone too."""
    register(value)
    _scheme, _, credentials = value.strip().partition(" ")
    register(credentials.strip())


def redact(text: str) -> str:
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def safe_url(url: str) -> str:
    """A database URL fit for printing: the password hidden."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        # Rendering escapes characters a database name may hold (":memory:"); only a password needs hiding.
        return redact(parsed.render_as_string(hide_password=True) if parsed.password else url)
    except (ArgumentError, ValueError):
        return redact(url)


def clear() -> None:
    """For tests: forget every registered secret."""
    with _lock:
        _secrets.clear()
