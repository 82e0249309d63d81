"""The questions for code on a storage block (``type/name[/path]``) or on any fsspec URL, and the
upload flowwiz runs itself (``--upload``) with a progress bar of files and bytes.

``prefect deploy`` uploads through the push step flowwiz writes (writers/storage_push.py); the
worker pulls with Prefect's own steps (writers/remote_storage.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.secret import SecretStr, forbidden_character
from flowwiz.detectors.slug import slugify
from flowwiz.wizard.prompts import UNSET, Choice, Question
from flowwiz.wizard.session import Session
from flowwiz.writers import remote_storage
from flowwiz.writers.plan import BlockStorage, FsspecStorage, SecretToSave

MANUAL = "__manual__"


def _problem(check: Any) -> Any:
    def validate(text: str) -> str | None:
        try:
            check(text)
        except UserError as exc:
            return exc.message
        return None

    return validate


# ---------------------------------------------------------------------------------------------
# Storage blocks


def ask_block(
    session: Session, flow: Any, name: str, previous: BlockStorage | None = None
) -> BlockStorage:
    """Which storage block, and the sub-path in it (default: one per deployment)."""
    from flowwiz.writers.storage_blocks import list_storage_blocks

    opts, asker = session.options, session.asker
    store = session.open_store()
    if opts.bucket or opts.folder or opts.url:
        raise UserError("--storage block takes --storage-block TYPE/NAME[/PATH] and --path")
    address: Any = UNSET
    if opts.storage_block:
        address = opts.storage_block
    else:
        blocks = list_storage_blocks(store)
        rows = [
            Choice(f"{b.slug}" + (f"  ({b.where})" if b.where else ""), b.slug)
            for b in blocks
        ]
        rows.append(Choice("Enter TYPE/NAME[/PATH]", MANUAL))
        kept = f"{previous.block_type}/{previous.block_name}" if previous else None
        if kept and kept not in [r.value for r in rows]:
            rows.insert(0, Choice(f"{kept} (what the deployment uses)", kept))
        if store.kind != "prefect":
            asker.note(
                "!The storage blocks live on your Prefect server (the workers load them from "
                "there); with no PREFECT_API_URL, flowwiz cannot list them: enter one."
            )
        picked = asker.ask(
            Question(
                "storage_block",
                "Storage block (where `prefect deploy` uploads and workers pull the code)",
                "select",
                "--storage-block TYPE/NAME[/PATH]",
                default=kept if kept else UNSET,
                choices=tuple(rows),
                why_no_default="name the storage block",
            )
        )
        address = picked
        if picked == MANUAL:
            address = asker.ask(
                Question(
                    "storage_block_address",
                    "Storage block as TYPE/NAME[/PATH] (e.g. remote-file-system/shared/etl)",
                    "text",
                    "--storage-block TYPE/NAME[/PATH]",
                    validate=_problem(remote_storage.parse_block_address),
                    convert=str.strip,
                )
            )
    kind, block, given_path = remote_storage.parse_block_address(address)
    writable = _check_block(session, kind, block)
    same = None
    if previous is not None and (previous.block_type, previous.block_name) == (kind, block):
        same = previous
    if opts.sub_path is not None and given_path:
        raise UserError("give the sub-path once: in --storage-block TYPE/NAME/PATH or in --path")
    project = slugify(session.detected.project_name()) or "flows"
    default = (
        given_path
        or (same.path if same is not None else "")
        or (f"{project}/{slugify(name)}" if writable else "")
    )
    taken = _paths_in_use(session, kind, block, name)
    path = asker.ask(
        Question(
            "path",
            f"Sub-path in {kind}/{block} (one per deployment keeps deployments apart)",
            "text",
            "--path",
            default=default,
            validate=lambda t: _path_problem(t, writable, taken),
            convert=remote_storage.clean_sub_path,
        ),
        opts.sub_path if opts.sub_path is not None else (given_path or UNSET),
    )
    return BlockStorage(block_type=kind, block_name=block, path=path)


def _check_block(session: Session, kind: str, block: str) -> bool:
    """Whether the block can be uploaded to; on a Prefect server, that it exists there."""
    from flowwiz.writers.storage_blocks import read_storage_block

    store = session.open_store()
    if store.kind != "prefect":
        session.asker.note(
            f"flowwiz cannot see {kind}/{block}: `prefect deploy` and the workers load it from "
            "your Prefect server, so create it there (set PREFECT_API_URL to have it checked)."
        )
        return remote_storage.STORAGE_BLOCK_TYPES.get(kind, True)
    found = read_storage_block(store, kind, block)
    if found is None:
        raise UserError(
            f"--storage-block: no storage block {kind}/{block} on {store.location}; create it "
            "there first (Prefect UI, or `prefect block create` / Block.save in Python)"
        )
    if not found.writable:
        session.asker.note(
            f"{kind}/{block} is read-only: flowwiz writes no push step; put the code there "
            "yourself (for github-repository: git push)."
        )
    return found.writable


def _paths_in_use(session: Session, kind: str, block: str, name: str) -> dict[str, str]:
    """Sub-paths of this block that other deployments in the file already upload to."""
    from flowwiz.wizard.deploy import _existing_entries

    used: dict[str, str] = {}
    for entry in _existing_entries(session):  # a list since issue 9 (flow/name identity)
        if not isinstance(entry, Mapping) or str(entry.get("name")) == name:
            continue
        other = str(entry.get("name"))
        found = remote_storage.storage_of(entry.get("pull"), entry.get("push"))
        if not isinstance(found, BlockStorage):
            continue
        if (found.block_type, found.block_name) == (kind, block):
            used[found.path] = other
    return used


def _path_problem(text: str, writable: bool, taken: dict[str, str]) -> str | None:
    try:
        path = remote_storage.clean_sub_path(text)
    except UserError as exc:
        return exc.message
    if writable and not path:
        return "enter a sub-path, e.g. my-project/etl: each upload replaces its whole folder"
    if writable and path in taken:
        return f"deployment {taken[path]!r} already uploads to {path!r}: choose another sub-path"
    if writable:
        for other_path, other in taken.items():
            if other_path.startswith(path + "/") or path.startswith(other_path + "/"):
                return f"{path!r} overlaps {other_path!r}, where deployment {other!r} uploads"
    return None


# ---------------------------------------------------------------------------------------------
# fsspec URLs


def ask_fsspec(
    session: Session, flow: Any, name: str, previous: FsspecStorage | None = None
) -> tuple[FsspecStorage, tuple[SecretToSave, ...]]:
    """The URL, its settings, and its secret settings (saved as secret blocks)."""
    opts, asker = session.options, session.asker
    if opts.bucket or opts.folder or opts.storage_block or opts.sub_path:
        raise UserError("--storage fsspec takes --url, --storage-setting and --storage-secret-env")
    url = asker.ask(
        Question(
            "url",
            "fsspec URL of the folder to upload to (e.g. smb://nas/flows/etl, sftp://host/srv/x)",
            "text",
            "--url",
            default=previous.url if previous is not None else UNSET,
            validate=_problem(_check_target_url),
            convert=str.strip,
            why_no_default="flowwiz cannot guess where to upload",
        ),
        opts.url if opts.url else UNSET,
    )
    kept = dict(previous.settings) if previous is not None and previous.url == url else {}
    settings: dict[str, Any] = {}
    if opts.storage_settings:
        for item in opts.storage_settings:
            key, value = remote_storage.parse_setting(item)
            settings[key] = value
    else:
        plain = {k: v for k, v in kept.items() if not _is_template(v)}
        text = asker.ask(
            Question(
                "storage_settings",
                "Settings for the filesystem (key=value, space-separated; no secrets; empty "
                "for none)",
                "text",
                "--storage-setting",
                default=" ".join(f"{k}={_text(v)}" for k, v in plain.items()),
                validate=_problem(_parse_settings),
            )
        )
        settings.update(_parse_settings(text or ""))
    settings.update({k: v for k, v in kept.items() if _is_template(v) and k not in settings})
    secrets: list[SecretToSave] = []
    for key, value in _secret_settings(session, settings).items():
        block = f"deployment-{slugify(name)}-{slugify(flow.name)}-storage-{slugify(key)}"
        exists = session.open_store().exists("secret", block)
        secrets.append(SecretToSave("secret", block, {"value": value}, overwrite=exists))
        from flowwiz.writers.blocks import reference

        settings[key] = reference("secret", block)
    storage = FsspecStorage(url=url, settings=settings)
    remote_storage.pull_steps(storage)  # the same checks the writer makes, before the review
    return storage, tuple(secrets)


def _check_target_url(text: str) -> None:
    url = remote_storage.check_url(text)
    _, path, _ = remote_storage.url_parts(url)
    if not path.strip("/"):
        raise UserError("name a folder in the URL, not the filesystem's root")


def _parse_settings(text: str) -> dict[str, Any]:
    import shlex

    try:
        items = shlex.split(text)
    except ValueError:
        raise UserError("unbalanced quotes in the settings") from None
    return dict(remote_storage.parse_setting(item) for item in items)


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("{{")


def _text(value: Any) -> str:
    import json
    import shlex

    if isinstance(value, bool):
        return "true" if value else "false"
    raw = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return shlex.quote(raw)


def _secret_settings(session: Session, settings: dict[str, Any]) -> dict[str, SecretStr]:
    """KEY=VAR flags, or (for a person) the names to type hidden; never argv values."""
    opts, asker = session.options, session.asker
    found: dict[str, SecretStr] = {}
    if opts.storage_secret_envs:
        for item in opts.storage_secret_envs:
            key, sep, variable = item.partition("=")
            key, variable = key.strip(), variable.strip()
            if not sep or not key or not variable:
                raise UserError("--storage-secret-env takes KEY=VAR, e.g. password=SMB_PASSWORD")
            remote_storage.parse_setting(f"{key}=x")
            raw = os.environ.get(variable)
            if not raw:
                raise UserError(
                    f"--storage-secret-env {key}: the environment variable {variable} is not "
                    "set or empty"
                )
            found[key] = _secret(raw, key)
        return found
    if not asker.interactive:
        return found
    names = asker.ask(
        Question(
            "storage_secret_names",
            "Secret settings, typed hidden next (names, space-separated, e.g. password; empty "
            "for none)",
            "text",
            "--storage-secret-env KEY=VAR",
            default="",
            validate=lambda t: next(
                (
                    f"{n!r} is not a setting name"
                    for n in t.split()
                    if not n.isidentifier()
                ),
                None,
            ),
        )
    )
    if names and names.split():
        session.open_store().check()  # before anyone types a secret that could not be kept
    for key in (names or "").split():
        raw = asker.ask(
            Question(
                f"storage_secret.{key}",
                f"{key} (input hidden)",
                "password",
                "--storage-secret-env KEY=VAR",
                validate=lambda t: None if t.strip() else "enter the value",
            )
        )
        found[key] = _secret(raw, key)
    return found


def _secret(raw: str, key: str) -> SecretStr:
    text = raw.strip()
    bad = forbidden_character(text)
    if bad or not text:
        raise UserError(f"the secret setting {key} was refused: {bad or 'it is empty'}")
    return SecretStr(text)


# ---------------------------------------------------------------------------------------------
# After writing


def describe(storage: BlockStorage | FsspecStorage) -> str:
    return remote_storage.describe(storage)


def next_steps_lines(storage: BlockStorage | FsspecStorage) -> list[str]:
    lines = []
    if remote_storage.push_steps(storage):
        lines += [
            "  `prefect deploy` uploads the code with flowwiz's push step: install flowwiz",
            "  where `prefect deploy` runs (`requires: flowwiz` cannot fetch it from PyPI).",
        ]
    if isinstance(storage, BlockStorage):
        lines.append(
            f"  The workers load {remote_storage.block_slug(storage)} from your Prefect server."
        )
    else:
        from urllib.parse import urlsplit

        scheme = urlsplit(storage.url).scheme
        if scheme not in ("file", "local", "memory"):
            lines.append(f"  The workers need fsspec's {scheme} support installed.")
    return lines


def upload_now(plan: Any, session: Session) -> None:
    """``--upload``: upload the code now, with a progress bar of files and bytes."""
    storage = plan.storage
    if not isinstance(storage, (BlockStorage, FsspecStorage)):
        return
    if not remote_storage.push_steps(storage):
        return
    opts, asker = session.options, session.asker
    go = asker.ask(
        Question(
            "upload",
            "Upload the code now? (`prefect deploy` uploads it again each time)",
            "confirm",
            "--upload/--no-upload",
            default=False,
            suggestion=True,
        ),
        opts.upload if opts.upload is not None else UNSET,
    )
    if not go:
        return
    fs, target, shown, hide = _open_target(storage, plan, session)
    files = remote_storage.files_to_upload(plan.project_root)
    _run_upload(fs, target, shown, hide, plan.project_root, files)


def _open_target(storage: Any, plan: Any, session: Session) -> tuple[Any, str, str, list[str]]:
    import fsspec

    from flowwiz.writers.storage_push import _secret_strings

    if isinstance(storage, FsspecStorage):
        settings = _resolved_settings(storage.settings, plan, session)
        hide = _secret_strings(settings)
        try:
            fs, path = fsspec.core.url_to_fs(storage.url, **settings)
        except Exception as exc:  # noqa: BLE001 - an import error or a refused connection
            raise remote_storage.UploadError(
                f"cannot open {storage.url}: {remote_storage._reason(exc, hide)}"
            ) from None
        return fs, path, storage.url, hide
    from flowwiz.writers.storage_blocks import read_storage_block

    store = session.open_store()
    shown = remote_storage.block_slug(storage) + f"/{storage.path}"
    found = (
        read_storage_block(store, storage.block_type, storage.block_name, include_secrets=True)
        if store.kind == "prefect"
        else None
    )
    if found is None or storage.block_type not in ("remote-file-system", "local-file-system"):
        raise UserError(
            f"flowwiz uploads to {storage.block_type} blocks only through `prefect deploy`: "
            "run it now (or pass --no-upload)"
        )
    base = str(found.data.get("basepath") or "")
    settings = found.data.get("settings") if storage.block_type == "remote-file-system" else {}
    settings = settings if isinstance(settings, dict) else {}
    hide = _secret_strings(settings)
    try:
        fs, root = fsspec.core.url_to_fs(base, **settings)
    except Exception as exc:  # noqa: BLE001
        raise remote_storage.UploadError(
            f"cannot open {shown}: {remote_storage._reason(exc, hide)}"
        ) from None
    return fs, root.rstrip("/") + "/" + storage.path, shown, hide


def _resolved_settings(settings: Any, plan: Any, session: Session) -> dict[str, Any]:
    """Settings with their secret templates replaced by the values (this process only)."""
    from flowwiz.detectors.project import block_references

    typed = {
        f"{s.block_type}/{s.name}": s.data.get("value") for s in plan.secrets if "value" in s.data
    }
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if _is_template(value):
            refs = block_references([value])
            if not refs:
                raise UserError(f"setting {key}: flowwiz cannot resolve {value} itself")
            ((kind, name),) = refs
            secret = typed.get(f"{kind}/{name}")
            if secret is None:
                block = session.open_store().get(kind, name, include_secrets=True)
                secret = block.data.get("value")
            out[key] = secret.reveal() if isinstance(secret, SecretStr) else secret
        else:
            out[key] = value
    return out


def _run_upload(fs: Any, target: str, shown: str, hide: list[str], root: Any, files: Any) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from flowwiz.wizard.terminal import terminal

    total = sum(f.size for f in files)
    with Progress(
        TextColumn("Uploading"),
        BarColumn(),
        TextColumn("{task.fields[files]}"),
        DownloadColumn(),
        console=terminal.err,
        transient=True,
    ) as bar:
        task = bar.add_task("upload", total=total or 1, files=f"0/{len(files)} files")

        def progress(done: int, size: int) -> None:
            bar.update(task, completed=size, files=f"{done}/{len(files)} files")

        result = remote_storage.upload(
            fs, target, root, files, shown_as=shown, progress=progress, hide=hide
        )
    terminal.success(
        f"Uploaded {result.files} files ({remote_storage.human_size(result.bytes)}) to {shown}"
    )
