"""The adversarial suite: every fault an adversarial pass found, by kind, as a test that feeds
the hostile input through every place it can occur (the real CLI, the dashboard, the
detectors). It grows with every fault found; run in CI with the rest of the tests.

Kinds (issue 12):
  1. a token where a name goes: refused, never repeated; a token-looking value written in
     plain text is warned about and refused under --yes without --allow-plaintext-secrets
  2. credentials in remote URLs in every form: the real secret is the one offered, none shown
  3. --verify never calls a refused token good (real git smart-HTTP server on loopback)
  4. text is data: markup and control characters shown literally, never interpreted
  5. an entrypoint a worker's clone will not have: warned, or refused under --yes

Ledger (cases collected here; passing on the code before issue 12 -> after):
  1. token where a name goes           54 cases: 20 -> 54
  2. credentials in remote URLs        13 cases:  5 -> 13
  3. --verify and a refused token      12 cases:  2 -> 12 (classify: old rule replayed)
  4. text is data                      11 cases:  1 -> 11
  5. entrypoint not in a clone          3 cases:  0 -> 3
Add a case (and a line here) for every new fault found.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from flowwiz.detectors.git_access import check_access, classify
from flowwiz.detectors.remote_url import parse_remote_url
from flowwiz.detectors.secret import SecretStr, holds_token, looks_like_token
from tests.clirun import flowwiz
from tests.deployutil import FLOW, github_like_repo, run_deploy
from tests.git_http import GitHttpServer
from tests.gitutil import git, make_repo
from tests.leaks import assert_no_raw_controls, assert_not_leaked, token_canary

TOKEN_MESSAGE = "that looks like a token, not a"


def refused_quietly(result: subprocess.CompletedProcess[str], token: str, repo: Path) -> None:
    """Exit 2 with the one message, the token nowhere: not in output, not in any file."""
    assert result.returncode == 2, result.stderr
    assert TOKEN_MESSAGE in result.stderr
    assert "Traceback" not in result.stderr
    assert_not_leaked(token, texts=[result.stdout, result.stderr], roots=[repo])


# =============================================================================================
# 1. a token where a name goes


@pytest.mark.parametrize(
    "value",
    [
        "ghp_" + "a1B2" * 9,
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "glpat-xxxxxxxxxxxxxxxxxxxx",
        "ATBB3g6DXYZabcdefghijklmnop0123456789",
        "ATCTT3xFfGN0abcdefghijklmnopqrstuvwxyz",
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "5604be82845d15179ae8fc1b2d37e1a992a64d04",
        "pTruDGgs1A7nLtIKbJDtL8xNNBjO8NNaRVS1Gh",
    ],
)
def test_tokens_are_recognised(value: str) -> None:
    assert looks_like_token(value)


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "GIT_TOKEN_FOR_CI_DEPLOYMENTS_2024",
        "nightly-etl",
        "svc-deploy-prod-2023",
        "prod-k8s-pool-us-east-1",
        "feature/JIRA-1234-add-new-thing",
        "dataPipelineV2Daily3",
        "MyFlowDeploymentName2024Prod",
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301",  # a tenant/client id is a name
        "x-access-token",
        "[dev] My Flow",
    ],
)
def test_real_names_are_not_tokens(name: str) -> None:
    assert not holds_token(name)


DEPLOY_NAME_FLAGS = [
    ("--token-worker-env",),
    ("--token-env",),
    ("--token-block",),
    ("--credentials-block", "github-credentials/{}"),
    ("--name",),
    ("--pool",),
    ("--queue",),
    ("--tag",),
    ("--branch",),
    ("--username",),
]


@pytest.mark.parametrize("flag", DEPLOY_NAME_FLAGS, ids=lambda f: f[0])
def test_deploy_refuses_a_token_given_as_a_name(tmp_path: Path, flag: tuple[str, ...]) -> None:
    repo = github_like_repo(tmp_path)
    token = token_canary()
    value = flag[1].format(token) if len(flag) > 1 else token
    result = run_deploy(repo, "--yes", "--private", flag[0], value, "--param", "count=1")
    refused_quietly(result, token, repo)
    assert not (repo / "prefect.yaml").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("--param", "count={}"),
        ("--param", "{}"),
        ("--job-variable", "{}"),
        ("--timezone", "{}", "--cron", "0 3 * * *"),
        ("--cron", "{} * * * *"),
        ("--interval", "{}"),
        ("--entrypoint", "flows/etl.py:{}"),
    ],
    ids=lambda a: a[0] + " " + a[1].replace("{}", "TOKEN"),
)
def test_no_error_repeats_a_token(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Whatever rule refuses a value, a token in it is never repeated (the last guard at the
    CLI boundary masks it)."""
    repo = github_like_repo(tmp_path)
    token = token_canary()
    given = [a.format(token) for a in args]
    result = run_deploy(repo, "--yes", "--param", "count=1", *given)
    assert result.returncode == 2, result.stderr
    assert_not_leaked(token, texts=[result.stdout, result.stderr], roots=[repo])


def test_worker_env_prompt_refuses_a_pasted_token() -> None:
    """The interactive variable-name prompt: a pasted token is refused (the prompt stays), the
    name typed next is taken."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from flowwiz.wizard import storage
    from flowwiz.wizard.prompts import InteractiveAsker

    token = token_canary()

    class _Session:
        asker = InteractiveAsker()
        options = type("O", (), {"token_worker_env": None})()

    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(token + "\r" + "\x15" + "GIT_TOKEN\r")
        chosen = storage._worker_env_storage(_Session(), "https://github.com/a/b.git", "main", None)  # type: ignore[arg-type]
    assert chosen.access_token == "{{ $GIT_TOKEN }}"


@pytest.mark.parametrize(
    "args",
    [
        ("create", "secret", "{}"),
        ("create", "{}", "my-token"),
        ("create", "github-credentials", "gh", "--field-env", "token={}"),
        ("create", "gitlab-credentials", "gl", "--field", "{}"),
        ("create", "gitlab-credentials", "gl", "--field", "url=https://gitlab.example.com",
         "--field", "{}=x"),
        ("inspect", "secret/{}"),
        ("rm", "--yes", "secret/{}"),
        ("push", "secret/{}", "--api-url", "http://127.0.0.1:9/api"),
    ],
    ids=lambda a: " ".join(a[:2]) + (" " + a[3] if len(a) > 3 else ""),
)  # fmt: skip
def test_blocks_never_repeat_a_token_given_as_a_name(
    tmp_path: Path, file_keyring: Path, args: tuple[str, ...]
) -> None:
    token = token_canary()
    result = flowwiz("blocks", *(a.format(token) for a in args), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert_not_leaked(token, texts=[result.stdout, result.stderr], roots=[tmp_path])


def test_blocks_refuses_a_token_in_a_plain_field(tmp_path: Path, file_keyring: Path) -> None:
    token = token_canary()
    result = flowwiz(
        "blocks", "create", "bitbucket-credentials", "bb", "--field", f"username={token}",
        "--field-env", "token=SOME_VAR", cwd=tmp_path, env={"SOME_VAR": "x" * 12},
    )  # fmt: skip
    assert result.returncode == 2
    assert "--field-env" in result.stderr
    assert_not_leaked(token, texts=[result.stdout, result.stderr], roots=[tmp_path])


@pytest.mark.parametrize(
    "args",
    [("--job-variable", "env.GITHUB_TOKEN={}"), ("--param", "label={}")],
    ids=["job-variable", "param"],
)
def test_token_values_in_plain_text_need_an_explicit_flag(
    tmp_path: Path, args: tuple[str, str]
) -> None:
    repo = github_like_repo(tmp_path)
    token = token_canary()
    given = (args[0], args[1].format(token))
    refused = run_deploy(repo, "--yes", "--param", "count=1", *given)
    assert refused.returncode == 2
    assert "looks like a token" in refused.stderr and "--allow-plaintext-secrets" in refused.stderr
    assert "secret block" in refused.stderr  # the safe way is offered
    assert_not_leaked(token, texts=[refused.stdout, refused.stderr], roots=[repo])

    allowed = run_deploy(repo, "--yes", "--param", "count=1", *given, "--allow-plaintext-secrets")
    assert allowed.returncode == 0, allowed.stderr
    assert "looks like a token" in allowed.stderr  # still said, never repeated
    assert_not_leaked(token, texts=[allowed.stdout, allowed.stderr])
    assert token in (repo / "prefect.yaml").read_text()  # written only because it was asked


def test_dashboard_refuses_a_token_pasted_as_a_block_name(
    memory_keyring: Any, isolated_env: Path
) -> None:
    import asyncio

    from flowwiz.wizard.dashboard.app import FlowwizApp
    from flowwiz.wizard.dashboard.block_form import BlockFormScreen
    from flowwiz.writers.blocks import open_store

    project = isolated_env / "project"
    project.mkdir()
    store = open_store()
    token = token_canary()
    said: list[str] = []

    async def main() -> None:
        app = FlowwizApp(store, project)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.press("n", "enter")  # the catalog lists Secret first
            await pilot.pause()
            assert isinstance(app.screen, BlockFormScreen)
            app.screen.query_one("#name").value = token
            app.screen.query_one("#field-value").value = "some-value-1"
            await pilot.pause()
            # refused as it arrives: cleared, never shown or saved as a name
            assert app.screen.query_one("#name").value == ""
            said.append(str(app.screen.query_one("#problem-name").render()))
            await pilot.click("#create")
            await pilot.pause()
            await app.workers.wait_for_complete()
            said.append(str(app.screen.query_one("#form-error").render()))
            said.append(app.export_screenshot())

    asyncio.run(main())
    assert said[0].startswith("that looked like a token and was cleared")
    assert said[1] == "Name: enter a name"
    assert_not_leaked(token, texts=said)
    assert store.list() == []


# =============================================================================================
# 2. credentials in remote URLs

T = "ghp_" + "Zx9Y" * 9


@pytest.mark.parametrize(
    ("url", "username", "masked"),
    [
        (f"https://{T}:x-oauth-basic@github.com/acme/flows.git", None,
         "https://********:x-oauth-basic@github.com/acme/flows.git"),
        (f"https://{T}@github.com/acme/flows.git", None,
         "https://********@github.com/acme/flows.git"),
        (f"https://{T}:@github.com/acme/flows.git", None,
         "https://********:@github.com/acme/flows.git"),
        (f"https://x-access-token:{T}@github.com/acme/flows.git", "x-access-token",
         "https://x-access-token:********@github.com/acme/flows.git"),
        (f"https://oauth2:{T}@gitlab.com/acme/flows.git", "oauth2",
         "https://oauth2:********@gitlab.com/acme/flows.git"),
        (f"https://example.com/acme/flows.git?private_token={T}", None,
         "https://example.com/acme/flows.git?private_token=********"),
        (f"https://example.com/acme/flows.git?ref=main&access_token={T}#top", None,
         "https://example.com/acme/flows.git?ref=main&access_token=********#top"),
        (f"https://gitlab.com/acme/flows.git?token={T}", None,
         "https://gitlab.com/acme/flows.git?token=********"),
        (f"https://{T}:{T}@github.com/acme/flows.git", None,
         "https://********:********@github.com/acme/flows.git"),
    ],
)  # fmt: skip
def test_every_credential_form_offers_the_real_secret(
    url: str, username: str | None, masked: str
) -> None:
    parsed = parse_remote_url(url)
    assert parsed.had_credentials
    assert parsed.credential is not None and parsed.credential.reveal() == T
    assert parsed.credential_username == username
    assert parsed.raw_masked == masked
    assert parsed.https_url is not None and "?" not in parsed.https_url
    shown = [parsed.raw_masked, parsed.https_url, parsed.host, parsed.path, parsed.note]
    assert_not_leaked(T, texts=[str(s) for s in shown] + [repr(parsed)])


def test_user_name_only_is_not_a_secret() -> None:
    parsed = parse_remote_url("https://alice@github.com/acme/flows.git")
    assert not parsed.had_credentials
    assert parsed.raw_masked == "https://alice@github.com/acme/flows.git"


def _credential_remote_repo(tmp_path: Path, url: str) -> Path:
    repo = github_like_repo(tmp_path)
    git(repo, "remote", "set-url", "origin", url)
    return repo


def test_detect_and_token_from_remote_with_token_as_user(
    tmp_path: Path, file_keyring: Path
) -> None:
    from flowwiz.writers.blocks import open_store

    token = token_canary()
    repo = _credential_remote_repo(
        tmp_path, f"https://{token}:x-oauth-basic@github.com/acme/flows.git"
    )
    as_json = flowwiz("detect", "--json", cwd=repo)
    table = flowwiz("detect", cwd=repo)
    assert as_json.returncode == 0 and table.returncode == 0
    remote = json.loads(as_json.stdout)["git"]["remotes"][0]
    assert remote["had_credentials"] is True
    assert remote["url"] == "https://********:x-oauth-basic@github.com/acme/flows.git"

    result = run_deploy(
        repo, "--yes", "--private", "--token-from-remote", "--param", "count=1",
        "--no-verify",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    block = open_store().get(
        "secret", "deployment-nightly-etl-nightly-etl-repo-token", include_secrets=True
    )
    assert block.revealed()["value"] == token  # the real secret, not "x-oauth-basic"
    assert_not_leaked(
        token,
        texts=[as_json.stdout, as_json.stderr, table.stdout, table.stderr, result.stdout,
               result.stderr],
        roots=[repo / "prefect.yaml", Path(os.environ["FLOWWIZ_HOME"])],
    )  # fmt: skip


def test_detect_masks_a_query_credential(tmp_path: Path) -> None:
    token = token_canary()
    repo = _credential_remote_repo(
        tmp_path, f"https://example.com/acme/flows.git?private_token={token}"
    )
    as_json = flowwiz("detect", "--json", cwd=repo)
    assert as_json.returncode == 0, as_json.stderr
    remote = json.loads(as_json.stdout)["git"]["remotes"][0]
    assert remote["had_credentials"] is True
    assert remote["https_url"] == "https://example.com/acme/flows.git"
    assert_not_leaked(token, texts=[as_json.stdout, as_json.stderr])


def test_repository_with_a_query_credential_is_refused_unrepeated(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    token = token_canary()
    result = run_deploy(
        repo, "--yes", "--param", "count=1",
        "--repository", f"https://example.com/acme/flows.git?private_token={token}",
    )  # fmt: skip
    assert result.returncode == 2
    assert "credentials" in result.stderr
    assert_not_leaked(token, texts=[result.stdout, result.stderr], roots=[repo])
    assert not (repo / "prefect.yaml").exists()


# =============================================================================================
# 3. --verify never calls a refused token good


@pytest.fixture
def git_server(tmp_path: Path) -> Any:
    """A private repository acme/openssl-builds.git ("ssl" in its URL) behind basic auth."""
    work = make_repo(tmp_path / "work", {"flow.py": "x = 1\n"})
    root = tmp_path / "served"
    (root / "acme").mkdir(parents=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(root / "acme" / "openssl-builds.git")],
        check=True,
    )
    good = token_canary()
    with GitHttpServer(root, username="x-access-token", token=good) as server:
        server.good = good  # type: ignore[attr-defined]
        yield server


def test_verify_against_a_real_git_server(git_server: Any, tmp_path: Path) -> None:
    url = git_server.url("acme/openssl-builds.git")
    good = SecretStr(git_server.good)
    bad_token = token_canary()
    trace = tmp_path / "trace.log"
    hostile = {
        **os.environ,
        "GIT_CURL_VERBOSE": "1",
        "GIT_TRACE": str(trace),
        "GIT_TRACE_CURL": str(trace),
        "GIT_TRACE_PACKET": str(trace),
        "GIT_TRACE_REDACT": "0",
    }
    ok = check_access(url, good, username="x-access-token", env=hostile)
    assert ok.status == "ok", ok.detail
    refused = check_access(url, SecretStr(bad_token), username="x-access-token", env=hostile)
    assert refused.status == "denied"
    assert "authentication" in refused.detail
    assert not trace.exists()  # no trace inherited: the Authorization header went nowhere
    assert_not_leaked(bad_token, texts=[refused.detail], roots=[tmp_path])
    assert_not_leaked(git_server.good, texts=[ok.detail])


def test_verify_ignores_the_users_insteadof(git_server: Any, tmp_path: Path) -> None:
    """A global url.<base>.insteadOf that rewrites the URL to one with good credentials must
    not make a wrong token pass."""
    url = git_server.url("acme/openssl-builds.git")
    port = git_server.port
    gitconfig = tmp_path / "user.gitconfig"
    gitconfig.write_text(
        f'[url "http://x-access-token:{git_server.good}@127.0.0.1:{port}/"]\n'
        f"\tinsteadOf = http://127.0.0.1:{port}/\n"
    )
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.http://x-access-token:{git_server.good}@127.0.0.1:{port}/"
        ".insteadOf",
        "GIT_CONFIG_VALUE_0": f"http://127.0.0.1:{port}/",
    }
    # the rewrite is real: plain git with this environment gets in with no token at all
    plain = subprocess.run(
        ["git", "ls-remote", url], env=env, capture_output=True, text=True, check=False
    )
    assert plain.returncode == 0
    result = check_access(url, SecretStr(token_canary()), username="x-access-token", env=env)
    assert result.status == "denied", result.detail


def test_deploy_verify_refuses_a_wrong_token_end_to_end(tmp_path: Path, file_keyring: Path) -> None:
    """The headline fault: `deploy --verify` with a wrong token for acme/openssl-builds, with
    GIT_CURL_VERBOSE and traces in the user's environment, exited 0 and stored the token."""
    from flowwiz.writers.blocks import open_store

    work = make_repo(tmp_path / "work", {"flow.py": "x = 1\n"})
    served = tmp_path / "served"
    (served / "acme").mkdir(parents=True)
    bare = served / "acme" / "openssl-builds.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    good, bad = token_canary(), token_canary()
    trace = tmp_path / "trace.log"
    repo = github_like_repo(tmp_path)
    with GitHttpServer(served, username="oauth2", token=good, tls_dir=tmp_path / "tls") as server:
        url = server.url("acme/openssl-builds.git")
        env = {
            "GIT_SSL_NO_VERIFY": "1",  # the server's certificate is self-signed
            "GIT_CURL_VERBOSE": "1",
            "GIT_TRACE": str(trace),
            "GIT_TRACE_CURL": str(trace),
            "GIT_TRACE_REDACT": "0",
        }
        args = ("--yes", "--private", "--token-env", "TOK", "--verify", "--repository", url,
                "--param", "count=1")  # fmt: skip
        refused = run_deploy(repo, *args, env={**env, "TOK": bad})
        assert refused.returncode == 2, refused.stderr
        assert "authentication failed" in refused.stderr
        assert not (repo / "prefect.yaml").exists()
        assert not open_store().exists("secret", "deployment-nightly-etl-nightly-etl-repo-token")
        accepted = run_deploy(repo, *args, env={**env, "TOK": good})
        assert accepted.returncode == 0, accepted.stderr
        assert "the token can read" in accepted.stderr
    assert not trace.exists()
    assert_not_leaked(bad, texts=[refused.stdout, refused.stderr], roots=[tmp_path])
    assert_not_leaked(
        good,
        texts=[accepted.stdout, accepted.stderr],
        roots=[repo, Path(os.environ["FLOWWIZ_HOME"])],
        allow=[],
    )


@pytest.mark.parametrize(
    ("stderr", "status"),
    [
        ("fatal: Authentication failed for 'https://github.com/acme/openssl-builds.git/'",
         "denied"),
        ("* SSL connection using TLSv1.3\nremote: Invalid username or password.\n"
         "fatal: Authentication failed for 'https://github.com/acme/flows.git/'", "denied"),
        ("fatal: could not read Username for 'https://ssl.example.com': terminal prompts "
         "disabled", "denied"),
        ("fatal: unable to access 'https://github.com/acme/openssl-builds.git/': The requested "
         "URL returned error: 403", "denied"),
        ("remote: Repository not found.\nfatal: repository 'https://github.com/acme/x.git/' "
         "not found", "denied"),
        ("fatal: unable to access 'https://timed-out.example.com/a.git/': Could not resolve "
         "host: timed-out.example.com", "unreachable"),
        ("fatal: unable to access 'https://h/acme/authentication-failed.git/': SSL certificate "
         "problem: self-signed certificate", "unreachable"),
        ("fatal: unable to access 'https://h/a.git/': The requested URL returned error: 502",
         "unreachable"),
        ("remote: <html><script>evil</script>\nerror: something new", "denied"),
    ],
)  # fmt: skip
def test_classify_reads_gits_own_lines_not_the_url(stderr: str, status: str) -> None:
    result = classify(128, stderr, "h")
    assert result.status == status
    # in flowwiz's words: nothing git or the server said is repeated
    assert "remote:" not in result.detail and "evil" not in result.detail
    assert "acme" not in result.detail


# =============================================================================================
# 4. text is data

HOSTILE_FLOW = '''\
from prefect import flow


@flow(name="nightly [bold]sync")
def nightly(path: str = "[/tmp/x]"):
    """Writes [/data/out]."""


@flow(name="sync [/archive]")
def sync(path: str = "[/tmp/x]", label: str = "x"):
    """Reads [/data/in] and [bold]writes[/bold] \\x1b[2J\\x1b]0;pwned\\x07 done\\r."""


@flow(name="evil\\x1b[31m red \\x07")
def evil():
    """Rings \\x1b]8;;http://x\\x1b\\\\link\\x1b]8;;\\x1b\\\\."""
'''


def test_detect_shows_markup_and_controls_literally(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, {"flows/sync.py": HOSTILE_FLOW})
    table = flowwiz("detect", cwd=repo, env={"COLUMNS": "250"})
    assert table.returncode == 0, table.stderr
    assert "sync [/archive]" in table.stdout
    assert "[/data/in]" in table.stdout and "[bold]writes[/bold]" in table.stdout
    assert "\\x1b[2J" in table.stdout and "\\x07" in table.stdout
    assert_no_raw_controls(table.stdout, table.stderr)
    as_json = flowwiz("detect", "--json", cwd=repo)
    assert as_json.returncode == 0
    names = {f["name"] for f in json.loads(as_json.stdout)["flows"]}
    assert names == {"nightly [bold]sync", "sync [/archive]", "evil\x1b[31m red \x07"}
    assert_no_raw_controls(as_json.stdout)  # ... escaped by JSON


@pytest.mark.parametrize("name", ["[dev] My Flow", "nightly [bold]run"])
def test_deploy_shows_every_field_literally(tmp_path: Path, name: str) -> None:
    repo = github_like_repo(tmp_path, {"flows/sync.py": HOSTILE_FLOW})
    result = run_deploy(
        repo, "--yes", "--entrypoint", "flows/sync.py:nightly", "--name", name,
        "--param", "path=[/tmp/x]", "--pool", "gpu[/]", "--queue", "q[/b]",
        "--tag", "[red]t", "--job-variable", "env.NOTE=[/x] \x1b[2J",
        env={"COLUMNS": "250"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    err = result.stderr
    for literal in (f"nightly [bold]sync/{name}", "'[/tmp/x]'", "gpu[/]", "q[/b]", "[/x] \\x1b[2J"):
        assert literal in err, literal
    # the next step carries the real name: run as printed, it updates this deployment
    assert f"prefect deploy -n '{name}'" in err
    assert "prefect worker start --pool 'gpu[/]'" in err
    assert_no_raw_controls(result.stdout, err)
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["name"] == name and entry["work_pool"]["name"] == "gpu[/]"


@pytest.mark.parametrize("function", ["sync", "evil"])
def test_a_flow_prefect_cannot_load_is_refused_in_one_line(tmp_path: Path, function: str) -> None:
    """Prefect is the judge: `sync [/archive]` is an InvalidNameError when Prefect loads the
    flow, so flowwiz says so (exit 2, no crash, nothing written) instead of writing a file
    `prefect deploy` rejects. A name with control characters is shown escaped."""
    repo = github_like_repo(tmp_path, {"flows/sync.py": HOSTILE_FLOW})
    result = run_deploy(repo, "--yes", "--entrypoint", f"flows/sync.py:{function}")
    if function == "evil":  # no / % & > <: Prefect loads it; the review shows it escaped
        assert result.returncode == 0, result.stderr
        assert "evil\\x1b[31m red \\x07" in result.stderr
    else:
        assert result.returncode == 2
        assert "sync [/archive]" in result.stderr and "InvalidNameError" in result.stderr
        assert "internal error" not in result.stderr
        assert not (repo / "prefect.yaml").exists()
    assert_no_raw_controls(result.stdout, result.stderr)


def test_interactive_prompt_shows_repo_text_literally(tmp_path: Path) -> None:
    """questionary (prompt_toolkit) gets the flow names as plain text: markup stays literal
    and control characters arrive escaped, never raw."""
    import pexpect

    from tests.conftest import FLOWWIZ

    repo = github_like_repo(tmp_path, {"flows/sync.py": HOSTILE_FLOW})
    child = pexpect.spawn(
        FLOWWIZ, ["deploy"], cwd=str(repo), encoding="utf-8", timeout=20, dimensions=(40, 160),
        env={**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"},
    )  # fmt: skip
    try:
        child.expect_exact("Which flow do you want to deploy")
        child.expect_exact("evil\\x1b[31m red \\x07")
        seen = child.before + child.after
        child.sendcontrol("c")
        child.expect(pexpect.EOF)
        seen += child.before
    finally:
        child.close()
    assert "sync [/archive]" in seen
    assert "\x07" not in seen and "\x1b]0;" not in seen  # no raw BEL, no title change
    assert child.exitstatus == 130


def test_interactive_choices_show_controls_visibly() -> None:
    from flowwiz.wizard.terminal import printable, styled

    assert printable("a\x1b[2Jb\x07\r\u202e") == "a\\x1b[2Jb\\x07\\r\\u202e"
    assert printable("line\r\nnext\ttab", multiline=True) == "line\nnext\ttab"
    assert styled("[bold]x[/]").plain == "[bold]x[/]"


def test_errors_show_controls_visibly(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(repo, "--yes", "--entrypoint", "flows/etl.py:nope\x1b]0;t\x07")
    assert result.returncode == 2
    assert "\\x1b]0;t\\x07" in result.stderr
    assert_no_raw_controls(result.stderr)


def test_blocks_show_fields_literally(tmp_path: Path, file_keyring: Path) -> None:
    created = flowwiz(
        "blocks", "create", "gitlab-credentials", "gl",
        "--field", "url=https://gitlab.example.com/[/x]\x1b[2J", "--field-env", "token=GLT",
        cwd=tmp_path, env={"GLT": "not-a-real-token-1"},
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    for args in (("ls",), ("inspect", "gitlab-credentials/gl")):
        shown = flowwiz("blocks", *args, cwd=tmp_path, env={"COLUMNS": "250"})
        assert shown.returncode == 0, shown.stderr
        assert "[/x]\\x1b[2J" in shown.stdout
        assert_no_raw_controls(shown.stdout, shown.stderr)


HOSTILE_YAML = """\
deployments:
- name: "[bold]x[/] \\e[2J"
  entrypoint: "flows/[/a].py:f"
  work_pool:
    name: "gpu[/]"
    work_queue_name: "\\a"
  pull:
  - prefect.deployments.steps.git_clone:
      repository: "https://github.com/acme/[/x].git"
      branch: "[red]main"
      access_token: "{{ prefect.blocks.secret.tok }}"
"""


def test_dashboard_shows_markup_and_controls_literally(
    memory_keyring: Any, isolated_env: Path
) -> None:
    import asyncio

    from flowwiz.wizard.dashboard.app import FlowwizApp
    from flowwiz.writers.blocks import open_store

    project = isolated_env / "project"
    project.mkdir()
    (project / "prefect.yaml").write_text(HOSTILE_YAML)
    store = open_store()
    store.save(
        "gitlab-credentials",
        "gl",
        {"token": SecretStr("not-a-real-token-1"), "url": "https://h/[/x]\x1b[2J"},
    )
    seen: list[str] = []

    async def main() -> None:
        app = FlowwizApp(store, project)
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            seen.append(app.export_screenshot())
            await pilot.press("2")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            seen.append(app.export_screenshot())
            detail = app.query_one("#deployment-fields")
            seen.append(str(detail.render()))

    asyncio.run(main())
    blocks_screen, deployments_screen, detail = seen
    assert "[/x]\\x1b[2J" in blocks_screen.replace("&#160;", " ")
    assert "\\x1b[2J" in deployments_screen.replace("&#160;", " ")
    assert "gpu[/]" in detail and "[red]main" in detail
    assert_no_raw_controls(detail)


# =============================================================================================
# 5. an entrypoint a worker's clone will not have


def test_untracked_entrypoint_is_warned(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    (repo / "flows" / "new.py").write_text(FLOW)
    result = run_deploy(repo, "--yes", "--entrypoint", "flows/new.py:etl", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    assert "flows/new.py is not tracked by git" in result.stderr
    assert "git add flows/new.py" in result.stderr
    shown = flowwiz("detect", cwd=repo, env={"COLUMNS": "200"})
    assert "flows/new.py is not tracked by git" in shown.stdout
    flows = json.loads(flowwiz("detect", "--json", cwd=repo).stdout)["flows"]
    assert {f["entrypoint"]: f["in_clone"] for f in flows} == {
        "flows/etl.py:etl": "tracked",
        "flows/new.py:etl": "untracked",
    }


def test_ignored_entrypoint_is_warned(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, {"flows/etl.py": FLOW, ".gitignore": "flows/local_*.py\n"})
    (repo / "flows" / "local_etl.py").write_text(FLOW)
    result = run_deploy(
        repo, "--yes", "--entrypoint", "flows/local_etl.py:etl", "--param", "count=1"
    )
    assert result.returncode == 0, result.stderr
    assert "ignored by .gitignore" in result.stderr


def test_symlink_outside_the_repository_is_refused_under_yes(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "etl.py").write_text(FLOW)
    repo = github_like_repo(tmp_path)
    (repo / "flows" / "linked.py").symlink_to(outside / "etl.py")
    git(repo, "add", "flows/linked.py")
    git(repo, "commit", "-q", "-m", "link")
    result = run_deploy(repo, "--yes", "--entrypoint", "flows/linked.py:etl", "--param", "count=1")
    assert result.returncode == 2
    assert "outside the repository" in result.stderr and "--storage" in result.stderr
    assert not (repo / "prefect.yaml").exists()
    # another storage does not clone: the same entrypoint is fine there
    local = run_deploy(
        repo, "--yes", "--storage", "local", "--entrypoint", "flows/linked.py:etl",
        "--param", "count=1",
    )  # fmt: skip
    assert local.returncode == 0, local.stderr


SYNC_FLOW = '''\
from prefect import flow


@flow(name="sync [bold]archive")
def sync(path: str = "[/tmp/x]"):
    """Reads [/data/in]."""
'''


@pytest.mark.prefect
def test_printed_next_step_updates_the_real_deployment(prefect_server: Any, tmp_path: Path) -> None:
    """Run as printed, `prefect deploy -n '<name>'` updates the deployment flowwiz wrote (real
    Prefect): the name in the next step is the real one, not its markup-stripped remains."""
    import shlex

    prefect_server.create_work_pool("adversarial-pool")
    repo = github_like_repo(tmp_path, {"flows/sync.py": SYNC_FLOW})
    name = "[dev] My Flow"
    done = run_deploy(
        repo, "--yes", "--entrypoint", "flows/sync.py:sync", "--name", name,
        "--pool", "adversarial-pool", "--param", "path=[/tmp/x]",
        env={"PREFECT_API_URL": prefect_server.api_url, "COLUMNS": "250"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    steps = [
        ln.strip() for ln in done.stderr.splitlines() if ln.strip().startswith("prefect deploy -n")
    ]
    step = steps[-1]  # the next steps come last
    argv = shlex.split(step)
    assert argv == ["prefect", "deploy", "-n", name]
    prefect_server.check_prefect("--no-prompt", *argv[1:], cwd=repo)
    mine = [d for d in prefect_server.deployments() if "My Flow" in d["name"]]
    assert [d["name"] for d in mine] == [name]
    flow = prefect_server.api("GET", f"/flows/{mine[0]['flow_id']}").json()
    assert flow["name"] == "sync [bold]archive"
    assert mine[0]["parameters"] == {"path": "[/tmp/x]"}
