"""Can this machine read the bucket `prefect deploy` will upload to? Asked through fsspec (s3fs,
gcsfs or adlfs, when installed), read-only: one metadata call on the bucket, bounded in time.

The credentials come in as fsspec options; they are used in this process only and never
appear in a result (its detail is made here, not copied from an exception's text).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping
from typing import Any

from flowwiz.detectors.git_access import AccessCheck

# provider -> (fsspec protocol, the package that implements it)
PROTOCOLS: dict[str, tuple[str, str]] = {
    "s3": ("s3", "s3fs"),
    "gcs": ("gcs", "gcsfs"),
    "azure": ("az", "adlfs"),
}
TIMEOUT = 20.0


def check_bucket(
    provider: str, bucket: str, options: Mapping[str, Any] | None = None, timeout: float = TIMEOUT
) -> AccessCheck:
    protocol, package = PROTOCOLS[provider]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bucket-check")
    try:
        future = pool.submit(_info, protocol, bucket, dict(options or {}))
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return AccessCheck("unreachable", f"no answer about {bucket} within {timeout:.0f} s")
    except ImportError:
        from flowwiz.detectors.self_install import add_package_command

        command = add_package_command(package)
        return AccessCheck("unavailable", f"install {package} to check ({command})")
    except FileNotFoundError:
        return AccessCheck("denied", f"the bucket {bucket} does not exist (or is not visible)")
    except PermissionError:
        return AccessCheck("denied", f"these credentials may not read the bucket {bucket}")
    except Exception as exc:  # noqa: BLE001  every backend has its own errors; none may escape
        return _classify(exc, bucket)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _info(protocol: str, bucket: str, options: dict[str, Any]) -> AccessCheck:
    import fsspec

    if protocol == "s3":
        config = {"connect_timeout": 5, "read_timeout": 10, "retries": {"max_attempts": 1}}
        options.setdefault("config_kwargs", config)
    fs = fsspec.filesystem(protocol, skip_instance_cache=True, **options)
    info = fs.info(bucket)
    if info.get("type") not in (None, "directory"):
        return AccessCheck("denied", f"{bucket} is not a bucket")
    return AccessCheck("ok", f"this machine can read the bucket {bucket}")


def _classify(exc: Exception, bucket: str) -> AccessCheck:
    name = type(exc).__name__
    if "Credential" in name or "NoAuth" in name or "Auth" in name:
        return AccessCheck("denied", "no usable credentials were found for the bucket")
    if "Endpoint" in name or "Connect" in name or "Timeout" in name or isinstance(exc, OSError):
        return AccessCheck("unreachable", f"could not reach the storage service ({name})")
    return AccessCheck("denied", f"the bucket {bucket} could not be read ({name})")


def fsspec_options(provider: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """fsspec options from a credentials block's fields (revealed values, in this process)."""
    if provider == "s3":
        options: dict[str, Any] = {}
        for field, option in (
            ("aws_access_key_id", "key"),
            ("aws_secret_access_key", "secret"),
            ("aws_session_token", "token"),
            ("profile_name", "profile"),
        ):
            if fields.get(field):
                options[option] = fields[field]
        if fields.get("region_name"):
            options["client_kwargs"] = {"region_name": fields["region_name"]}
        return options
    if provider == "gcs":
        import json

        options = {"project": fields["project"]} if fields.get("project") else {}
        if fields.get("service_account_info"):
            options["token"] = json.loads(fields["service_account_info"])
        elif fields.get("service_account_file"):
            options["token"] = fields["service_account_file"]
        return options
    if provider == "azure":
        if fields.get("connection_string"):
            return {"connection_string": fields["connection_string"]}
        if fields.get("account_url"):
            host = fields["account_url"].split("//", 1)[-1].split(".", 1)[0]
            return {"account_name": host, "anon": False}
        return {}
    raise ValueError(provider)
