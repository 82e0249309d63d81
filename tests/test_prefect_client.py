"""Prefect settings as the Prefect CLI resolves them, and the one client that talks to a server.

A loopback stub answers what a real server cannot be made to answer on cue: 429/503 sequences
with Retry-After, an HTML login page with status 200. Everything else goes through the real
CLI (tests/clirun.py).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flowwiz.detectors.errors import UserError
from flowwiz.detectors.prefect_settings import resolve_settings
from flowwiz.writers.blocks import BlockStoreError, open_store
from flowwiz.writers.prefect_client import PrefectClient, parse_retry_after

from tests.clirun import flowwiz
from tests.leaks import assert_not_leaked, canary

# -- settings --------------------------------------------------------------------------------


def write_profiles(home: Path, text: str) -> Path:
    path = home / ".prefect" / "profiles.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


PROFILES = """\
active = "prod"

[profiles.prod]
PREFECT_API_URL = "https://prod.example.invalid/api"
PREFECT_API_KEY = "pnu_prod"
PREFECT_API_TLS_INSECURE_SKIP_VERIFY = true

[profiles.local]
PREFECT_API_URL = "http://127.0.0.1:4200/api"
PREFECT_API_AUTH_STRING = "admin:pass"
"""


def test_environment_first_then_the_active_profile(tmp_path: Path) -> None:
    home = tmp_path / "phome"
    path = write_profiles(home, PROFILES)
    env = {"HOME": str(home)}
    s = resolve_settings(env)
    assert (s.api_url, s.api_url_source, s.profile) == (
        "https://prod.example.invalid/api",
        "profile 'prod'",
        "prod",
    )
    assert s.api_key is not None and s.api_key.reveal() == "pnu_prod"
    assert "pnu_prod" not in repr(s)
    assert s.tls_insecure and s.profiles_path == path
    # PREFECT_PROFILE picks another profile; the environment beats it, a flag beats both
    s = resolve_settings({**env, "PREFECT_PROFILE": "local"})
    assert (s.api_url_source, s.auth_string.reveal(), s.api_key) == (  # type: ignore[union-attr]
        "profile 'local'",
        "admin:pass",
        None,
    )
    s = resolve_settings({**env, "PREFECT_API_URL": "http://10.0.0.1:4200/api"})
    assert (s.api_url, s.api_url_source, s.api_key.reveal()) == (  # type: ignore[union-attr]
        "http://10.0.0.1:4200/api",
        "environment",
        "pnu_prod",
    )
    s = resolve_settings(env, api_url="http://10.0.0.2/api")
    assert (s.api_url_source, s.describe_server()) == (
        "--api-url",
        "http://10.0.0.2/api (given by --api-url, API key)",
    )
    # an empty variable means "no server", as it does for Prefect; so does an unknown profile
    assert resolve_settings({**env, "PREFECT_API_URL": ""}).api_url is None
    assert resolve_settings({**env, "PREFECT_PROFILE": "nope"}).api_url is None
    # PREFECT_HOME and PREFECT_PROFILES_PATH move the file
    other = write_profiles(tmp_path / "ph", 'active = "local"\n' + PROFILES.split("\n", 1)[1])
    assert resolve_settings({"PREFECT_HOME": str(other.parent)}).profile == "local"
    assert resolve_settings({"PREFECT_PROFILES_PATH": str(other)}).profile == "local"
    assert resolve_settings({"HOME": str(tmp_path / "none")}).api_url is None


def test_a_malformed_profiles_file_and_bad_urls_are_one_line_errors(tmp_path: Path) -> None:
    home = tmp_path / "phome"
    write_profiles(home, 'active = "prod\n')
    env = {"HOME": str(home)}
    for args in (("detect", str(tmp_path)), ("blocks", "ls"), ("deploy", "--yes", str(tmp_path))):
        result = flowwiz(*args, env=env)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "profiles.toml is not valid TOML (" in lines[0], lines
    write_profiles(home, PROFILES)
    for url, why in (
        ("http://[::1/api", "Invalid IPv6 URL"),
        ("http://user:hunter2@host:abc/api", "Port could not be cast"),
        ("127.0.0.1:4200/api", "expected http(s)://host[:port]/api"),
    ):
        for args in (
            ("detect", str(tmp_path), "--api-url", url),
            ("blocks", "--api-url", url, "ls"),
            ("deploy", "--yes", "--api-url", url),
        ):
            result = flowwiz(*args, env=env, cwd=tmp_path)
            assert result.returncode == 2, (args, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: --api-url is not a URL"), lines
            assert why in lines[0] and "hunter2" not in lines[0]
    result = flowwiz("blocks", "ls", env={**env, "PREFECT_PROFILE": "prod", "HOME": str(home)})
    assert result.returncode == 1  # the profile's server does not exist: a world error, one line
    assert result.stderr.count("\n") == 1 and "PREFECT_API_URL (from profile 'prod')" in (
        result.stderr
    )


def test_detect_says_which_server_and_where_from(tmp_path: Path) -> None:
    home = tmp_path / "phome"
    write_profiles(home, PROFILES)
    env = {"HOME": str(home)}
    data = json.loads(flowwiz("detect", str(tmp_path), "--json", env=env).stdout)
    assert data["prefect_server"]["api_url"] == "https://prod.example.invalid/api"
    assert data["prefect_server"]["source"] == "profile 'prod'"
    assert data["prefect_server"]["auth"] == "api key"
    text = flowwiz("detect", str(tmp_path), env={**env, "PREFECT_PROFILE": "local"}).stdout
    assert "Prefect server http://127.0.0.1:4200/api (from profile 'local'" in " ".join(
        text.split()
    )
    for result in (
        flowwiz("detect", str(tmp_path), "--json", env=env),
        flowwiz("detect", str(tmp_path), env={**env, "PREFECT_PROFILE": "local"}),
    ):
        assert "pnu_prod" not in result.stdout + result.stderr
        assert "admin:pass" not in result.stdout + result.stderr


# -- the client against a stub -------------------------------------------------------------


class _Stub(BaseHTTPRequestHandler):
    """Answers from a script: a list of (status, headers, body) per path, the last repeated."""

    script: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
    seen: list[tuple[str, str, str | None]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?")[0]
        _Stub.seen.append((self.command, path, self.headers.get("Authorization")))
        steps = self.script.get(path) or [(404, {}, b'{"detail": "Not found"}')]
        status, headers, body = steps.pop(0) if len(steps) > 1 else steps[0]
        self.send_response(status)
        headers = {"Content-Type": "application/json", **headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Stub.script, _Stub.seen = {}, []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


SECRET_TYPE = (200, {}, b'{"id": "t1", "slug": "secret"}')
HTML = (200, {"Content-Type": "text/html; charset=utf-8"}, b"<html><form>Sign in</form></html>")


def test_busy_server_is_retried_honouring_retry_after(stub: str) -> None:
    _Stub.script = {
        "/api/block_types/slug/secret": [
            (429, {"Retry-After": "0.2"}, b"{}"),
            (503, {}, b"{}"),
            (502, {"Retry-After": "0"}, b"{}"),
            SECRET_TYPE,
        ]
    }
    slept: list[float] = []
    settings = resolve_settings({}, api_url=stub)
    with PrefectClient(settings, sleep=slept.append) as client:
        assert client.call("GET", "/block_types/slug/secret", doing="answer")["id"] == "t1"
    assert len(slept) == 3
    assert 0.2 <= slept[0] <= 0.2 * 1.2  # at least what Retry-After asked, 20 % jitter at most
    assert 3.2 <= slept[1] <= 4.8  # no header: 2**attempt (the 2nd) with symmetrical jitter
    assert slept[2] == 0
    # a server that stays down: bounded (PREFECT_CLIENT_MAX_RETRIES), then one line
    _Stub.script = {"/api/block_types/slug/secret": [(503, {"Retry-After": "0"}, b"{}")]}
    _Stub.seen = []
    settings = resolve_settings({"PREFECT_CLIENT_MAX_RETRIES": "2"}, api_url=stub)
    with PrefectClient(settings, sleep=slept.append) as client, pytest.raises(Exception) as caught:
        client.call("GET", "/block_types/slug/secret", doing="answer")
    assert len(_Stub.seen) == 3
    assert str(caught.value) == (
        f"the Prefect server at {stub} is busy or down (HTTP 503, 3 attempts): try again later"
    )
    # a wait longer than a wizard should sleep through is said, not slept
    _Stub.script = {"/api/block_types/slug/secret": [(429, {"Retry-After": "3600"}, b"{}")]}
    with PrefectClient(settings, sleep=slept.append) as client, pytest.raises(Exception) as caught:
        client.call("GET", "/block_types/slug/secret", doing="answer")
    assert "asks to wait 3600 s (HTTP 429)" in str(caught.value)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_busy_server_through_the_cli(stub: str) -> None:
    """The real CLI rides out a 429 and a 503 (Retry-After: 0) and saves the block."""
    token = canary()
    _Stub.script = {
        "/api/block_types/slug/secret": [(429, {"Retry-After": "0"}, b"{}"), SECRET_TYPE],
        "/api/block_schemas/filter": [
            (503, {"Retry-After": "0"}, b"{}"),
            (200, {}, b'[{"id": "s1", "fields": {"properties": {"value": {}}}}]'),
        ],
        "/api/block_documents/": [(201, {}, b'{"id": "d1"}')],
    }
    result = flowwiz("blocks", "--api-url", stub, "create", "secret", "tok", "--stdin", stdin=token)
    assert result.returncode == 0, result.stderr
    assert [p for _, p, _ in _Stub.seen].count("/api/block_schemas/filter") == 2
    assert_not_leaked(token, texts=[result.stdout, result.stderr])


def test_an_html_page_is_a_one_line_error(stub: str) -> None:
    _Stub.script = {
        "/api/block_types/slug/secret": [HTML],
        "/api/block_documents/filter": [HTML],
        "/api/deployments/filter": [HTML],
    }
    for args in (("ls",), ("create", "secret", "tok", "--stdin")):
        result = flowwiz("blocks", "--api-url", stub, *args, stdin="x")
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"error: {stub} answered with a web page, not the Prefect API")
        assert lines[0].endswith("check the --api-url")
        assert "internal error" not in lines[0]
    from flowwiz.wizard.dashboard.server import ServerReadError, load_server_deployments

    with pytest.raises(ServerReadError, match="answered with a web page"):
        load_server_deployments(stub, env={})


def test_auth_string_and_api_key_headers_as_prefect_sends_them(stub: str, tmp_path: Path) -> None:
    """``Basic base64(auth string)`` wins over ``Bearer key``
    (prefect.client.orchestration.PrefectClient.__init__); both from a profile."""
    _Stub.script = {"/api/block_types/slug/secret": [(401, {}, b'{"detail": "no"}')]}
    home = tmp_path / "phome"
    write_profiles(
        home,
        f'active = "p"\n[profiles.p]\nPREFECT_API_URL = "{stub}"\n'
        'PREFECT_API_KEY = "pnu_k"\nPREFECT_API_AUTH_STRING = "admin:s3cret"\n',
    )
    store = open_store(env={"HOME": str(home)})
    with pytest.raises(BlockStoreError) as caught:
        store.check()
    assert str(caught.value) == (
        f"the Prefect server at {stub} refused the request (HTTP 401): "
        "check PREFECT_API_AUTH_STRING (from profile 'p')"
    )
    assert _Stub.seen[-1][2] == "Basic " + base64.b64encode(b"admin:s3cret").decode()
    store = open_store(env={"HOME": str(home), "PREFECT_API_AUTH_STRING": ""})
    with pytest.raises(BlockStoreError, match=r"check PREFECT_API_KEY \(from profile 'p'\)"):
        store.check()
    assert _Stub.seen[-1][2] == "Bearer pnu_k"
    store = open_store(stub, env={})
    with pytest.raises(BlockStoreError, match="set PREFECT_API_KEY .* or PREFECT_API_AUTH_STRING"):
        store.check()
    assert _Stub.seen[-1][2] is None


def test_a_missing_ca_bundle_names_the_setting(tmp_path: Path) -> None:
    settings = resolve_settings(
        {"PREFECT_API_SSL_CERT_FILE": str(tmp_path / "nope.pem")}, api_url="https://x.invalid/api"
    )
    with pytest.raises(UserError.__mro__[1], match="PREFECT_API_SSL_CERT_FILE"):
        PrefectClient(settings).call("GET", "/health", doing="answer")
