"""Code on a storage block or on any fsspec filesystem: the prefect.yaml steps, the files
Prefect would upload, and an upload that never leaves half a tree claimed as done.

Pull (on the worker, with Prefect's own steps: nothing of flowwiz is needed there):

- a storage block ``type/name[/path]``: ``prefect.deployments.steps.pull_with_block``
  (``block_type_slug``, ``block_document_name``; Prefect 3.9.1 ``deployments/steps/pull.py``)
  downloads the block's whole root (``get_directory()`` with no ``from_path``) into
  ``<type>-<name>/``; ``set_working_directory`` on ``'{{ pull_code.directory }}/<path>'`` then
  enters the deployment's sub-path, and a last ``set_working_directory: .`` keeps Prefect 2.20
  there too. The step takes no sub-path of its own, so this is the one way to honour it with
  any storage block type (the cost: the worker downloads the block's other folders as well).
- an fsspec URL: ``prefect.deployments.steps.pull_from_remote_storage`` with ``url: dir://``
  and fsspec's DirFileSystem options (``path``, ``target_protocol``, ``target_options``).
  Not ``url: <the URL>``: Prefect 3.9.1's ``RemoteStorage._remote_path`` is
  ``Path(netloc) / urlpath.lstrip('/')``, which drops the leading ``/``: measured,
  ``file:///srv/x`` copies nothing (it reads ``srv/x`` under the worker's own directory) and a
  host-based protocol (sftp, smb) reads ``<host>/x`` on the server. With ``dir://`` the
  remote path is ``.`` under the wrapper's ``path``, which fsspec keeps whole for every protocol.

Push (where ``prefect deploy`` runs): :mod:`flowwiz.writers.storage_push` ships the steps, written
with ``requires: flowwiz``; Prefect has none for these storages.
"""

from __future__ import annotations

import json
import re
import secrets as _secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flowwiz.detectors.errors import UserError, WorldError
from flowwiz.writers.plan import BlockStorage, FsspecStorage

PULL_WITH_BLOCK = "prefect.deployments.steps.pull_with_block"
PULL_FROM_REMOTE_STORAGE = "prefect.deployments.steps.pull_from_remote_storage"
SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"
PUSH_WITH_BLOCK = "flowwiz.writers.storage_push.push_with_block"
PUSH_TO_REMOTE_STORAGE = "flowwiz.writers.storage_push.push_to_remote_storage"
PUSH_STEPS = frozenset({PUSH_WITH_BLOCK, PUSH_TO_REMOTE_STORAGE})
# what Prefect imports (and pip-installs when the import fails) before it runs the push step
REQUIRES = "flowwiz"
IGNORE_FILE = ".prefectignore"
# written last into every upload: a folder that has it holds a finished flowwiz upload
MARKER = ".flowwiz-upload.json"

# storage block types (slug -> can flowwiz's push step upload to it); the server decides the
# rest: any block type whose schema has Prefect's "get-directory" capability can be pulled
STORAGE_BLOCK_TYPES: dict[str, bool] = {
    "remote-file-system": True,
    "local-file-system": True,
    "smb": True,
    "s3-bucket": True,
    "gcs-bucket": True,
    "azure-blob-storage-container": True,
    "github-repository": False,  # read-only: its code is what was pushed to git
}

_TYPE_SLUG = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_SETTING_KEY = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
_BLOCK_TEMPLATE = re.compile(r"\A\{\{\s*prefect\.blocks\.[a-z0-9-]+\.[^{}\s]+\s*\}\}\Z")
_ENV_TEMPLATE = re.compile(r"\A\{\{\s*\$[A-Za-z_][A-Za-z0-9_]*\s*\}\}\Z")


# ---------------------------------------------------------------------------------------------
# Addresses


def parse_block_address(text: str) -> tuple[str, str, str]:
    """``type/name[/sub/path]`` (the seed's form, e.g. ``s3-bucket/logs/log-flow-directory``)
    -> (type slug, block name, sub-path without leading or trailing ``/``).

    Raises UserError naming what is wrong (never the rest of the text)."""
    parts = text.strip().strip("/").split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise UserError(
            f"expected a storage block as TYPE/NAME[/PATH], e.g. remote-file-system/shared-code"
            f"/etl (got {text.strip()!r})"
        )
    kind, name = parts[0], parts[1]
    if not _TYPE_SLUG.match(kind):
        raise UserError(f"invalid block type {kind!r}: a slug like remote-file-system")
    from flowwiz.writers.blocks import check_name

    try:
        check_name(name)
    except UserError as exc:
        raise UserError(exc.message) from None
    return kind, name, clean_sub_path(parts[2] if len(parts) > 2 else "")


def clean_sub_path(text: str) -> str:
    """A sub-path as written to prefect.yaml: POSIX names joined by ``/``, no ``.``/``..``."""
    path = text.strip().strip("/")
    if not path:
        return ""
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts) or "\\" in path or "{{" in path:
        raise UserError(f"invalid sub-path {text.strip()!r}: use names separated by /")
    return path


def block_slug(storage: BlockStorage) -> str:
    return f"{storage.block_type}/{storage.block_name}"


def describe(storage: BlockStorage | FsspecStorage) -> str:
    """One line for the review: where the code goes (no secrets: settings are not shown)."""
    if isinstance(storage, BlockStorage):
        where = block_slug(storage) + (f"/{storage.path}" if storage.path else "")
        if not STORAGE_BLOCK_TYPES.get(storage.block_type, True):
            return f"storage block {where} (read-only: push your code there yourself)"
        return f"storage block {where} (uploaded by `prefect deploy` through flowwiz's push step)"
    return f"{storage.url} (uploaded by `prefect deploy` through flowwiz's push step)"


# ---------------------------------------------------------------------------------------------
# fsspec URLs and settings


def check_url(url: str) -> str:
    """An fsspec URL ``protocol://...`` without credentials; returns it stripped."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme or "://" not in url:
        raise UserError(f"expected an fsspec URL like smb://host/share/flows (got {url!r})")
    if parts.password:
        raise UserError(
            "the URL carries a password: give it as a secret setting "
            "(--storage-secret-env password=VAR) so it is stored as a secret block"
        )
    if parts.scheme == "dir":
        raise UserError("give the filesystem's own URL (file://, sftp://, smb://...), not dir://")
    if "{{" in url:
        raise UserError("the URL cannot hold a template; put secrets in settings")
    return url


def parse_setting(text: str) -> tuple[str, Any]:
    """``key=value`` -> (key, value); ``true``/``false``, integers and JSON objects/lists are
    typed (fsspec wants ``port=22`` as an int), everything else stays text."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not _SETTING_KEY.match(key):
        raise UserError(f"expected a storage setting as KEY=VALUE (got {text.split('=')[0]!r}=…)")
    return key, setting_value(raw.strip())


def setting_value(raw: str) -> Any:
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    if raw[:1] in "{[":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def url_parts(url: str) -> tuple[str, str, dict[str, Any]]:
    """(protocol, path, options) exactly as fsspec reads the URL (``url_to_fs``): the
    implementation's ``_strip_protocol`` and ``_get_kwargs_from_urls``. When the
    implementation cannot be imported here, fsspec's generic ``infer_storage_options``."""
    import fsspec
    from fsspec.utils import infer_storage_options

    protocol = urlsplit(url).scheme
    try:
        cls = fsspec.get_filesystem_class(protocol)
    except (ImportError, ValueError):
        options = infer_storage_options(url)
        path = str(options.pop("path", ""))
        options.pop("protocol", None)
        options.pop("url_query", None)
        return protocol, path, {k: v for k, v in options.items() if v is not None}
    path = cls._strip_protocol(url)
    return protocol, str(path), dict(cls._get_kwargs_from_urls(url))


# ---------------------------------------------------------------------------------------------
# Steps


def pull_steps(storage: BlockStorage | FsspecStorage) -> list[dict[str, Any]]:
    if isinstance(storage, BlockStorage):
        _check_block(storage)
        steps: list[dict[str, Any]] = [
            {
                PULL_WITH_BLOCK: {
                    "id": "pull_code",
                    "block_type_slug": storage.block_type,
                    "block_document_name": storage.block_name,
                }
            }
        ]
        if storage.path:
            directory = "{{ pull_code.directory }}/" + storage.path
            steps.append({SET_WORKING_DIRECTORY: {"directory": directory}})
            # Prefect 2.20's set_working_directory returns the relative path it was given and
            # its flow loader changes into the last step's directory again, from inside it
            # ("No such file or directory", measured); ending on "." works on 2.20 and 3.x
            steps.append({SET_WORKING_DIRECTORY: {"directory": "."}})
        return steps
    protocol, path, options = url_parts(check_url(storage.url))
    if not path.strip("/"):
        raise UserError(f"{storage.url}: name a folder, not the filesystem's root")
    return [
        {
            PULL_FROM_REMOTE_STORAGE: {
                "id": "pull_code",
                "url": "dir://",
                "path": path,
                "target_protocol": protocol,
                "target_options": {**options, **_checked_settings(storage.settings)},
            }
        }
    ]


def push_steps(storage: BlockStorage | FsspecStorage) -> list[dict[str, Any]]:
    if isinstance(storage, BlockStorage):
        _check_block(storage)
        if not STORAGE_BLOCK_TYPES.get(storage.block_type, True):
            return []
        return [
            {
                PUSH_WITH_BLOCK: {
                    "id": "push_code",
                    "requires": REQUIRES,
                    "block_type_slug": storage.block_type,
                    "block_document_name": storage.block_name,
                    "path": storage.path,
                }
            }
        ]
    url = check_url(storage.url)
    return [
        {
            PUSH_TO_REMOTE_STORAGE: {
                "id": "push_code",
                "requires": REQUIRES,
                "url": url,
                **_checked_settings(storage.settings),
            }
        }
    ]


_RESERVED = frozenset({"id", "requires", "url", "ignore_file"})


def _checked_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings as written: a secret may only be a block (or worker environment) template."""
    from flowwiz.detectors.secret import SecretStr

    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key in _RESERVED or not _SETTING_KEY.match(key):
            raise UserError(f"storage setting {key!r} cannot be used (reserved or not a name)")
        if isinstance(value, SecretStr):
            raise UserError(
                f"storage setting {key!r} holds a secret value; prefect.yaml may only "
                "reference a block"
            )
        if isinstance(value, str) and "{{" in value:
            if not (_BLOCK_TEMPLATE.match(value) or _ENV_TEMPLATE.match(value)):
                raise UserError(f"storage setting {key!r}: a template must be the whole value")
        out[key] = value
    return out


def _check_block(storage: BlockStorage) -> None:
    if not _TYPE_SLUG.match(storage.block_type):
        raise UserError(f"invalid block type {storage.block_type!r}")
    from flowwiz.writers.blocks import check_name

    check_name(storage.block_name)
    clean_sub_path(storage.path)


def storage_of(
    pull: list[Any] | None, push: list[Any] | None
) -> BlockStorage | FsspecStorage | None:
    """Read back what :func:`pull_steps`/:func:`push_steps` wrote (None when it is not ours)."""
    if not isinstance(pull, list) or not pull:
        return None
    first = _step(pull[0])
    if first is None:
        return None
    name, args = first
    if name == PULL_WITH_BLOCK:
        kind, block = args.get("block_type_slug"), args.get("block_document_name")
        if not isinstance(kind, str) or not isinstance(block, str):
            return None
        if len(pull) == 1:
            return BlockStorage(block_type=kind, block_name=block)
        rest = [_step(step) for step in pull[1:]]
        if len(rest) != 2 or any(s is None or s[0] != SET_WORKING_DIRECTORY for s in rest):
            return None
        enter, stay = (step[1] for step in rest if step is not None)
        directory = str(enter.get("directory") or "")
        prefix = "{{ pull_code.directory }}/"
        if not directory.startswith(prefix) or stay.get("directory") != ".":
            return None
        return BlockStorage(block_type=kind, block_name=block, path=directory[len(prefix) :])
    if name == PULL_FROM_REMOTE_STORAGE and len(pull) == 1:
        pushed = _step(push[0]) if isinstance(push, list) and len(push) == 1 else None
        if pushed is not None and pushed[0] == PUSH_TO_REMOTE_STORAGE:
            args = pushed[1]
            if isinstance(args.get("url"), str):
                settings = {k: v for k, v in args.items() if k not in _RESERVED}
                return FsspecStorage(url=args["url"], settings=settings)
    return None


def _step(step: Any) -> tuple[str, Mapping[str, Any]] | None:
    if not isinstance(step, Mapping) or len(step) != 1:
        return None
    ((name, args),) = step.items()
    return (str(name), args) if isinstance(args, Mapping) else None


# ---------------------------------------------------------------------------------------------
# What Prefect uploads


@dataclass(frozen=True, slots=True)
class UploadFile:
    path: str  # relative, POSIX
    size: int  # bytes


def files_to_upload(root: Path, ignore_file: str | None = IGNORE_FILE) -> list[UploadFile]:
    """The files Prefect's uploads take from ``root``: every file that the ``.prefectignore``
    at ``root`` does not exclude, in path order, with its size in bytes.

    The rules and the walk are :mod:`flowwiz.detectors.prefect_ignore`'s, which mirror
    Prefect 3.9.1's push steps (``filter_files``: pathspec's ``GitIgnoreSpec`` over the
    stripped lines, each path matched on its own, so a negation can re-include a file under an
    excluded directory, unlike git); the upload preview uses the same functions, so what the
    review counts is what this step uploads. One deliberate difference: when the rules exclude
    every file, Prefect's ``put_directory`` uploads everything; this uploads nothing.

    Raises WorldError when ``.prefectignore`` cannot be read or holds a line Prefect rejects.
    """
    from flowwiz.detectors.errors import DetectionError
    from flowwiz.detectors.prefect_ignore import (
        PrefectIgnore,
        load_prefectignore,
        uploaded_files,
    )

    try:
        rules = load_prefectignore(root) if ignore_file else PrefectIgnore(lines=None)
    except DetectionError as exc:
        raise WorldError(exc.message) from None
    found: list[UploadFile] = []
    for rel in uploaded_files(root, rules):
        try:
            size = (root / rel).stat().st_size
        except OSError:
            continue
        found.append(UploadFile(rel, size))
    found.sort(key=lambda f: f.path)
    return found


# ---------------------------------------------------------------------------------------------
# Uploading


class UploadError(WorldError):
    """The upload did not finish; what was there before is still there, unchanged: exit 1."""


@dataclass(frozen=True, slots=True)
class UploadResult:
    target: str
    files: int
    bytes: int


Progress = Callable[[int, int], None]  # (files done, bytes done)


def upload(
    fs: Any,
    target: str,
    root: Path,
    files: list[UploadFile],
    *,
    shown_as: str | None = None,
    progress: Progress | None = None,
    hide: Iterable[str] = (),
) -> UploadResult:
    """Upload ``files`` from ``root`` to the folder ``target`` of the fsspec filesystem ``fs``,
    replacing what a previous upload left there (stale files included).

    The files go to a sibling staging folder ``<target>.flowwiz-partial-<random>``; the marker
    :data:`MARKER` is written last; only then is the old folder moved aside, the staging folder
    moved into place (a rename on local, SFTP and SMB filesystems) and the old one removed. A
    failure before that removes the staging folder (best effort) and leaves ``target`` as it
    was. A ``target`` that holds files flowwiz did not upload is refused, not overwritten.

    ``shown_as`` names the target in messages; ``hide`` are strings (secret settings) that
    must never appear in one. Raises UserError (no files, a foreign folder) or UploadError.
    """
    where = shown_as or target
    target = target.rstrip("/")
    if not target.strip("/"):
        raise UserError(f"{where}: refusing to upload into the filesystem's root")
    if not files:
        raise UserError(f"nothing to upload from {root}: .prefectignore excludes every file")
    hidden = [h for h in hide if isinstance(h, str) and len(h) >= 3]
    token = _secrets.token_hex(4)
    staging = f"{target}.flowwiz-partial-{token}"
    done_files = done_bytes = 0

    def failed(stage: str, exc: BaseException) -> UploadError:
        reason = _reason(exc, hidden)
        return UploadError(
            f"upload to {where} failed {stage} ({reason}); nothing was replaced: {where} "
            "still holds the previous upload, if any"
        )

    try:
        _refuse_foreign(fs, target, where)
    except UserError:
        raise
    except Exception as exc:
        raise failed("before the first file", exc) from None
    try:
        made: set[str] = set()
        for item in files:
            remote = f"{staging}/{item.path}"
            parent = remote.rsplit("/", 1)[0]
            if parent not in made:
                fs.makedirs(parent, exist_ok=True)
                made.add(parent)
            fs.put_file(str(root / item.path), remote)
            done_files += 1
            done_bytes += item.size
            if progress is not None:
                progress(done_files, done_bytes)
        marker = {
            "uploaded_by": "flowwiz",
            "files": done_files,
            "bytes": done_bytes,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with fs.open(f"{staging}/{MARKER}", "w") as handle:
            handle.write(json.dumps(marker))
    except Exception as exc:
        _remove_quietly(fs, staging)
        raise failed(f"after {done_files} of {len(files)} files", exc) from None
    _swap(fs, staging, target, token, failed)
    return UploadResult(where, done_files, done_bytes)


def _refuse_foreign(fs: Any, target: str, where: str) -> None:
    if not fs.exists(target):
        return
    if not fs.isdir(target):
        raise UserError(f"{where} is a file, not a folder")
    if fs.ls(target, detail=False) and not fs.exists(f"{target}/{MARKER}"):
        raise UserError(
            f"{where} already holds files that flowwiz did not upload; flowwiz replaces the "
            "whole folder at every upload, so choose an empty or new folder"
        )


def _swap(fs: Any, staging: str, target: str, token: str, failed: Any) -> None:
    old = None
    try:
        if fs.exists(target):
            old = f"{target}.flowwiz-old-{token}"
            fs.mv(target, old, recursive=True)
        fs.mv(staging, target, recursive=True)
    except Exception as exc:
        if old is not None and not fs.exists(target):
            try:
                fs.mv(old, target, recursive=True)
                old = None
            except Exception:  # noqa: BLE001 - the error below says what happened
                pass
        _remove_quietly(fs, staging)
        raise failed("while moving the new upload into place", exc) from None
    if old is not None:
        _remove_quietly(fs, old)


def _remove_quietly(fs: Any, path: str) -> None:
    try:
        if fs.exists(path):
            fs.rm(path, recursive=True)
    except Exception:  # noqa: BLE001 - cleanup of a failed upload must not hide its error
        pass


def _reason(exc: BaseException, hidden: list[str]) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    for secret in hidden:
        text = text.replace(secret, "********")
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


def human_size(size: int) -> str:
    """Bytes in decimal units, as detectors.upload_set shows them (no import of its ignore
    machinery: this runs inside ``prefect deploy``, whose environment has no dulwich)."""
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
