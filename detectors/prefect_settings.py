"""Which Prefect server the Prefect CLI would talk to, and how: settings resolved as Prefect does.

Reads files and the environment only. The order mirrors Prefect 3.9.1's settings sources
(``prefect.settings.base.PrefectBaseSettings.settings_customise_sources`` and
``prefect.settings.sources.ProfileSettingsTomlLoader``), limited to the two places people keep
a server's address:

1. the environment (``PREFECT_API_URL=...``), an empty value included (it means "no server",
   as it does for Prefect);
2. the active profile: ``PREFECT_PROFILE``, else ``active`` in the profiles file
   (``PREFECT_PROFILES_PATH``, else ``$PREFECT_HOME/profiles.toml``, ``PREFECT_HOME``
   defaulting to ``~/.prefect``). A profile the file does not have is ignored, as Prefect
   ignores it.

A ``--api-url`` given on flowwiz's command line comes before both. Secrets (the API key and
the auth string) are kept as :class:`SecretStr`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.secret import SecretStr

API_URL = "PREFECT_API_URL"
API_KEY = "PREFECT_API_KEY"
AUTH_STRING = "PREFECT_API_AUTH_STRING"
TLS_INSECURE = "PREFECT_API_TLS_INSECURE_SKIP_VERIFY"
SSL_CERT_FILE = "PREFECT_API_SSL_CERT_FILE"
MAX_RETRIES = "PREFECT_CLIENT_MAX_RETRIES"

# the settings flowwiz reads; each from the environment, else the active profile
SETTINGS = (API_URL, API_KEY, AUTH_STRING, TLS_INSECURE, SSL_CERT_FILE, MAX_RETRIES)
_SECRET = frozenset({API_KEY, AUTH_STRING})
ENVIRONMENT = "environment"
FLAG = "--api-url"
# Prefect's own client: PREFECT_CLIENT_MAX_RETRIES defaults to 5 (prefect.settings.models.client)
DEFAULT_MAX_RETRIES = 5


class SettingsError(UserError):
    """A Prefect setting or the profiles file cannot be used; the message names which."""


@dataclass(frozen=True, slots=True)
class PrefectSettings:
    """The resolved settings: ``values`` maps a setting name to its text, ``sources`` the same
    name to where it came from (``"--api-url"``, ``"environment"``, ``"profile 'prod'"``).

    ``profile`` is the active profile's name (None: no profiles file, or none active);
    ``profiles_path`` the file read (it may not exist).
    """

    values: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, SecretStr] = field(default_factory=dict)
    profile: str | None = None
    profiles_path: Path | None = None

    @property
    def api_url(self) -> str | None:
        """The API URL as given (credentials and all), or None: no server configured."""
        return self.values.get(API_URL) or None

    @property
    def api_key(self) -> SecretStr | None:
        return self.secrets.get(API_KEY) or None

    @property
    def auth_string(self) -> SecretStr | None:
        return self.secrets.get(AUTH_STRING) or None

    @property
    def tls_insecure(self) -> bool:
        return _truthy(self.values.get(TLS_INSECURE, ""))

    @property
    def ssl_cert_file(self) -> str | None:
        return self.values.get(SSL_CERT_FILE) or None

    @property
    def max_retries(self) -> int:
        text = self.values.get(MAX_RETRIES, "")
        try:
            return max(0, int(text)) if text else DEFAULT_MAX_RETRIES
        except ValueError:
            raise SettingsError(
                f"{MAX_RETRIES} ({self.source_of(MAX_RETRIES)}) must be a whole number, "
                f"not {text[:40]!r}"
            ) from None

    def source_of(self, name: str) -> str:
        """Where a setting came from, in words ("profile 'prod'"); "" when it is not set."""
        return self.sources.get(name, "")

    @property
    def api_url_source(self) -> str:
        return self.source_of(API_URL)

    def setting(self, name: str) -> str:
        """``NAME (from profile 'prod')``, or the bare name when it is not set: for messages
        that name the setting which fixes them."""
        where = self.source_of(name)
        if where == FLAG:
            return FLAG
        if not where:
            return name
        return f"{name} (from {'the ' if where == ENVIRONMENT else ''}{where})"

    def describe_server(self) -> str:
        """``http://host/api (from profile 'prod')``, or ``none`` with how to set one: for
        `flowwiz detect`, the deploy review and the dashboard header (no credentials shown)."""
        url = self.api_url
        if not url:
            return "none (set PREFECT_API_URL or use a Prefect profile with one)"
        where = self.api_url_source
        origin = (
            "given by --api-url"
            if where == FLAG
            else f"from {'the ' if where == ENVIRONMENT else ''}{where}"
        )
        auth = ""
        if self.auth_string:
            auth = ", basic auth (PREFECT_API_AUTH_STRING)"
        elif self.api_key:
            auth = ", API key"
        return f"{_shown_url(url)} ({origin}{auth})"

    def with_api_url(self, url: str, source: str = FLAG) -> PrefectSettings:
        values = dict(self.values)
        sources = dict(self.sources)
        values[API_URL], sources[API_URL] = url, source
        return PrefectSettings(values, sources, self.secrets, self.profile, self.profiles_path)

    def child_env(self, base: Mapping[str, str]) -> dict[str, str]:
        """An environment for a child Prefect process that sees the same server: ``base``
        plus every setting resolved here (a ``--api-url`` included), secrets revealed."""
        env = dict(base)
        for name, value in self.values.items():
            env[name] = value
        for name, secret in self.secrets.items():
            env[name] = secret.reveal()
        return env


def resolve_settings(
    env: Mapping[str, str] | None = None, *, api_url: str | None = None
) -> PrefectSettings:
    """The Prefect settings in force: ``api_url`` (a flag) first, then the environment, then
    the active profile. Raises SettingsError (one line) when the profiles file is not valid
    TOML or the API URL cannot be parsed."""
    env = os.environ if env is None else env
    path = profiles_path(env)
    profile, profile_values = _active_profile(path, env)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in SETTINGS:
        if name in env:
            values[name], sources[name] = env[name].strip(), ENVIRONMENT
        elif name in profile_values:
            values[name], sources[name] = profile_values[name], f"profile {profile!r}"
    if SSL_CERT_FILE not in values and env.get("SSL_CERT_FILE"):
        # Prefect's default for ssl_cert_file (prefect.settings.models.api.APISettings)
        values[SSL_CERT_FILE], sources[SSL_CERT_FILE] = env["SSL_CERT_FILE"], "SSL_CERT_FILE"
    if api_url is not None and api_url.strip():
        values[API_URL], sources[API_URL] = api_url.strip(), FLAG
    secrets = {n: SecretStr(values.pop(n)) for n in _SECRET if values.get(n)}
    for name in _SECRET:
        values.pop(name, None)
    settings = PrefectSettings(values, sources, secrets, profile, path)
    if settings.api_url:
        check_api_url(settings.api_url, settings.setting(API_URL))
    return settings


def profiles_path(env: Mapping[str, str]) -> Path:
    """``PREFECT_PROFILES_PATH``, else ``$PREFECT_HOME/profiles.toml``, else
    ``~/.prefect/profiles.toml`` (``prefect.settings.sources._get_profiles_path``)."""
    if env.get("PREFECT_PROFILES_PATH"):
        return Path(env["PREFECT_PROFILES_PATH"]).expanduser()
    home = env.get("PREFECT_HOME")
    if home:
        return Path(home).expanduser() / "profiles.toml"
    user_home = env.get("HOME")
    base = Path(user_home) if user_home else Path.home()
    return base / ".prefect" / "profiles.toml"


def _active_profile(path: Path, env: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    except OSError as exc:
        raise SettingsError(
            f"cannot read the Prefect profiles file {path} ({exc.strerror or type(exc).__name__})"
        ) from None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(raw.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            f"the Prefect profiles file {path} is not valid TOML ({_one_line(str(exc))}): "
            "fix it, or point PREFECT_PROFILES_PATH at another"
        ) from None
    name = env.get("PREFECT_PROFILE") or data.get("active")
    profiles = data.get("profiles")
    if not isinstance(name, str) or not isinstance(profiles, Mapping):
        return None, {}
    chosen = profiles.get(name)
    if not isinstance(chosen, Mapping):
        return None, {}  # Prefect falls back to its default (ephemeral) profile: no server
    found: dict[str, str] = {}
    for key, value in chosen.items():
        key = str(key).upper()
        if key in SETTINGS and value is not None:
            found[key] = _text(value)
    return name, found


def check_api_url(url: str, setting: str = API_URL) -> str:
    """``url`` when it is an http(s) URL with a host and a numeric port; else SettingsError
    naming ``setting`` (credentials in the URL are never shown)."""
    shown = _without_userinfo(url)[:120]
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        raise SettingsError(
            f"{setting} is not a URL flowwiz can use ({shown!r}: {_one_line(str(exc))}): "
            "expected http(s)://host[:port]/api"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"{setting} is not a URL flowwiz can use ({shown!r}): expected http(s)://host[:port]/api"
        )
    return url


def _shown_url(url: str) -> str:
    return _without_userinfo(url.strip()).split("?")[0].rstrip("/")


def _without_userinfo(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//", url)


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on", "t", "y")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:160]
