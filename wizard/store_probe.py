"""Know where secrets will go before the first question (issue 10 §3).

`flowwiz deploy` probes its block store once, at the start: a usable keyring for the local
store, a reachable and authorised server for the Prefect one. The questions that would store
a secret (the repository token, new bucket credentials) then offer only what works: a block
that already exists, the workers' own environment, or a Prefect server to keep it on.
"""

from __future__ import annotations

from typing import Any

from flowwiz.wizard.prompts import Choice, Question
from flowwiz.wizard.session import Session
from flowwiz.wizard.terminal import terminal

SERVER = "server"  # the choice "keep it on a Prefect server"


def probe_store(session: Session) -> None:
    """Open the store and check it; remember why it cannot keep a secret (never raises for
    a store problem: a public repository needs no store)."""
    from flowwiz.writers.blocks import BlockStoreError

    try:
        session.open_store().check()
    except BlockStoreError as exc:
        session.store_problem = exc.message


def fail_fast(session: Session) -> None:
    """Flags that will store a secret (``--token-env``, ``--token-stdin``,
    ``--token-from-remote``) on a store that cannot keep it: the store's error now, before
    any question."""
    from flowwiz.writers.blocks import BlockStoreError

    opts = session.options
    storing = opts.token_env or opts.token_stdin or opts.token_from_remote
    if (
        session.store_problem
        and storing
        and opts.private is not False
        and not (opts.token_worker_env or opts.token_block or opts.credentials_block)
    ):
        raise BlockStoreError(session.store_problem)


def announce(session: Session) -> None:
    """Say at the start, once, that secrets cannot be kept where flowwiz would keep them
    (interactive runs; under --yes the flags decide, and fail_fast has spoken)."""
    if session.store_problem and session.asker.interactive:
        terminal.warn(
            f"{_before_asking(session.store_problem)}. A private repository's token or new "
            "bucket credentials "
            "can go to a Prefect server (--api-url) or stay in the workers' environment "
            "(--token-worker-env VAR); existing blocks still work."
        )


def _before_asking(problem: str) -> str:
    """The store's error, worded for before any question (nothing was stored *yet*)."""
    from flowwiz.writers.blocks.local import NOT_STORED

    return problem.rstrip(".").replace(NOT_STORED, "no secret can be kept on this machine")


def store_usable(session: Session) -> bool:
    return session.store_problem is None


def server_choice(session: Session) -> list[Choice]:
    """The "keep it on a Prefect server" row, when the store in use is the local one."""
    store = session.store
    if store is not None and store.kind == "local":
        return [Choice("Keep it on a Prefect server (enter its API URL)", SERVER)]
    return []


def switch_to_server(session: Session) -> None:
    """Ask a Prefect API URL (``--api-url``) whose server answers, and keep secrets there
    from now on."""
    from flowwiz.detectors.errors import FlowwizError
    from flowwiz.detectors.prefect_settings import check_api_url
    from flowwiz.writers.blocks import open_store

    opened: dict[str, Any] = {}

    def problem(text: str) -> str | None:
        url = text.strip()
        try:
            check_api_url(url, "the URL")
            settings = session.prefect_settings().with_api_url(url)
            store = open_store(url, settings=settings, waiting=terminal.waiting)
            store.check()
        except FlowwizError as exc:
            return exc.message
        opened[url] = (settings, store)
        return None

    url = session.asker.ask(
        Question(
            "api_url",
            "Prefect API URL (e.g. http://127.0.0.1:4200/api)",
            "text",
            "--api-url",
            validate=problem,
            convert=str.strip,
            why_no_default="no usable keyring on this machine",
        )
    )
    if url not in opened:  # not validated by the asker
        from flowwiz.writers.blocks import BlockStoreError

        message = problem(url)
        if message:
            raise BlockStoreError(message)
    session.settings, session.store = opened[url]
    session.store_problem = None
