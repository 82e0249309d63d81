"""`flowwiz blocks` through the real console script, with a real keyring backend on disk.

The file keyring (keyrings.alt, test-only, with the explicit opt-in) is chosen through the
environment, so the subprocess uses it and the test reads values back as a separate reader.
Every test that stores a secret searches all output and the catalog directory for it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pexpect
import pytest

from flowwiz.detectors.secret import MASK
from tests.clirun import flowwiz
from tests.conftest import FLOWWIZ, read_file_keyring
from tests.leaks import assert_not_leaked, canary
from flowwiz.writers.paths import catalog_path, flowwiz_home

SERVICE = "flowwiz"


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return flowwiz("blocks", *args, stdin=stdin, env=env)


def _catalog_id() -> str:
    with sqlite3.connect(catalog_path()) as db:
        return str(db.execute("SELECT value FROM meta WHERE key = 'catalog_id'").fetchone()[0])


def _stored(kind: str, name: str, field: str) -> str | None:
    return read_file_keyring(SERVICE, f"{_catalog_id()}/{kind}/{name}/{field}")


def _rows() -> list[tuple[str, str]]:
    if not catalog_path().exists():
        return []
    with sqlite3.connect(catalog_path()) as db:
        return [tuple(r) for r in db.execute("SELECT type, name FROM blocks ORDER BY 1, 2")]


def _outputs(*results: subprocess.CompletedProcess[str]) -> list[str]:
    return [text for r in results for text in (r.stdout, r.stderr)]


def _has(text: str, needle: str) -> bool:
    """needle in text, ignoring where rich wrapped the lines (it may fold inside a path)."""
    return "".join(needle.split()) in "".join(text.split())


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


# -- create, list, inspect -----------------------------------------------------------------


def test_create_from_stdin_then_list_and_inspect_masked(file_keyring: Path) -> None:
    token = canary()
    created = run("create", "secret", "my-token", "--stdin", stdin=token + "\n")
    assert created.returncode == 0, created.stderr
    assert _has(created.stderr, "Saved secret/my-token")
    assert "{{ prefect.blocks.secret.my-token }}" in created.stderr
    assert _has(created.stderr, "stored UNENCRYPTED by keyrings.alt.file.PlaintextKeyring")
    assert _stored("secret", "my-token", "value") == token  # the trailing newline is not kept

    listed = run("ls")
    assert listed.returncode == 0
    assert _has(listed.stdout, f"Blocks in the local catalog {catalog_path()}")
    assert "secret/my-token" in listed.stdout
    assert f"value={MASK}" in listed.stdout

    as_json = run("ls", "--json")
    payload = json.loads(as_json.stdout)
    assert payload["store"] == {"kind": "local", "location": str(catalog_path())}
    [block] = payload["blocks"]
    assert block["slug"] == "secret/my-token"
    assert block["fields"] == {"value": MASK}
    assert block["secret_fields"] == ["value"]
    assert block["reference"] == "{{ prefect.blocks.secret.my-token }}"
    assert block["problem"] is None

    inspected = run("inspect", "secret/my-token")
    assert inspected.returncode == 0
    assert f"{MASK} (secret)" in inspected.stdout
    assert "status     ok" in inspected.stdout
    inspected_json = json.loads(run("inspect", "secret/my-token", "--json").stdout)
    assert inspected_json["fields"] == {"value": MASK}

    assert_not_leaked(
        token,
        texts=_outputs(created, listed, as_json, inspected),
        roots=[flowwiz_home()],
    )


def test_create_says_where_each_part_went(file_keyring: Path) -> None:
    """The catalog keeps the name, type and plain fields; the keyring (its backend named)
    keeps the secret values: the message says which went where, never the value."""
    token = canary()
    created = run(
        "create",
        "gitlab-credentials",
        "gl",
        "--field",
        "url=https://gitlab.example.com",
        "--stdin",
        stdin=token,
        env={"COLUMNS": "200"},
    )
    assert created.returncode == 0, created.stderr
    lines = [line.strip() for line in created.stderr.splitlines()]
    assert "✓ Saved gitlab-credentials/gl" in lines
    assert (
        f"catalog  {catalog_path()} keeps the name and type, and 'url' (no secret value)" in lines
    ), created.stderr
    assert (
        "keyring  a plain-text file (keyrings.alt.file.PlaintextKeyring) keeps the secret "
        "value of 'token'" in lines
    ), created.stderr
    assert _stored("gitlab-credentials", "gl", "token") == token

    plain = run("create", "aws-credentials", "ids-only", "--field", "aws_access_key_id=AKIA1")
    assert plain.returncode == 0, plain.stderr
    assert _has(plain.stderr, "keyring nothing: no secret field was given")
    assert _has(plain.stderr, "keeps the name and type, and 'aws_access_key_id'")
    assert_not_leaked(token, texts=_outputs(created, plain), roots=[flowwiz_home()])


def _block_cells(table: str) -> list[str]:
    """The BLOCK column of a `blocks ls` table, a cell per block (its wrapped lines joined:
    a row's first line has its status, the lines under it do not)."""
    cells: list[str] = []
    for line in table.splitlines():
        parts = line.split("│")
        if len(parts) < 3:
            continue
        name, status = parts[1].strip(), parts[-2].strip()
        if status and status != "STATUS":
            cells.append(name)
        elif cells and name:
            cells[-1] += name
    return cells


def test_long_names_are_whole_at_80_columns(file_keyring: Path, tmp_path: Path) -> None:
    """Two names that differ only at the end stay whole, on one line, in `blocks ls` at 80
    columns (the name column wins over the fields); a name too long for the line wraps and
    is never cut, in `blocks ls`, `blocks check` and the deploy review."""
    from tests.deployutil import github_like_repo, run_deploy

    token = canary()
    pair = ["warehouse-sync-token-a", "warehouse-sync-token-b"]
    longer = ["production-warehouse-nightly-sync-deploy-key-for-ci-" + s for s in ("1a", "1b")]
    for name in pair + longer:
        assert run("create", "secret", name, "--stdin", stdin=token).returncode == 0
    url = "url=https://gitlab.example.com/a/long/path/to/a/self-hosted/instance"
    made = run("create", "gitlab-credentials", "gl", "--field", url, "--stdin", stdin=token)
    assert made.returncode == 0, made.stderr

    listed = run("ls", env={"COLUMNS": "80"})
    assert listed.returncode == 0, listed.stderr
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    for name in pair:
        assert any(f"│ secret/{name} " in line for line in listed.stdout.splitlines()), name
    cells = _block_cells(listed.stdout)
    assert cells == sorted(["gitlab-credentials/gl", *(f"secret/{n}" for n in pair + longer)])
    assert "…" not in listed.stdout

    checked = run("check", env={"COLUMNS": "80"})
    assert checked.returncode == 0, checked.stderr
    assert [c for c in _block_cells(checked.stdout) if "1a" in c or "1b" in c] == [
        f"secret/{n}" for n in longer
    ]

    repo = github_like_repo(tmp_path)
    deployed = run_deploy(
        repo,
        "--yes",
        "--token-block",
        longer[1],
        "--pool",
        "prod",
        "--param",
        "count=1",
        env={"COLUMNS": "80"},
    )
    assert deployed.returncode == 0, deployed.stderr
    review = deployed.stderr.split("\nReview\n", 1)[1].split("\nNew file", 1)[0]
    assert "…" not in review
    assert f"prefect.blocks.secret.{longer[1]}" in "".join(
        line.strip() for line in review.splitlines()
    )
    assert_not_leaked(token, texts=_outputs(listed, checked, deployed), roots=[flowwiz_home()])


def test_show_secrets_is_the_one_way_to_see_a_value_and_it_warns(file_keyring: Path) -> None:
    token = canary()
    assert run("create", "secret", "shown", "--stdin", stdin=token).returncode == 0
    shown = run("inspect", "secret/shown", "--json", "--show-secrets")
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["fields"] == {"value": token}
    assert _has(shown.stderr, "warning: showing the secret values of secret/shown in clear text")
    assert token not in shown.stderr
    assert_not_leaked(token, roots=[flowwiz_home()])


def test_field_env_for_secrets_and_field_for_plain_values(file_keyring: Path) -> None:
    token = canary()
    created = run(
        "create",
        "gitlab-credentials",
        "gl",
        "--field",
        "url=https://gitlab.example.com",
        "--field-env",
        "token=MY_GITLAB_TOKEN",
        env={"MY_GITLAB_TOKEN": token},
    )
    assert created.returncode == 0, created.stderr
    assert _stored("gitlab-credentials", "gl", "token") == token
    block = json.loads(run("inspect", "gitlab-credentials/gl", "--json").stdout)
    assert block["fields"] == {"token": MASK, "url": "https://gitlab.example.com"}
    assert_not_leaked(token, texts=_outputs(created), roots=[flowwiz_home()])


def test_a_secret_field_is_never_accepted_as_a_flag_value(file_keyring: Path) -> None:
    token = canary()
    refused = run("create", "secret", "tok", "--field", f"value={token}")
    assert refused.returncode == 2
    line = _one_error_line(refused)
    assert "secret field 'value' cannot be given with --field" in line
    assert "--field-env value=VAR" in line and "--stdin" in line
    assert _rows() == []
    assert_not_leaked(token, texts=_outputs(refused), roots=[flowwiz_home()])


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ("create", "secret", "tok"),
            {},
            "there is no terminal to ask: give it with --field-env value=VAR or --stdin",
        ),
        (
            ("create", "github-credentials", "ci", "--field-env", "token=NOT_SET_ANYWHERE"),
            {},
            "environment variable 'NOT_SET_ANYWHERE' (for --field-env token) is not set",
        ),
        (("create", "secret", "Bad_Name", "--stdin"), {}, "invalid block name 'Bad_Name'"),
        (("create", "nope", "x"), {}, "unknown block type 'nope'"),
        (("create", "secret", "x", "--field", "colour=red"), {}, "secret has no field 'colour'"),
        (("create", "secret", "x", "--field", "novalue"), {}, "--field expects FIELD=VALUE"),
        (
            ("create", "aws-credentials", "x", "--stdin"),
            {},
            "--stdin fills one secret field, but aws-credentials has 2",
        ),
        (("inspect", "secret"), {}, "expected TYPE/NAME"),
        (("rm", "secret/absent", "--yes"), {}, "no block secret/absent"),
        (("inspect", "secret/absent"), {}, "no block secret/absent"),
        (("ls", "--type", "nope"), {}, "unknown block type 'nope'"),
        (
            ("push", "--all"),
            {},
            "push needs a Prefect server: set PREFECT_API_URL (or a Prefect profile) "
            "or pass --api-url",
        ),
        (("push",), {"PREFECT_API_URL": "http://127.0.0.1:9/api"}, "name the blocks to push"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    file_keyring: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = run(*args, stdin="" if "--stdin" in args else None, env=env)
    assert result.returncode == 2, result.stderr
    assert message in _one_error_line(result)
    assert _rows() == []


def test_empty_stdin_is_refused(file_keyring: Path) -> None:
    result = run("create", "secret", "tok", "--stdin", stdin="  \n")
    assert result.returncode == 2
    assert "--stdin gave an empty value for 'value'" in _one_error_line(result)


def test_existing_block_needs_overwrite(file_keyring: Path) -> None:
    first, second = canary(), canary()
    assert run("create", "secret", "tok", "--stdin", stdin=first).returncode == 0
    again = run("create", "secret", "tok", "--stdin", stdin=second)
    assert again.returncode == 2
    assert "already exists in the local catalog" in _one_error_line(again)
    assert "use --overwrite" in again.stderr
    assert _stored("secret", "tok", "value") == first
    replaced = run("create", "secret", "tok", "--stdin", "--overwrite", stdin=second)
    assert replaced.returncode == 0
    assert _stored("secret", "tok", "value") == second
    for token in (first, second):
        assert_not_leaked(token, texts=_outputs(again, replaced), roots=[flowwiz_home()])


def test_rm_needs_yes_without_a_terminal_and_removes_the_secret(file_keyring: Path) -> None:
    token = canary()
    assert run("create", "secret", "tok", "--stdin", stdin=token).returncode == 0
    asked = run("rm", "secret/tok")
    assert asked.returncode == 2
    assert "pass --yes" in _one_error_line(asked)
    assert _rows() == [("secret", "tok")]
    catalog_id = _catalog_id()
    removed = run("rm", "secret/tok", "--yes")
    assert removed.returncode == 0
    assert _has(removed.stderr, f"Deleted secret/tok from the local catalog {catalog_path()}")
    assert _rows() == []
    assert read_file_keyring(SERVICE, f"{catalog_id}/secret/tok/value") is None


def test_broken_block_is_listed_not_crashed_on(file_keyring: Path) -> None:
    from keyrings.alt.file import PlaintextKeyring

    token = canary()
    assert run("create", "secret", "orphan", "--stdin", stdin=token).returncode == 0
    PlaintextKeyring().delete_password(SERVICE, f"{_catalog_id()}/secret/orphan/value")
    # a listing reads no secret, so it cannot tell: it says so and points to `blocks check`
    listed = run("ls")
    assert listed.returncode == 0
    assert "flowwiz blocks check" in listed.stderr
    block = json.loads(run("ls", "--json").stdout)["blocks"][0]
    assert (block["status"], block["secrets"], block["problem"]) == ("ok", "unchecked", None)
    checked = run("check")
    assert checked.returncode == 1
    assert _has(
        checked.stdout.replace("│", ""), "broken: secret field 'value' missing from the keyring"
    )
    block = json.loads(run("check", "--json").stdout)["blocks"][0]
    assert block["problem"] == "secret field 'value' missing from the keyring"
    assert (block["status"], block["secrets"]) == ("broken", "missing")
    inspected = run("inspect", "secret/orphan")
    assert inspected.returncode == 0
    assert "broken: secret field 'value' missing from the keyring" in inspected.stdout


def test_types_lists_every_type_with_secret_fields_marked() -> None:
    result = run("types", "--json")
    assert result.returncode == 0
    types = {t["slug"]: t for t in json.loads(result.stdout)}
    assert list(types) == [
        "secret",
        "github-credentials",
        "gitlab-credentials",
        "bitbucket-credentials",
        "aws-credentials",
        "minio-credentials",
        "gcp-credentials",
        "azure-blob-storage-credentials",
        "docker-registry-credentials",
        "s3-bucket",
        "gcs-bucket",
        "remote-file-system",
        "smb",
    ]
    assert types["s3-bucket"]["capabilities"] == [
        "get-directory", "put-directory", "read-path", "write-path"
    ]
    assert types["remote-file-system"]["fields"][1]["kind"] == "json"
    secret_fields = {
        slug: [f["name"] for f in t["fields"] if f["secret"]] for slug, t in types.items()
    }
    assert secret_fields["secret"] == ["value"]
    assert secret_fields["aws-credentials"] == ["aws_secret_access_key", "aws_session_token"]
    assert types["github-credentials"]["collection"] == "prefect_github"
    assert secret_fields["docker-registry-credentials"] == ["password"]
    table = run("types")
    assert "azure-blob-storage-credentials" in table.stdout


@pytest.mark.parametrize("command", ["ls", "inspect", "create", "rm", "types", "push", "edit"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout
    assert f"flowwiz blocks {command}" in result.stdout


# -- no usable keyring -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}, "no keyring service"),
        ({"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}, "discards every secret"),
        (
            {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"},
            "stores secrets unencrypted",
        ),
    ],
)
def test_no_usable_keyring_is_a_clear_error_and_stores_nothing(
    env: dict[str, str], reason: str
) -> None:
    token = canary()
    result = run("create", "secret", "tok", "--stdin", stdin=token, env=env)
    assert result.returncode == 1
    line = _one_error_line(result)
    assert reason in line
    assert "nothing was stored" in line
    for way_out in ("dbus-run-session", "PREFECT_API_URL", "FLOWWIZ_ALLOW_PLAINTEXT_KEYRING=1"):
        assert way_out in line
    assert _rows() == []
    xdg_keyring = Path(os.environ["XDG_DATA_HOME"]) / "python_keyring"
    assert not xdg_keyring.exists(), "nothing may be written to a plain-text keyring"
    assert_not_leaked(token, texts=_outputs(result), roots=[flowwiz_home(), Path.home()])


# -- prompts in a terminal ---------------------------------------------------------------


def _spawn(*args: str) -> pexpect.spawn:
    return pexpect.spawn(
        FLOWWIZ,
        ["blocks", *args],
        env={**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"},
        encoding="utf-8",
        timeout=30,
        dimensions=(30, 100),
    )


def test_prompts_ask_secret_fields_hidden(file_keyring: Path) -> None:
    import io

    token = canary()
    child = _spawn("create", "gitlab-credentials", "gl")
    child.logfile_read = transcript = io.StringIO()
    child.expect("token \\(required, hidden\\)")
    child.send(token)
    child.send("\r")
    child.expect("url \\(Enter to skip\\)")
    child.send("https://gitlab.example.com\r")
    child.expect("Saved gitlab-credentials/gl")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _stored("gitlab-credentials", "gl", "token") == token
    with sqlite3.connect(catalog_path()) as db:
        fields = db.execute("SELECT fields FROM blocks").fetchone()[0]
    assert json.loads(fields) == {"url": "https://gitlab.example.com"}
    assert "Saved gitlab-credentials/gl" in transcript.getvalue()
    assert_not_leaked(token, texts=[transcript.getvalue()], roots=[flowwiz_home()])


def test_prompted_transcript_never_echoes_the_secret(file_keyring: Path, tmp_path: Path) -> None:
    token = canary()
    log = tmp_path / "transcript.txt"
    child = _spawn("create", "secret", "typed")
    with log.open("w") as out:
        child.logfile_read = out
        child.expect("value \\(required, hidden\\)")
        for ch in token:  # typed one key at a time, as a person would
            child.send(ch)
        child.send("\r")
        child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _stored("secret", "typed", "value") == token
    assert_not_leaked(token, texts=[log.read_text()], roots=[flowwiz_home()])


def test_ctrl_c_at_the_prompt_writes_nothing(file_keyring: Path) -> None:
    child = _spawn("create", "secret", "abandoned")
    child.expect("value \\(required, hidden\\)")
    child.sendcontrol("c")
    child.expect("nothing was written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert _rows() == []


def test_rm_asks_before_deleting(file_keyring: Path) -> None:
    token = canary()
    assert run("create", "secret", "keep-me", "--stdin", stdin=token).returncode == 0
    child = _spawn("rm", "secret/keep-me")
    child.expect("Delete secret/keep-me")
    child.send("n")
    child.expect("nothing was deleted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _rows() == [("secret", "keep-me")]
    child = _spawn("rm", "secret/keep-me")
    child.expect("Delete secret/keep-me")
    child.send("y")
    child.expect("Deleted secret/keep-me")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _rows() == []


def test_a_keyring_backend_that_cannot_be_loaded_is_named() -> None:
    result = run(
        "create",
        "secret",
        "tok",
        "--stdin",
        stdin=canary(),
        env={"PYTHON_KEYRING_BACKEND": "no_such_module.Backend"},
    )
    assert result.returncode == 1
    assert _one_error_line(result) == (
        "error: the keyring backend named in PYTHON_KEYRING_BACKEND (no_such_module.Backend) "
        "cannot be loaded (ModuleNotFoundError): fix or unset it"
    )
    assert _rows() == []
