"""The command line: commands are loaded lazily, and one boundary turns errors into exit codes.

Exit codes: 0 done, 2 user error (one line), 1 failure of the world (one line), 130 Ctrl-C
("nothing was written"). A traceback is shown only with ``--debug`` (or FLOWWIZ_DEBUG=1).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import click

from flowwiz.detectors.errors import FlowwizError
from flowwiz.wizard import __version__

# name -> "module:attribute"; a command appears here when it works
COMMANDS: dict[str, str] = {
    "blocks": "flowwiz.wizard.commands.blocks:blocks",
    "deploy": "flowwiz.wizard.commands.deploy:deploy",
    "detect": "flowwiz.wizard.commands.detect:detect",
    "ui": "flowwiz.wizard.commands.ui:ui",
}

EPILOG = """\b
Examples:
  flowwiz deploy                      guided deployment of a flow in this repository
  flowwiz deploy --yes --entrypoint flows/etl.py:etl --pool prod
  flowwiz detect --json               what flowwiz sees in this repository
  flowwiz blocks ls                   the stored blocks (secrets masked)
  flowwiz ui                          full-screen dashboard of blocks and deployments
"""


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or its help is shown)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # short help from a static table, so `flowwiz --help` imports no command module
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


SHORT_HELP: dict[str, str] = {
    "blocks": "List, create, inspect, delete and push blocks (tokens, credentials).",
    "deploy": "Create or update a deployment of a flow in this repository.",
    "detect": "Show what flowwiz sees: remotes, branch, flows, prefect.yaml.",
    "ui": "Full-screen dashboard of blocks and deployments, broken references in red.",
}


@click.group(
    cls=LazyGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="flowwiz")
@click.option(
    "--debug",
    is_flag=True,
    help="Show tracebacks (never secrets) on errors; works anywhere on the command line.",
)
def cli(debug: bool) -> None:
    """flowwiz: take a git repository of Prefect flows to a working deployment.

    Detects your git remote, branch and flows, asks only what it must, stores the repository
    token as a secret block (OS keyring, or your Prefect server), and writes prefect.yaml.
    """


def _take_debug(args: Sequence[str]) -> tuple[list[str], bool]:
    """``args`` without ``--debug`` (before a ``--``, anywhere: before or after the subcommand),
    and whether it or FLOWWIZ_DEBUG asked for tracebacks."""
    rest: list[str] = []
    debug = os.environ.get("FLOWWIZ_DEBUG", "") not in ("", "0")
    for index, arg in enumerate(args):
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg == "--debug":
            debug = True
            continue
        rest.append(arg)
    return rest, debug


def _fail(message: str, code: int) -> int:
    click.echo(message, err=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args, debug = _take_debug(list(sys.argv[1:] if argv is None else argv))
    try:
        result = cli.main(args=args, prog_name="flowwiz", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        # click turns KeyboardInterrupt into Abort; what was done rides on the cause
        done = getattr(exc, "done", None) or getattr(exc.__cause__, "done", None)
        if done:  # interrupted after a write: say what was written, never "nothing"
            return _exit(_fail(f"\nAborted after it {'; '.join(done)}.", 130), argv)
        return _exit(_fail("\nAborted: nothing was written.", 130), argv)
    except click.ClickException as exc:
        exc.show()
        return _exit(exc.exit_code, argv)
    except FlowwizError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        from flowwiz.detectors.secret import redact_tokens
        from flowwiz.wizard.terminal import printable

        # the message quotes user and repository text: control characters made visible, and
        # a token given where something else was expected is never repeated (CI logs)
        message = f"error: {printable(redact_tokens(exc.message))}"
        if exc.hint:
            message += f"\n{printable(redact_tokens(exc.hint))}"
        return _exit(_fail(message, exc.exit_code), argv)
    except click.exceptions.Exit as exc:
        return _exit(exc.exit_code, argv)
    except BrokenPipeError:
        return _exit(1, argv)
    except Exception as exc:  # a bug: say so in one line, no message text (it may hold data)
        if debug:
            raise
        return _exit(
            _fail(
                f"internal error ({type(exc).__name__}); run again with --debug for the traceback",
                1,
            ),
            argv,
        )
    return _exit(result if isinstance(result, int) else 0, argv)


def _exit(code: int, argv: Sequence[str] | None) -> int:
    if argv is None:  # console script: really exit
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
