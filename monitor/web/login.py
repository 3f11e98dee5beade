"""The browser's way in: a form that takes a token once and keeps it in an HttpOnly, SameSite=Strict cookie.

Browsers cannot send an Authorization header of their own; the cookie stands in for it. SameSite=Strict keeps
other sites' pages from riding on it, and the writes it allows also need a JSON body, which no cross-site form
can send.
"""

from __future__ import annotations

import html
from http.cookies import SimpleCookie

from monitor.web.auth import COOKIE
from monitor.web.pages import STYLE

# How long a browser keeps the token: a working day, not for good.
COOKIE_SECONDS = 12 * 3600


def login_page(next_path: str, problem: str | None) -> str:
    shown = f"<p class=failed>{html.escape(problem)}</p>" if problem else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>DriftHound: sign in</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>'
        f"<h1>DriftHound</h1><p class=muted>This listener needs a token (ask whoever runs DriftHound).</p>{shown}"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="next" value="{html.escape(safe_next(next_path), quote=True)}">'
        '<label>token <input type="password" name="token" id="token" autocomplete="current-password" required>'
        '</label> <button type="submit" id="sign-in">sign in</button></form></body></html>'
    )


def safe_next(path: str | None) -> str:
    """Where to go after signing in: a path on this site only (never "//host" or a URL elsewhere)."""
    if not path or not path.startswith("/") or path.startswith("//") or any(c in path for c in "\\\r\n"):
        return "/reports/"
    return path


def cookie(token: str, *, secure: bool, clear: bool = False) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar[COOKIE] = token
    morsel = jar[COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    morsel["max-age"] = 0 if clear else COOKIE_SECONDS
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()
