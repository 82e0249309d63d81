"""A token in a block's non-secret field: refused where it is given (CLI create/edit, any
depth of a JSON value) unless --allow-plaintext-secrets, and masked wherever a stored one
is shown (an old catalog, a server's block). Also the block argument forms (TYPE/NAME or
TYPE NAME), "did you mean", and `blocks rm` of a block prefect.yaml uses.

The real console script, a real keyring backend on disk (tests/conftest.py file_keyring).
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
from flowwiz.writers.paths import catalog_path, flowwiz_home

from tests.clirun import flowwiz
from tests.conftest import FLOWWIZ
from tests.leaks import assert_not_leaked, canary, token_canary
from tests.test_dashboard import GOOD_AND_BROKEN


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return flowwiz("blocks", *args, cwd=cwd)


def _outputs(*results: subprocess.CompletedProcess[str]) -> list[str]:
    return [text for r in results for text in (r.stdout, r.stderr)]


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr
    return lines[0]


def _flat(text: str) -> str:
    return "".join(text.split())


# -- refused where it is given --------------------------------------------------------------


def test_a_token_in_a_plain_field_is_refused_at_any_depth_naming_the_field(
    file_keyring: Path,
) -> None:
    token = token_canary()
    shapes = [
        f'{{"anon": false, "secret": "{token}"}}',  # the newcomer's example
        f'{{"client_kwargs": {{"headers": ["x", {{"auth": "Bearer {token}"}}]}}}}',
    ]
    results = []
    for settings in shapes:
        refused = run(
            "create", "remote-file-system", "shared2",
            "--field", "basepath=s3://b/f", "--field", f"settings={settings}",
        )  # fmt: skip
        results.append(refused)
        assert refused.returncode == 2, refused.stderr
        line = _one_error_line(refused)
        assert "field 'settings' of remote-file-system looks like it holds a token" in line
        assert "Secret block" in line and "--allow-plaintext-secrets" in line
    assert "(at settings.client_kwargs.headers[1].auth)" in results[1].stderr
    # a top-level text field, and the two-argument edit of a block stored without one
    refused_url = run("create", "gitlab-credentials", "gl", "--field", f"url={token}")
    assert refused_url.returncode == 2
    assert "asecretfieldofgitlab-credentials(token)oraSecretblock" in _flat(
        _one_error_line(refused_url)
    )
    made = run("create", "remote-file-system/shared", "--field", "basepath=s3://b/f")
    assert made.returncode == 0, made.stderr
    edited = run("edit", "remote-file-system", "shared", "--field", f'settings={{"k": "{token}"}}')
    assert edited.returncode == 2
    assert "--allow-plaintext-secrets" in _one_error_line(edited)
    listed = run("ls", "--json")
    shown = json.loads(listed.stdout)["blocks"]
    assert [(b["type"], b["name"], b["fields"]) for b in shown] == [
        ("remote-file-system", "shared", {"basepath": "s3://b/f"})
    ]
    assert_not_leaked(
        token,
        texts=_outputs(*results, refused_url, made, edited, listed),
        roots=[flowwiz_home()],
    )


def test_allow_plaintext_secrets_stores_it_and_every_display_masks_it(
    file_keyring: Path,
) -> None:
    token = token_canary()
    settings = f'settings={{"anon": false, "secret": "{token}", "list": ["{token}"]}}'
    made = run(
        "create", "remote-file-system", "kept", "--field", "basepath=s3://b/f",
        "--field", settings, "--allow-plaintext-secrets",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "'settings' of remote-file-system hold a token-looking value in plain text" in (
        " ".join(made.stderr.split())
    )
    with sqlite3.connect(catalog_path()) as db:  # the user asked for it: it is there
        assert token in db.execute("SELECT fields FROM blocks").fetchone()[0]
    edited = run(
        "edit", "remote-file-system/kept", "--field", f"basepath=s3://b/{token}",
        "--allow-plaintext-secrets",
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    shown = [
        run("ls"),
        run("ls", "--json"),
        run("inspect", "remote-file-system/kept"),
        run("inspect", "remote-file-system", "kept", "--json"),
    ]
    assert all(r.returncode == 0 for r in shown), [r.stderr for r in shown]
    fields = json.loads(shown[1].stdout)["blocks"][0]["fields"]
    assert fields == {
        "basepath": f"s3://b/{MASK}",
        "settings": {"anon": False, "secret": MASK, "list": [MASK]},
    }
    assert json.loads(shown[3].stdout)["fields"] == fields
    assert_not_leaked(token, texts=_outputs(made, edited, *shown))


def _write_old_row(kind: str, name: str, fields: dict[str, object]) -> None:
    """A catalog row as a flowwiz before this check wrote it (or any other writer)."""
    with sqlite3.connect(catalog_path()) as db:
        db.execute("UPDATE blocks SET fields = ? WHERE type = ? AND name = ?",
                   (json.dumps(fields), kind, name))  # fmt: skip


def test_a_token_already_in_the_catalog_is_masked_on_every_path(file_keyring: Path) -> None:
    """The listing's template path (rows of one shape share a template) must give the
    same masked line as the long path; an edit of another field keeps it (masked)."""
    token = token_canary()
    for name in ("a-before", "b-old", "c-after"):
        made = run("create", "gitlab-credentials", name, "--field-env", "token=TOK",
                   "--field", "url=https://gitlab.example.com")  # fmt: skip
        assert made.returncode == 0, made.stderr
    _write_old_row("gitlab-credentials", "b-old", {"url": f"https://x:{token}@gitlab.example.com"})
    listed = run("ls", "--json")
    rows = {b["name"]: b["fields"] for b in json.loads(listed.stdout)["blocks"]}
    assert rows == {
        "a-before": {"token": MASK, "url": "https://gitlab.example.com"},
        "b-old": {"token": MASK, "url": f"https://x:{MASK}@gitlab.example.com"},
        "c-after": {"token": MASK, "url": "https://gitlab.example.com"},
    }
    from flowwiz.wizard.commands.blocks import _block_json
    from flowwiz.writers.blocks import open_store

    store = open_store(env={**os.environ, "PREFECT_API_URL": ""})
    lean = store.listing_json(lambda b: json.dumps(_block_json(b), sort_keys=True))
    long = [json.dumps(_block_json(b), sort_keys=True) for b in store.list()]
    assert lean == long
    edited = run("edit", "gitlab-credentials", "b-old", "--clear", "url")
    assert edited.returncode == 0, edited.stderr
    outputs = _outputs(listed, run("ls"), run("inspect", "gitlab-credentials/c-after"), edited)
    assert_not_leaked(token, texts=[*outputs, *lean])


@pytest.fixture(autouse=True)
def _tok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOK", canary())


# -- argument forms, did you mean --------------------------------------------------------------


def test_both_argument_forms_and_did_you_mean(file_keyring: Path) -> None:
    assert run("create", "secret/one", "--field-env", "value=TOK").returncode == 0
    assert run("create", "secret", "two", "--field-env", "value=TOK").returncode == 0
    assert run("inspect", "secret", "one").returncode == 0
    assert run("inspect", "secret/two", "--json").returncode == 0
    assert run("edit", "secret", "one", "--field-env", "value=TOK").returncode == 0
    assert run("rm", "secret", "two", "--yes").returncode == 0
    names = [b["name"] for b in json.loads(run("ls", "--json").stdout)["blocks"]]
    assert names == ["one"]
    typo = run("create", "github-credential", "ci", "--field-env", "token=TOK")
    assert typo.returncode == 2
    assert "unknown block type 'github-credential': did you mean github-credentials?" in (
        _one_error_line(typo)
    )
    assert "did you mean secret?" in run("inspect", "secrett/one").stderr
    for bad in (("create", "secret"), ("inspect", "secret/one", "extra"), ("rm", "a", "b", "c")):
        result = run(*bad)
        assert result.returncode == 2
        assert "expected TYPE/NAME or TYPE NAME" in _one_error_line(result)


# -- rm of a block prefect.yaml uses -----------------------------------------------------------


def test_rm_of_a_used_block_lists_the_deployments(file_keyring: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "prefect.yaml").write_text(GOOD_AND_BROKEN)
    for name in ("github-token", "unused"):
        assert run("create", "secret", name, "--field-env", "value=TOK").returncode == 0
    refused = run("rm", "secret/github-token", cwd=project)
    assert refused.returncode == 2
    line = _one_error_line(refused)
    assert "deployments that reference it (etl-nightly)" in line and "--yes" in line
    assert "Traceback" not in refused.stderr
    plain = run("rm", "secret/unused", cwd=project)  # used by none: the old message
    assert plain.returncode == 2 and "reference it" not in plain.stderr

    child = pexpect.spawn(
        FLOWWIZ, ["blocks", "rm", "secret/github-token"], cwd=str(project),
        env={**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"},
        encoding="utf-8", timeout=30, dimensions=(30, 120),
    )  # fmt: skip
    child.expect("is used: deployments that reference it")
    child.expect("anyway")
    child.send("n")
    child.expect("nothing was deleted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    forced = run("rm", "secret/github-token", "--yes", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert "(etl-nightly)" in _flat(forced.stderr)
    assert "Deleted secret/github-token" in forced.stderr


# -- the detector's cheap first look ----------------------------------------------------------


def test_the_first_look_never_changes_what_holds_token_says() -> None:
    """``holds_token`` answers from one regex search when no piece can be a token; on
    random text built from token material, separators and names it agrees with the full
    look, and ``json_may_hold_token`` says yes to the value's JSON text."""
    import random
    import re

    from flowwiz.detectors.secret import (
        TOKEN_PREFIXES,
        holds_token,
        json_may_hold_token,
        looks_like_token,
    )

    rng = random.Random(7)
    parts = [*TOKEN_PREFIXES, "eyJ", "AKIA", "sk_live_", "/", "=", ":", ",", " ", ".", "@",
             "\n", "é", '"', "\\", "abc", "Z9", "0f", "x" * 9, "aB3" * 4, "-", "_"]  # fmt: skip
    for _ in range(20_000):
        value = "".join(rng.choice(parts) for _ in range(rng.randint(1, 14)))
        full = any(looks_like_token(p) for p in re.split(r"[/=:,\s]+", value) if p)
        assert holds_token(value) == full, value
        if full:
            assert json_may_hold_token(json.dumps({"k": [value]})), value
            assert json_may_hold_token(json.dumps({"k": value}, ensure_ascii=False)), value
