"""The web app behind the links in digests and the reader's own pages.

Opening a link never changes state: GET and HEAD only render the confirmation page, because
mail scanners and link prefetchers open every link they see. Only a POST to the same URL acts
(the token is in the path, so the form needs no action attribute, no cookie and no script).

CSRF: the app sets no cookie and keeps no session, so there is no ambient authority a
cross-site POST could borrow. The one-click links of a digest (relevant, not-relevant,
unsubscribe) act on their own signed token, as RFC 8058 requires; every form of the reader's
pages (profile, picks, search, add papers, settings) also carries a form token signed for that
reader (web/forms.py), so a page link alone cannot post. Framing is refused (CSP
frame-ancestors) so no page can overlay our buttons.
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
from recommender.self_service import fixed_keys
from recommender.store.engine import Store
from recommender.web import account, library_page, search_page
from recommender.web.atom_feed import MEDIA_TYPE, build_feed
from recommender.web.forms import FORM_FIELD, check_form, form_token, page_url
from recommender.web.guard import AccessLog, SecurityHeaders, redact_path, security_headers
from recommender.web.library_page import LikeIdentifiers
from recommender.web.pages import ACTIONS, PageError, Pages, paper_view
from recommender.web.picks_page import PicksSource, build_picks, page_number, rated_notice
from recommender.web.profile_page import build_profile
from recommender.web.settings_page import field_views, load_person, save_form
from recommender.web.tokens import ExpiredLink, InvalidLink, LinkSigner, action_url, signer_for
from recommender.web.uploads import describe_size, read_form

log = logging.getLogger("papersift.web")

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime],
    *,
    signer: LinkSigner | None = None,
    like_identifiers: LikeIdentifiers | None = None,
    picks: PicksSource | None = None,
) -> Starlette:
    """The Starlette app; `clock` is read once per request (tests move it to expire links).

    `like_identifiers` is the jobs layer's lookup for pasted ids (jobs.library.like_from_web);
    the "Add papers" page (/library/…) is served only when it is given. `picks` ranks one
    user's current picks (jobs/web_picks.py); without it the app serves no picks page and no
    feed. Both come from the jobs layer: recommender/ never imports jobs.
    """
    if signer is None:
        signer = signer_for(settings)
    pages = Pages()

    def reader(token: str, purpose: str, now: datetime) -> tuple[UserSettings, str | None]:
        """The user and paper key a valid token names; PageError (nothing done) otherwise."""
        try:
            claim = signer.verify(token, purpose, now)
        except ExpiredLink as exc:
            raise PageError(410, "This link has expired", exc.what, exc.hint) from None
        except InvalidLink as exc:
            raise PageError(400, "This link does not work", exc.what, exc.hint) from None
        # Config users and invited ones, with their settings-page values (one small read).
        return load_person(settings, store, claim.user_id).user, claim.paper_key

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

    def picks_links(user_id: str, now: datetime) -> dict[str, str] | None:
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
            links=picks_links(user.id, now),
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
            check_form(signer, form, user.id, now)  # every button carries the form token
            notice = await run_in_threadpool(
                account.profile_action, store, user.id, action, paper_key, now
            )
            log.info("profile %s by %s", action, user.id)
        view = await run_in_threadpool(build_profile, store, user, now, None, settings)
        return pages.render(
            "profile.html",
            profile=view,
            notice=notice,
            nav=own_pages(user.id, now),
            settings_url=page_url(signer, settings.web.base_url, "settings", user.id, now),
            form_field=FORM_FIELD,
            form_token=form_token(signer, user.id, now),
        )

    def own_pages(user_id: str, now: datetime) -> list[tuple[str, str]]:
        """(label, signed URL) of the reader's other pages, linked from the profile page."""
        base = settings.web.base_url
        links = [
            ("Settings", page_url(signer, base, "settings", user_id, now)),
            ("Search papers", page_url(signer, base, "search", user_id, now)),
        ]
        if like_identifiers is not None:
            links.append(
                ("Add papers (ids, BibTeX, RIS)", page_url(signer, base, "library", user_id, now))
            )
        if picks is not None:
            links.insert(0, ("My picks", page_url(signer, base, "picks", user_id, now)))
            links.append(("My Atom feed", page_url(signer, base, "feed", user_id, now)))
        return links

    def library_endpoint(like: LikeIdentifiers) -> Endpoint:
        """The "Add papers" page: paste, upload, Undo (recommender/web/library_page.py)."""

        async def library(request: Request) -> Response:
            now = clock()
            user, _ = reader(request.path_params["token"], "library", now)
            result, undone = None, None
            if request.method == "POST":
                form = await read_form(request, library_page.MAX_UPLOAD_BYTES)
                try:
                    check_form(signer, form, user.id, now)
                    action = form.get("do")
                    if action == "paste":
                        result = await library_page.paste(form, user, now, like)
                    elif action == "upload":
                        result = await library_page.upload(form, store, user, now)
                    elif action == "undo":
                        report = await library_page.undo(form, store, user, now)
                        undone = library_page.undo_message(report)
                    else:
                        raise PageError(400, "Unknown action", "this button does not exist")
                finally:
                    await form.close()
                log.info("library %s by %s", action, user.id)
            return pages.render(
                "library.html",
                name=user.name or user.id,
                result=result,
                undone=undone,
                form_field=FORM_FIELD,
                form_token=form_token(signer, user.id, now),
                profile_url=profile_url(user.id, now),
                max_upload=describe_size(library_page.MAX_UPLOAD_BYTES),
                max_identifiers=library_page.MAX_IDENTIFIERS,
            )

        return library

    async def search(request: Request) -> Response:
        now = clock()
        user, _ = reader(request.path_params["token"], "search", now)
        notice = None
        if request.method == "POST":
            form = await request.form()
            check_form(signer, form, user.id, now)
            action, paper_key = str(form.get("do", "")), str(form.get("paper", ""))
            notice = await run_in_threadpool(
                search_page.rate, store, user.id, action, paper_key, now
            )
            log.info("search %s by %s", action, user.id)
        # A form posts back to this URL with its query string, so the results stay in view.
        params = request.query_params
        page = search_page.parse_page(params.get("page"))
        similar = params.get("similar", "")
        if similar:
            view = await run_in_threadpool(search_page.similar_view, store, user.id, similar, page)
        else:
            query = params.get("q", "")
            view = await run_in_threadpool(search_page.search_view, store, user.id, query, page)
        return pages.render(
            "search.html",
            view=view,
            notice=notice,
            form_field=FORM_FIELD,
            form_token=form_token(signer, user.id, now),
            profile_url=profile_url(user.id, now),
        )

    async def settings_page(request: Request) -> Response:
        now = clock()
        user, _ = reader(request.path_params["token"], "settings", now)
        notice, errors, submitted, status = None, {}, None, 200
        if request.method == "POST":
            form = await request.form()
            check_form(signer, form, user.id, now)
            values = {k: v for k, v in form.items() if isinstance(v, str)}
            result = await run_in_threadpool(save_form, settings, store, user.id, values, now)
            if result.errors:
                errors, submitted, status = result.errors, values, 400
            else:
                notice = "Saved. Your next digest uses these settings."
            log.info("settings %s by %s", "rejected" if errors else "saved", user.id)
        person = await run_in_threadpool(load_person, settings, store, user.id)
        return pages.render(
            "settings.html",
            status,
            name=user.name or user.id,
            fields=field_views(person, fixed_keys(settings, person.user), submitted, errors),
            errors=errors,
            notice=notice,
            form_field=FORM_FIELD,
            form_token=form_token(signer, user.id, now),
            profile_url=profile_url(user.id, now),
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
    if like_identifiers is not None:
        endpoint = library_endpoint(like_identifiers)
        routes.append(Route("/library/{token}", endpoint, methods=["GET", "POST"]))
    routes.append(Route("/search/{token}", search, methods=["GET", "POST"]))
    routes.append(Route("/settings/{token}", settings_page, methods=["GET", "POST"]))
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
