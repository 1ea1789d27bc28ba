"""The web UI: ``create_app(settings)`` builds the FastAPI application.

The factory wires everything from its arguments (no module-level app or engine):
the database, the server-side sessions, the guards of ``security``, the page routers
and the JSON API. Errors users can cause become a German page (or JSON under
``/api``), never a traceback.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from portfolio.config import SETTINGS, Settings
from portfolio.domain.errors import PortfolioError
from portfolio.services import audit
from portfolio.services.directory import Directory
from portfolio.services.edit_base import FormErrors, german_messages
from portfolio.services.office import database_defaults
from portfolio.services.sessions import Lifetimes
from portfolio.services.throttle import ThrottleRules
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web.accesslog import AccessLogMiddleware, make_logger
from portfolio.web.context import make_templates
from portfolio.web.security import (
    ApiUnauthorized,
    CsrfFailed,
    Forbidden,
    LoginRequired,
    check_csrf,
    parse_proxies,
)
from portfolio.web.sessions import ServerSessionMiddleware
from portfolio.web.uploads import make_upload_dir

STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
)


class GuardMiddleware:
    """Refuse oversized requests early and add security headers to every answer."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, document_bytes: int | None = None
    ) -> None:
        """Wrap an ASGI app with a body-size limit in bytes (documents: their own)."""
        self.app = app
        self.max_bytes = max_bytes
        self.document_bytes = document_bytes or max_bytes

    def limit(self, path: str) -> int:
        """The body limit of a request: document uploads have their own setting."""
        if path.endswith(("/dokumente", "/documents")):
            return self.document_bytes + 64 * 1024  # the form fields beside the file
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check Content-Length and count the bytes actually received."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"0")
        max_bytes = self.limit(str(scope.get("path", "")))
        if length.isdigit() and int(length) > max_bytes:
            await _too_large(max_bytes)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _BodyTooLarge(max_bytes)
            return message

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", CSP.encode()),
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await _too_large(max_bytes)(scope, receive, send)


def _too_large_text(max_bytes: int) -> str:
    megabytes = max_bytes // (1024 * 1024)
    return f"Die Datei ist zu groß: höchstens {megabytes} MB sind erlaubt."


class _BodyTooLarge(StarletteHTTPException):
    """A body without Content-Length grew past the limit (chunked upload).

    An HTTPException, so FastAPI's body parsing passes it on as it is instead of
    turning it into its English "There was an error parsing the body".
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, detail=_too_large_text(max_bytes))


def _too_large(max_bytes: int) -> Response:
    return HTMLResponse(f"<p>{_too_large_text(max_bytes)}</p>", status_code=413)


HTTP_ERRORS = {
    400: ("Das ging nicht", "Die Anfrage ließ sich nicht verarbeiten."),
    404: (
        "Seite nicht gefunden",
        "Diese Seite gibt es nicht. Über das Menü finden Sie alle Bereiche.",
    ),
    401: ("Anmeldung erforderlich", "Bitte melden Sie sich an."),
    403: ("Keine Berechtigung", "Diese Aktion ist nicht erlaubt."),
    405: ("Das ging nicht", "Diese Aktion ist an dieser Adresse nicht möglich."),
    406: ("Das ging nicht", "Dieses Format kann portfolio nicht liefern."),
    413: ("Zu groß", "Die Anfrage ist zu groß."),
    415: ("Das ging nicht", "Dieses Format nimmt portfolio hier nicht an."),
    429: ("Zu viele Anfragen", "Bitte warten Sie einen Moment."),
}

INTERNAL_ERROR = (
    "Interner Fehler",
    "Hier ist in portfolio etwas schiefgegangen; Ihre Eingabe wurde nicht "
    "gespeichert. Bitte versuchen Sie es noch einmal; hält der Fehler an, melden "
    "Sie ihn der Verwaltung (die Einzelheiten stehen im Protokoll des Servers).",
)

_PHRASES = {status.phrase for status in HTTPStatus}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


def _error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    link: tuple[str, str] | None = None,
) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "title": title,
            "message": message,
            "link": link,
            "user": getattr(request.state, "user", None),
        },
        status_code=status,
    )


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:  # noqa: ARG001
        if _is_api(request):
            return JSONResponse({"detail": "Anmeldung erforderlich."}, status_code=401)
        if request.method != "GET" or request.headers.get("hx-request"):
            return _error_page(
                request,
                401,
                "Anmeldung erforderlich",
                "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich neu an.",
            )
        target = request.url.path + (
            f"?{request.url.query}" if request.url.query else ""
        )
        # Quoted whole: "&q=…" of the asked page must not become a login parameter.
        return RedirectResponse(
            f"/login?next={quote(target, safe='/')}", status_code=303
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:  # noqa: ARG001
        return _error_page(
            request,
            403,
            "Keine Berechtigung",
            "Ihre Rolle erlaubt diese Aktion nicht. Fragen Sie die Verwaltung.",
        )

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:  # noqa: ARG001
        return _error_page(
            request,
            403,
            "Formular abgelaufen",
            "Das Formular ist abgelaufen oder kam nicht von dieser Seite. "
            "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
        )

    @app.exception_handler(ApiUnauthorized)
    async def _api_auth(request: Request, exc: ApiUnauthorized) -> Response:  # noqa: ARG001
        return JSONResponse(
            {
                "detail": "Gültiger API-Schlüssel erforderlich "
                "(Authorization: Bearer …)."
            },
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            answer = await request_validation_exception_handler(request, exc)
            if request.method in ("POST", "PUT"):
                # The writes also name each wrong field in German, as the forms do.
                body = {
                    "detail": jsonable_encoder(exc.errors()),
                    "errors": german_messages(exc.errors(), skip="body"),
                }
                return JSONResponse(body, status_code=answer.status_code)
            return answer
        return _error_page(
            request,
            422,
            "Eingabe unvollständig",
            "Eine Angabe fehlt oder hat das falsche Format (ein Jahr z. B. als Zahl). "
            "Bitte gehen Sie zurück und prüfen Sie das Formular.",
        )

    @app.exception_handler(PortfolioError)
    async def _portfolio(request: Request, exc: PortfolioError) -> Response:
        if isinstance(exc, FormErrors) and _is_api(request):
            return JSONResponse(
                {"detail": exc.message, "errors": exc.errors}, status_code=422
            )
        return _error_page(
            request, exc.http_status, "Das ging nicht", exc.message, exc.link
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:  # noqa: ARG001
        # Starlette's own answer to a bug is "Internal Server Error" in English;
        # the traceback still goes to the server's log (the exception is re-raised).
        try:
            return _error_page(request, 500, *INTERNAL_ERROR)
        except Exception:  # even the error page failed
            return PlainTextResponse(INTERNAL_ERROR[1], status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # Starlette's and FastAPI's own answers (unknown address, wrong method,
        # a body that does not parse) carry English details: never show them.
        title, message = HTTP_ERRORS.get(exc.status_code, HTTP_ERRORS[400])
        if isinstance(exc, _BodyTooLarge):
            message = str(exc.detail)
        response = _error_page(request, exc.status_code, title, message)
        response.headers.update(exc.headers or {})
        return response


def session_limits(settings: Settings) -> Lifetimes:
    """Idle timeout and absolute lifetime of a browser session, from the settings."""
    return Lifetimes(
        idle=timedelta(minutes=float(settings.get("web.session_idle_minutes"))),
        lifetime=timedelta(hours=float(settings.get("web.session_max_hours"))),
    )


def _log_settings(engine: Engine, settings: Settings) -> None:
    """Note in the audit log which settings changed since the last start."""
    from portfolio.web.views.admin import SECRET_SETTINGS

    values = {s.key: settings.get(s.key) for s in SETTINGS}
    with session_scope(engine, "server") as session:
        audit.record_settings(session, values, SECRET_SETTINGS)


def directory_from(settings: Settings) -> Directory | None:
    """The directory to sign in against, if ``ldap.url`` is set."""
    url = settings.get("ldap.url")
    if not url:
        return None
    return Directory(
        url=str(url),
        base_dn=str(settings.get("ldap.base_dn")),
        user_filter=str(settings.get("ldap.user_filter")),
        bind_dn=settings.get("ldap.bind_dn"),
        bind_password=settings.get("ldap.bind_password"),
        starttls=bool(settings.get("ldap.starttls")),
        groups=dict(settings.get("ldap.groups") or {}),
    )


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """Build the web application for these settings (and optionally an engine)."""
    from portfolio.web.views import (
        admin,
        api,
        api_changes,
        api_edit,
        api_money,
        auth,
        bescheide,
        changes,
        deadlines,
        documents,
        documents_api,
        entities,
        imports,
        pages,
        programmes,
    )
    from portfolio.web.views import files as file_views
    from portfolio.web.views import money as money_views

    app = FastAPI(
        title="portfolio API",
        summary="Förderprogramme, Fristen und Fördergeber des Bildungsbüros",
        description=(
            "Lesezugriff auf Programme, Fristen und Fördergeber sowie Statuswechsel "
            "von Fristen. Anmeldung mit dem persönlichen API-Schlüssel "
            "(Seite Konto) als `Authorization: Bearer <Schlüssel>`."
        ),
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.engine = engine or open_database(settings.database_url)
    _log_settings(app.state.engine, settings)
    # The office defaults the database carries (the demo's name and address).
    with session_scope(app.state.engine, "server", read_only=True) as session:
        app.state.settings = settings.with_database_defaults(database_defaults(session))
    app.state.templates = make_templates()
    app.state.directory = directory_from(settings)
    app.state.trusted_proxies = parse_proxies(str(settings.get("web.trusted_proxies")))
    app.state.throttle = ThrottleRules(
        max_delay=float(settings.get("web.login_delay_max_seconds"))
    )
    app.state.upload_dir = make_upload_dir()
    app.router.on_shutdown.append(
        lambda: shutil.rmtree(app.state.upload_dir, ignore_errors=True)
    )
    base_url = str(settings.get("web.base_url"))
    max_mb = int(settings.get("imports.max_file_mb"))
    # The page sends each dropped document on its own request.
    document_mb = int(settings.get("documents.max_file_mb"))
    app.add_middleware(
        ServerSessionMiddleware,
        engine=app.state.engine,
        limits=session_limits(settings),
        https_only=base_url.startswith("https://"),
    )
    app.add_middleware(
        GuardMiddleware,
        max_bytes=max_mb * 1024 * 1024,
        document_bytes=document_mb * 1024 * 1024,
    )
    access = make_logger(str(settings.get("web.access_log")))
    if access is not None:
        app.add_middleware(AccessLogMiddleware, logger=access)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_handlers(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(api_edit.router)
    app.include_router(api_money.router)
    app.include_router(api_changes.router)
    app.include_router(deadlines.feed_router)
    app.include_router(documents_api.router)
    guarded = [Depends(check_csrf)]
    for module in (
        pages,
        entities,
        programmes,
        money_views,
        bescheide,
        deadlines,
        imports,
        file_views,
        admin,
        documents,
        changes,
    ):
        app.include_router(module.router, dependencies=guarded)
    return app
