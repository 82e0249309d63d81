"""``flowwiz blocks``: list, inspect, create, delete and push blocks (secrets masked).

The store is the local catalog (secret values in the OS keyring) unless ``--api-url`` is given
or ``PREFECT_API_URL`` is set, in which case it is that Prefect server. A secret field is
never accepted as a flag value: it comes from a hidden prompt, ``--field-env FIELD=VAR`` or
``--stdin``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import click
from flowwiz.detectors.errors import FlowwizError, UserError
from flowwiz.detectors.secret import SecretStr, holds_token, shown_name, token_not_name
from flowwiz.wizard.terminal import printable, terminal
from flowwiz.writers.blocks import (
    SHIPPED_TYPES,
    Block,
    BlockExists,
    BlockNotFound,
    BlockStore,
    BlockType,
    PlaintextToken,
    block_type,
    check_name,
    open_store,
    parse_slug,
)
from flowwiz.writers.blocks.schemas import ValueProblem, parse_text, show_value


@dataclass(frozen=True, slots=True)
class _Target:
    api_url: str | None
    local: bool


def _env_for(target: _Target) -> dict[str, str]:
    env = dict(os.environ)
    if target.local:
        env["PREFECT_API_URL"] = ""  # empty: no server, even one in the active Prefect profile
    return env


def _store(ctx: click.Context) -> BlockStore:
    target: _Target = ctx.find_object(_Target) or _Target(None, False)
    if target.local and target.api_url:
        raise UserError("--local and --api-url choose different stores: give one of them")
    return open_store(target.api_url, env=_env_for(target), on_warning=terminal.warn)


def _where(store: BlockStore) -> str:
    if store.kind == "local":
        return f"the local catalog {store.location}"
    return f"the Prefect server {store.location}"


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _block_json(block: Block, *, show_secrets: bool = False) -> dict[str, Any]:
    return {
        "slug": block.slug,
        "type": block.type,
        "name": block.name,
        "reference": block.reference,
        "fields": block.revealed() if show_secrets else block.masked(),
        "secret_fields": sorted(block.secret_fields),
        "created": block.created.isoformat() if block.created else None,
        "updated": block.updated.isoformat() if block.updated else None,
        "problem": block.problem,
        # ok | broken | unknown; secrets: none | unchecked | present | missing | unknown
        "status": block.status,
        "secrets": block.secrets,
        "unknown": block.unknown,
    }


def _status_text(block: Block) -> Any:
    if block.status == "broken":
        return _t(f"broken: {block.problem}", style="red")
    if block.status == "unknown":
        return _t(f"unknown: {block.unknown}", style="yellow")
    return _t("ok")


def _block_line(block: Block) -> str:
    return json.dumps(_block_json(block))


def _listing_json(store: BlockStore, found: Sequence[Block]) -> str:
    return _listing_text(store, [_block_line(b) for b in found])


def _listing_text(store: BlockStore, lines: Sequence[str]) -> str:
    """``{"store": ..., "blocks": [...]}`` with one block per line: json's C encoder writes
    each line (``indent`` switches to its pure-Python one, about 10x slower at 10,000
    blocks), and a line per block still reads well and greps well."""
    head = '{"store": ' + json.dumps(_store_json(store)) + ', "blocks": ['
    if not lines:
        return head + "]}\n"
    # one join makes the whole text (it is megabytes at 10,000 blocks): no copy after it
    lines = list(lines)
    lines[0] = head + "\n  " + lines[0]
    lines[-1] = lines[-1] + "\n]}\n"
    return ",\n  ".join(lines)


def _listing_lines(store: BlockStore, kind: str | None) -> list[str]:
    """The JSON line of every listed block; the local catalog writes them from its rows
    without building a Block per row (``LocalStore.listing_json``), the same text."""
    from flowwiz.writers.blocks.local import LocalStore

    if isinstance(store, LocalStore):
        return store.listing_json(_block_line, kind)
    return [_block_line(b) for b in store.list(kind)]


def _store_json(store: BlockStore) -> dict[str, str]:
    return {"kind": store.kind, "location": store.location}


def _when(block: Block) -> str:
    moment = block.updated or block.created
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def _fields_text(block: Block) -> str:
    return ", ".join(f"{k}={show_value(v)}" for k, v in block.masked().items())


def _name_width(found: Sequence[Block], columns: int, others: int) -> int:
    """The BLOCK column's width in a table of ``columns`` columns on the output's width: the
    longest name, but leaving ``others`` characters to the other columns and room for the
    borders (3 a column, plus 1); never under 20."""
    longest = max((len(printable(b.slug)) for b in found), default=5)
    room = terminal.out.width - 3 * columns - 1 - others
    return min(longest, max(room, 20))


def _t(text: object, style: str = "") -> Any:
    """A table cell: shown literally (never markup), control characters visible."""
    from rich.text import Text

    return Text(printable(text), style=style)


# -- the group ---------------------------------------------------------------------------


@click.group(
    epilog="""\b
Examples:
  flowwiz blocks ls                                 blocks in the local catalog
  flowwiz blocks create secret my-token             asks for the value (hidden)
  flowwiz blocks --api-url http://127.0.0.1:4200/api ls
  flowwiz blocks push --all                         copy local blocks to $PREFECT_API_URL
"""
)
@click.option(
    "--api-url",
    metavar="URL",
    help="Use the blocks on the Prefect server at URL (default: $PREFECT_API_URL, else the "
    "local catalog).",
)
@click.option(
    "--local", is_flag=True, help="Use the local catalog even when PREFECT_API_URL is set."
)
@click.pass_context
def blocks(ctx: click.Context, api_url: str | None, local: bool) -> None:
    """Named blocks (tokens, credentials) in the OS keyring or on a Prefect server.

    A block is TYPE/NAME plus fields; secret fields always show as ********.
    """
    ctx.obj = _Target(api_url, local)


# -- ls ----------------------------------------------------------------------------------


@blocks.command(
    "ls",
    short_help="List blocks (secrets masked, never read); broken ones say why.",
    epilog="""\b
Examples:
  flowwiz blocks ls
  flowwiz blocks ls --type github-credentials
  flowwiz blocks ls --json | jq -r '.blocks[].slug'
""",
)
@click.option("--type", "kind", metavar="TYPE", help="Only blocks of this type.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts (secrets masked).")
@click.pass_context
def ls_command(ctx: click.Context, kind: str | None, as_json: bool) -> None:
    """List the blocks in the store; broken ones say what is wrong.

    The list comes from the catalog alone: no secret value is read to draw it, so a secret
    removed from the keyring behind flowwiz's back shows only in `blocks check`, `blocks
    inspect` and the dashboard's detail pane.
    """
    if kind is not None:
        block_type(kind)
    store = _store(ctx)
    if as_json:
        terminal.data(_listing_text(store, _listing_lines(store, kind)))
        return
    found = store.list(kind)
    if not found:
        what = f"{kind} blocks" if kind else "blocks"
        terminal.info(f"No {what} in {_where(store)}.")
        return
    from rich.table import Table

    table = Table(title=_t(f"Blocks in {_where(store)}"), title_justify="left")
    # the name column wins: as wide as the longest name while the others keep a masked
    # field, the time and a status; longer names wrap, never cut
    wide = terminal.out.width >= 70
    updated = "2026-11-30 14:15" if wide else "2026-11-30"  # else the time wraps under it
    room = _name_width(found, 4, len("value=********" + updated + "STATUS"))
    table.add_column("BLOCK", overflow="fold", width=room)
    table.add_column("FIELDS", overflow="fold")
    table.add_column("UPDATED", no_wrap=wide, overflow="fold")
    table.add_column("STATUS", overflow="fold")
    for block in found:
        table.add_row(
            _t(block.slug), _t(_fields_text(block)), _t(_when(block)), _status_text(block)
        )
    terminal.out.print(table)
    if any(b.secrets == "unchecked" for b in found):
        terminal.info(
            "Secret values are not read to list blocks: `flowwiz blocks check` confirms they "
            "are still in the keyring."
        )


# -- inspect -----------------------------------------------------------------------------


@blocks.command(
    "inspect",
    short_help="Show one block's fields, reference and status.",
    epilog="""\b
Examples:
  flowwiz blocks inspect secret/my-token
  flowwiz blocks inspect github-credentials/ci --json
""",
)
@click.argument("target", nargs=-1, required=True, metavar="TYPE/NAME | TYPE NAME")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts (secrets masked).")
@click.option(
    "--show-secrets",
    is_flag=True,
    help="Show secret values in clear text (they end up in your terminal's scrollback).",
)
@click.pass_context
def inspect_command(
    ctx: click.Context, target: tuple[str, ...], as_json: bool, show_secrets: bool
) -> None:
    """Show one block: its fields (secrets masked), reference and timestamps."""
    kind, name = _target_slug(target)
    store = _store(ctx)
    block = store.get(kind, name, include_secrets=show_secrets)
    if show_secrets:
        terminal.warn(f"showing the secret values of {block.slug} in clear text")
    if as_json:
        payload = {"store": _store_json(store), **_block_json(block, show_secrets=show_secrets)}
        terminal.data(json.dumps(payload, indent=2))
        return
    from rich.table import Table

    values = block.revealed() if show_secrets else block.masked()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(_t("block"), _t(block.slug))
    grid.add_row(_t("store"), _t(_where(store)))
    grid.add_row(_t("reference"), _t(block.reference))
    for key, value in values.items():
        note = " (secret)" if key in block.secret_fields else ""
        grid.add_row(_t(key), _t(f"{show_value(value)}{note}"))
    if block.created:
        grid.add_row(_t("created"), _t(block.created.astimezone().isoformat(" ", "seconds")))
    if block.updated:
        grid.add_row(_t("updated"), _t(block.updated.astimezone().isoformat(" ", "seconds")))
    grid.add_row(_t("status"), _status_text(block))
    terminal.out.print(grid)


# -- check -------------------------------------------------------------------------------

CHECK_OK, CHECK_BROKEN, CHECK_UNKNOWN = 0, 1, 3


@blocks.command(
    "check",
    short_help="Confirm every block's secrets are still in the keyring.",
    epilog=f"""\b
Exit codes:
  {CHECK_OK}   every block checked and ok
  {CHECK_BROKEN}   at least one block is broken (a secret is missing, its catalog row is
      bad), or the store itself could not be read (one line says why)
  2   bad usage (an unknown type, a bad slug)
  {CHECK_UNKNOWN}   none is broken, but some could not be checked (keyring locked or too slow)

\b
Examples:
  flowwiz blocks check
  flowwiz blocks check secret/my-token --json
  flowwiz blocks check --type github-credentials
""",
)
@click.argument("slugs", nargs=-1, metavar="[TYPE/NAME]...")
@click.option("--type", "kind", metavar="TYPE", help="Only blocks of this type.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts (secrets masked).")
@click.pass_context
def check_command(
    ctx: click.Context, slugs: tuple[str, ...], kind: str | None, as_json: bool
) -> None:
    """Look for every secret field of the blocks (all, or those named) in the keyring.

    Each block is ok, broken (a secret field is missing: the reason says which) or unknown
    (the keyring did not answer: locked, or a read outlasted its timeout). Unknown is never
    reported as broken. Blocks on a Prefect server keep their secrets on the server: they
    are all checked by being listed.
    """
    from flowwiz.writers.blocks.model import SecretChecking

    if kind is not None:
        block_type(kind)
    wanted = [parse_slug(slug) for slug in slugs]
    store = _store(ctx)
    if isinstance(store, SecretChecking):
        found = store.check_secrets(_listed(store, wanted) if wanted else store.list(kind))
    else:
        found = [store.get(t, n) for t, n in wanted] if wanted else store.list(kind)
    if as_json:
        terminal.data(_listing_json(store, found))
    elif found:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(f"Blocks in {_where(store)}"), title_justify="left")
        table.add_column("BLOCK", overflow="fold", width=_name_width(found, 2, len("broken:")))
        table.add_column("STATUS", overflow="fold")
        # past a screenful, only the blocks that are not ok (the summary counts the rest)
        for block in found:
            if block.status != "ok" or len(found) <= 50:
                table.add_row(Text(block.slug), _status_text(block))
        if table.row_count:
            terminal.out.print(table)
    counts = {k: sum(b.status == k for b in found) for k in ("ok", "broken", "unknown")}
    summary = f"{counts['ok']} ok, {counts['broken']} broken, {counts['unknown']} not checked"
    if not found:
        what = f"{kind} blocks" if kind else "blocks"
        summary = f"No {what} in {_where(store)}."
    terminal.info(summary)
    if counts["broken"]:
        ctx.exit(CHECK_BROKEN)
    if counts["unknown"]:
        ctx.exit(CHECK_UNKNOWN)


def _listed(store: BlockStore, wanted: list[tuple[str, str]]) -> list[Block]:
    """The named blocks from the listing (no secret read), in the order named; a name the
    store lacks is BlockNotFound."""
    by_slug: dict[str, Block] = {}
    for kind in dict.fromkeys(t for t, _ in wanted):
        by_slug.update((b.slug, b) for b in store.list(kind))
    result = []
    for kind, name in wanted:
        block = by_slug.get(f"{kind}/{name}")
        if block is None:
            raise BlockNotFound(f"no block {kind}/{name} in {_where(store)}")
        result.append(block)
    return result


# -- create ------------------------------------------------------------------------------


def _pairs(values: Sequence[str], option: str, right: str) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            if holds_token(item):  # never repeated: it would land in CI logs
                way = "" if right != "VALUE" else " (secrets: --field-env FIELD=VAR or --stdin)"
                raise UserError(f"{option}: that looks like a token, not FIELD={right}{way}")
            raise UserError(f"{option} expects FIELD={right}, got {item.split('=')[0]!r}...")
        problem = token_not_name(key.strip(), "field name")
        if problem:
            raise UserError(f"{option}: {problem}")
        if right == "VAR" and token_not_name(value.strip()):
            raise UserError(
                f"{option} {key.strip()}: that looks like a token, not a variable name "
                f"(give the NAME of the variable that holds it: {option} {key.strip()}=MY_TOKEN)"
            )
        pairs.append((key.strip(), value))
    return pairs


def _check_field(spec: BlockType, key: str) -> None:
    if spec.field(key) is None:
        fields = ", ".join(f.name for f in spec.fields)
        raise UserError(f"{spec.slug} has no field {shown_name(key)} (its fields: {fields})")


def _stdin_field(spec: BlockType, given: Mapping[str, object]) -> str:
    """The one secret field --stdin fills: the only secret field not given otherwise (a
    required one first)."""
    open_fields = [f for f in spec.fields if f.secret and f.name not in given]
    required = [f for f in open_fields if f.required]
    pick = required if len(required) == 1 else open_fields
    if len(pick) == 1:
        return pick[0].name
    if not pick:
        raise UserError(f"--stdin has no secret field left to fill in {spec.slug}")
    names = ", ".join(f.name for f in pick)
    raise UserError(
        f"--stdin fills one secret field, but {spec.slug} has {len(pick)} ({names}): "
        "give the others with --field-env FIELD=VAR"
    )


def _read_stdin(field: str) -> str:
    if sys.stdin.isatty():
        raise UserError(
            '--stdin reads a piped value (e.g. `printf %s "$TOKEN" | flowwiz blocks create '
            "...`); at a terminal leave it out and flowwiz asks with hidden input"
        )
    value = sys.stdin.read().strip()
    if not value:
        raise UserError(f"--stdin gave an empty value for {field!r}")
    return value


def _ask(spec: BlockType, field_name: str) -> object | None:
    import questionary

    field = spec.field(field_name)
    assert field is not None
    hint = "required" if field.required else "Enter to skip"
    if field.kind not in ("text", "block"):
        hint += f", {field.kind}"

    def validate(text: str) -> bool | str:
        if field.required and not text.strip():
            return f"{field.name} is required"
        if text.strip() and field.kind not in ("text", "block"):
            try:
                parse_text(field, text)
            except ValueProblem as exc:
                return f"{field.name} {exc}"
        return True

    if field.secret:
        answer = questionary.password(
            f"{field.name} ({hint}, hidden):", validate=validate
        ).unsafe_ask()
    else:
        answer = questionary.text(f"{field.name} ({hint}):", validate=validate).unsafe_ask()
    answer = (answer or "").strip()
    if answer and not field.secret and field.kind not in ("text", "block"):
        return parse_text(field, answer)
    return answer or None


def _spec(store: BlockStore, kind: str) -> BlockType:
    """The type ``kind`` as the store knows it: a shipped one (a server's own schema judges
    the values again when they are saved), else the server's list of types."""
    if kind in SHIPPED_TYPES or store.kind == "local":
        return block_type(kind)
    return block_type(kind, store.block_types())


def _target(args: Sequence[str]) -> tuple[str, str]:
    """``TYPE/NAME`` (one argument) or ``TYPE NAME`` (two) -> (type, name), unchecked."""
    if len(args) == 1 and "/" in args[0]:
        kind, _, name = args[0].partition("/")
        return kind, name
    if len(args) == 2 and "/" not in args[0]:
        return args[0], args[1]
    raise UserError("expected TYPE/NAME or TYPE NAME, e.g. secret/my-token or secret my-token")


def _target_slug(args: Sequence[str]) -> tuple[str, str]:
    """``_target`` checked as ``parse_slug`` checks a slug."""
    return parse_slug("/".join(_target(args)))


_ALLOW_PLAINTEXT = click.option(
    "--allow-plaintext-secrets",
    "allow_plaintext",
    is_flag=True,
    help="Store a value that looks like a token in a non-secret field anyway (it is kept "
    "and shown in plain text; a secret field or a Secret block is the safe way).",
)


def _refuse_plaintext(spec: BlockType, values: Mapping[str, object], allow: bool) -> None:
    """Refuse a token-looking text in the given non-secret fields before anything is asked
    or stored (``refuse_tokens``; the stores check again), naming the flag that allows it."""
    if allow:
        return
    from flowwiz.writers.blocks.model import refuse_tokens

    try:
        refuse_tokens(spec.slug, spec, values)
    except PlaintextToken as exc:
        raise PlaintextToken(_with_flag(exc)) from None


def _say_plaintext(spec: BlockType, values: Mapping[str, object], allow: bool) -> None:
    """After a save with --allow-plaintext-secrets: say which fields hold a token in plain
    text (names only), so "no secret value" is never the last word on them."""
    if not allow:
        return
    from flowwiz.writers.blocks.model import PlaintextToken as Refused
    from flowwiz.writers.blocks.model import refuse_tokens

    found = []
    for key, value in values.items():
        try:
            refuse_tokens(spec.slug, spec, {key: value})
        except Refused:
            found.append(key)
    if found:
        terminal.warn(
            f"{_fields_named(found)} of {spec.slug} hold a token-looking value in plain text "
            "(--allow-plaintext-secrets): it is stored as it is, and masked when shown"
        )


def _with_flag(exc: PlaintextToken) -> str:
    return exc.message + (
        " (a secret field is given with --field-env FIELD=VAR or --stdin); or pass "
        "--allow-plaintext-secrets to store it anyway"
    )


def _given_fields(
    spec: BlockType,
    fields: Sequence[str],
    field_envs: Sequence[str],
    from_stdin: bool,
    *,
    stdin_field: str | None = None,
) -> dict[str, object]:
    """The fields given by flags: --field typed by the schema (a secret field refused),
    --field-env from the environment, --stdin the one secret field left (or ``stdin_field``)."""
    data: dict[str, object] = {}

    def put(key: str, value: object, how: str) -> None:
        if key in data:
            raise UserError(f"field {key!r} is given twice ({how})")
        data[key] = value

    for key, value in _pairs(fields, "--field", "VALUE"):
        _check_field(spec, key)
        if key in spec.secret_fields:
            raise UserError(
                f"secret field {key!r} cannot be given with --field (it would land in shell "
                f"history and ps): use --field-env {key}=VAR or --stdin"
            )
        field = spec.field(key)
        assert field is not None
        # a token in the value: refused by the caller (_refuse_plaintext), at any depth
        put(key, _typed(field, value, "--field"), "--field")
    for key, var in _pairs(field_envs, "--field-env", "VAR"):
        _check_field(spec, key)
        value = os.environ.get(var.strip(), "").strip()
        if not value:
            raise UserError(
                f"environment variable {var.strip()!r} (for --field-env {key}) is not set"
            )
        field = spec.field(key)
        assert field is not None
        put(
            key,
            SecretStr(value) if field.secret else _typed(field, value, "--field-env"),
            "--field-env",
        )
    if from_stdin:
        key = stdin_field or _stdin_field(spec, data)
        put(key, SecretStr(_read_stdin(key)), "--stdin")
    return data


def _typed(field: Any, text: str, option: str) -> object:
    """A flag's text as the field's kind (numbers, booleans, JSON for objects)."""
    if field.kind in ("text", "block"):
        return text
    try:
        return parse_text(field, text)
    except ValueProblem as exc:
        raise UserError(f"{option} {field.name}: {exc}") from None


@blocks.command(
    "create",
    short_help="Create or replace a block; secrets by hidden prompt, env or stdin.",
    epilog="""\b
Examples:
  flowwiz blocks create secret my-token                    asks for the value (hidden)
  printf %s "$TOKEN" | flowwiz blocks create secret my-token --stdin
  flowwiz blocks create gitlab-credentials gl \\
      --field url=https://gitlab.example.com --field-env token=GITLAB_TOKEN
  flowwiz blocks create remote-file-system shared \\
      --field basepath=s3://bucket/flows --field 'settings={"anon": false}'
  flowwiz blocks create s3-bucket flows --field bucket_name=acme \\
      --field credentials=aws-credentials/prod       a reference to another block
\b
Fields are typed by the type's block schema (`flowwiz blocks types`): numbers and
booleans as text, objects as JSON.
""",
)
@click.argument("target", nargs=-1, required=True, metavar="TYPE NAME | TYPE/NAME")
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="A non-secret field (repeatable; typed by the schema, JSON for objects). Secret "
    "fields are refused here.",
)
@click.option(
    "--field-env",
    "field_envs",
    multiple=True,
    metavar="FIELD=VAR",
    help="Take FIELD from the environment variable VAR (repeatable; secret fields too).",
)
@click.option(
    "--stdin", "from_stdin", is_flag=True, help="Read the one secret field from standard input."
)
@click.option("--overwrite", is_flag=True, help="Replace a block of the same name.")
@_ALLOW_PLAINTEXT
@click.pass_context
def create_command(
    ctx: click.Context,
    target: tuple[str, ...],
    fields: tuple[str, ...],
    field_envs: tuple[str, ...],
    from_stdin: bool,
    overwrite: bool,
    allow_plaintext: bool,
) -> None:
    """Create (or with --overwrite, replace) block TYPE/NAME; missing fields are asked for.

    Secret fields never come from a flag value (shell history, ps): they come from a hidden
    prompt, --field-env FIELD=VAR, or --stdin. A value that looks like a token is refused
    in a non-secret field unless --allow-plaintext-secrets.
    """
    kind, name = _target(target)
    check_name(name)
    store = _store(ctx)
    spec = _spec(store, kind)
    data = _given_fields(spec, fields, field_envs, from_stdin)
    _refuse_plaintext(spec, data, allow_plaintext)
    store.check()
    if not overwrite and store.exists(spec.slug, name):
        raise BlockExists(
            f"block {spec.slug}/{name} already exists in {_where(store)}: use --overwrite to "
            "replace it"
        )
    missing = [f for f in spec.fields if f.name not in data]
    can_ask = _interactive() and not from_stdin
    for field in missing:
        if can_ask:
            answer = _ask(spec, field.name)
            if answer is not None:
                data[field.name] = SecretStr(answer) if field.secret else answer
        elif field.required:
            how = (
                f"--field-env {field.name}=VAR or --stdin"
                if field.secret
                else f"--field {field.name}=VALUE"
            )
            raise UserError(
                f"{spec.slug} needs its field {field.name!r} and there is no terminal to ask: "
                f"give it with {how}"
            )
    try:
        block = store.save(
            spec.slug, name, data, overwrite=overwrite, allow_plaintext=allow_plaintext
        )
    except PlaintextToken as exc:  # a value asked for just now
        raise PlaintextToken(_with_flag(exc)) from None
    _say_saved(store, block)
    _say_plaintext(spec, data, allow_plaintext)
    terminal.info(f"Reference it as '{block.reference}'")


# friendlier names for the keyring backends people have ("module.Class" -> words)
_KEYRING_NAMES = {
    "keyring.backends.SecretService.Keyring": "Secret Service (GNOME Keyring, KWallet)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyrings.alt.file.PlaintextKeyring": "a plain-text file",
    "keyrings.alt.file.EncryptedKeyring": "an encrypted file",
}


def _say_saved(store: BlockStore, block: Block) -> None:
    """Where each part of a saved block went: on a Prefect server, all of it; locally, the
    name, type and plain fields in the catalog, and the secret values in the keyring,
    its backend named (the one ``keyring`` chose, as the store's check found it)."""
    if store.kind != "local":
        terminal.success(f"Saved {block.slug} in {_where(store)}")
        return
    from flowwiz.writers.blocks.local import LocalStore
    from rich.padding import Padding
    from rich.table import Table

    plain = [k for k in block.data if k not in block.secret_fields]
    kept = "the name and type" + (f", and {_fields_named(plain)}" if plain else "")
    where = Table.grid(padding=(0, 2))
    where.add_column(no_wrap=True)
    where.add_column(overflow="fold")
    where.add_row(_t("catalog"), _t(f"{store.location} keeps {kept} (no secret value)"))
    if block.secret_fields:
        backend = store.keyring.status().backend if isinstance(store, LocalStore) else "?"
        label = _KEYRING_NAMES.get(backend)
        named = f"{label} ({backend})" if label else backend
        secret = _fields_named(sorted(block.secret_fields))
        where.add_row(_t("keyring"), _t(f"{named} keeps the secret value of {secret}"))
    else:
        where.add_row(_t("keyring"), _t("nothing: no secret field was given"))
    terminal.success(f"Saved {block.slug}")
    terminal.err.print(Padding(where, (0, 0, 0, 2)))


def _fields_named(fields: Sequence[str]) -> str:
    """'a', 'a' and 'b', 'a', 'b' and 'c' (field names, quoted)."""
    names = [repr(f) for f in fields]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# -- rm ----------------------------------------------------------------------------------


@blocks.command(
    "rm",
    short_help="Delete a block and its secret values.",
    epilog="""\b
Examples:
  flowwiz blocks rm secret/my-token
  flowwiz blocks rm secret/my-token --yes              no question (scripts)
""",
)
@click.argument("target", nargs=-1, required=True, metavar="TYPE/NAME | TYPE NAME")
@click.option("--yes", "-y", "yes", is_flag=True, help="Delete without asking.")
@click.pass_context
def rm_command(ctx: click.Context, target: tuple[str, ...], yes: bool) -> None:
    """Delete block TYPE/NAME (and its secret values). When deployments in ./prefect.yaml
    (or a prefect.yaml below) reference it, they are listed first and the question says so;
    with no terminal it is refused unless --yes."""
    kind, name = _target_slug(target)
    store = _store(ctx)
    if not store.exists(kind, name):
        raise BlockNotFound(f"no block {kind}/{name} in {_where(store)}")
    used = _used_by(kind, name)
    breaks = (
        f"deployments that reference it ({', '.join(used)}) would fail to load it" if used else ""
    )
    if used and yes:
        terminal.warn(f"deleting {kind}/{name}: {breaks}")
    if not yes:
        if not _interactive():
            why = f"; {breaks}" if used else ""
            raise UserError(
                f"not deleting {kind}/{name} without confirmation and there is no terminal to "
                f"ask{why}: pass --yes"
            )
        import questionary

        if used:
            terminal.warn(f"{kind}/{name} is used: {breaks}")
        question = f"Delete {kind}/{name} from {_where(store)}" + (" anyway?" if used else "?")
        if not questionary.confirm(question, default=False).unsafe_ask():
            terminal.info(f"Kept {kind}/{name}: nothing was deleted.")
            return
    store.delete(kind, name)
    terminal.success(f"Deleted {kind}/{name} from {_where(store)}")


def _used_by(kind: str, name: str) -> list[str]:
    """The deployments of ./prefect.yaml (and those below) that reference the block, as the
    dashboard's ``d`` finds them (``where_used``); none when there is no readable file."""
    from pathlib import Path

    from flowwiz.wizard.dashboard.data import load_deployments, where_used

    try:
        project = load_deployments(Path.cwd())
    except FlowwizError:  # a malformed prefect.yaml: nothing known to use it
        return []
    return [printable(u.deployment) for u in where_used(kind, name, project.every_deployment)]


# -- types -------------------------------------------------------------------------------


def _type_json(spec: BlockType) -> dict[str, Any]:
    return {
        "slug": spec.slug,
        "title": spec.title,
        "description": spec.description,
        "capabilities": list(spec.capabilities),
        "fields": [
            {
                "name": f.name,
                "title": f.title,
                "secret": f.secret,
                "required": f.required,
                "kind": f.kind,
                **({"default": f.default} if f.has_default else {}),
                **({"choices": list(f.choices)} if f.choices else {}),
                **({"block_types": list(f.block_types)} if f.block_types else {}),
                "description": f.description,
            }
            for f in spec.fields
        ],
        "collection": spec.collection,
        "source": spec.source,
    }


@blocks.command(
    "types",
    short_help="The block types, their fields (secret ones marked) and collections.",
    epilog="""\b
Examples:
  flowwiz blocks types
  flowwiz blocks types --json
  flowwiz blocks --api-url http://127.0.0.1:4200/api types     the server's own types
""",
)
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.pass_context
def types_command(ctx: click.Context, as_json: bool) -> None:
    """The block types of the store, from their block schemas: for the local catalog the
    types flowwiz ships (made from Prefect's own schemas), for a Prefect server the types
    registered on it. Fields: * secret, ! required."""
    store = _store(ctx)
    types = store.block_types()
    if as_json:
        terminal.data(json.dumps([_type_json(t) for t in types.values()], indent=2))
        return
    from rich.table import Table

    table = Table(title=_t(f"Block types in {_where(store)}"), title_justify="left")
    table.add_column("TYPE", no_wrap=True)
    table.add_column("FIELDS (* secret, ! required)", overflow="fold")
    table.add_column("CAPABILITIES", overflow="fold")
    table.add_column("REGISTERED BY", overflow="fold")
    for spec in types.values():
        marks = ", ".join(
            f.name + ("*" if f.secret else "") + ("!" if f.required else "") for f in spec.fields
        )
        table.add_row(
            _t(spec.slug),
            _t(marks),
            _t(", ".join(spec.capabilities)),
            _t(spec.collection or "prefect (built in)"),
        )
    terminal.out.print(table)


# -- edit --------------------------------------------------------------------------------


@blocks.command(
    "edit",
    short_help="Change some fields of a block; other fields (secrets too) stay as stored.",
    epilog="""\b
Examples:
  flowwiz blocks edit remote-file-system/shared --field basepath=s3://bucket/flows
  flowwiz blocks edit aws-credentials/ci --field-env aws_secret_access_key=AWS_SECRET
  printf %s "$TOKEN" | flowwiz blocks edit github-credentials/ci --stdin
  flowwiz blocks edit gitlab-credentials/gl --clear url
""",
)
@click.argument("target", nargs=-1, required=True, metavar="TYPE/NAME | TYPE NAME")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE",
              help="A new non-secret value (repeatable; typed by the schema, JSON for objects).")
@click.option("--field-env", "field_envs", multiple=True, metavar="FIELD=VAR",
              help="Take FIELD from the environment variable VAR (repeatable; secrets too).")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read a new value for the one secret field from standard input.")
@click.option("--secret", "ask_secrets", multiple=True, metavar="FIELD",
              help="Replace secret FIELD, asked with hidden input (repeatable).")
@click.option("--clear", "clears", multiple=True, metavar="FIELD",
              help="Unset an optional field (repeatable).")
@_ALLOW_PLAINTEXT
@click.pass_context
def edit_command(
    ctx: click.Context,
    target: tuple[str, ...],
    fields: tuple[str, ...],
    field_envs: tuple[str, ...],
    from_stdin: bool,
    ask_secrets: tuple[str, ...],
    clears: tuple[str, ...],
    allow_plaintext: bool,
) -> None:
    """Change the given fields of block TYPE/NAME; every other field stays as stored (a
    secret not named is neither read nor shown). Prefect cannot rename a block: create one
    under the new name and delete this one."""
    kind, name = _target_slug(target)
    store = _store(ctx)
    spec = _spec(store, kind)
    stdin_field = None
    if from_stdin:
        secrets = [f.name for f in spec.fields if f.secret]
        if len(secrets) != 1:
            names = ", ".join(secrets) or "none"
            raise UserError(
                f"--stdin fills the one secret field, but {spec.slug} has {len(secrets)} "
                f"({names}): use --field-env FIELD=VAR or --secret FIELD"
            )
        stdin_field = secrets[0]
    changes = _given_fields(spec, fields, field_envs, from_stdin, stdin_field=stdin_field)
    _refuse_plaintext(spec, changes, allow_plaintext)
    for key in clears:
        _check_field(spec, key)
        if key in changes:
            raise UserError(f"field {key!r} is given twice (--clear)")
        changes[key] = None
    for key in ask_secrets:
        _check_field(spec, key)
        if key not in spec.secret_fields:
            raise UserError(f"--secret {key}: {key!r} is not a secret field (use --field)")
        if not _interactive():
            raise UserError(
                f"--secret {key} asks with hidden input and there is no terminal: "
                f"use --field-env {key}=VAR or --stdin"
            )
    if not changes and not ask_secrets:
        raise UserError(
            "nothing to change: give --field, --field-env, --stdin, --secret or --clear"
        )
    if not store.exists(spec.slug, name):
        raise BlockNotFound(f"no block {spec.slug}/{name} in {_where(store)}")
    for key in ask_secrets:
        answer = _ask(spec, key)
        if answer is None:
            raise UserError(f"no new value for {key!r}: nothing was changed")
        changes[key] = SecretStr(str(answer))
    if any(isinstance(v, SecretStr) for v in changes.values()):
        store.check()
    block = store.update(spec.slug, name, changes, allow_plaintext=allow_plaintext)
    _say_plaintext(spec, changes, allow_plaintext)
    changed = ", ".join(changes)
    terminal.success(f"Changed {changed} of {block.slug} in {_where(store)}")


# -- push --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pushed:
    slug: str
    result: str  # created | replaced | skipped | failed
    detail: str = ""


def _push_one(local: BlockStore, remote: BlockStore, slug: str, overwrite: bool) -> _Pushed:
    try:
        kind, name = parse_slug(slug)
        block = local.get(kind, name, include_secrets=True)
        if block.problem:
            return _Pushed(slug, "failed", f"broken locally: {block.problem}")
        if block.status == "unknown":
            return _Pushed(slug, "failed", f"not read locally: {block.unknown}")
        existed = overwrite and remote.exists(kind, name)
        remote.save(kind, name, block.data, overwrite=overwrite)
        return _Pushed(slug, "replaced" if existed else "created")
    except BlockExists:
        return _Pushed(slug, "skipped", "exists on the server (use --overwrite to replace it)")
    except FlowwizError as exc:
        return _Pushed(slug, "failed", exc.message)


@blocks.command(
    "push",
    short_help="Copy local blocks to a Prefect server.",
    epilog="""\b
Examples:
  flowwiz blocks push --all                                to $PREFECT_API_URL
  flowwiz blocks push secret/my-token --api-url http://127.0.0.1:4200/api
  flowwiz blocks push --all --overwrite                    replace what exists
""",
)
@click.argument("slugs", nargs=-1, metavar="[TYPE/NAME]...")
@click.option("--all", "push_all", is_flag=True, help="Push every block in the local catalog.")
@click.option("--api-url", metavar="URL", help="The Prefect server (default: $PREFECT_API_URL).")
@click.option("--overwrite", is_flag=True, help="Replace blocks that exist on the server.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.pass_context
def push_command(
    ctx: click.Context,
    slugs: tuple[str, ...],
    push_all: bool,
    api_url: str | None,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Copy blocks from the local catalog to a Prefect server, so remote workers can use them.

    Reports each block as created, replaced, skipped (exists) or failed; exits 1 if any failed.
    """
    if slugs and push_all:
        raise UserError("name blocks or pass --all, not both")
    if not slugs and not push_all:
        raise UserError("name the blocks to push (TYPE/NAME ...) or pass --all")
    for slug in slugs:
        parse_slug(slug)
    target: _Target = ctx.find_object(_Target) or _Target(None, False)
    from flowwiz.detectors.prefect_settings import resolve_settings

    url = resolve_settings(api_url=api_url or target.api_url).api_url
    if not url:
        raise UserError(
            "push needs a Prefect server: set PREFECT_API_URL (or a Prefect profile) "
            "or pass --api-url"
        )
    env = dict(os.environ)
    env["PREFECT_API_URL"] = ""  # the local catalog
    local = open_store(env=env, on_warning=terminal.warn)
    remote = open_store(url, on_warning=terminal.warn)
    wanted = list(slugs) if slugs else [b.slug for b in local.list()]
    if not wanted:
        terminal.info(f"Nothing to push: {_where(local)} has no blocks.")
        if as_json:
            terminal.data(json.dumps({"server": remote.location, "blocks": []}, indent=2))
        return
    remote.check()
    report = [_push_one(local, remote, slug, overwrite) for slug in wanted]
    if as_json:
        terminal.data(
            json.dumps(
                {
                    "server": remote.location,
                    "blocks": [
                        {"slug": r.slug, "result": r.result, "detail": r.detail} for r in report
                    ],
                },
                indent=2,
            )
        )
    else:
        from rich.table import Table

        table = Table(title=_t(f"Push to {remote.location}"), title_justify="left")
        table.add_column("BLOCK", overflow="fold")
        table.add_column("RESULT", no_wrap=True)
        table.add_column("DETAIL", overflow="fold")
        styles = {"created": "green", "replaced": "green", "skipped": "yellow", "failed": "red"}
        for r in report:
            table.add_row(_t(r.slug), _t(r.result, style=styles[r.result]), _t(r.detail))
        terminal.out.print(table)
    counts = {
        k: sum(r.result == k for r in report) for k in ("created", "replaced", "skipped", "failed")
    }
    terminal.info(
        f"{counts['created']} created, {counts['replaced']} replaced, "
        f"{counts['skipped']} skipped (exists), {counts['failed']} failed"
    )
    if counts["failed"]:
        ctx.exit(1)
