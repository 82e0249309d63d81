"""A wrapper that keeps a secret out of reprs, logs, tracebacks and f-strings."""

from __future__ import annotations

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
