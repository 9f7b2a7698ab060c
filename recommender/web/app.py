"""The web app behind the links in digests: confirm pages, their POST actions, the profile page.

Opening a link never changes state: GET and HEAD only render the confirmation page, because
mail scanners and link prefetchers open every link they see. Only a POST to the same URL acts
(the token is in the path, so the form needs no action attribute, no cookie and no script).

Why there is no CSRF token: the capability is the signed token in the URL, and the app sets
no cookie and keeps no session, so there is no ambient authority a cross-site POST could
borrow. A hostile page can only post a token its author already holds, which he could use
directly anyway. Framing is refused (CSP frame-ancestors) so no page can overlay our button.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from recommender.config import Settings, UserSettings
from recommender.errors import StoreError
from recommender.store.engine import Store
from recommender.web import account
from recommender.web.atom_feed import MEDIA_TYPE, build_feed
from recommender.web.forms import FORM_FIELD, check_form, form_token, page_url
from recommender.web.guard import AccessLog, SecurityHeaders, redact_path, security_headers
from recommender.web.pages import ACTIONS, PageError, Pages, paper_view
from recommender.web.picks_page import PicksSource, build_picks, page_number, rated_notice
from recommender.web.profile_page import build_profile
from recommender.web.tokens import ExpiredLink, InvalidLink, LinkSigner, action_url, signer_for

log = logging.getLogger("papersift.web")

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime],
    *,
    signer: LinkSigner | None = None,
    picks: PicksSource | None = None,
) -> Starlette:
    """The Starlette app; `clock` is read once per request (tests move it to expire links).

    `picks` ranks one user's current picks (jobs/web_picks.py); without it the app serves no
    picks page and no feed (recommender/ never imports the jobs that rank)."""
    if signer is None:
        signer = signer_for(settings)
    pages = Pages()
    users = {user.id: user for user in settings.users}

    def reader(token: str, purpose: str, now: datetime) -> tuple[UserSettings, str | None]:
        """The user and paper key a valid token names; PageError (nothing done) otherwise."""
        try:
            claim = signer.verify(token, purpose, now)
        except ExpiredLink as exc:
            raise PageError(410, "This link has expired", exc.what, exc.hint) from None
        except InvalidLink as exc:
            raise PageError(400, "This link does not work", exc.what, exc.hint) from None
        user = users.get(claim.user_id)
        if user is None:
            raise PageError(
                404, "Unknown reader", "this link is for a reader this server does not have"
            )
        return user, claim.paper_key

    def profile_url(user_id: str, now: datetime) -> str:
        token = signer.sign("profile", user_id, None, now)
        return action_url(settings.web.base_url, "profile", token)

    def link_endpoint(purpose: str) -> Endpoint:
        texts = ACTIONS[purpose]

        async def endpoint(request: Request) -> Response:
            now = clock()
            user, paper_key = reader(request.path_params["token"], purpose, now)
            paper = None
            if paper_key is not None:
                paper = await run_in_threadpool(account.find_paper_by_key, store, paper_key)
                if paper is None:
                    raise PageError(404, "Unknown paper", "this paper is not in the database")
            context: dict[str, Any] = {
                "action": texts,
                "paper": paper_view(paper) if paper is not None else None,
                "profile_url": profile_url(user.id, now),
            }
            if request.method != "POST":  # GET and HEAD: show, never act
                return pages.render(
                    "confirm.html",
                    explain=texts.explain.format(email=user.email),
                    user_label=f"For {user.name or user.id} · {user.email}",
                    **context,
                )
            # Any POST acts: our button, or a mail client's RFC 8058 one-click POST whose
            # body is "List-Unsubscribe=One-Click".
            undo = bool((await request.form()).get("undo"))
            do = account.undo_link if undo else account.apply_link
            changed = await run_in_threadpool(do, store, purpose, user.id, paper, now)
            log.info(
                "%s %s by %s%s",
                purpose,
                "undone" if undo else "done",
                user.id,
                "" if changed else " (no change)",
            )
            if undo:
                heading, message, undo_button = texts.undone, texts.undone_message, None
            else:
                message = texts.done_message if changed else texts.already_message
                heading, undo_button = texts.done, texts.undo_button
            return pages.render(
                "done.html",
                heading=heading,
                message=message.format(email=user.email),
                tone="warn" if undo else "ok",
                undo_button=undo_button,
                **context,
            )

        return endpoint

    def wants_json(request: Request) -> bool:
        # The picks page's script asks for JSON; a plain form post gets the page back.
        return "application/json" in request.headers.get("accept", "")

    def own_pages(user_id: str, now: datetime) -> dict[str, str] | None:
        """Signed links to the user's picks page and feed (None when the app has no picks)."""
        if picks is None:
            return None
        base = settings.web.base_url
        return {
            "picks": page_url(signer, base, "picks", user_id, now),
            "feed": page_url(signer, base, "feed", user_id, now),
            "profile": profile_url(user_id, now),
        }

    async def picks_page(request: Request) -> Response:
        assert picks is not None  # the route exists only with a picks source
        now = clock()
        user, _ = reader(request.path_params["token"], "picks", now)
        page = page_number(request.query_params.get("page"))
        notice = None
        if request.method == "POST":
            form = await request.form()
            check_form(signer, form, user.id, now)  # 403, nothing done, without this user's
            action, paper_key = str(form.get("do", "")), str(form.get("paper", ""))
            state, title = await run_in_threadpool(
                account.rate_paper, store, user.id, action, paper_key, now
            )
            log.info("picks %s by %s", action, user.id)
            notice = rated_notice(state, title, paper_key)
            if wants_json(request):
                return JSONResponse({"paper": paper_key, "state": state, "message": notice.short})
        ranked = await run_in_threadpool(picks, user, now)
        # After a rating the list may have lost its last page: show the one before it.
        view = build_picks(user, ranked, page, clamp=notice is not None)
        return pages.render(
            "picks.html",
            view=view,
            notice=notice,
            links=own_pages(user.id, now),
            form_field=FORM_FIELD,
            form_token=form_token(signer, user.id, now),
        )

    async def feed(request: Request) -> Response:
        assert picks is not None  # the route exists only with a picks source
        now = clock()
        token = request.path_params["token"]
        user, _ = reader(token, "feed", now)
        ranked = await run_in_threadpool(picks, user, now)
        base = settings.web.base_url
        body = build_feed(
            user,
            ranked,
            base_url=base,
            feed_url=action_url(base, "feed", token),
            picks_url=page_url(signer, base, "picks", user.id, now),
            now=now,
        )
        return Response(body, media_type=MEDIA_TYPE)

    async def profile(request: Request) -> Response:
        now = clock()
        user, _ = reader(request.path_params["token"], "profile", now)
        notice = None
        if request.method == "POST":
            form = await request.form()
            action, paper_key = str(form.get("do", "")), str(form.get("paper", ""))
            notice = await run_in_threadpool(
                account.profile_action, store, user.id, action, paper_key, now
            )
            log.info("profile %s by %s", action, user.id)
        view = await run_in_threadpool(build_profile, store, user, now)
        return pages.render(
            "profile.html", profile=view, notice=notice, own_pages=own_pages(user.id, now)
        )

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def page_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, PageError):  # pragma: no cover - registered for PageError only
            raise exc
        if request.method == "POST" and wants_json(request):
            body = {"error": exc.what, "hint": exc.hint}
            return JSONResponse(body, status_code=exc.status, headers=security_headers(pages.csp))
        return pages.error(exc.status, exc.heading, exc.what, exc.hint)

    async def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            response = pages.error(405, "Not allowed", "this address answers only GET and POST")
            response.headers.update(exc.headers or {})  # Allow: GET, HEAD, POST
            return response
        return pages.error(
            404, "Not found", "there is no page at this address", "Use a link from your digest"
        )

    async def store_error(request: Request, exc: Exception) -> Response:
        # The reason goes to the log only: a page never shows a URL, a query or a traceback.
        log.error("database error on %s: %s", redact_path(request.url.path), exc)
        return pages.error(503, "Try again later", "the server cannot reach its database now")

    async def server_error(request: Request, exc: Exception) -> Response:
        # uvicorn logs the traceback itself (Starlette re-raises); this line names the action.
        log.error("error on %s: %r", redact_path(request.url.path), exc)
        return pages.error(500, "Something went wrong", "the server failed to answer this link")

    routes = [Route(f"/{p}/{{token}}", link_endpoint(p), methods=["GET", "POST"]) for p in ACTIONS]
    routes.append(Route("/profile/{token}", profile, methods=["GET", "POST"]))
    if picks is not None:
        routes.append(Route("/picks/{token}", picks_page, methods=["GET", "POST"]))
        routes.append(Route("/feed/{token}", feed, methods=["GET"]))
    routes.append(Route("/healthz", health, methods=["GET"]))
    app = Starlette(
        routes=routes,
        exception_handlers={
            PageError: page_error,
            HTTPException: http_error,
            StoreError: store_error,
            DBAPIError: store_error,
            Exception: server_error,
        },
    )
    app.add_middleware(SecurityHeaders, csp=pages.csp)
    app.add_middleware(AccessLog)
    return app
