"""One HTTP client for a Prefect server's REST API (httpx, imported on first use; never
``import prefect``), shared by the block store and the dashboard.

What it takes from Prefect 3.9.1's own client (``prefect.client.orchestration.PrefectClient``
and ``prefect.client.base.PrefectHttpxAsyncClient``):

- ``Authorization: Basic base64(PREFECT_API_AUTH_STRING)`` when the auth string is set, else
  ``Bearer PREFECT_API_KEY``;
- TLS: ``PREFECT_API_TLS_INSECURE_SKIP_VERIFY`` turns verification off, else
  ``PREFECT_API_SSL_CERT_FILE`` (or ``SSL_CERT_FILE``) is the CA bundle;
- retries: 408, 429, 502, 503 (and 504) are retried up to ``PREFECT_CLIENT_MAX_RETRIES``
  (default 5) times, waiting ``Retry-After`` (seconds or an HTTP date) when the server sends
  it, else ``2**attempt`` seconds, with Prefect's 20 % jitter; a dropped connection
  (``ReadError``, ``RemoteProtocolError``...) is retried the same way. Unlike Prefect, a
  timeout is not retried (a wizard should not hang for minutes) and a single wait longer
  than ``MAX_WAIT`` seconds ends the call with a one-line error.

Every failure is one line, of the error class the caller chose, naming the setting that
would fix it. Response bodies never reach a message (a 422 answer repeats the request).
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flowwiz.detectors.errors import FlowwizError, WorldError
from flowwiz.detectors.prefect_settings import (
    API_KEY,
    API_URL,
    AUTH_STRING,
    SSL_CERT_FILE,
    TLS_INSECURE,
    PrefectSettings,
)
from flowwiz.detectors.secret import SecretStr

CONNECT_TIMEOUT = 5.0
REQUEST_TIMEOUT = 15.0
RETRY_CODES = frozenset({408, 429, 502, 503, 504})
JITTER = 0.2  # PREFECT_CLIENT_RETRY_JITTER_FACTOR's default
MAX_WAIT = 30.0  # seconds: a longer Retry-After is reported, not slept through

Waiting = Callable[[str], AbstractContextManager[Any]]


class PrefectApiError(WorldError):
    """The Prefect server could not be used (unreachable, refused, not a Prefect API): exit 1."""


def clean_url(url: str) -> str:
    """The API URL as shown to people and used as a base: no credentials, no query, no
    trailing slash."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rpartition("@")[2]  # user:password@ never reaches a message
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def parse_retry_after(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP-date, RFC 9110),
    never negative; None when it cannot be read (``prefect.client.base._parse_retry_after``)."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def transport_reason(exc: Exception) -> str:
    """Why an HTTP call never got an answer, in a few words (never the URL or the message)."""
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename" in text or "getaddrinfo" in text:
        return "host not found"
    if "ssl" in text or "certificate" in text:
        return "TLS failed"
    return type(exc).__name__


class PrefectClient:
    """A Prefect API at ``settings.api_url``, with its auth, TLS and retry settings.

    ``error`` is the FlowwizError subclass raised for every failure (the block store raises
    its BlockStoreError, the dashboard its ServerReadError). ``waiting(doing)`` wraps each call,
    retries included (the wizard shows a spinner when it takes a while). ``api_key`` overrides
    the settings' key (the block store's keyring fallback). ``sleep`` is for tests.
    """

    def __init__(
        self,
        settings: PrefectSettings,
        *,
        error: type[FlowwizError] = PrefectApiError,
        api_key: str | SecretStr | None = None,
        timeout: float = REQUEST_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        waiting: Waiting | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.api_url:
            raise error("no Prefect server is configured: set PREFECT_API_URL or pass --api-url")
        self.settings = settings
        self.api_url = clean_url(settings.api_url)
        self._error = error
        self._api_key = api_key
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._waiting = waiting
        self._sleep = sleep
        self._max_retries = settings.max_retries
        self._client: Any = None

    # -- the calls ------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        ok: tuple[int, ...] = (200,),
        missing_ok: bool = False,
        write: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The JSON body of a successful answer (None for 204, or for 404 when ``missing_ok``)."""
        response = self.request(method, path, doing=doing, **kwargs)
        if missing_ok and response.status_code == 404:
            return None
        self.expect(response, doing, ok=ok, write=write)
        if response.status_code == 204:
            return None
        return self.json(response, doing)

    def request(self, method: str, path: str, *, doing: str, **kwargs: Any) -> Any:
        """The httpx response, after retries; transport failures raise the one-line error."""
        import httpx

        waiting = self._waiting(doing) if self._waiting else nullcontext()
        with waiting:
            attempt = 0
            while True:
                attempt += 1
                try:
                    response = self._http().request(method, self.api_url + path, **kwargs)
                except httpx.TimeoutException:
                    raise self._error(
                        f"the Prefect server at {self.api_url} did not answer within "
                        f"{self._timeout:g} s (asked to {doing})"
                    ) from None
                except (
                    httpx.ReadError,
                    httpx.WriteError,
                    httpx.RemoteProtocolError,
                ) as exc:
                    if attempt > self._max_retries:
                        raise self._unreachable(exc) from None
                    self._pause(2.0**attempt, from_header=False, doing=doing)
                    continue
                except httpx.TransportError as exc:
                    raise self._unreachable(exc) from None
                if response.status_code not in RETRY_CODES or attempt > self._max_retries:
                    return response
                header = response.headers.get("Retry-After")
                wait = parse_retry_after(header) if header else None
                if wait is not None and wait > MAX_WAIT:
                    raise self._error(
                        f"the Prefect server at {self.api_url} asks to wait {wait:.0f} s "
                        f"(HTTP {response.status_code}) before it can {doing}: try again later"
                    )
                self._pause(
                    2.0**attempt if wait is None else wait,
                    from_header=wait is not None,
                    doing=doing,
                )

    def expect(
        self, response: Any, doing: str, *, ok: tuple[int, ...] = (200,), write: bool = False
    ) -> None:
        """Raise the one-line error for an answer whose status is not in ``ok``."""
        code = response.status_code
        if code in ok:
            return
        where = self.api_url
        if code in (401, 403):
            raise self._error(
                f"the Prefect server at {where} refused the request (HTTP {code}): "
                f"{self.auth_hint()}"
            )
        if code in (307, 308):
            raise self._error(
                f"the Prefect server at {where} redirected the request (HTTP {code}): "
                f"check {self.url_setting()} (it usually ends in /api)"
            )
        if code in RETRY_CODES:
            raise self._error(
                f"the Prefect server at {where} is busy or down (HTTP {code}, "
                f"{self._max_retries + 1} attempts): try again later"
            )
        if code == 422 and write:
            # the body repeats the request, secret included: say nothing from it
            raise self._error(f"the Prefect server at {where} rejected the request (HTTP 422)")
        detail = "" if write else _detail(response)
        raise self._error(f"the Prefect server at {where} could not {doing} (HTTP {code}){detail}")

    def json(self, response: Any, doing: str) -> Any:
        """The body as JSON; an HTML page (a proxy's login page) or other text is the one-line
        error naming PREFECT_API_URL."""
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if kind and "json" not in kind:
                raise ValueError(kind)
            return response.json()
        except ValueError:
            what = "a web page" if "html" in kind else f"something other than JSON ({kind or '?'})"
            raise self._error(
                f"{self.api_url} answered with {what}, not the Prefect API (a proxy or login "
                f"page?) when asked to {doing}: check {self.url_setting()}"
            ) from None

    def url_setting(self) -> str:
        """The setting that names the server, for messages: ``the --api-url`` or
        ``PREFECT_API_URL (from profile 'prod')``."""
        text = self.settings.setting(API_URL)
        return "the --api-url" if text.startswith("--") else text

    def auth_hint(self) -> str:
        """What to check after a 401/403, naming the setting in force."""
        s = self.settings
        if s.auth_string:
            return f"check {s.setting(AUTH_STRING)}"
        if s.api_key or self._api_key:
            return f"check {s.setting(API_KEY) if s.api_key else API_KEY} and the workspace URL"
        return (
            f"set {API_KEY} (Prefect Cloud) or {AUTH_STRING} (a server started with "
            "PREFECT_SERVER_API_AUTH_STRING)"
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> PrefectClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside ---------------------------------------------------------------------------

    def _pause(self, seconds: float, *, from_header: bool, doing: str) -> None:
        if seconds > 0:
            if from_header:  # at least what the server asked for
                seconds *= 1 + random.uniform(0, JITTER)
            else:
                seconds *= 1 + random.uniform(-JITTER, JITTER)
        self._sleep(seconds)

    def _unreachable(self, exc: Exception) -> FlowwizError:
        reason = transport_reason(exc)
        if reason == "TLS failed":
            return self._error(
                f"cannot reach the Prefect server at {self.api_url} (TLS failed): set "
                f"{SSL_CERT_FILE} to your CA bundle, or {TLS_INSECURE}=true for a test server "
                "with a self-signed certificate"
            )
        return self._error(
            f"cannot reach the Prefect server at {self.api_url} ({reason}): is it running, "
            f"and is {self.url_setting()} right?"
        )

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                headers=self._headers(),
                timeout=httpx.Timeout(self._timeout, connect=self._connect_timeout),
                follow_redirects=False,
                trust_env=True,
                verify=self._verify(),
            )
        return self._client

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        s = self.settings
        key = self._api_key if self._api_key is not None else s.api_key
        if s.auth_string:
            token = base64.b64encode(s.auth_string.reveal().encode("utf-8")).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        elif key:
            value = key.reveal() if isinstance(key, SecretStr) else key
            headers["Authorization"] = f"Bearer {value}"
        return headers

    def _verify(self) -> Any:
        import ssl

        s = self.settings
        if s.tls_insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        if s.ssl_cert_file:
            try:
                return ssl.create_default_context(cafile=s.ssl_cert_file)
            except (OSError, ssl.SSLError):
                raise self._error(
                    f"cannot use the CA bundle {s.ssl_cert_file!r} named by "
                    f"{s.setting(SSL_CERT_FILE)}: is the path right?"
                ) from None
        return True


@contextmanager
def open_client(settings: PrefectSettings, **kwargs: Any) -> Iterator[PrefectClient]:
    client = PrefectClient(settings, **kwargs)
    try:
        yield client
    finally:
        client.close()


def _detail(response: Any) -> str:
    """A short ``detail`` from an error answer to a read (never used for writes)."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    if isinstance(detail, str) and len(detail) <= 120 and "\n" not in detail:
        return f": {detail}"
    return ""


def settings_for(api_url: str, env: Mapping[str, str] | None = None) -> PrefectSettings:
    """The settings in force with ``api_url`` given on the command line."""
    from flowwiz.detectors.prefect_settings import resolve_settings

    return resolve_settings(env, api_url=api_url)
