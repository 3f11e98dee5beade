"""Keeps secrets out of everything DriftHound prints, logs, stores or sends.

Every value that came from `${ENV}` in the config, and every field that holds a
secret by nature (webhook URLs, tokens, passwords in URLs), is registered here;
`redact()` replaces each occurrence with "***".
"""

from __future__ import annotations

import threading
from urllib.parse import quote, unquote

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
        return redact(make_url(url).render_as_string(hide_password=True))
    except (ArgumentError, ValueError):
        return redact(url)


def clear() -> None:
    """For tests: forget every registered secret."""
    with _lock:
        _secrets.clear()
