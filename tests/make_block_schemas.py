"""Regenerate ``writers/blocks/block_schemas.json``: the block types flowwiz ships.

Run it with the Prefect 3.9.1 harness venv's Python (tests/prefect_harness.py installs it)::

    ~/.cache/flowwiz-tests/prefect-3.9.1/bin/python tests/make_block_schemas.py

Each type is rendered by Prefect itself (``Block._to_block_type()`` and
``Block._to_block_schema()``, what ``prefect block register`` sends to a server):

- from the real classes for the collections the harness has: ``prefect`` (Secret,
  RemoteFileSystem, SMB), ``prefect_aws`` (AwsCredentials, S3Bucket, and MinIOCredentials,
  which S3Bucket references), ``prefect_github`` (GitHubCredentials);
- from classes written here for the collections it lacks (prefect-gitlab, prefect-bitbucket,
  prefect-gcp, prefect-azure, prefect-docker): their fields, titles, descriptions, defaults
  and bases copied from the collections' source in PrefectHQ/prefect
  (``src/integrations/prefect-<name>/...``), so Prefect renders the same schema they would.
  The file marks these ``"source": "hand-written from ..."``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import prefect
from prefect.blocks.abstract import CredentialsBlock, ObjectStorageBlock
from prefect.blocks.core import Block
from prefect.blocks.system import Secret
from prefect.filesystems import SMB, RemoteFileSystem, WritableDeploymentStorage, WritableFileSystem
from prefect.types import SecretDict
from prefect_aws import AwsCredentials, MinIOCredentials, S3Bucket
from prefect_github import GitHubCredentials
from pydantic import Field, SecretStr

OUT = Path(__file__).resolve().parents[1] / "writers" / "blocks" / "block_schemas.json"
SRC = "hand-written from PrefectHQ/prefect src/integrations/"


class GitLabCredentials(Block):
    _block_type_name = "GitLab Credentials"
    _block_type_slug = "gitlab-credentials"
    _description = (
        "Store a GitLab personal access token to interact with private GitLab\nrepositories."
    )
    _code_example = (
        "Load stored GitLab credentials:\n```python\nfrom prefect_gitlab import "
        'GitLabCredentials\ngitlab_credentials_block = GitLabCredentials.load("BLOCK_NAME")\n```'
    )
    _logo_url = "https://images.ctfassets.net/gm98wzqotmnx/55edIimT4g9gbjhkh5a3Sp/dfdb9391d8f45c2e93e72e3a4d350771/gitlab-logo-500.png?h=250"
    token: SecretStr | None = Field(
        title="Personal Access Token",
        default=None,
        description="A GitLab Personal Access Token with read_repository scope.",
    )
    url: str | None = Field(
        default=None, title="URL", description="URL to self-hosted GitLab instances."
    )


class BitBucketCredentials(CredentialsBlock):
    _block_type_name = "BitBucket Credentials"
    _block_type_slug = "bitbucket-credentials"
    _description = "Store BitBucket credentials to interact with private BitBucket repositories."
    _code_example = (
        "Load stored BitBucket credentials:\n```python\nfrom prefect_bitbucket import "
        "BitBucketCredentials\nbitbucket_credentials_block = "
        'BitBucketCredentials.load("BLOCK_NAME")\n```'
    )
    _logo_url = "https://cdn.sanity.io/images/3ugk85nk/production/5d729f7355fb6828c4b605268ded9cfafab3ae4f-250x250.png"
    token: SecretStr | None = Field(
        title="Personal Access Token",
        default=None,
        description="A BitBucket Personal Access Token - required for private repositories.",
        examples=["x-token-auth:my-token"],
    )
    username: str | None = Field(
        default=None,
        description="Identification name unique across entire BitBucket site.",
    )
    password: SecretStr | None = Field(
        default=None, description="The password to authenticate to BitBucket."
    )
    url: str | None = Field(
        default=None,
        description="The base URL of a BitBucket instance. Leave blank for BitBucket Cloud.",
        examples=["https://api.bitbucket.org/"],
        title="URL",
    )

    def get_client(self, *args, **kwargs):  # abstract in CredentialsBlock
        raise NotImplementedError


class GcpCredentials(CredentialsBlock):
    _block_type_name = "GCP Credentials"
    _block_type_slug = "gcp-credentials"
    _description = (
        "Block used to manage authentication with GCP. Google authentication is\n"
        "handled via the `google.oauth2` module or through the CLI.\n"
        "Specify either one of service `account_file` or `service_account_info`; if both\n"
        "are not specified, the client will try to detect the credentials following Google's\n"
        "[Application Default Credentials](https://cloud.google.com/docs/authentication/"
        "application-default-credentials).\n"
        "See Google's [Authentication documentation](https://cloud.google.com/docs/"
        "authentication#service-accounts)\nfor details on inference and recommended "
        "authentication patterns."
    )
    _code_example = (
        "Load GCP credentials stored in a `GCP Credentials` Block:\n```python\nfrom prefect_gcp "
        'import GcpCredentials\ngcp_credentials_block = GcpCredentials.load("BLOCK_NAME")\n```'
    )
    _logo_url = "https://cdn.sanity.io/images/3ugk85nk/production/10424e311932e31c477ac2b9ef3d53cefbaad708-250x250.png"
    _documentation_url = "https://docs.prefect.io/integrations/prefect-gcp"
    service_account_file: Path | None = Field(
        default=None, description="Path to the service account JSON keyfile."
    )
    service_account_info: SecretDict | None = Field(
        default=None, description="The contents of the keyfile as a dict."
    )
    project: str | None = Field(default=None, description="The GCP project to use for the client.")

    def get_client(self, *args, **kwargs):
        raise NotImplementedError


class GcsBucket(WritableDeploymentStorage, WritableFileSystem, ObjectStorageBlock):
    _block_type_name = "GCS Bucket"
    _block_type_slug = "gcs-bucket"
    _description = (
        "Block used to store data using GCP Cloud Storage Buckets.\n\n"
        "Note! `GcsBucket` in `prefect-gcp` is a unique block, separate from `GCS`\n"
        "in core Prefect. `GcsBucket` does not use `gcsfs` under the hood,\n"
        "instead using the `google-cloud-storage` package, and offers more configuration\n"
        "and functionality."
    )
    _code_example = (
        "Load stored GCP Cloud Storage Bucket:\n```python\nfrom prefect_gcp.cloud_storage "
        'import GcsBucket\ngcp_cloud_storage_bucket_block = GcsBucket.load("BLOCK_NAME")\n```'
    )
    _logo_url = "https://cdn.sanity.io/images/3ugk85nk/production/10424e311932e31c477ac2b9ef3d53cefbaad708-250x250.png"
    _documentation_url = "https://docs.prefect.io/integrations/prefect-gcp"
    bucket: str = Field(..., description="Name of the bucket.")
    gcp_credentials: GcpCredentials = Field(
        default_factory=GcpCredentials,
        description="The credentials to authenticate with GCP.",
    )
    bucket_folder: str = Field(
        default="",
        description=(
            "A default path to a folder within the GCS bucket to use for reading and "
            "writing objects."
        ),
    )


for _name in list(getattr(GcsBucket, "__abstractmethods__", ())):  # only the schema is used
    setattr(GcsBucket, _name, lambda self, *a, **k: None)
GcsBucket.__abstractmethods__ = frozenset()


class AzureBlobStorageCredentials(Block):
    _block_type_name = "Azure Blob Storage Credentials"
    _block_type_slug = "azure-blob-storage-credentials"
    _description = "Stores credentials for authenticating with Azure Blob Storage."
    _code_example = (
        "Load stored Azure Blob Storage credentials and retrieve a blob service client:\n"
        "```python\nfrom prefect_azure import AzureBlobStorageCredentials\n\n"
        'azure_credentials_block = AzureBlobStorageCredentials.load("BLOCK_NAME")\n\n'
        "blob_service_client = azure_credentials_block.get_blob_client()\n```"
    )
    _logo_url = "https://cdn.sanity.io/images/3ugk85nk/production/54e3fa7e00197a4fbd1d82ed62494cb58d08c96a-250x250.png"
    _documentation_url = "https://docs.prefect.io/integrations/prefect-azure"
    connection_string: SecretStr | None = Field(
        default=None,
        description=(
            "The connection string to your Azure storage account. If provided, the "
            "connection string will take precedence over the account URL."
        ),
    )
    account_url: str | None = Field(
        default=None,
        title="Account URL",
        description=(
            "The URL for your Azure storage account. If provided, the account "
            "URL will be used to authenticate with the discovered default "
            "Azure credentials."
        ),
    )


class DockerRegistryCredentials(Block):
    _block_type_name = "Docker Registry Credentials"
    _block_type_slug = "docker-registry-credentials"
    _description = "Store credentials for interacting with a Docker Registry."
    _code_example = (
        "Log into Docker Registry.\n```python\nfrom prefect_docker import DockerHost, "
        "DockerRegistryCredentials\n\ndocker_host = DockerHost()\n"
        "docker_registry_credentials = DockerRegistryCredentials(\n"
        '    username="my_username",\n    password="my_password",\n'
        '    registry_url="registry.hub.docker.com",\n)\n'
        "with docker_host.get_client() as client:\n"
        "    docker_registry_credentials.login(client)\n```"
    )
    _logo_url = "https://cdn.sanity.io/images/3ugk85nk/production/14a315b79990200db7341e42553e23650b34bb96-250x250.png"
    username: str = Field(default=..., description="The username to log into the registry with.")
    password: SecretStr = Field(
        default=..., description="The password to log into the registry with."
    )
    registry_url: str = Field(
        default=...,
        description='The URL to the registry. Generally, "http" or "https" can be omitted.',
        examples=["index.docker.io"],
    )
    reauth: bool = Field(
        default=True, description="Whether or not to reauthenticate on each interaction."
    )


# (class, collection module that registers it, source): in the order the catalog lists them
TYPES: list[tuple[type[Block], str | None, str]] = [
    (Secret, None, f"prefect {prefect.__version__}"),
    (
        GitHubCredentials,
        "prefect_github",
        "prefect_github " + __import__("prefect_github").__version__,
    ),
    (GitLabCredentials, "prefect_gitlab", SRC + "prefect-gitlab/prefect_gitlab/credentials.py"),
    (
        BitBucketCredentials,
        "prefect_bitbucket",
        SRC + "prefect-bitbucket/prefect_bitbucket/credentials.py",
    ),
    (AwsCredentials, "prefect_aws", "prefect_aws " + __import__("prefect_aws").__version__),
    (MinIOCredentials, "prefect_aws", "prefect_aws " + __import__("prefect_aws").__version__),
    (GcpCredentials, "prefect_gcp", SRC + "prefect-gcp/prefect_gcp/credentials.py"),
    (
        AzureBlobStorageCredentials,
        "prefect_azure",
        SRC + "prefect-azure/prefect_azure/credentials.py",
    ),
    (
        DockerRegistryCredentials,
        "prefect_docker",
        SRC + "prefect-docker/prefect_docker/credentials.py",
    ),
    (S3Bucket, "prefect_aws", "prefect_aws " + __import__("prefect_aws").__version__),
    (GcsBucket, "prefect_gcp", SRC + "prefect-gcp/prefect_gcp/cloud_storage.py"),
    (RemoteFileSystem, None, f"prefect {prefect.__version__}"),
    (SMB, None, f"prefect {prefect.__version__}"),
]

TYPE_KEYS = ("name", "slug", "description", "code_example", "documentation_url", "logo_url")
SCHEMA_KEYS = ("fields", "capabilities", "version", "checksum")


def render(cls: type[Block]) -> tuple[dict, dict]:
    block_type = cls._to_block_type().model_dump(mode="json")
    schema = cls._to_block_schema(block_type_id=block_type["id"]).model_dump(mode="json")
    return (
        {k: block_type.get(k) for k in TYPE_KEYS},
        {k: schema.get(k) for k in SCHEMA_KEYS},
    )


def main() -> int:
    types = []
    for cls, collection, source in TYPES:
        block_type, schema = render(cls)
        hand = source.startswith(SRC)
        if hand:  # a version of our own, never the harness's Prefect version
            schema["version"] = "hand-written"
        types.append(
            {
                "block_type": block_type,
                "block_schema": schema,
                "collection": collection,
                "source": source,
            }
        )
    document = {
        "about": (
            "Block types flowwiz ships for the local store; generated by "
            "tests/make_block_schemas.py with Prefect " + prefect.__version__
        ),
        "types": types,
    }
    OUT.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    print(f"wrote {len(types)} block types to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
