"""`flowwiz deploy`: flags only here; the sequence lives in wizard.deploy."""

from __future__ import annotations

from pathlib import Path

import click

EXAMPLES = """\b
Examples:
  flowwiz deploy
      ask everything, seeded by what was detected
  flowwiz deploy --yes --entrypoint flows/etl.py:etl --pool prod --cron "0 3 * * *"
      unattended, public repository
  GIT_TOKEN=... flowwiz deploy --yes --private --token-env GIT_TOKEN --pool prod
      private repository, token read from an environment variable
  pass show ci/token | flowwiz deploy --yes --private --token-stdin
      private repository, token read from standard input
  flowwiz deploy --yes --storage s3 --bucket acme-flows --storage-block prod-aws
      upload the code to S3 at deploy time; workers download it
  flowwiz deploy --yes --storage docker --image ghcr.io/acme/flows --image-tag v3
      bake the code into an image that `prefect deploy` builds and pushes
  cd projects/sales && flowwiz deploy --yes --pool prod
      a project below the repository root: the worker's clone changes into its folder
  flowwiz deploy --yes --branch v1.4.0 --include-submodules
      pin a release tag (or --commit-sha SHA), and clone the submodules too
  flowwiz deploy --yes --storage block --storage-block remote-file-system/shared/etl
      upload to a sub-path of a storage block at every `prefect deploy`
  SMB_PASSWORD=... flowwiz deploy --yes --storage fsspec --url smb://nas/flows/etl \\
      --storage-setting username=svc --storage-secret-env password=SMB_PASSWORD
      any fsspec filesystem; the password is kept as a secret block
  flowwiz deploy --dry-run --yes
      print the plan and the YAML, write nothing

\b
A token is never taken as a flag value (it would land in shell history and `ps`):
use the hidden prompt, --token-env VAR or --token-stdin.
"""


@click.command(epilog=EXAMPLES, context_settings={"max_content_width": 100})
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@click.option(
    "-y", "--yes", is_flag=True, help="Ask nothing: flags, then detection, then safe defaults."
)
@click.option("--dry-run", is_flag=True, help="Print the plan and the YAML; write nothing.")
@click.option(
    "--prefect-file",
    default=None,
    metavar="PATH",
    help="The file to write [default: prefect.yaml, or the one beside the chosen flow].",
)
@click.option(
    "--api-url",
    metavar="URL",
    help="Store blocks on this Prefect server (default: PREFECT_API_URL from the environment, "
    "else from the active Prefect profile).",
)
@click.option("--entrypoint", metavar="PATH:FUNCTION", help="The flow, e.g. flows/etl.py:etl.")
@click.option("--name", help="Deployment name (default: the flow name, slugified).")
@click.option(
    "--description",
    help="Deployment description (default: the one it has, else the flow's whole docstring).",
)
@click.option(
    "--tag", "tags", multiple=True, help="A tag (repeatable, or comma-separated; spaces stay)."
)
@click.option("--interval", metavar="SECONDS", help="Run every SECONDS.")
@click.option("--cron", help='Run on a cron schedule, e.g. "0 3 * * *".')
@click.option("--rrule", help='Run on an RFC 5545 rule, e.g. "RRULE:FREQ=DAILY".')
@click.option(
    "--timezone",
    help="Time zone for the schedule (IANA name; default: the current schedule's, else UTC). "
    "Alone on a re-run: the current schedule moves to it.",
)
@click.option("--no-schedule", is_flag=True, help="No schedule: run on demand.")
@click.option(
    "--pool", help="Work pool name (default: the one other deployments use, else 'default')."
)
@click.option(
    "--pool-type",
    metavar="TYPE",
    help="Create the work pool on the server with this worker type (process, docker, "
    "kubernetes, ...) and its default base job template, when it does not exist.",
)
@click.option("--queue", help="Work queue name (default: 'default').")
@click.option(
    "--job-variable",
    "job_variables",
    multiple=True,
    metavar="KEY=VALUE",
    help="A job variable; dotted keys nest: env.LOG_LEVEL=DEBUG (repeatable).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A flow parameter, typed by its annotation (repeatable).",
)
@click.option("--params", "params_json", metavar="JSON", help="Flow parameters as a JSON object.")
@click.option(
    "--git/--no-git",
    default=None,
    help="Pull the code from the git remote at run time (default) or not.",
)
@click.option(
    "--repository", metavar="URL", help="https URL to clone (default: the detected remote)."
)
@click.option(
    "--branch", help="Branch or tag to clone (default: the current branch, or the tag at HEAD)."
)
@click.option(
    "--commit-sha", metavar="SHA", help="Pin the clone to this commit instead of a branch."
)
@click.option(
    "--include-submodules/--no-include-submodules",
    default=None,
    help="Clone git submodules too (default: yes when the repository has any).",
)
@click.option(
    "--sparse-checkout",
    is_flag=True,
    help="Check out only the project's folder on the worker (a project below the git root).",
)
@click.option("--private/--public", default=None, help="Whether the repository needs a token.")
@click.option("--token-env", metavar="VAR", help="Read the token from this environment variable.")
@click.option("--token-stdin", is_flag=True, help="Read the token from standard input.")
@click.option("--token-block", metavar="NAME", help="Use an existing secret block as the token.")
@click.option("--token-from-remote", is_flag=True, help="Store the token found in the remote URL.")
@click.option(
    "--token-worker-env",
    metavar="VAR",
    help="The workers have the token in this environment variable: prefect.yaml names it, "
    "nothing is stored.",
)
@click.option(
    "--credentials-block",
    metavar="TYPE/NAME",
    help="Reference a github-/gitlab-/bitbucket-credentials block instead of a token.",
)
@click.option("--username", help="Username paired with the token on hosts that need one.")
@click.option(
    "--verify/--no-verify",
    default=None,
    help="Check access before writing: the token against the repository, or this machine "
    "against the bucket.",
)
@click.option(
    "--storage",
    type=click.Choice(["git", "local", "s3", "gcs", "azure", "docker", "block", "fsspec"]),
    help="Where workers get the code: git clone (default when there is a remote), this "
    "machine's directory, a bucket, a Docker image, a storage block, or any fsspec URL.",
)
@click.option("--bucket", help="S3/GCS bucket or Azure container to upload the code to.")
@click.option("--folder", help="Folder in the bucket (default: <project>/<deployment>).")
@click.option(
    "--storage-block",
    metavar="NAME|TYPE/NAME[/PATH]",
    help="With a bucket: its aws-/gcp-/azure-blob-storage-credentials block (default: the "
    "workers' own environment). With --storage block: the storage block, optionally with "
    "the sub-path, e.g. remote-file-system/shared/etl.",
)
@click.option(
    "--path",
    "sub_path",
    metavar="SUBPATH",
    help="Sub-path in the storage block (default: <project>/<deployment>).",
)
@click.option(
    "--url", metavar="URL", help="fsspec URL for --storage fsspec, e.g. smb://host/share/flows."
)
@click.option(
    "--storage-setting",
    "storage_settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="An fsspec setting for --storage fsspec, e.g. port=445 (repeatable; no secrets).",
)
@click.option(
    "--storage-secret-env",
    "storage_secret_envs",
    multiple=True,
    metavar="KEY=VAR",
    help="A secret fsspec setting read from environment variable VAR, stored as a secret "
    "block and referenced by template (repeatable).",
)
@click.option(
    "--upload/--no-upload",
    default=None,
    help="Upload the code now, after writing (block and fsspec storage; `prefect deploy` "
    "uploads it again each time).",
)
@click.option("--image", help="Docker image to build, e.g. ghcr.io/acme/flows[:tag].")
@click.option("--image-tag", help="Tag of the image (default: latest).")
@click.option(
    "--dockerfile",
    metavar="PATH|auto",
    help="Dockerfile to build from (default: ./Dockerfile, else one Prefect writes: auto).",
)
@click.option(
    "--image-dir",
    metavar="PATH",
    help="Where the code is inside the image (default: read from the Dockerfile's COPY).",
)
@click.option(
    "--push-image/--no-push-image",
    default=None,
    help="Push the image to its registry (default: when the name has a registry or namespace).",
)
@click.option(
    "--registry-credentials",
    metavar="NAME",
    help="docker-registry-credentials block the image push logs in with (created with "
    "--registry-username and --registry-password-env; default: Docker's own login).",
)
@click.option("--registry-username", metavar="USER", help="Username for a new registry block.")
@click.option(
    "--registry-password-env",
    metavar="VAR",
    help="Read the registry password for a new registry block from this environment variable.",
)
@click.option(
    "--dockerignore/--no-dockerignore",
    default=None,
    help="For docker storage: write (or extend) .dockerignore when secret-looking files "
    "would be copied into the image (default: ask; --yes: only warn).",
)
@click.option(
    "--register/--no-register",
    default=None,
    help="After writing, register the deployment on the server by running the project's "
    "`prefect deploy -n NAME` (asked when interactive; --yes: only with --register).",
)
@click.option(
    "--inherit-build/--no-inherit-build",
    default=None,
    help="Run the file's top-level build steps for this deployment too (Prefect's default), "
    "or skip them (writes build: null for it). Default on a re-run: the choice made before.",
)
@click.option("--no-prefectignore", is_flag=True, help="Do not create .prefectignore.")
@click.option(
    "--allow-plaintext-secrets",
    is_flag=True,
    help="Write a --param or --job-variable value that looks like a token in plain text "
    "anyway (refused under --yes without it).",
)
def deploy(path: Path, **flags: object) -> int:
    """Create or update a deployment of a flow in this repository.

    Detects the git remote, branch and flows, asks what it must, saves a private repository's
    token as a secret block (OS keyring, or the Prefect server at PREFECT_API_URL), and writes
    prefect.yaml, leaving everything it does not own untouched.
    """
    from flowwiz.wizard.deploy import DeployOptions, run

    prefectignore = not flags.pop("no_prefectignore")
    flags["prefect_file_given"] = flags["prefect_file"] is not None
    flags["prefect_file"] = flags["prefect_file"] or "prefect.yaml"
    options = DeployOptions(path=path, prefectignore=prefectignore, **flags)  # type: ignore[arg-type]
    return run(options)
