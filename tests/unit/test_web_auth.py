"""The listener's access decisions as plain functions: who a token is, and what each role may do."""

from __future__ import annotations

import pytest

from monitor.config import parse_config
from monitor.web import auth
from monitor.web.auth import Access, Caller, Need
from monitor.web.login import safe_next

VIEWER, OPERATOR = Caller("grafana", "viewer"), Caller("oncall", "operator")


def service(tokens: str, legacy: str = ""):
    return parse_config(f'[service]\n{legacy}\n[service.tokens]\n{tokens}\n[sources.main]\nurl = "sqlite://"\n').service


def test_a_token_is_known_by_its_name_and_role_whatever_its_place_and_length():
    known = auth.known_tokens(
        service(
            'grafana = { token = "a-viewer-token-0123", role = "viewer" }\n'
            'oncall = { token = "an-operator-token-which-is-much-longer-0123", role = "operator" }',
            legacy='http_token = "the-old-single-token"',
        )
    )
    assert [k.caller for k in known] == [Caller("http_token", "viewer"), VIEWER, OPERATOR]
    assert auth.identify("the-old-single-token", known) == Caller("http_token", "viewer")
    assert auth.identify("a-viewer-token-0123", known) == VIEWER
    assert auth.identify("an-operator-token-which-is-much-longer-0123", tuple(reversed(known))) == OPERATOR
    for wrong in (None, "", "a-viewer-token-012", "a-viewer-token-01234", "A-VIEWER-TOKEN-0123"):
        assert auth.identify(wrong, known) is None, wrong


@pytest.mark.parametrize(
    ("authorization", "cookie", "token"),
    [
        ("Bearer abc", None, "abc"),
        ("bearer  abc ", "drifthound_token=zzz", "abc"),
        (None, "other=1; drifthound_token=zzz", "zzz"),
        ("Basic dXNlcjpwdw==", "drifthound_token=zzz", "zzz"),
        (None, 'drifthound_token="a+b/c="', "a+b/c="),
        ("Bearer ", None, None),
        (None, "drifthound_token=", None),
        (None, None, None),
    ],
)
def test_the_token_comes_from_the_header_else_the_login_cookie(authorization, cookie, token):
    assert auth.presented_token(authorization, cookie) == token


@pytest.mark.parametrize(
    ("need", "caller", "guarded", "verdict"),
    [
        (Need.NOTHING, None, True, Access.ALLOWED),
        (Need.VIEWER, None, False, Access.ALLOWED),
        (Need.VIEWER, None, True, Access.NO_TOKEN),
        (Need.VIEWER, VIEWER, True, Access.ALLOWED),
        (Need.OPERATOR, None, False, Access.NO_TOKEN),
        (Need.OPERATOR, VIEWER, True, Access.NOT_OPERATOR),
        (Need.OPERATOR, OPERATOR, True, Access.ALLOWED),
    ],
)
def test_what_each_caller_may_do(need, caller, guarded, verdict):
    assert auth.access(need, caller, guarded=guarded) is verdict


@pytest.mark.parametrize(
    ("method", "path", "need"),
    [
        ("GET", "/healthz", Need.NOTHING),
        ("GET", "/readyz", Need.NOTHING),
        ("GET", "/metrics", Need.NOTHING),
        ("POST", "/login", Need.NOTHING),
        ("GET", "/reports/x/", Need.VIEWER),
        ("GET", "/api/silences", Need.VIEWER),
        ("POST", "/api/silences", Need.OPERATOR),
        ("DELETE", "/api/silences/7", Need.OPERATOR),
        ("POST", "/reports/", Need.VIEWER),
    ],
)
def test_what_each_path_needs(method, path, need):
    assert auth.need_of(method, path) is need


@pytest.mark.parametrize(
    ("given", "where"),
    [
        ("/reports/credit/", "/reports/credit/"),
        ("//evil.example/", "/reports/"),
        ("https://evil.example/", "/reports/"),
        ("/\\evil.example", "/reports/"),
        ("/x\r\nSet-Cookie: a=b", "/reports/"),
        (None, "/reports/"),
    ],
)
def test_after_signing_in_a_browser_stays_on_this_site(given, where):
    assert safe_next(given) == where
