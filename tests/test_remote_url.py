"""parse_remote_url: every remote URL form -> provider, https clone URL, and no leaked secret."""
# ruff: noqa: E501

from __future__ import annotations

import pytest

from flowwiz.detectors.remote_url import looks_like_token, parse_remote_url
from flowwiz.detectors.secret import MASK
from tests.leaks import assert_not_leaked, canary

AZ_PAT = "p3iahbjcvqcg7uckcucuphiebhiy7rm34a6wz25b3elz24cu3coa"  # shape of an Azure PAT

# url, provider, https_url, host, had_credentials, clonable (one row per line, hence the noqa)
TABLE = [
    # https, with and without .git, scheme and host case
    ("https://github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    ("https://github.com/org/repo", "github", "https://github.com/org/repo", "github.com", False, True),
    ("https://github.com/org/repo/", "github", "https://github.com/org/repo", "github.com", False, True),
    ("HTTPS://GitHub.com/Org/Repo.git", "github", "https://github.com/Org/Repo.git", "github.com", False, True),
    ("https://git.example.com:8443/team/repo.git", "other", "https://git.example.com:8443/team/repo.git", "git.example.com", False, True),
    ("http://localhost:3000/a/b.git", "other", "http://localhost:3000/a/b.git", "localhost", False, True),
    # scp-like and ssh://
    ("git@github.com:org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    ("git@github.com:org/repo", "github", "https://github.com/org/repo", "github.com", False, True),
    ("ssh://git@github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    ("ssh://git@gitlab.example.com:2222/group/sub/repo.git", "gitlab", "https://gitlab.example.com/group/sub/repo.git", "gitlab.example.com", False, True),
    ("git@gitlab.com:group/sub/deeper/repo.git", "gitlab", "https://gitlab.com/group/sub/deeper/repo.git", "gitlab.com", False, True),
    ("ssh://git@git.corp.example:2222/team/repo.git", "other", "https://git.corp.example/team/repo.git", "git.corp.example", False, True),
    # pip-style prefixes
    ("git+https://github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    ("git+ssh://git@github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    # embedded credentials
    ("https://user:ghp_abc123def456@github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", True, True),
    ("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", True, True),
    ("https://github_pat_11ABCDEFG0abcdefghij@github.com/org/repo", "github", "https://github.com/org/repo", "github.com", True, True),
    ("https://5604be82845d15179ae8fc1b2d37e1a992a64d04@github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", True, True),
    ("https://x-access-token:ghs_installation0token@github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", True, True),
    ("https://oauth2:glpat-abcdefghij0123456789@gitlab.com/group/repo.git", "gitlab", "https://gitlab.com/group/repo.git", "gitlab.com", True, True),
    ("https://alice@github.com/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    # GitHub Enterprise
    ("https://github.example.com/org/repo.git", "other", "https://github.example.com/org/repo.git", "github.example.com", False, True),
    ("git@tenant.ghe.com:org/repo.git", "github", "https://tenant.ghe.com/org/repo.git", "tenant.ghe.com", False, True),
    # Bitbucket Cloud and Server/DC
    ("https://alice@bitbucket.org/ws/repo.git", "bitbucket", "https://bitbucket.org/ws/repo.git", "bitbucket.org", False, True),
    ("git@bitbucket.org:ws/repo.git", "bitbucket", "https://bitbucket.org/ws/repo.git", "bitbucket.org", False, True),
    ("https://x-token-auth:ATCTT3xFfGN0abc@bitbucket.org/ws/repo.git", "bitbucket", "https://bitbucket.org/ws/repo.git", "bitbucket.org", True, True),
    ("https://bb.example.com/scm/proj/repo.git", "bitbucket-server", "https://bb.example.com/scm/proj/repo.git", "bb.example.com", False, True),
    ("ssh://git@bb.example.com:7999/proj/repo.git", "bitbucket-server", "https://bb.example.com/scm/proj/repo.git", "bb.example.com", False, True),
    ("ssh://git@git.corp.example:7999/proj/repo.git", "bitbucket-server", "https://git.corp.example/scm/proj/repo.git", "git.corp.example", False, True),
    ("https://git.corp.example/scm/proj/repo.git", "bitbucket-server", "https://git.corp.example/scm/proj/repo.git", "git.corp.example", False, True),
    # Azure DevOps (cloud, old host, on-prem)
    ("https://myorg@dev.azure.com/myorg/proj/_git/repo", "azure", "https://dev.azure.com/myorg/proj/_git/repo", "dev.azure.com", False, True),
    ("https://dev.azure.com/myorg/proj/_git/repo", "azure", "https://dev.azure.com/myorg/proj/_git/repo", "dev.azure.com", False, True),
    (f"https://{AZ_PAT}@dev.azure.com/myorg/proj/_git/repo", "azure", "https://dev.azure.com/myorg/proj/_git/repo", "dev.azure.com", True, True),
    ("git@ssh.dev.azure.com:v3/myorg/proj/repo", "azure", "https://dev.azure.com/myorg/proj/_git/repo", "dev.azure.com", False, True),
    ("ssh://git@ssh.dev.azure.com/v3/myorg/proj/repo", "azure", "https://dev.azure.com/myorg/proj/_git/repo", "dev.azure.com", False, True),
    ("myorg@vs-ssh.visualstudio.com:v3/myorg/proj/repo", "azure", "https://myorg.visualstudio.com/proj/_git/repo", "myorg.visualstudio.com", False, True),
    ("https://myorg.visualstudio.com/proj/_git/repo", "azure", "https://myorg.visualstudio.com/proj/_git/repo", "myorg.visualstudio.com", False, True),
    ("https://tfs.corp/tfs/Coll/Proj/_git/repo", "azure", "https://tfs.corp/tfs/Coll/Proj/_git/repo", "tfs.corp", False, True),
    # AWS CodeCommit
    ("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r", "codecommit", "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r", "git-codecommit.us-east-1.amazonaws.com", False, True),
    ("ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/r", "codecommit", "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r", "git-codecommit.us-east-1.amazonaws.com", False, True),
    ("ssh://APKAEIBAERJR2EXAMPLE@git-codecommit.eu-west-1.amazonaws.com/v1/repos/r", "codecommit", "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/r", "git-codecommit.eu-west-1.amazonaws.com", False, True),
    ("https://alice-at-123456789012:pw0rdXYZ@git-codecommit.us-east-1.amazonaws.com/v1/repos/r", "codecommit", "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r", "git-codecommit.us-east-1.amazonaws.com", True, True),
    ("codecommit::us-east-1://profile@repo", "codecommit", None, None, False, False),
    ("codecommit://repo", "codecommit", None, None, False, False),
    # git://
    ("git://git.kernel.org/pub/scm/git/git.git", "other", "https://git.kernel.org/pub/scm/git/git.git", "git.kernel.org", False, True),
    # local: file://, absolute, relative, Windows
    ("file:///srv/git/repo.git", "local", None, None, False, False),
    ("/srv/git/repo.git", "local", None, None, False, False),
    ("../other/repo", "local", None, None, False, False),
    ("./repo", "local", None, None, False, False),
    ("repo", "local", None, None, False, False),
    ("C:\\repos\\x", "local", None, None, False, False),
    ("C:/repos/x", "local", None, None, False, False),
    ("\\\\server\\share\\repo.git", "local", None, None, False, False),
    # ssh host aliases
    ("ssh://git@ssh.github.com:443/org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    ("github-work:org/repo.git", "github", "https://github.com/org/repo.git", "github.com", False, True),
    ("corp-git:team/repo.git", "other", None, "corp-git", False, True),
]


@pytest.mark.parametrize(
    ("url", "provider", "https_url", "host", "had_credentials", "clonable"),
    TABLE,
    ids=[row[0] for row in TABLE],
)
def test_url_table(
    url: str,
    provider: str,
    https_url: str | None,
    host: str | None,
    had_credentials: bool,
    clonable: bool,
) -> None:
    parsed = parse_remote_url(url)
    assert parsed.provider == provider
    assert parsed.https_url == https_url
    assert parsed.host == host
    assert parsed.had_credentials is had_credentials
    assert (parsed.credential is not None) is had_credentials
    assert parsed.clonable is clonable
    if not clonable or parsed.https_url is None:
        assert parsed.note, "an unusable URL says why"


def test_table_is_big_enough() -> None:
    assert len(TABLE) >= 30


@pytest.mark.parametrize(
    ("template", "username"),
    [
        ("https://user:{s}@github.com/org/repo.git", "user"),
        ("https://x-access-token:{s}@github.com/org/repo.git", "x-access-token"),
        ("https://oauth2:{s}@gitlab.com/g/r.git", "oauth2"),
        ("https://x-token-auth:{s}@bitbucket.org/ws/r.git", "x-token-auth"),
        ("https://anything:{s}@dev.azure.com/o/p/_git/r", "anything"),
        ("git+https://user:{s}@github.com/org/repo.git", "user"),
        ("ssh://git:{s}@example.com/org/repo.git", "git"),
    ],
)
def test_password_is_masked_and_revealed(template: str, username: str) -> None:
    secret = canary()
    parsed = parse_remote_url(template.format(s=secret))
    assert parsed.had_credentials
    assert parsed.credential is not None and parsed.credential.reveal() == secret
    assert parsed.credential_username == username
    assert parsed.raw_masked == template.format(s=MASK)
    assert parsed.https_url is not None and "@" not in parsed.https_url
    assert_not_leaked(secret, texts=[repr(parsed), str(parsed), parsed.raw_masked, parsed.https_url])


def test_token_in_username_slot() -> None:
    token = "ghp_" + canary().replace("-", "")
    parsed = parse_remote_url(f"https://{token}@github.com/org/repo.git")
    assert parsed.credential is not None and parsed.credential.reveal() == token
    assert parsed.credential_username is None
    assert parsed.raw_masked == f"https://{MASK}@github.com/org/repo.git"
    assert_not_leaked(token, texts=[repr(parsed), parsed.raw_masked, parsed.https_url or ""])


def test_percent_encoded_password_is_decoded_and_hidden_in_both_forms() -> None:
    secret = "Flowwiz/can+ary=@x" + canary()[-12:]  # Bitbucket tokens hold / + =
    from urllib.parse import quote

    parsed = parse_remote_url(f"https://x-token-auth:{quote(secret, safe='')}@bitbucket.org/ws/r.git")
    assert parsed.credential is not None and parsed.credential.reveal() == secret
    assert parsed.https_url == "https://bitbucket.org/ws/r.git"
    assert_not_leaked(secret, texts=[repr(parsed), parsed.raw_masked])


def test_unencoded_slash_in_a_token_does_not_leak() -> None:
    # git itself cannot use this URL; flowwiz must still not print the token
    secret = canary()
    raw = f"https://x-token-auth:abc/{secret}@bitbucket.org/ws/r.git"
    parsed = parse_remote_url(raw)
    assert parsed.clonable is False
    assert secret not in repr(parsed)
    assert parsed.raw_masked == f"https://{MASK}@bitbucket.org/ws/r.git"


def test_plain_usernames_are_not_credentials_and_are_stripped() -> None:
    for url in (
        "https://alice@bitbucket.org/ws/repo.git",
        "https://myorg@dev.azure.com/myorg/proj/_git/repo",
        "https://svc-deploy-prod-2023-eu@git.example.com/team/repo.git",
    ):
        parsed = parse_remote_url(url)
        assert parsed.had_credentials is False and parsed.credential is None
        assert parsed.https_url is not None and "@" not in parsed.https_url
        assert parsed.raw_masked == url  # nothing secret: shown as given


def test_looks_like_token() -> None:
    for token in (
        "ghp_short",
        "glpat-x",
        "5604be82845d15179ae8fc1b2d37e1a992a64d04",
        AZ_PAT,
        "pTruDGgs1A7nLtIKbJDtL8xNNBjO8NNaRVS1Gh",
    ):
        assert looks_like_token(token), token
    for name in (
        "alice",
        "x-access-token",
        "x-bitbucket-api-token-auth",
        "firstname-lastname-2024",
        "jenkins-build-user-01",
        "christopher.wellington",
        "someone@example.com",
    ):
        assert not looks_like_token(name), name


def test_paths_keep_subgroups_and_ssh_port_is_dropped() -> None:
    parsed = parse_remote_url("ssh://git@gitlab.example.com:2222/group/sub/repo.git")
    assert parsed.path == "group/sub/repo.git"
    assert parsed.https_url == "https://gitlab.example.com/group/sub/repo.git"


def test_azure_ssh_path_is_rebuilt_with_git_segment() -> None:
    parsed = parse_remote_url("git@ssh.dev.azure.com:v3/my-org/My%20Project/repo")
    assert parsed.path == "my-org/My%20Project/_git/repo"
    assert parsed.https_url == "https://dev.azure.com/my-org/My%20Project/_git/repo"


def test_notes_say_what_to_confirm() -> None:
    assert "cannot clone" in (parse_remote_url("/srv/git/repo.git").note or "")
    grc = parse_remote_url("codecommit::eu-west-1://dev@my-repo")
    assert grc.path == "my-repo"
    assert "git-remote-codecommit" in (grc.note or "")
    assert "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/my-repo" in (grc.note or "")
    assert "confirm" in (parse_remote_url("git://example.org/x.git").note or "")
    assert "Bitbucket Server" in (parse_remote_url("ssh://git@bb.corp:7999/p/r.git").note or "")
    assert "confirm" in (parse_remote_url("github-work:org/repo.git").note or "")
    assert "corp-git" in (parse_remote_url("corp-git:team/repo.git").note or "")


def test_alias_resolver_is_asked_for_dotless_ssh_hosts_only() -> None:
    asked: list[str] = []

    def resolve(alias: str) -> str | None:
        asked.append(alias)
        return {"work": "gitlab.corp.example"}.get(alias)

    parsed = parse_remote_url("work:team/sub/repo.git", resolve_alias=resolve)
    assert parsed.provider == "gitlab"
    assert parsed.https_url == "https://gitlab.corp.example/team/sub/repo.git"
    assert "resolves to gitlab.corp.example" in (parsed.note or "")
    parse_remote_url("git@github.com:org/repo.git", resolve_alias=resolve)
    parse_remote_url("https://intranet/team/repo.git", resolve_alias=resolve)
    assert asked == ["work"]


@pytest.mark.parametrize("url", ["", "   ", "https://github.com/", "ftp://example.com/x.git", "hg::https://x/y"])
def test_unusable_urls_are_not_clonable_and_do_not_raise(url: str) -> None:
    parsed = parse_remote_url(url)
    assert parsed.clonable is False
    assert parsed.https_url is None
    assert parsed.note
