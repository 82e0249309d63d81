"""One git remote URL -> provider, a credential-free https clone URL, and the secret it carried.

Pure: no git, no network. The URL is parsed into parts and the https URL is rebuilt from them
(gh's design: cli/cli git/url.go ParseURL + ghrepo.FormatRemoteURL), never made by editing the
string, so nothing from the userinfo can survive into it. Unlike gh, the whole path is kept:
GitLab subgroups and Azure's ``org/project/_git/repo`` are longer than ``owner/name``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from flowwiz.detectors.secret import MASK, SecretStr, looks_like_token, scrub

Provider = Literal[
    "github", "gitlab", "bitbucket", "bitbucket-server", "azure", "codecommit", "other", "local"
]


@dataclass(frozen=True, slots=True)
class ParsedRemote:
    """What one remote URL means for a remote worker. Every str field is credential-free.

    ``host`` and ``path`` are those of ``https_url`` when there is one (so an Azure ssh URL
    reports ``dev.azure.com`` and ``org/project/_git/repo``), else of the URL as given.
    """

    raw_masked: str
    https_url: str | None
    host: str | None
    path: str | None
    provider: Provider
    had_credentials: bool
    credential: SecretStr | None
    credential_username: str | None
    clonable: bool
    note: str | None


# Asked for the real host name behind an ssh alias (``ssh -G``); None when it cannot tell.
AliasResolver = Callable[[str], "str | None"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_HELPER = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)::(.*)$", re.DOTALL)
# git's scp-like syntax: [user@]host:path, where no "/" comes before the first ":" (connect.c)
_SCP = re.compile(r"^(?:(?P<userinfo>[^@/]+)@)?(?P<host>\[[^\]/]+\]|[^:/\[\]@]+):(?P<path>.*)$")
_DRIVE = re.compile(r"^[A-Za-z]:(?:[\\/]|$)")
_SCHEME_ALIASES = {
    "git+https": "https",
    "git+http": "http",
    "git+ssh": "ssh",
    "ssh+git": "ssh",
    "git+file": "file",
}
# hosts that serve ssh on another port (443) for firewalled networks; the web host is the apex
_SSH_ONLY_HOSTS = {
    "ssh.github.com": "github.com",
    "altssh.gitlab.com": "gitlab.com",
    "altssh.bitbucket.org": "bitbucket.org",
}
# names people give ssh aliases for the public services (``Host github-work``)
_ALIAS_GUESSES = (
    ("github", "github.com"),
    ("gitlab", "gitlab.com"),
    ("bitbucket", "bitbucket.org"),
)
_LOCAL_NOTE = "local path: a remote worker cannot clone it"


def parse_remote_url(url: str, *, resolve_alias: AliasResolver | None = None) -> ParsedRemote:
    """Parse one remote URL as git would read it. Never raises; an unusable URL comes back
    with ``clonable=False`` and a note. ``resolve_alias`` maps an ssh host alias
    (``github-work``) to its real host name; without it the alias is guessed or reported."""
    raw = url.strip()
    parsed = _parse(raw, resolve_alias)
    # Belt and braces: whatever path a surprising URL took, no printable field holds a secret
    # (the one offered for storage, a token-like user name beside a password, a query token).
    secrets = [s for s in _all_secrets(raw) if s]
    if parsed.credential is not None:
        secrets.append(parsed.credential.reveal())
    if secrets:
        parsed = replace(
            parsed,
            raw_masked=scrub(parsed.raw_masked, *secrets),
            https_url=_scrub_opt(parsed.https_url, secrets),
            host=_scrub_opt(parsed.host, secrets),
            path=_scrub_opt(parsed.path, secrets),
            note=_scrub_opt(parsed.note, secrets),
        )
    return parsed


def _scrub_opt(text: str | None, secrets: list[str]) -> str | None:
    return None if text is None else scrub(text, *secrets)


# Passwords that are not secrets: GitHub's documented ``<token>:x-oauth-basic`` form puts the
# token in the user name and a fixed word in the password (docs.github.com, "Git automation
# with OAuth tokens"); other tools copy it with their own words.
_PLACEHOLDER_PASSWORDS = {"x-oauth-basic", "x-oauth-token", "x-access-token", "oauth2", "x", ""}
# query parameters that carry a credential (GitLab's ?private_token=, OAuth's ?access_token=)
_QUERY_SECRETS = {
    "private_token", "access_token", "token", "oauth_token", "auth_token", "job_token",
    "api_key", "apikey", "key", "password", "passwd", "pwd", "secret", "sig", "signature",
}  # fmt: skip


def query_secrets(query: str) -> list[tuple[str, str]]:
    """(name, value) of each credential-carrying parameter of a URL query, in order."""
    from urllib.parse import parse_qsl

    pairs = parse_qsl(query, keep_blank_values=False)
    return [(k, v) for k, v in pairs if k.lower() in _QUERY_SECRETS and v]


def _query_of(raw: str) -> str:
    if not _SCHEME.match(raw):
        return ""
    return raw.partition("#")[0].partition("?")[2]


def _all_secrets(raw: str) -> list[str]:
    """Every secret-looking piece of a URL: query credentials (raw and decoded) and a
    token-like user name; what scrubbing must remove whichever one is offered for storage."""
    from urllib.parse import unquote_plus

    found: list[str] = []
    query = _query_of(raw)
    for name, value in query_secrets(query):
        found.append(value)
        for piece in query.split("&"):  # the value as written (percent- or plus-encoded)
            key, _, written = piece.partition("=")
            if unquote_plus(key).lower() == name.lower() and written:
                found.append(written)
    scheme = _SCHEME.match(raw)
    if scheme:
        authority = re.split(r"[/?#]", raw[scheme.end() :], maxsplit=1)[0]
        userinfo, at, _ = authority.rpartition("@")
        name, _, _ = userinfo.partition(":")
        if at and name and looks_like_token(unquote(name)):
            found += [name, unquote(name)]
    return found


def _parse(raw: str, resolve_alias: AliasResolver | None) -> ParsedRemote:
    if not raw:
        return _unusable(raw, "empty remote URL")
    if _DRIVE.match(raw) or "\\" in raw:
        # Windows paths (C:\x, C:/x, \\server\share): gh skips anything with "\" for this reason
        return _local(raw, raw)
    helper = _HELPER.match(raw)
    if helper and not _SCHEME.match(raw):
        return _helper_url(raw, helper.group(1).lower(), helper.group(2))
    scheme_match = _SCHEME.match(raw)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        scheme = _SCHEME_ALIASES.get(scheme, scheme)
        if scheme == "file":
            return _local(raw, unquote(urlsplit(raw).path) or raw)
        if scheme == "codecommit":
            return _grc(raw, raw[scheme_match.end() :], region=None)
        if scheme in ("https", "http", "ssh", "git"):
            return _network_url(raw, scheme, resolve_alias)
        return _unusable(
            _mask_any_userinfo(raw),
            f"{scheme}:// remote: a worker would need a git transport or helper for it",
        )
    scp = _SCP.match(raw)
    if scp and len(scp.group("host")) > 1:  # one letter is a drive (C:x), as git reads it
        return _scp_url(raw, scp, resolve_alias)
    return _local(raw, raw)


# --- the URL shapes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parts:
    kind: Literal["https", "http", "ssh", "git"]
    user: str | None  # decoded
    password: str | None  # decoded
    host: str
    port: int | None
    path: str  # without leading/trailing slashes, as written (percent-encoded)
    userinfo_span: tuple[int, int] | None  # where the userinfo sits in the raw string
    query: str = ""  # the raw query (https/http only): it may carry ?private_token=...


def _network_url(raw: str, scheme: str, resolve_alias: AliasResolver | None) -> ParsedRemote:
    start = raw.index("://") + 3
    # the authority ends at the first / ? or #, and its userinfo at the last @ in it (urllib's
    # and curl's reading); found in the raw string so the mask lands exactly on it
    authority = re.split(r"[/?#]", raw[start:], maxsplit=1)[0]
    userinfo, at, _hostport = authority.rpartition("@")
    try:
        split = urlsplit("x" + raw[start - 3 :])  # scheme-neutral: "x://..."
        host = split.hostname or ""
        port = split.port  # raises ValueError on a non-numeric port
    except ValueError:
        return _unusable(_mask_any_userinfo(raw), "cannot parse this remote URL")
    if not host:
        return _unusable(_mask_any_userinfo(raw), "remote URL has no host")
    user = password = None
    span = None
    if at:
        name, colon, secret = userinfo.partition(":")
        user = unquote(name) or None
        password = unquote(secret) if colon else None
        span = (start, start + len(userinfo))
    parts = _Parts(
        kind=scheme,  # type: ignore[arg-type]
        user=user,
        password=password,
        host=host.lower(),
        port=port,
        path=split.path.strip("/"),
        userinfo_span=span,
        query=split.query,
    )
    return _finish(raw, parts, resolve_alias)


def _scp_url(raw: str, scp: re.Match[str], resolve_alias: AliasResolver | None) -> ParsedRemote:
    userinfo = scp.group("userinfo")
    user = password = None
    span = None
    if userinfo is not None:
        name, colon, secret = userinfo.partition(":")
        user = name or None
        password = secret if colon else None
        span = (0, len(userinfo))
    # scp paths are plain file paths, not URL-encoded: encode what an https URL cannot hold
    path = quote(scp.group("path").strip("/"), safe="/~!$&'()*+,;=:@%-._")
    parts = _Parts(
        kind="ssh",
        user=user,
        password=password,
        host=scp.group("host").strip("[]").lower(),
        port=None,
        path=path,
        userinfo_span=span,
    )
    return _finish(raw, parts, resolve_alias)


def _finish(raw: str, parts: _Parts, resolve_alias: AliasResolver | None) -> ParsedRemote:
    notes: list[str] = []
    host = _SSH_ONLY_HOSTS.get(parts.host, parts.host)
    if parts.kind == "ssh" and _is_alias(host):
        resolved = resolve_alias(host) if resolve_alias else None
        if resolved and resolved.lower() != host:
            notes.append(f"ssh host alias {host!r} resolves to {resolved.lower()}")
            host = _SSH_ONLY_HOSTS.get(resolved.lower(), resolved.lower())
        else:
            guess = next((real for word, real in _ALIAS_GUESSES if word in host), None)
            if guess is None:
                return _result(
                    raw,
                    parts,
                    provider="other",
                    host=host,
                    path=parts.path or None,
                    https_url=None,
                    note=f"ssh host alias {host!r}: give the https clone URL for it",
                )
            notes.append(f"ssh host alias {host!r} taken as {guess}: confirm")
            host = guess

    provider = _provider(host, parts.path, parts.port, parts.kind)
    web_host, path, shape_note = _web_location(provider, host, parts)
    if shape_note:
        notes.append(shape_note)
    if not path:
        return replace(
            _result(
                raw, parts, provider=provider, host=web_host, path=None, https_url=None,
                note="remote URL has no repository path",
            ),
            clonable=False,
        )  # fmt: skip
    scheme = "http" if parts.kind == "http" else "https"
    # the port of an http(s) URL is the web server's; an ssh or git:// port says nothing about it
    port = f":{parts.port}" if parts.kind in ("https", "http") and parts.port else ""
    shown_host = f"[{web_host}]" if ":" in web_host else web_host
    https_url = f"{scheme}://{shown_host}{port}/{path}"
    if parts.kind == "http":
        notes.append("plain http remote: Prefect adds a token only to https URLs")
    elif parts.kind == "git":
        notes.append("git:// is read-only: confirm the server serves this https URL")
    elif parts.kind == "ssh" and provider in ("other", "bitbucket-server") and not shape_note:
        notes.append("https URL inferred from an ssh URL on a self-hosted server: confirm it")
    return _result(
        raw, parts, provider=provider, host=web_host, path=path, https_url=https_url,
        note="; ".join(notes) or None,
    )  # fmt: skip


def _provider(host: str, path: str, port: int | None, kind: str) -> Provider:
    if host == "github.com" or host.endswith(".ghe.com"):
        return "github"
    if host.startswith("git-codecommit"):  # git-codecommit[-fips].<region>.amazonaws.com[.cn]
        return "codecommit"
    if host in ("dev.azure.com", "ssh.dev.azure.com") or host.endswith(".visualstudio.com"):
        return "azure"
    if "gitlab" in host:
        return "gitlab"
    if host == "bitbucket.org":
        return "bitbucket"
    if "bitbucket" in host:
        return "bitbucket-server"
    if "_git" in path.split("/"):  # Azure DevOps Server (on-prem) keeps /_git/ in its paths
        return "azure"
    if path.startswith("scm/") or (kind == "ssh" and port == 7999):
        return "bitbucket-server"
    return "other"


def _web_location(provider: Provider, host: str, parts: _Parts) -> tuple[str, str, str | None]:
    """The https host and path for the ssh/https location, and a note when it is a guess."""
    path = parts.path
    segments = path.split("/")
    if provider == "azure" and segments[0] == "v3" and len(segments) >= 4:
        # ssh: v3/org/project/repo -> https: org/project/_git/repo
        org, project, repo = segments[1], segments[2], "/".join(segments[3:])
        if host.endswith("visualstudio.com"):  # old vs-ssh.visualstudio.com host
            return f"{org.lower()}.visualstudio.com", f"{project}/_git/{repo}", None
        return "dev.azure.com", f"{org}/{project}/_git/{repo}", None
    if provider == "bitbucket-server" and parts.kind == "ssh":
        scm_path = path if path.startswith("scm/") else f"scm/{path}"
        note = "Bitbucket Server: confirm the https URL (its port and context path cannot be known)"
        return host, scm_path, note
    if provider == "codecommit" and parts.kind == "https":
        return host, path, "CodeCommit needs an IAM HTTPS Git credential (username and password)"
    if parts.kind == "ssh" and path.startswith("~"):
        return host, path, "ssh path is relative to a home directory: confirm the https URL"
    return host, path, None


def _result(
    raw: str,
    parts: _Parts,
    *,
    provider: Provider,
    host: str | None,
    path: str | None,
    https_url: str | None,
    note: str | None,
) -> ParsedRemote:
    credential, username = _credential(parts, provider)
    user = parts.user
    user_is_secret = bool(
        user and parts.kind != "ssh" and (credential == user or looks_like_token(user))
    )
    return ParsedRemote(
        raw_masked=_mask_query(_mask(raw, parts, username_is_secret=user_is_secret)),
        https_url=https_url,
        host=host,
        path=path,
        provider=provider,
        had_credentials=credential is not None,
        credential=None if credential is None else SecretStr(credential),
        credential_username=username,
        clonable=True,
        note=note,
    )


def _credential(parts: _Parts, provider: Provider) -> tuple[str | None, str | None]:
    """(secret, the username that went with it): the one secret to offer for storage.

    ``user:password``: the password, unless it is a placeholder (``<token>:x-oauth-basic``),
    when the user name is the token. A user name alone is the token when it looks like one.
    Else a credential in the query (``?private_token=``). An ssh username is a login, never a
    secret."""
    user = parts.user
    if parts.password and not (
        user and parts.password.lower() in _PLACEHOLDER_PASSWORDS and parts.kind != "ssh"
    ):
        # a user name that itself looks like a token is never handed on as a user name
        return parts.password, None if user and looks_like_token(user) else user
    if parts.password and user:  # token:x-oauth-basic
        return user, None
    if not user or parts.kind == "ssh" or not looks_like_token(user):
        in_query = query_secrets(parts.query)
        return (in_query[0][1], None) if in_query else (None, None)
    if provider == "codecommit":  # an IAM HTTPS Git credential user name; the password is secret
        return None, None
    if provider == "azure" and user.lower() == parts.path.split("/")[0].lower():
        return None, None  # Azure's copy-paste URLs put the organization there
    return user, None


def _mask(raw: str, parts: _Parts, *, username_is_secret: bool) -> str:
    """The URL as given, its password (or token-as-username) replaced by the mask."""
    if parts.userinfo_span is None or not (parts.password or username_is_secret):
        return raw
    start, end = parts.userinfo_span
    userinfo = raw[start:end]
    name, colon, secret = userinfo.partition(":")
    placeholder = unquote(secret).lower() in _PLACEHOLDER_PASSWORDS and parts.kind != "ssh"
    shown_name = MASK if username_is_secret else name
    shown_secret = secret if placeholder else MASK
    masked = f"{shown_name}:{shown_secret}" if colon else shown_name
    return raw[:start] + masked + raw[end:]


def _mask_query(raw: str) -> str:
    """The URL with the value of every credential-carrying query parameter masked."""
    head, mark, rest = raw.partition("?")
    if not mark:
        return raw
    query, hash_mark, fragment = rest.partition("#")
    from urllib.parse import unquote_plus

    pieces = []
    for piece in query.split("&"):
        key, eq, value = piece.partition("=")
        if eq and value and unquote_plus(key).lower() in _QUERY_SECRETS:
            piece = f"{key}={MASK}"
        pieces.append(piece)
    return head + mark + "&".join(pieces) + hash_mark + fragment


def _mask_any_userinfo(raw: str) -> str:
    """For a URL that did not parse: hide everything between ``://`` and the last ``@``."""
    start = raw.find("://")
    at = raw.rfind("@")
    if start < 0 or at < start:
        return _mask_query(raw)
    return _mask_query(raw[: start + 3] + MASK + raw[at:])


# --- URLs a remote worker cannot use as they are ------------------------------------------


def _local(raw: str, path: str) -> ParsedRemote:
    return ParsedRemote(
        raw_masked=_mask_any_userinfo(raw),
        https_url=None,
        host=None,
        path=path,
        provider="local",
        had_credentials=False,
        credential=None,
        credential_username=None,
        clonable=False,
        note=_LOCAL_NOTE,
    )


def _unusable(raw_masked: str, note: str) -> ParsedRemote:
    return ParsedRemote(
        raw_masked=raw_masked,
        https_url=None,
        host=None,
        path=None,
        provider="other",
        had_credentials=False,
        credential=None,
        credential_username=None,
        clonable=False,
        note=note,
    )


def _helper_url(raw: str, helper: str, address: str) -> ParsedRemote:
    if helper == "codecommit":
        # codecommit::<region>://[profile@]repo (git-remote-codecommit)
        region, sep, rest = address.partition("://")
        return _grc(raw, rest if sep else address, region=region if sep else None)
    return _unusable(
        _mask_any_userinfo(raw),
        f"uses the git remote helper {helper!r}: a worker would need it installed",
    )


def _grc(raw: str, address: str, *, region: str | None) -> ParsedRemote:
    repo = address.rpartition("@")[2].strip("/") or None  # the part before @ is an AWS profile
    https_hint = (
        f"https://git-codecommit.{region}.amazonaws.com/v1/repos/{repo}"
        if region and repo
        else "the https URL"
    )
    return ParsedRemote(
        raw_masked=raw,
        https_url=None,
        host=None,
        path=repo,
        provider="codecommit",
        had_credentials=False,
        credential=None,
        credential_username=None,
        clonable=False,
        note=(
            "codecommit:: URL needs git-remote-codecommit and AWS credentials on the worker; "
            f"use {https_hint} with an HTTPS Git credential instead"
        ),
    )


def _is_alias(host: str) -> bool:
    """A dotless ssh host that is not localhost or an IP: a ``Host`` entry in ~/.ssh/config."""
    return "." not in host and ":" not in host and host != "localhost"
