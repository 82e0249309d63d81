"""A wrapper that keeps a secret out of reprs, logs, tracebacks and f-strings."""

from __future__ import annotations

import math
import re
from collections import Counter

MASK = "********"
_FORBIDDEN = ("\n", "\r", "\x00")


class SecretStr:
    """Holds a secret value; every string form of it is ``********``.

    Call :meth:`reveal` at the one place that must hand the value on (the keyring, an HTTP
    body, a child process's environment).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"SecretStr({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(
        self,
    ) -> str | tuple[object, ...]:  # never pickled into a cache or a subprocess by accident
        raise TypeError("SecretStr cannot be pickled")


def forbidden_character(value: str) -> str | None:
    """Name the first character a token must not hold (it would break the git credential
    protocol or a header), or None."""
    for ch, name in zip(_FORBIDDEN, ("a newline", "a carriage return", "a NUL byte"), strict=True):
        if ch in value:
            return name
    return None


def scrub(text: str, *secrets: str) -> str:
    """Replace every secret (raw and percent-encoded) in text with the mask."""
    from urllib.parse import quote

    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            text = text.replace(form, MASK)
    return text


# --- what a token looks like ------------------------------------------------------------------

# Prefixes the issuers put on their tokens so that scanners can find them (GitHub, GitLab,
# Atlassian, Prefect, Hugging Face, npm, PyPI, Slack); each is specific enough on its own.
TOKEN_PREFIXES = (
    # GitHub
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    # GitLab
    "glpat-", "gldt-", "glcbt-", "gloas-", "glrt-", "glptt-", "glft-", "glimt-", "glsoat-",
    # Atlassian (Bitbucket Cloud, Bitbucket Data Center)
    "ATBB", "ATCTT", "ATATT", "BBDC-",
    # Prefect Cloud API keys, Hugging Face, npm, PyPI
    "pnu_", "pnb_", "hf_", "npm_", "pypi-AgE",
    # Slack bot/user/app tokens
    "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-",
)  # fmt: skip
_TOKEN_SHAPES = re.compile(
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z2-7]{16}"  # AWS key id
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # JWT (header.payload.sig)
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}"  # Stripe
    r"|sk-[A-Za-z0-9_-]{32,}"  # OpenAI-style secret keys
    r"|[0-9a-f]{32,}"  # hex tokens (classic GitHub: 40; many API keys: 32, 64)
)

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def looks_like_token(value: str) -> bool:
    """Whether text given where a name goes is really a token.

    True for a known issuer prefix (``ghp_``, ``glpat-``, ``ATBB``, ``xoxb-``, ...), a known
    shape (AWS key ids ``AKIA``/``ASIA`` + 16, a JWT, a Google API key, 32+ hex digits), or a
    long, separator-poor, random-looking string: 20+ characters, no ``@ . /`` or space, the
    character class changing at 40% of positions (20% from 40 characters on) and a Shannon
    entropy of 3 bits or more. Real names (``GITHUB_TOKEN``, ``svc-deploy-prod-2023``,
    ``dataPipelineV2Daily3``) change class rarely, and UUIDs are names, so they pass. Pure;
    the prefixes are those GitHub secret scanning and gitleaks publish.
    """
    value = value.strip()
    if not value:
        return False
    if value.startswith(TOKEN_PREFIXES) or _TOKEN_SHAPES.fullmatch(value):
        return True
    if _UUID.fullmatch(value):  # tenant, client and subscription ids are names, not secrets
        return False
    if len(value) < 20 or any(c in value for c in "@./ "):
        return False
    classes = [_char_class(c) for c in value if c.isalnum()]
    changes = sum(1 for a, b in zip(classes, classes[1:], strict=False) if a != b)
    # random base62 changes class at ~60% of positions, hex ~45%, base32 ~30%; camelCase
    # names (``dataPipelineV2Daily3``) at ~30%, so short strings need the higher bar
    ratio = 0.2 if len(value) >= 40 else 0.4
    return changes >= max(4, ratio * len(value)) and _entropy(value) >= 3.0


def token_not_name(value: str, what: str = "variable name") -> str | None:
    """The one message for a token given where a name goes, or None.

    The message never holds the value (it would land in CI logs)."""
    if looks_like_token(value):
        return f"that looks like a token, not a {what}"
    return None


# A piece ``looks_like_token`` can say yes to holds an issuer prefix, starts a JWT (``eyJ``,
# the one shape with dots) or has a run of 18+ characters without ``. @`` (the shortest
# shape: a Stripe key; the heuristic needs 20 and no ``@ . /``): text with none of them is
# answered without splitting it (listings ask this of every plain value they show).
_MAYBE_TOKEN = re.compile("|".join(map(re.escape, (*TOKEN_PREFIXES, "eyJ"))) + r"|[^/=:,\s.@]{18,}")


# ``/ = : , . @ "`` as spaces: a piece ``looks_like_token`` can say yes to is in one piece
_JSON_SEPARATORS = str.maketrans({c: " " for c in '/=:,.@"'})
_STARTS = (*TOKEN_PREFIXES, "eyJ")


def json_may_hold_token(text: str) -> bool:
    """False only when no string in ``text`` (JSON as ``json.dumps`` writes it, or several
    such texts joined by newlines) holds a token (``holds_token`` False for each): a cheap
    first look for a listing, linear in the text. True when a piece (split at white space and
    ``/ = : , . @ "``) is 18+ characters long (the shortest shape: a Stripe key; the
    heuristic needs 20 and no ``@ . /``) or starts with an issuer prefix or ``eyJ`` (a JWT,
    the one shape with dots), and whenever the text holds a backslash (an escape could hide
    a separator or a prefix). Pure."""
    if "\\" in text:
        return True
    pieces = set(text.translate(_JSON_SEPARATORS).split())
    return any(len(p) >= 18 or p.startswith(_STARTS) for p in pieces)


def holds_token(value: str) -> bool:
    """Whether any piece of ``value`` (split at ``/ = : ,`` and white space) looks like a token:
    ``github-credentials/<token>``, ``env.X=<token>``."""
    if not _MAYBE_TOKEN.search(value):
        return False
    return any(looks_like_token(piece) for piece in re.split(r"[/=:,\s]+", value) if piece)


def shown_name(value: str) -> str:
    """A name quoted for a message, or a stand-in when it holds a token (never shown)."""
    return "(a value that looks like a token)" if holds_token(value) else repr(value)


_CANDIDATE = re.compile(r"[A-Za-z0-9_\-+=~]{8,}(?:\.[A-Za-z0-9_\-+=~]{8,}){0,2}")


def redact_tokens(text: str) -> str:
    """``text`` with every run that looks like a token replaced by the mask: the last guard
    on an error message, whatever rule quoted the value it refused. Pure."""
    return _CANDIDATE.sub(lambda m: MASK if looks_like_token(m.group(0)) else m.group(0), text)


def _char_class(c: str) -> int:
    return 0 if c.isdigit() else 1 if c.islower() else 2


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in counts.values())
