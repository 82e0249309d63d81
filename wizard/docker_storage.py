"""The image questions: the code is baked into a Docker image that `prefect deploy` builds (from
the project's Dockerfile, or one Prefect writes) and pushes; workers run that image."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flowwiz.detectors.docker_image import code_directory, has_registry, image_problem, split_image
from flowwiz.detectors.errors import UserError
from flowwiz.detectors.slug import slugify
from flowwiz.wizard.prompts import UNSET, Choice, Question
from flowwiz.wizard.session import Session
from flowwiz.writers.plan import DockerStorage, SecretToSave


def ask_docker(session: Session, previous: DockerStorage | None = None) -> DockerStorage:
    """``previous``: the image storage of the deployment being updated (defaults)."""
    opts, asker, det = session.options, session.asker, session.detected
    project = previous.image if previous is not None else (slugify(det.project_name()) or "flows")
    given_image = opts.image if opts.image else UNSET
    image = asker.ask(
        Question(
            "image",
            "Image name, with its registry (e.g. ghcr.io/acme/flows)",
            "text",
            "--image",
            default=project,
            validate=image_problem,
            convert=str.strip,
        ),
        given_image,
    )
    image, tag_in_name = split_image(image)
    if tag_in_name and opts.image_tag and opts.image_tag != tag_in_name:
        raise UserError(
            f"--image has the tag {tag_in_name!r} and --image-tag says {opts.image_tag!r}"
        )
    tag = asker.ask(
        Question(
            "image_tag",
            "Image tag",
            "text",
            "--image-tag",
            default=tag_in_name or (previous.tag if previous is not None else "latest"),
            validate=lambda t: image_problem(f"x:{t.strip()}"),
            convert=str.strip,
        ),
        opts.image_tag if opts.image_tag else (tag_in_name if tag_in_name else UNSET),
    )
    dockerfile, directory = _ask_dockerfile(session, previous)
    push = asker.ask(
        Question(
            "push_image",
            "Push the image to its registry (a worker on another machine pulls it from there)?",
            "confirm",
            "--push-image/--no-push-image",
            default=previous.push if previous is not None else has_registry(image),
        ),
        opts.push_image if opts.push_image is not None else UNSET,
    )
    if push and not has_registry(image):
        asker.note(
            f"{image!r} names no registry: Docker pushes it to Docker Hub as library/{image}, "
            "which needs a namespace you own (e.g. youruser/" + image + ")."
        )
    return DockerStorage(
        image=image, tag=tag, dockerfile=dockerfile, directory=directory, push=push,
        credentials=previous.credentials if previous is not None and push else None,
    )


def ask_docker_storage(
    session: Session, flow: Any, name: str, previous: DockerStorage | None = None
) -> tuple[DockerStorage, tuple[SecretToSave, ...]]:
    """The image questions, then how `prefect deploy` logs in to push it: Docker's own login
    on this machine, or a ``docker-registry-credentials`` block the push step references
    (``--registry-credentials NAME``; a new one from ``--registry-username`` and
    ``--registry-password-env VAR``). The password is never written to prefect.yaml."""
    storage = ask_docker(session, previous)
    if not storage.push:
        return storage, ()
    reference, secrets = _ask_registry_credentials(session, storage, flow, name)
    return replace(storage, credentials=reference), secrets


def _ask_registry_credentials(
    session: Session, storage: DockerStorage, flow: Any, name: str
) -> tuple[str | None, tuple[SecretToSave, ...]]:
    from flowwiz.wizard.store_probe import SERVER, server_choice, store_usable, switch_to_server
    from flowwiz.writers.blocks import BlockStoreError, reference

    opts, asker = session.options, session.asker
    kind = "docker-registry-credentials"
    default_name = f"deployment-{slugify(name)}-{slugify(flow.name)}-registry"
    if opts.registry_password_env:
        return _new_registry_block(session, storage, opts.registry_credentials or default_name)
    if opts.registry_credentials:
        from flowwiz.wizard.storage import require_block

        store = session.open_store()
        require_block(store, kind, opts.registry_credentials, "--registry-credentials")
        return reference(kind, opts.registry_credentials), ()
    store = session.open_store()
    usable = store_usable(session)
    try:
        existing = [b for b in store.list(kind) if b.problem is None]
    except BlockStoreError:
        if usable:
            raise
        existing = []
    registry = _registry_of(storage.image)
    rows = [Choice(f"Docker's own login on this machine (docker login {registry})", "login")]
    if storage.credentials:
        rows.insert(0, Choice(f"Keep what the deployment uses: {storage.credentials}", "keep"))
    rows += [Choice(f"The {kind} block {b.name}", b.name) for b in existing]
    if usable:
        rows.append(Choice(f"A new {kind} block (password hidden)", "new"))
    else:
        rows += server_choice(session)
    how = asker.ask(
        Question(
            "registry_credentials",
            f"How does `prefect deploy` log in to push to {registry}?",
            "select",
            "--registry-credentials NAME",
            default="keep" if storage.credentials else "login",
            choices=tuple(rows),
        )
    )
    if how == SERVER:
        switch_to_server(session)
        return _ask_registry_credentials(session, storage, flow, name)
    if how == "keep":
        return storage.credentials, ()
    if how == "login":
        return None, ()
    if how != "new":
        return reference(kind, how), ()
    block = asker.ask(
        Question("registry_block", f"Name of the new {kind} block", "text",
                 "--registry-credentials", default=default_name, convert=str.strip)
    )
    return _new_registry_block(session, storage, block)


def _new_registry_block(
    session: Session, storage: DockerStorage, block: str
) -> tuple[str, tuple[SecretToSave, ...]]:
    import os

    from flowwiz.detectors.secret import SecretStr
    from flowwiz.writers.blocks import check_name, normalize_data, reference

    opts, asker = session.options, session.asker
    kind = "docker-registry-credentials"
    check_name(block)
    session.open_store().check()  # before anyone types a password that could not be kept
    username = asker.ask(
        Question("registry_username", "Registry username", "text", "--registry-username",
                 validate=lambda t: None if t.strip() else "enter the username",
                 convert=str.strip, why_no_default="the registry needs a username"),
        opts.registry_username if opts.registry_username else UNSET,
    )
    if opts.registry_password_env:
        password = os.environ.get(opts.registry_password_env, "")
        if not password:
            raise UserError(
                f"--registry-password-env {opts.registry_password_env}: the variable is not set "
                "or empty"
            )
    else:
        password = asker.ask(
            Question("registry_password", "Registry password or token (hidden)", "password",
                     "--registry-password-env VAR",
                     validate=lambda t: None if t.strip() else "enter the password",
                     why_no_default="the registry needs a password")
        ).strip()
    registry = _registry_of(storage.image)
    data = normalize_data(
        kind,
        {"username": username, "password": SecretStr(password), "registry_url": registry},
    )
    overwrite = session.open_store().exists(kind, block)
    return reference(kind, block), (
        SecretToSave(block_type=kind, name=block, data=data, overwrite=overwrite),
    )


def _registry_of(image: str) -> str:
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _ask_dockerfile(session: Session, previous: DockerStorage | None) -> tuple[str, str]:
    opts, asker, det = session.options, session.asker, session.detected
    auto_dir = f"/opt/prefect/{det.root.name}"  # where Prefect's generated Dockerfile copies it
    found = det.project.dockerfile
    rows = []
    if found is not None:
        rows.append(Choice(f"The project's {found.name}", found.name))
    before = previous.dockerfile if previous is not None else None
    if before and before != "auto" and (found is None or before != found.name):
        rows.insert(0, Choice(f"{before}, as the deployment uses now", before))
    rows.append(
        Choice(
            "One Prefect writes at build time (its base image, requirements.txt, the project)",
            "auto",
        )
    )
    given = opts.dockerfile if opts.dockerfile else UNSET
    dockerfile = asker.ask(
        Question(
            "dockerfile",
            "Dockerfile to build the image from",
            "select",
            "--dockerfile PATH|auto",
            default=before if before else (found.name if found is not None else "auto"),
            choices=tuple(rows),
        ),
        given,
    )
    if dockerfile == "auto":
        if found is not None and found.name == "Dockerfile":
            raise UserError(
                "Prefect writes its own ./Dockerfile for --dockerfile auto and fails when one "
                "exists: use --dockerfile Dockerfile, or rename yours"
            )
        return "auto", auto_dir
    path = det.root / dockerfile
    if not path.is_file():
        raise UserError(f"--dockerfile: no file {dockerfile} in {det.root}")
    detected = code_directory(path)
    if detected is None and previous is not None and previous.dockerfile == dockerfile:
        detected = previous.directory  # what the deployment said before
    if detected is None:
        asker.note(
            f"{dockerfile} has no `COPY . <dir>` line: the image must hold the project's code "
            "for the worker to find the flow."
        )
    directory = asker.ask(
        Question(
            "image_dir",
            "Where is the project's code inside the image?",
            "text",
            "--image-dir",
            default=detected if detected else UNSET,
            suggestion=detected or auto_dir,
            validate=_directory_problem,
            convert=lambda t: t.strip().rstrip("/") or "/",
            why_no_default=f"{dockerfile} does not show where it copies the project",
        ),
        opts.image_dir if opts.image_dir else UNSET,
    )
    return dockerfile, directory


def _directory_problem(text: str) -> str | None:
    return (
        None if text.strip().startswith("/") else "enter an absolute path, e.g. /opt/prefect/flows"
    )


def describe(storage: DockerStorage) -> str:
    where = "built and pushed" if storage.push else "built here, not pushed"
    return f"docker image {storage.image}:{storage.tag} ({where}; code in {storage.directory})"


def check_build_context(session: Session, storage: DockerStorage) -> None:
    """Name the secret-looking files the build context's .dockerignore lets into the image,
    and offer to write a .dockerignore that leaves them out (``--dockerignore``; written after
    the review, with prefect.yaml). Sets ``session.dockerignore_text``."""
    from flowwiz.detectors.docker_context import build_context, dockerignore_addition

    root = session.detected.root
    found = build_context(root)
    if not found.sensitive:
        return
    shown = ", ".join(found.sensitive[:5]) + (" ..." if len(found.sensitive) > 5 else "")
    path = root / ".dockerignore"
    exists = path.is_file()
    why = "its .dockerignore lets them through" if exists else "there is no .dockerignore"
    session.asker.note(
        f"{len(found.sensitive)} file(s) that look like secrets would be copied into the image "
        f"{storage.image}:{storage.tag} ({why}): {shown}"
    )
    write = session.asker.ask(
        Question(
            "dockerignore",
            "Add them to .dockerignore?"
            if exists
            else "Write a .dockerignore that leaves them out?",
            "confirm",
            "--dockerignore",
            default=session.asker.interactive,
        ),
        session.options.dockerignore if session.options.dockerignore is not None else UNSET,
    )
    if write:
        existing = path.read_text(encoding="utf-8", errors="replace") if exists else None
        session.dockerignore_text = dockerignore_addition(existing, found.sensitive)


def write_dockerignore(session: Session) -> None:
    from flowwiz.wizard.terminal import terminal
    from flowwiz.writers.atomic import write_atomic

    if session.dockerignore_text is None:
        return
    path = session.detected.root / ".dockerignore"
    existed = path.exists()
    write_atomic(path, session.dockerignore_text)
    terminal.success(f"{'Updated' if existed else 'Created'} .dockerignore")
