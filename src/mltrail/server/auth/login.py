"""The UI's sign-in page and sign-out: ``GET/POST /login``, ``POST /logout``.

A right user name and password set the signed session cookie (HttpOnly, SameSite=Lax, Secure
over https) and a readable CSRF cookie, then redirect to ``next`` (a path on this server only).
A wrong one answers 401 with the form again; the password is never echoed or logged.
"""

from __future__ import annotations

import hmac
import html
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .session import CSRF_COOKIE, SESSION_COOKIE, SESSION_LIFETIME_S, cookie_header

MAX_FORM_BYTES = 16 * 1024
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Sign in · mltrail</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static-ui/ui.css"></head>
<body><header class="top"><a class="brand" href="/">mltrail</a></header>
<main class="login"><h1>Sign in</h1>{error}
<form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<label>User name <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form></main></body></html>
"""


def _safe_next(target: str) -> str:
    """``target`` if it is a path on this server, else ``/`` (no open redirects)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target or "\r" in target:
        return "/"
    return target


def _page(next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    notice = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(_PAGE.format(error=notice, next=html.escape(_safe_next(next_path))), status_code=status,
                        headers={"Cache-Control": "no-store"})


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def login_page(request: Request) -> Response:
    """The form (GET) or a sign-in attempt (POST)."""
    if request.method == "GET":
        return _page(request.query_params.get("next", "/"))
    form = await _form(request)
    next_path = _safe_next(form.get("next", "/"))
    username, password = form.get("username", ""), form.get("password", "")
    guard = request.app.state.context.auth
    user = await run_in_threadpool(guard.login, username, password) if username and password else None
    if user is None:
        return _page(next_path, "Wrong user name or password.", 401)
    session = request.app.state.session_signer.sign(user.id)
    csrf = request.app.state.session_signer.verify(session)["c"]
    response = RedirectResponse(next_path, status_code=303)
    secure = _secure(request)
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, session, True, secure, SESSION_LIFETIME_S))
    response.headers.append("set-cookie", cookie_header(CSRF_COOKIE, csrf, False, secure, SESSION_LIFETIME_S))
    return response


async def logout(request: Request) -> Response:
    """End the user's sessions and clear the cookies (the form must carry the session's CSRF token)."""
    form = await _form(request)
    session = request.cookies.get(SESSION_COOKIE, "")
    body: Any = request.app.state.session_signer.verify(session) if session else None
    if body is not None and not hmac.compare_digest(str(body.get("c", "")), form.get("csrf_token", "")):
        return HTMLResponse("Missing or wrong CSRF token", status_code=403)
    if body is not None:  # the cookie stops working everywhere, not only in this browser
        await run_in_threadpool(request.app.state.context.auth.end_sessions, body["u"])
    response = RedirectResponse("/login", status_code=303)
    secure = _secure(request)
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, "", True, secure, 0))
    response.headers.append("set-cookie", cookie_header(CSRF_COOKIE, "", False, secure, 0))
    return response


def routes() -> list[Route]:
    """``/login`` and ``/logout``."""
    return [Route("/login", login_page, methods=["GET", "POST"]), Route("/logout", logout, methods=["POST"])]
