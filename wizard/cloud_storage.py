"""The bucket questions (S3, GCS, Azure Blob Storage): bucket, folder, and the credentials that
`prefect deploy` (upload) and the worker (download) use: their own environment, an existing
credentials block, or a new one whose secret fields are typed hidden and kept in the store.
"""

from __future__ import annotations

import re
from typing import Any

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.slug import slugify
from flowwiz.wizard.prompts import UNSET, Choice, Question
from flowwiz.wizard.session import Session
from flowwiz.writers.plan import CloudStorage, SecretToSave

# provider -> (what it is called, the credentials block type, the bucket's name in Prefect)
PROVIDERS: dict[str, tuple[str, str, str]] = {
    "s3": ("AWS S3", "aws-credentials", "bucket"),
    "gcs": ("Google Cloud Storage", "gcp-credentials", "bucket"),
    "azure": ("Azure Blob Storage", "azure-blob-storage-credentials", "container"),
}

_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]\Z")


def ask_cloud(
    session: Session, provider: str, flow: Any, name: str, previous: CloudStorage | None = None
) -> tuple[CloudStorage, tuple[SecretToSave, ...]]:
    """``previous``: the same provider's storage of the deployment being updated (defaults)."""
    opts, asker = session.options, session.asker
    title, _, bucket_word = PROVIDERS[provider]
    bucket = asker.ask(
        Question(
            "bucket",
            f"{title} {bucket_word} name",
            "text",
            "--bucket",
            default=previous.bucket if previous is not None else UNSET,
            validate=lambda t: _bucket_problem(t, bucket_word),
            convert=_bare_bucket,
            why_no_default=f"flowwiz cannot guess which {bucket_word} to upload to",
        ),
        opts.bucket if opts.bucket else UNSET,
    )
    folder = asker.ask(
        Question(
            "folder",
            f"Folder in the {bucket_word} (one per deployment keeps deployments apart)",
            "text",
            "--folder",
            default=previous.folder
            if previous is not None and previous.folder
            else f"{slugify(session.detected.project_name()) or 'flows'}/{slugify(name)}",
            validate=_folder_problem,
            convert=lambda t: t.strip().strip("/"),
        ),
        opts.folder if opts.folder is not None else UNSET,
    )
    kept = previous.credentials if previous is not None else None
    credentials, secrets = _ask_credentials(session, provider, flow, name, kept)
    storage = CloudStorage(provider=provider, bucket=bucket, folder=folder, credentials=credentials)
    _verify_bucket(session, storage, secrets)
    return storage, secrets


def _verify_bucket(
    session: Session, storage: CloudStorage, secrets: tuple[SecretToSave, ...]
) -> None:
    from flowwiz.detectors.bucket_access import check_bucket, fsspec_options
    from flowwiz.wizard.storage import ask_verify, report_check

    if not ask_verify(session, "Check now that this machine can read the bucket?"):
        return
    fields = _credential_fields(session, storage, secrets)
    result = check_bucket(
        storage.provider, storage.bucket, fsspec_options(storage.provider, fields)
    )
    report_check(
        session,
        result,
        failed=f"the bucket check failed: {result.detail}",
        unchecked="Could not check the bucket",
        anyway="Write the deployment anyway?",
        stopped="stopped: nothing was written",
        flag_hint="pass --no-verify to write it anyway",
    )


def _credential_fields(
    session: Session, storage: CloudStorage, secrets: tuple[SecretToSave, ...]
) -> dict[str, str]:
    """The credentials' fields, secrets revealed for this process's check only."""
    from flowwiz.detectors.secret import SecretStr

    if storage.credentials is None:
        return {}
    if secrets:
        data = secrets[0].data
    else:
        from flowwiz.detectors.project import block_references

        ((kind, block),) = block_references(storage.credentials)
        data = session.open_store().get(kind, block, include_secrets=True).data
    return {
        k: (v.reveal() if isinstance(v, SecretStr) else str(v))
        for k, v in data.items()
        if v is not None
    }


def _bare_bucket(text: str) -> str:
    text = text.strip()
    for scheme in ("s3://", "gs://", "gcs://", "az://", "abfs://"):
        if text.startswith(scheme):
            text = text[len(scheme) :]
    return text.strip("/")


def _bucket_problem(text: str, word: str) -> str | None:
    bare = _bare_bucket(text)
    if "/" in bare:
        return f"enter the {word} name alone; the folder is the next question"
    if not _BUCKET.match(bare):
        return f"enter a {word} name: 3 or more lowercase letters, digits, dots, dashes"
    return None


def _folder_problem(text: str) -> str | None:
    folder = text.strip().strip("/")
    if not folder:
        return "enter a folder, e.g. flows/etl (uploading to the bucket's root mixes projects)"
    if any(part in (".", "..") for part in folder.split("/")) or "\\" in folder:
        return "use a plain path of names separated by /"
    return None


def _ask_credentials(
    session: Session, provider: str, flow: Any, name: str, kept: str | None = None
) -> tuple[str | None, tuple[SecretToSave, ...]]:
    from flowwiz.writers.blocks import reference

    opts, asker = session.options, session.asker
    title, kind, _ = PROVIDERS[provider]
    if opts.storage_block:
        from flowwiz.wizard.storage import require_block

        block = _block_name(opts.storage_block, kind)
        require_block(session.open_store(), kind, block, "--storage-block")
        return reference(kind, block), ()
    from flowwiz.wizard.store_probe import SERVER, server_choice, store_usable, switch_to_server
    from flowwiz.writers.blocks import BlockStoreError

    store = session.open_store()
    usable = store_usable(session)
    try:
        existing = [b for b in store.list(kind) if b.problem is None]
    except BlockStoreError:
        if usable:
            raise
        existing = []
    rows = [
        Choice(
            "Their own environment (IAM role, workload identity, environment variables)",
            "ambient",
        )
    ]
    rows += [Choice(f"The {kind} block {b.name}", b.name) for b in existing]
    if usable:
        rows.append(Choice(f"A new {kind} block (secret fields typed hidden)", "new"))
    else:
        rows += server_choice(session)
    if kept:
        rows.insert(0, Choice(f"Keep what the deployment uses: {kept}", "keep"))
    how = asker.ask(
        Question(
            "storage_credentials",
            f"Credentials for {title} (used by `prefect deploy` to upload, by workers to download)",
            "select",
            "--storage-block NAME",
            default="keep" if kept else "ambient",
            choices=tuple(rows),
        )
    )
    if how == SERVER:
        switch_to_server(session)
        return _ask_credentials(session, provider, flow, name, kept)
    if how == "keep":
        return kept, ()
    if how == "ambient":
        return None, ()
    if how != "new":
        return reference(kind, how), ()
    return _new_block(session, kind, f"deployment-{slugify(name)}-{slugify(flow.name)}-{provider}")


def _block_name(text: str, kind: str) -> str:
    from flowwiz.writers.blocks import check_name, parse_slug

    if "/" in text:
        given, block = parse_slug(text)
        if given != kind:
            raise UserError(f"--storage-block: this storage takes a {kind} block (got {given})")
        return block
    return check_name(text)


def _new_block(session: Session, kind: str, default_name: str) -> tuple[str, tuple[SecretToSave]]:
    from flowwiz.detectors.secret import SecretStr
    from flowwiz.writers.blocks import block_type, normalize_data, reference

    asker, store = session.asker, session.open_store()
    spec = block_type(kind)
    block = asker.ask(
        Question(
            "storage_block_name",
            f"Name of the new {kind} block",
            "text",
            "--storage-block",
            default=f"{default_name}-credentials",
            validate=_name_problem,
            convert=str.strip,
        )
    )
    overwrite = store.exists(kind, block)
    if overwrite and not asker.ask(
        Question(
            "storage_block_overwrite",
            f"{kind}/{block} exists: replace it?",
            "confirm",
            "--storage-block",
            default=False,
        )
    ):
        return reference(kind, block), ()
    store.check()  # before anyone types a secret that could not be kept
    data: dict[str, str | SecretStr] = {}
    for field in spec.essential_fields:
        answer = asker.ask(
            Question(
                f"field_{field.name}",
                f"{field.name} ({'hidden, ' if field.secret else ''}Enter to skip)",
                "password" if field.secret else "text",
                "--storage-block",
                validate=lambda t, f=field: _field_problem(t, f),
            )
        )
        value = (answer or "").strip()
        if value:
            data[field.name] = SecretStr(value) if field.secret else value
    if not data:
        raise UserError(f"the new {kind} block has no field set; nothing was written")
    data = normalize_data(kind, data)  # the same checks as the store's, before the review
    return reference(kind, block), (
        SecretToSave(block_type=kind, name=block, data=data, overwrite=overwrite),
    )


def _field_problem(text: str, field: Any) -> str | None:
    from flowwiz.detectors.secret import forbidden_character

    text = text.strip()
    bad = forbidden_character(text)
    if bad:
        return f"it cannot contain {bad}"
    if text and field.kind == "json":
        import json

        try:
            json.loads(text)
        except ValueError:
            return "paste the JSON document (e.g. the service account file's content)"
    return None


def _name_problem(text: str) -> str | None:
    from flowwiz.writers.blocks import check_name

    try:
        check_name(text.strip())
    except UserError as exc:
        return str(exc)
    return None
