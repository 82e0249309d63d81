"""The Prefect backend against a real Prefect server (tests/prefect_harness.py).

A block written by flowwiz must be read back by real Prefect: ``Secret.load(name).get()`` in
Prefect's own virtualenv returns the token. Error handling that a healthy local server cannot
produce (401, 422 echoing the secret) is checked against a tiny HTTP server on loopback.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flowwiz.detectors.secret import MASK, SecretStr
from tests.clirun import flowwiz
from tests.leaks import assert_not_leaked, canary
from tests.prefect_harness import PrefectServer
from flowwiz.writers.blocks import BlockExists, BlockNotFound, BlockStoreError, open_store
from flowwiz.writers.paths import flowwiz_home


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return flowwiz("blocks", *args, stdin=stdin, env=env)


def _load_secrets(server: PrefectServer, *names: str) -> dict[str, str | None]:
    """Real Prefect loads each Secret block (one interpreter start for all of them)."""
    code = (
        "import json, sys\n"
        "from prefect.blocks.system import Secret\n"
        "out = {}\n"
        f"for name in {list(names)!r}:\n"
        "    try:\n"
        "        out[name] = Secret.load(name).get()\n"
        "    except ValueError:\n"
        "        out[name] = None\n"
        "print('RESULT=' + json.dumps(out))\n"
    )
    done = server.check_python(code)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT="))
    return dict(json.loads(line.removeprefix("RESULT=")))


def _unique(prefix: str) -> str:
    return f"{prefix}-{canary()[-12:]}"


@pytest.mark.prefect
def test_in_process_store_round_trip_read_back_by_prefect(prefect_server: PrefectServer) -> None:
    store = open_store(prefect_server.api_url)
    assert store.kind == "prefect"
    assert store.location == prefect_server.api_url
    store.check()

    name, token = _unique("flowwiz-api"), canary()
    saved = store.save("secret", name, {"value": SecretStr(token)})
    assert saved.masked() == {"value": MASK}
    assert store.exists("secret", name)

    with pytest.raises(BlockExists, match="use --overwrite"):
        store.save("secret", name, {"value": SecretStr(canary())})

    listed = {b.slug: b for b in store.list("secret")}
    assert listed[f"secret/{name}"].masked() == {"value": MASK}
    assert listed[f"secret/{name}"].data == {"value": None}
    got = store.get("secret", name, include_secrets=True)
    assert got.revealed() == {"value": token}
    assert got.created is not None

    newer = canary()
    store.save("secret", name, {"value": newer}, overwrite=True)
    # a second, credential-shaped block: Prefect's document holds the same fields
    gl_name, gl_token = _unique("flowwiz-gl"), canary()
    store.save(
        "gitlab-credentials", gl_name, {"token": gl_token, "url": "https://gitlab.example.com"}
    )
    assert _load_secrets(prefect_server, name) == {name: newer}
    document = prefect_server.read_block_document("gitlab-credentials", gl_name)
    assert document is not None
    assert document["data"] == {"token": gl_token, "url": "https://gitlab.example.com"}
    masked = store.get("gitlab-credentials", gl_name)
    assert masked.masked() == {"token": MASK, "url": "https://gitlab.example.com"}

    store.delete("secret", name)
    assert not store.exists("secret", name)
    with pytest.raises(BlockNotFound):
        store.delete("secret", name)
    store.delete("gitlab-credentials", gl_name)
    assert prefect_server.read_block_document("gitlab-credentials", gl_name) is None


@pytest.mark.prefect
def test_cli_create_on_the_server_and_push_from_local(
    prefect_server: PrefectServer, file_keyring: Path
) -> None:
    url = prefect_server.api_url
    direct, direct_token = _unique("flowwiz-direct"), canary()
    created = run("--api-url", url, "create", "secret", direct, "--stdin", stdin=direct_token)
    assert created.returncode == 0, created.stderr
    assert f"Saved secret/{direct} in the Prefect server {url}" in " ".join(created.stderr.split())

    # start offline: blocks in the local catalog, then share them
    pushed_name, pushed_token = _unique("flowwiz-pushed"), canary()
    gh_name, gh_token = _unique("flowwiz-gh"), canary()
    assert run("create", "secret", pushed_name, "--stdin", stdin=pushed_token).returncode == 0
    assert run("create", "github-credentials", gh_name, "--stdin", stdin=gh_token).returncode == 0
    first = run("push", "--all", "--api-url", url, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["blocks"] == [
        {"slug": f"github-credentials/{gh_name}", "result": "created", "detail": ""},
        {"slug": f"secret/{pushed_name}", "result": "created", "detail": ""},
    ]
    assert "2 created, 0 replaced, 0 skipped (exists), 0 failed" in first.stderr

    # again: both exist and are skipped; the local value changes, --overwrite replaces it
    newer = canary()
    assert (
        run("create", "secret", pushed_name, "--stdin", "--overwrite", stdin=newer).returncode == 0
    )
    second = run(
        "push",
        f"secret/{pushed_name}",
        f"github-credentials/{gh_name}",
        env={"PREFECT_API_URL": url},
    )
    assert second.returncode == 0, second.stderr
    assert "0 created, 0 replaced, 2 skipped (exists), 0 failed" in second.stderr
    third = run("push", f"secret/{pushed_name}", "--api-url", url, "--overwrite")
    assert third.returncode == 0
    assert "0 created, 1 replaced, 0 skipped (exists), 0 failed" in third.stderr

    assert _load_secrets(prefect_server, direct, pushed_name) == {
        direct: direct_token,
        pushed_name: newer,
    }
    gh_doc = prefect_server.read_block_document("github-credentials", gh_name)
    assert gh_doc is not None and gh_doc["data"] == {"token": gh_token}

    listed = run("ls", "--json", env={"PREFECT_API_URL": url})
    payload = json.loads(listed.stdout)
    assert payload["store"] == {"kind": "prefect", "location": url}
    by_slug = {b["slug"]: b for b in payload["blocks"]}
    assert by_slug[f"secret/{direct}"]["fields"] == {"value": MASK}
    assert by_slug[f"github-credentials/{gh_name}"]["fields"] == {"token": MASK}
    # --local reads the catalog even with PREFECT_API_URL set
    local = json.loads(run("--local", "ls", "--json", env={"PREFECT_API_URL": url}).stdout)
    assert local["store"]["kind"] == "local"
    assert {b["slug"] for b in local["blocks"]} == {
        f"secret/{pushed_name}",
        f"github-credentials/{gh_name}",
    }

    exists = run("--api-url", url, "create", "secret", direct, "--stdin", stdin=canary())
    assert exists.returncode == 2
    assert "already exists in the Prefect server" in exists.stderr
    assert "use --overwrite" in exists.stderr

    removed = run("--api-url", url, "rm", f"secret/{direct}", "--yes")
    assert removed.returncode == 0
    assert prefect_server.read_block_document("secret", direct) is None

    outputs = [
        t
        for r in (created, first, second, third, listed, exists, removed)
        for t in (r.stdout, r.stderr)
    ]
    for token in (direct_token, pushed_token, gh_token, newer):
        assert_not_leaked(token, texts=outputs, roots=[flowwiz_home()])


@pytest.mark.prefect
def test_push_reports_a_broken_local_block_as_failed_and_exits_1(
    prefect_server: PrefectServer, file_keyring: Path
) -> None:
    from keyrings.alt.file import PlaintextKeyring

    from tests.test_blocks_cli import _catalog_id

    good, broken = _unique("flowwiz-good"), _unique("flowwiz-broken")
    token = canary()
    assert run("create", "secret", good, "--stdin", stdin=token).returncode == 0
    assert run("create", "secret", broken, "--stdin", stdin=canary()).returncode == 0
    PlaintextKeyring().delete_password("flowwiz", f"{_catalog_id()}/secret/{broken}/value")
    result = run("push", "--all", "--json", "--api-url", prefect_server.api_url)
    assert result.returncode == 1
    report = {b["slug"]: b for b in json.loads(result.stdout)["blocks"]}
    assert report[f"secret/{good}"]["result"] == "created"
    assert report[f"secret/{broken}"] == {
        "slug": f"secret/{broken}",
        "result": "failed",
        "detail": "broken locally: secret field 'value' missing from the keyring",
    }
    assert prefect_server.read_block_document("secret", broken) is None
    assert_not_leaked(token, texts=[result.stdout, result.stderr], roots=[flowwiz_home()])


# -- failures the real server does not produce on demand ---------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def test_unreachable_server_is_one_line_exit_1(file_keyring: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api"
    token = canary()
    assert run("create", "secret", "local-one", "--stdin", stdin=token).returncode == 0
    results = [
        run("--api-url", url, "ls"),
        run("--api-url", url, "create", "secret", "tok", "--stdin", stdin=token),
        run("push", "--all", "--api-url", url),
    ]
    for result in results:
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines == [
            f"error: cannot reach the Prefect server at {url} (connection refused): is it "
            "running, and is the --api-url right?"
        ]
    assert_not_leaked(token, texts=[t for r in results for t in (r.stdout, r.stderr)])


class _Stub(BaseHTTPRequestHandler):
    """Answers like a Prefect server that says no: fixed status per path."""

    answers: dict[tuple[str, str], tuple[int, object]] = {}
    default: tuple[int, object] = (404, {"detail": "Not found"})
    bodies: list[bytes] = []
    authorizations: list[str | None] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        _Stub.bodies.append(body)
        _Stub.authorizations.append(self.headers.get("Authorization"))
        path = self.path.split("?")[0]
        status, payload = self.answers.get((self.command, path), self.default)
        if payload == "ECHO":  # FastAPI's 422 repeats the request, secret included
            payload = {"detail": [{"input": json.loads(body or b"{}")}]}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Stub.bodies, _Stub.authorizations = [], []
    _Stub.answers, _Stub.default = {}, (404, {"detail": "Not found"})
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def test_refused_credentials_are_one_line(stub_server: str) -> None:
    _Stub.default = (401, {"detail": "nope"})
    store = open_store(stub_server, api_key="pnu_example")
    with pytest.raises(BlockStoreError) as caught:
        store.check()
    assert str(caught.value) == (
        f"the Prefect server at {stub_server} refused the request (HTTP 401): check "
        "PREFECT_API_KEY and the workspace URL"
    )
    assert "Bearer pnu_example" in _Stub.authorizations
    result = run("--api-url", stub_server, "ls", env={"PREFECT_API_KEY": "pnu_example"})
    assert result.returncode == 1
    assert "refused the request (HTTP 401)" in result.stderr
    assert set(_Stub.authorizations) == {"Bearer pnu_example"}
    assert "pnu_example" not in result.stderr


def test_a_rejected_write_never_repeats_the_server_answer(stub_server: str) -> None:
    token = canary()
    _Stub.answers = {
        ("GET", "/api/block_types/slug/secret"): (200, {"id": "t1", "slug": "secret"}),
        ("POST", "/api/block_schemas/filter"): (
            200,
            [{"id": "s1", "fields": {"properties": {"value": {}}}}],
        ),
        ("POST", "/api/block_documents/"): (422, "ECHO"),
    }
    result = run("--api-url", stub_server, "create", "secret", "tok", "--stdin", stdin=token)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: the Prefect server at {stub_server} rejected the block (HTTP 422)"
    )
    # the token did go over the wire (to the server it was meant for), and nowhere else
    assert any(token.encode() in body for body in _Stub.bodies)
    assert_not_leaked(token, texts=[result.stdout, result.stderr], roots=[flowwiz_home()])


def test_an_unregistered_block_type_names_the_collection(stub_server: str) -> None:
    _Stub.answers = {
        ("GET", "/api/block_types/slug/secret"): (200, {"id": "t1", "slug": "secret"}),
    }
    result = run(
        "--api-url", stub_server, "create", "github-credentials", "ci", "--stdin", stdin=canary()
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: block type 'github-credentials' is not registered on the server {stub_server}: "
        "run `prefect block register -m prefect_github` against it"
    )


def test_a_url_without_the_api_path_is_explained(stub_server: str) -> None:
    root = stub_server.removesuffix("/api")
    result = run("--api-url", root, "create", "secret", "tok", "--stdin", stdin=canary())
    assert result.returncode == 1
    assert "is not a Prefect API" in result.stderr
    assert "PREFECT_API_URL usually ends in /api" in result.stderr


def test_api_key_comes_from_the_environment_then_the_keyring(memory_keyring) -> None:
    from flowwiz.writers.blocks.keyring_backend import PREFECT_API_KEY_USERNAME, SERVICE
    from flowwiz.writers.blocks.prefect_api import PrefectStore

    cloud = "https://api.example.invalid/api/accounts/a/workspaces/w"
    memory_keyring.entries[(SERVICE, PREFECT_API_KEY_USERNAME)] = "pnu_from_keyring"
    assert PrefectStore(cloud, env={"PREFECT_API_KEY": "pnu_from_env"})._key() == "pnu_from_env"
    assert PrefectStore(cloud, env={})._key() == "pnu_from_keyring"
    assert PrefectStore(cloud, api_key="pnu_given", env={})._key() == "pnu_given"
    # a server on this machine needs no key: the keyring is not asked
    assert PrefectStore("http://127.0.0.1:4200/api", env={})._key() is None
