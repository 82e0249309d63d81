"""The dashboard's own commands in Textual's command palette (ctrl+p).

Each command runs the app action its key runs (``n`` new block, ``c`` copy reference, ``r``
refresh, ...), so the palette and the keys can never disagree; commands that make no sense
for the active store (push, when the store is already the server) are not offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from flowwiz.wizard.dashboard.app import FlowwizApp


@dataclass(frozen=True, slots=True)
class Command:
    title: str
    help: str
    action: str  # an action string of the app, run as its key binding runs it


def app_commands(app: FlowwizApp) -> list[Command]:
    """The commands that apply now, in the order the palette lists them."""
    commands = [
        Command("New block", "Create a block in the active store (key n)", "create_block"),
        Command(
            "Edit block",
            "Change the highlighted block's fields; secrets can be replaced, never read back "
            "(key e)",
            "edit_block",
        ),
        Command(
            "Copy reference",
            "Copy the highlighted block's {{ prefect.blocks... }} reference (key c)",
            "copy_reference",
        ),
        Command(
            "Delete block", "Delete the highlighted block, after asking (key d)", "delete_block"
        ),
        Command("Filter blocks", "Type to narrow the blocks list (key /)", "filter_blocks"),
        Command("Block page", "Show the highlighted block's page full size (Enter)", "block_page"),
        Command(
            "Refresh", "Reload blocks, prefect.yaml and the server's deployments (key r)", "refresh"
        ),
        Command("Show blocks", "The Blocks tab (key 1)", "show_tab('blocks')"),
        Command("Show deployments", "The Deployments tab (key 2)", "show_tab('deployments')"),
    ]
    server = app.server_url
    if server is not None:
        if app.store.kind == "local":
            commands.insert(
                1,
                Command(
                    "Push block to server",
                    f"Copy the highlighted block to {server} (flowwiz blocks push)",
                    "push_block",
                ),
            )
            commands.append(
                Command("Switch store: server", f"Show the blocks of {server}", "switch_store")
            )
        else:
            commands.append(
                Command(
                    "Switch store: local",
                    "Show the blocks of this machine's local catalog and keyring",
                    "switch_store",
                )
            )
    commands.append(Command("Help", "Keys and what red means (key ?)", "help"))
    return commands


class FlowwizCommands(Provider):
    """The app's commands for Textual's command palette."""

    def _commands(self) -> Iterator[tuple[Command, Callable[[], Any]]]:
        app: FlowwizApp = self.app  # type: ignore[assignment]
        for command in app_commands(app):
            yield command, _runner(app, command.action)

    async def discover(self) -> Hits:
        for command, run in self._commands():
            yield DiscoveryHit(command.title, run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, run in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), run, help=command.help)


def _runner(app: FlowwizApp, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await app.run_action(action)

    return run
