"""The push steps flowwiz ships for ``prefect deploy``: upload the project to a storage block's
sub-path or to an fsspec URL, as Prefect's own push steps do for buckets (it has none for these).

prefect.yaml names them with ``requires: flowwiz``. Prefect (3.9.1,
``deployments/steps/core.py`` ``_get_function_for_step``) first imports ``flowwiz``; only when
that fails does it run ``pip install flowwiz`` and import again. So flowwiz must be installed in
the environment that runs ``prefect deploy`` (``pip install <path or URL of flowwiz>``): the
distribution is not on PyPI under that name, and the fallback install would fail (or fetch
someone else's package of that name), after which the step cannot be imported and
``prefect deploy`` stops with an error before anything is uploaded. Workers never need
flowwiz: they pull with Prefect's own steps.

Both steps run from the directory holding prefect.yaml (where ``prefect deploy`` runs them) and
upload the files its ``.prefectignore`` lets through (:func:`remote_storage.files_to_upload`),
replacing the previous upload whole (:func:`remote_storage.upload`). An unreachable target
raises :class:`remote_storage.UploadError` (one line, secrets masked): Prefect reports the step
as failed, ``prefect deploy`` exits non-zero and registers nothing, and the folder keeps the
previous upload. Progress goes to stderr: a live line on a terminal, one summary line otherwise.

Nothing here imports Prefect at module level; ``push_with_block`` loads the block with Prefect's
own ``Block.load`` (it runs inside ``prefect deploy``, so Prefect is there) to read it exactly as
the worker will.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flowwiz.writers import remote_storage
from flowwiz.writers.remote_storage import IGNORE_FILE, files_to_upload, human_size, upload


def push_to_remote_storage(
    url: str, ignore_file: str | None = IGNORE_FILE, **settings: Any
) -> dict[str, Any]:
    """Upload the current directory to the fsspec ``url`` (``**settings`` go to the filesystem,
    as ``pull_from_remote_storage`` passes them). Returns ``{"url", "files", "bytes"}``."""
    import fsspec

    remote_storage.check_url(url)
    root = Path.cwd()
    files = files_to_upload(root, ignore_file)
    hide = _secret_strings(settings)
    try:
        fs, path = fsspec.core.url_to_fs(url, **settings)
    except Exception as exc:  # noqa: BLE001 - an import error or a refused connection
        raise remote_storage.UploadError(
            f"cannot open {url}: {remote_storage._reason(exc, hide)}"
        ) from None
    result = upload(fs, path, root, files, shown_as=url, progress=_progress(files), hide=hide)
    _done(result)
    return {"url": url, "files": result.files, "bytes": result.bytes}


def push_with_block(
    block_type_slug: str,
    block_document_name: str,
    path: str = "",
    ignore_file: str | None = IGNORE_FILE,
) -> dict[str, Any]:
    """Upload the current directory to ``path`` inside the storage block
    ``block_type_slug/block_document_name`` (loaded with Prefect's ``Block.load``).

    Blocks backed by an fsspec filesystem (remote-file-system, local-file-system, smb) get the
    replace-whole upload of :func:`remote_storage.upload`; any other writable block type
    (s3-bucket, gcs-bucket, azure-blob-storage-container) uploads through its own
    ``put_directory`` with the same ``.prefectignore`` (Prefect's behaviour: files are
    overwritten, stale ones stay). Returns ``{"block", "path", "files", "bytes"}``."""
    from prefect.blocks.core import Block

    sub_path = remote_storage.clean_sub_path(path)
    slug = f"{block_type_slug}/{block_document_name}"
    try:
        block = Block.load(slug)
    except Exception as exc:  # noqa: BLE001 - Prefect raises ValueError for a missing block
        raise remote_storage.UploadError(
            f"cannot load the storage block {slug}: {remote_storage._reason(exc, [])}"
        ) from None
    root = Path.cwd()
    files = files_to_upload(root, ignore_file)
    shown = slug + (f"/{sub_path}" if sub_path else "")
    opened = _block_filesystem(block)
    if opened is None:
        return _put_directory(block, slug, shown, sub_path, files, ignore_file)
    fs, base, hide = opened
    target = base.rstrip("/") + ("/" + sub_path if sub_path else "")
    result = upload(fs, target, root, files, shown_as=shown, progress=_progress(files), hide=hide)
    _done(result)
    return {"block": slug, "path": sub_path, "files": result.files, "bytes": result.bytes}


def _block_filesystem(block: Any) -> tuple[Any, str, list[str]] | None:
    """(fsspec filesystem, base path in it, secret strings) for file-system blocks, else None."""
    import fsspec

    slug = block.get_block_type_slug()
    if slug == "smb":
        block = block.filesystem  # Prefect's SMB is a RemoteFileSystem on smb://host/share
        slug = "remote-file-system"
    if slug == "remote-file-system":
        fs = block.filesystem
        return fs, str(fs._strip_protocol(block.basepath)), _secret_strings(block.settings)
    if slug == "local-file-system":
        base = block.basepath or str(Path.cwd())
        return fsspec.filesystem("file"), str(Path(base).expanduser().resolve()), []
    return None


def _put_directory(
    block: Any,
    slug: str,
    shown: str,
    sub_path: str,
    files: list[remote_storage.UploadFile],
    ignore_file: str | None,
) -> dict[str, Any]:
    if not hasattr(block, "put_directory"):
        raise remote_storage.UploadError(f"the block {slug} cannot be written to")
    ignore = ignore_file if ignore_file and Path(ignore_file).exists() else None
    try:
        count = block.put_directory(local_path=".", to_path=sub_path or None, ignore_file=ignore)
    except Exception as exc:  # noqa: BLE001 - a cloud SDK's error, reported in one line
        raise remote_storage.UploadError(
            f"upload to {shown} failed ({remote_storage._reason(exc, [])}); files uploaded "
            "before the failure stay there"
        ) from None
    size = sum(f.size for f in files)
    _done(remote_storage.UploadResult(shown, int(count or len(files)), size))
    return {"block": slug, "path": sub_path, "files": int(count or len(files)), "bytes": size}


def _secret_strings(settings: Any) -> list[str]:
    """Every string value in the settings: any may be a resolved secret, so none is shown."""
    found: list[str] = []
    if isinstance(settings, dict):
        for value in settings.values():
            found.extend(_secret_strings(value))
    elif isinstance(settings, (list, tuple)):
        for value in settings:
            found.extend(_secret_strings(value))
    elif isinstance(settings, str):
        found.append(settings)
    elif hasattr(settings, "get_secret_value"):
        found.append(str(settings.get_secret_value()))
    return found


def _progress(files: list[remote_storage.UploadFile]) -> remote_storage.Progress | None:
    if not sys.stderr.isatty():
        return None
    total_files, total_bytes = len(files), sum(f.size for f in files)

    def show(done: int, size: int) -> None:
        sys.stderr.write(
            f"\r  uploading {done}/{total_files} files, "
            f"{human_size(size)} of {human_size(total_bytes)}\x1b[K"
        )
        if done == total_files:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _done(result: remote_storage.UploadResult) -> None:
    sys.stderr.write(
        f"flowwiz: uploaded {result.files} files ({human_size(result.bytes)}) to {result.target}\n"
    )
    sys.stderr.flush()
