"""How a flow loads a block: the short code example the block page shows.

Keyed by Prefect's block type slug. The import is the class that registers the type (its
``_block_type_slug``, or the slug Prefect derives from ``_block_type_name``), checked against
Prefect 3.9.1 and its collections (prefect-aws 0.7, prefect-github 0.4, ...). A type this table
does not know is loaded through the base class with the ``type/name`` form Prefect's
``Block.load`` accepts (prefect.blocks.core.Block.load), which needs no import of the type.
"""

from __future__ import annotations

from collections.abc import Mapping

# slug -> (module, class, what a flow usually does with the loaded block, "{var}" replaced)
EXAMPLES: Mapping[str, tuple[str, str, str]] = {
    "secret": ("prefect.blocks.system", "Secret", "{var}.get()"),
    "string": ("prefect.blocks.system", "String", "{var}.value"),
    "json": ("prefect.blocks.system", "JSON", "{var}.value"),
    "date-time": ("prefect.blocks.system", "DateTime", "{var}.value"),
    "github-credentials": ("prefect_github", "GitHubCredentials", "{var}.token.get_secret_value()"),
    "github-repository": ("prefect_github", "GitHubRepository", "{var}.get_directory()"),
    "gitlab-credentials": ("prefect_gitlab", "GitLabCredentials", "{var}.get_client()"),
    "gitlab-repository": ("prefect_gitlab", "GitLabRepository", "{var}.get_directory()"),
    "bitbucket-credentials": (
        "prefect_bitbucket",
        "BitBucketCredentials",
        "{var}.token.get_secret_value()",
    ),
    "aws-credentials": ("prefect_aws", "AwsCredentials", "{var}.get_boto3_session()"),
    "minio-credentials": ("prefect_aws", "MinIOCredentials", "{var}.get_boto3_session()"),
    "s3-bucket": ("prefect_aws", "S3Bucket", '{var}.download_folder_to_path("data", "data")'),
    "gcp-credentials": ("prefect_gcp", "GcpCredentials", "{var}.get_cloud_storage_client()"),
    "gcs-bucket": ("prefect_gcp", "GcsBucket", '{var}.download_folder_to_path("data", "data")'),
    "azure-blob-storage-credentials": (
        "prefect_azure",
        "AzureBlobStorageCredentials",
        "{var}.get_client()",
    ),
    "azure-blob-storage-container": (
        "prefect_azure",
        "AzureBlobStorageContainer",
        '{var}.download_folder_to_path("data", "data")',
    ),
    "docker-registry-credentials": (
        "prefect_docker",
        "DockerRegistryCredentials",
        "{var}.username",
    ),
    "remote-file-system": (
        "prefect.filesystems",
        "RemoteFileSystem",
        '{var}.read_path("data.csv")',
    ),
    "local-file-system": ("prefect.filesystems", "LocalFileSystem", '{var}.read_path("data.csv")'),
    "smb": ("prefect.filesystems", "SMB", '{var}.read_path("data.csv")'),
    "slack-webhook": ("prefect.blocks.notifications", "SlackWebhook", '{var}.notify("done")'),
}


# the variable the example loads into, by the end of the slug
_NAMES = (
    ("secret", "secret"),
    ("credentials", "creds"),
    ("bucket", "bucket"),
    ("container", "container"),
    ("file-system", "fs"),
    ("smb", "fs"),
    ("repository", "repo"),
    ("webhook", "webhook"),
)


def _python_string(text: str) -> str:
    """A Python string literal for a block name (double quotes, escapes where needed)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def code_example(block_type: str, name: str) -> str:
    """Three lines of Python that load the block ``block_type/name`` in a flow and use it:
    the type's own class when known, else ``Block.load("type/name")``."""
    known = EXAMPLES.get(block_type)
    if known is None:
        return (
            "from prefect.blocks.core import Block\n"
            f"block = Block.load({_python_string(f'{block_type}/{name}')})"
        )
    module, cls, use = known
    var = next((v for end, v in _NAMES if block_type.endswith(end)), "block")
    return (
        f"from {module} import {cls}\n"
        f"{var} = {cls}.load({_python_string(name)})\n"
        f"{use.format(var=var)}"
    )
