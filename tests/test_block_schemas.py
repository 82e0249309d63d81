"""Block types from Prefect's block schemas: the shipped file against a real Prefect 3.9.1
server, typed values checked as Prefect checks them, edits that leave secrets alone, and the
CLI's create/edit/types on both stores."""

from __future__ import annotations

import json

import pytest
from flowwiz.detectors.secret import SecretStr
from flowwiz.writers.blocks import InvalidBlock, open_store
from flowwiz.writers.blocks.model import SHIPPED_TYPES, normalize_data
from flowwiz.writers.blocks.schemas import shipped_documents

from tests.clirun import flowwiz
from tests.leaks import assert_not_leaked, canary
from tests.prefect_harness import PrefectServer


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return flowwiz("blocks", *args, stdin=stdin, env=env)


def _unique(prefix: str) -> str:
    return f"{prefix}-{canary()[-10:].lower()}"


# -- the model -----------------------------------------------------------------------------


def test_field_kinds_come_from_the_schema() -> None:
    smb = SHIPPED_TYPES["smb"]
    assert [(f.name, f.kind, f.secret, f.required) for f in smb.fields] == [
        ("share_path", "text", False, True),
        ("smb_username", "text", True, False),
        ("smb_password", "text", True, False),
        ("smb_host", "text", False, True),
        ("smb_port", "integer", False, False),
    ]
    assert SHIPPED_TYPES["docker-registry-credentials"].field("reauth").kind == "boolean"
    assert SHIPPED_TYPES["docker-registry-credentials"].field("reauth").default is True
    assert SHIPPED_TYPES["remote-file-system"].field("settings").kind == "json"
    info = SHIPPED_TYPES["gcp-credentials"].field("service_account_info")
    assert (info.kind, info.secret) == ("json", True)
    creds = SHIPPED_TYPES["s3-bucket"].field("credentials")
    assert creds.kind == "block" and set(creds.block_types) == {
        "aws-credentials",
        "minio-credentials",
    }
    assert "read-path" in SHIPPED_TYPES["s3-bucket"].capabilities
    assert "AwsCredentials.load" in SHIPPED_TYPES["aws-credentials"].code_example
    # stricter than the schema, on purpose (see schemas.EXTRA_SECRET / EXTRA_REQUIRED)
    assert SHIPPED_TYPES["aws-credentials"].field("aws_session_token").secret
    assert SHIPPED_TYPES["github-credentials"].field("token").required


def test_typed_values_are_parsed_and_checked_without_repeating_them() -> None:
    values = normalize_data(
        "smb",
        {"share_path": "/share", "smb_host": "nas", "smb_port": "445", "smb_password": "pw"},
    )
    assert values["smb_port"] == 445
    assert isinstance(values["smb_password"], SecretStr)
    assert (
        normalize_data("smb", {"share_path": "/s", "smb_host": "h", "smb_port": 22})["smb_port"]
        == 22
    )
    bad = "not-a-port-" + canary()
    with pytest.raises(InvalidBlock) as caught:
        normalize_data("smb", {"share_path": "/s", "smb_host": "h", "smb_port": bad})
    assert "smb_port" in caught.value.message and bad not in caught.value.message
    with pytest.raises(InvalidBlock, match="whole number"):
        normalize_data("smb", {"share_path": "/s", "smb_host": "h", "smb_port": 4.5})
    with pytest.raises(InvalidBlock, match="needs its field 'smb_host'"):
        normalize_data("smb", {"share_path": "/s"})
    rfs = normalize_data("remote-file-system", {"basepath": "s3://b/f", "settings": '{"a": 1}'})
    assert rfs["settings"] == {"a": 1}
    with pytest.raises(InvalidBlock, match="settings.*JSON object"):
        normalize_data("remote-file-system", {"basepath": "s3://b", "settings": [1, 2]})
    with pytest.raises(InvalidBlock, match="true or false"):
        normalize_data(
            "docker-registry-credentials",
            {"username": "u", "password": "p", "registry_url": "r", "reauth": "maybe"},
        )
    gcp = normalize_data("gcp-credentials", {"service_account_info": '{"type": "x"}'})
    assert json.loads(gcp["service_account_info"].reveal()) == {"type": "x"}
    with pytest.raises(InvalidBlock, match="aws-credentials/NAME"):
        normalize_data("s3-bucket", {"bucket_name": "b", "credentials": "secret/x"})


def test_local_catalog_keeps_typed_values_and_edits_leave_secrets_alone(
    file_keyring, monkeypatch
) -> None:
    store = open_store(env={"PREFECT_API_URL": "", **_env()})
    password = canary()
    store.save(
        "smb",
        "nas",
        {"share_path": "/s", "smb_host": "h", "smb_port": 445, "smb_password": SecretStr(password)},
    )
    listed = store.list("smb")[0]
    assert listed.data["smb_port"] == 445 and listed.data["smb_password"] is None

    # an edit of a non-secret field never reads or writes the keyring
    import keyring

    backend = keyring.get_keyring()
    calls: list[str] = []
    for method in ("get_password", "set_password", "delete_password"):
        original = getattr(backend, method)
        monkeypatch.setattr(
            backend,
            method,
            lambda *a, _m=method, _o=original: (
                calls.append(_m) if "/smb/nas/" in a[1] else None,
                _o(*a),
            )[1],
        )
    changed = store.update("smb", "nas", {"smb_port": "1445", "smb_host": "nas2"})
    assert calls == []
    assert changed.data["smb_port"] == 1445 and changed.secret_fields == {"smb_password"}
    got = store.get("smb", "nas", include_secrets=True)
    assert got.data["smb_password"].reveal() == password
    assert (got.data["smb_host"], got.data["smb_port"]) == ("nas2", 1445)
    # a secret replaced: one write; cleared: its entry removed
    newer = canary()
    calls.clear()
    store.update("smb", "nas", {"smb_password": SecretStr(newer)})
    assert calls.count("set_password") == 1 and "get_password" not in calls
    assert store.get("smb", "nas", include_secrets=True).data["smb_password"].reveal() == newer
    store.update("smb", "nas", {"smb_password": None})
    assert store.get("smb", "nas").secret_fields == frozenset()
    with pytest.raises(InvalidBlock, match="smb_host"):
        store.update("smb", "nas", {"smb_host": ""})  # required: cannot be cleared


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


# -- the CLI, local store --------------------------------------------------------------------


def test_cli_create_edit_a_typed_block_on_the_local_store(file_keyring) -> None:
    made = run(
        "--local", "create", "remote-file-system", "shared",
        "--field", "basepath=s3://bucket/flows",
        "--field", 'settings={"key": "AKIAEXAMPLE", "client_kwargs": {"region_name": "eu"}}',
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    shown = json.loads(run("--local", "inspect", "remote-file-system/shared", "--json").stdout)
    assert shown["fields"]["settings"] == {
        "key": "AKIAEXAMPLE",
        "client_kwargs": {"region_name": "eu"},
    }
    bad = run("--local", "create", "remote-file-system", "x", "--field", "basepath=b",
              "--field", "settings=not json")  # fmt: skip
    assert bad.returncode == 2 and "settings" in bad.stderr and "JSON" in bad.stderr
    edited = run("--local", "edit", "remote-file-system/shared", "--field", "basepath=s3://b2/f")
    assert edited.returncode == 0, edited.stderr
    shown = json.loads(run("--local", "inspect", "remote-file-system/shared", "--json").stdout)
    assert shown["fields"]["basepath"] == "s3://b2/f"
    assert shown["fields"]["settings"]["client_kwargs"] == {"region_name": "eu"}
    # a secret field of a newly shipped type is refused as a flag value
    secret = canary()
    refused = run("--local", "create", "smb", "nas", "--field", "share_path=/s",
                  "--field", "smb_host=h", "--field", f"smb_password={secret}")  # fmt: skip
    assert refused.returncode == 2 and "--field-env" in refused.stderr
    assert secret not in refused.stderr + refused.stdout
    made = run("--local", "create", "smb", "nas", "--field", "share_path=/s", "--field",
               "smb_host=h", "--field", "smb_port=445", "--field-env", "smb_password=SMB_PW",
               env={"SMB_PW": secret})  # fmt: skip
    assert made.returncode == 0, made.stderr
    port = run("--local", "edit", "smb/nas", "--field", "smb_port=many")
    assert port.returncode == 2 and "whole number" in port.stderr
    piped = run("--local", "edit", "github-credentials/none", "--stdin", stdin="x")
    assert piped.returncode == 2 and "no block" in piped.stderr
    listing = run("--local", "ls")
    assert secret not in listing.stdout and "smb_port=445" in listing.stdout


# -- against real Prefect 3.9.1 ---------------------------------------------------------------


def _fields_doc(fields: dict) -> dict:
    keys = ("properties", "required", "secret_fields", "block_schema_references")
    doc = {k: fields.get(k) or None for k in keys}  # the server leaves out empty ones
    refs = doc["block_schema_references"] or {}
    doc["block_schema_references"] = {  # a union's order is not kept by the server
        k: sorted(v, key=json.dumps) if isinstance(v, list) else v for k, v in refs.items()
    }
    return doc


@pytest.mark.prefect
def test_shipped_schemas_match_the_server_and_the_cli_uses_the_servers(
    prefect_server: PrefectServer, file_keyring
) -> None:
    """Every shipped type the harness can register is the server's, to the checksum; then a
    remote-file-system block made by the CLI loads in Prefect with its typed settings, and an
    edit changes one field on the server and keeps the rest."""
    prefect_server.register_blocks("prefect_aws")
    prefect_server.register_blocks("prefect_github")
    store = open_store(prefect_server.api_url)
    server_types = store.block_types()
    compared = []
    for doc in shipped_documents():
        slug = doc["block_type"]["slug"]
        if doc["source"].startswith("hand-written"):
            continue
        ours = SHIPPED_TYPES[slug]
        assert slug in server_types
        # the server may hold several schemas of a type (its own collection registry's and
        # the installed collection's): ours is one of them, to the checksum
        response = prefect_server.api("GET", f"/block_schemas/checksum/{ours.checksum}")
        assert response.status_code == 200, slug
        schema = response.json()
        assert _fields_doc(schema["fields"]) == _fields_doc(doc["block_schema"]["fields"]), slug
        assert sorted(schema["capabilities"]) == list(ours.capabilities), slug
        block_type = prefect_server.api("GET", f"/block_types/slug/{slug}").json()
        from flowwiz.writers.blocks.schemas import type_from_schema

        theirs = type_from_schema(block_type, schema)
        assert theirs.fields == ours.fields, slug
        assert (theirs.title, theirs.description, theirs.code_example) == (
            ours.title,
            ours.description,
            ours.code_example,
        ), slug
        compared.append(slug)
    assert set(compared) >= {"secret", "aws-credentials", "s3-bucket", "github-credentials",
                             "remote-file-system", "smb"}  # fmt: skip

    # types flowwiz does not ship are kept next to the local catalog: the local store offers
    # them and keeps blocks of them
    assert "local-file-system" in server_types and "local-file-system" not in SHIPPED_TYPES
    local = open_store(env={**_env(), "PREFECT_API_URL": ""})
    assert local.block_types()["local-file-system"].source.startswith("last seen on the server")
    local.save("local-file-system", "here", {"basepath": "/srv/flows"})
    (here,) = local.list("local-file-system")
    assert here.data == {"basepath": "/srv/flows"} and here.problem is None
    listed = json.loads(run("--local", "types", "--json").stdout)
    assert "local-file-system" in [t["slug"] for t in listed]
    from flowwiz.writers.blocks.model import SEEN_TYPES

    SEEN_TYPES.clear()  # registered in this process by the local store: not for other tests

    url = prefect_server.api_url
    name = _unique("rfs")
    listed = json.loads(run("--api-url", url, "types", "--json").stdout)
    assert {"remote-file-system", "process"} & {t["slug"] for t in listed}
    made = run("--api-url", url, "create", "remote-file-system", name,
               "--field", "basepath=memory://flows",
               "--field", 'settings={"auto_mkdir": true, "n": 2}')  # fmt: skip
    assert made.returncode == 0, made.stderr
    edited = run("--api-url", url, "edit", f"remote-file-system/{name}",
                 "--field", "basepath=memory://other")  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    code = (
        "import json\nfrom prefect.filesystems import RemoteFileSystem\n"
        f"b = RemoteFileSystem.load({name!r})\n"
        "print('RESULT=' + json.dumps([b.basepath, b.settings]))\n"
    )
    out = prefect_server.check_python(code).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT="))
    assert json.loads(line.removeprefix("RESULT=")) == [
        "memory://other",
        {"auto_mkdir": True, "n": 2},
    ]
    # a secret edit on the server: only that field is sent (merge_existing_data)
    smb = _unique("smb")
    pw = canary()
    made = run("--api-url", url, "create", "smb", smb, "--field", "share_path=/s",
               "--field", "smb_host=h", "--field-env", "smb_password=PW",
               env={"PW": pw})  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert run("--api-url", url, "edit", f"smb/{smb}", "--field", "smb_port=1445").returncode == 0
    # a block that references another: Prefect resolves it as the nested block
    creds, bucket = _unique("creds"), _unique("bucket")
    made = run("--api-url", url, "create", "aws-credentials", creds,
               "--field", "aws_access_key_id=AKIANESTED", "--field-env",
               "aws_secret_access_key=PW", env={"PW": pw})  # fmt: skip
    assert made.returncode == 0, made.stderr
    made = run("--api-url", url, "create", "s3-bucket", bucket, "--field", "bucket_name=acme",
               "--field", f"credentials=aws-credentials/{creds}")  # fmt: skip
    assert made.returncode == 0, made.stderr
    shown = json.loads(run("--api-url", url, "inspect", f"s3-bucket/{bucket}", "--json").stdout)
    assert shown["fields"]["credentials"] == f"aws-credentials/{creds}"
    code = (
        "from prefect_aws import S3Bucket\n"
        f"b = S3Bucket.load({bucket!r})\n"
        "print('RESULT=' + b.bucket_name + ' ' + b.credentials.aws_access_key_id)\n"
    )
    out = prefect_server.check_python(code).stdout
    assert "RESULT=acme AKIANESTED" in out
    doc = prefect_server.read_block_document("smb", smb)
    assert doc is not None
    assert doc["data"]["smb_password"] == pw and doc["data"]["smb_port"] == 1445
    assert_not_leaked(pw, texts=[made.stdout, made.stderr])


def test_edit_has_help_saying_rename_is_not_possible() -> None:
    result = run("edit", "--help")
    assert result.returncode == 0 and "cannot rename" in result.stdout
