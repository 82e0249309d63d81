"""``open_store()``: the one way to get a block store, local or on a Prefect server."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from flowwiz.writers.blocks.model import BlockStore
from flowwiz.writers.paths import catalog_path


def open_store(
    api_url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    api_key: str | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> BlockStore:
    """The Prefect backend when ``api_url`` is given or ``PREFECT_API_URL`` is set, else the
    local catalog (``writers.paths.catalog_path``) with secret values in the OS keyring.

    Nothing is contacted here: call ``store.check()`` to get the clear error (no usable
    keyring, server unreachable) before asking anyone for a secret.

    ``api_key`` overrides ``PREFECT_API_KEY``. ``on_warning`` receives one-line warnings the
    store wants shown (a secret written to a plain-text keyring under the explicit opt-in);
    without it they go through :mod:`warnings` as ``PlaintextKeyringWarning``.
    """
    env = os.environ if env is None else env
    url = (api_url or env.get("PREFECT_API_URL") or "").strip()
    if url:
        from flowwiz.writers.blocks.prefect_api import PrefectStore

        return PrefectStore(url, api_key=api_key or env.get("PREFECT_API_KEY") or None, env=env)
    from flowwiz.writers.blocks.local import LocalStore

    return LocalStore(catalog_path(env), env=env, on_warning=on_warning)
