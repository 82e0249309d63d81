"""``open_store()``: the one way to get a block store, local or on a Prefect server."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from flowwiz.detectors.prefect_settings import PrefectSettings, resolve_settings
from flowwiz.writers.blocks.model import BlockStore
from flowwiz.writers.paths import catalog_path

if TYPE_CHECKING:
    from flowwiz.writers.prefect_client import Waiting


def open_store(
    api_url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    api_key: str | None = None,
    on_warning: Callable[[str], None] | None = None,
    settings: PrefectSettings | None = None,
    waiting: Waiting | None = None,
) -> BlockStore:
    """The Prefect backend when a server is configured, else the local catalog
    (``writers.paths.catalog_path``) with secret values in the OS keyring.

    The server is ``api_url`` when given, else ``PREFECT_API_URL`` as the Prefect CLI resolves
    it (``detectors.prefect_settings.resolve_settings``: the environment, then the active
    profile); ``settings`` skips that resolution. An empty ``PREFECT_API_URL`` in ``env`` means
    "no server", as it does for Prefect. Raises SettingsError for a malformed profiles file or
    an API URL that does not parse.

    Nothing is contacted here: call ``store.check()`` to get the clear error (no usable
    keyring, server unreachable) before asking anyone for a secret.

    ``api_key`` overrides ``PREFECT_API_KEY``. ``on_warning`` receives one-line warnings the
    store wants shown (a secret written to a plain-text keyring under the explicit opt-in);
    without it they go through :mod:`warnings` as ``PlaintextKeyringWarning``. ``waiting``
    wraps each server call (a spinner).
    """
    env = os.environ if env is None else env
    if settings is None:
        settings = resolve_settings(env, api_url=api_url)
    url = settings.api_url
    if url:
        from flowwiz.writers.blocks.prefect_api import PrefectStore

        return PrefectStore(url, api_key=api_key, env=env, settings=settings, waiting=waiting)
    from flowwiz.writers.blocks.local import LocalStore

    return LocalStore(catalog_path(env), env=env, on_warning=on_warning)
