"""What a `docker build` of the project would send into the image: the files its
``.dockerignore`` lets through, and which of them look like secrets.

Docker matches ``.dockerignore`` patterns against paths relative to the build context, each
anchored at its root (Go's ``filepath.Match`` plus ``**``, ``!`` re-includes, the last
match wins; see https://docs.docker.com/build/concepts/context/#dockerignore-files). That is
git's matching with every pattern anchored, so the rules are rewritten that way and matched by
the same git-exact engine as ``.prefectignore`` (``detectors.ignore_rules``).
"""

from __future__ import annotations

from pathlib import Path

from flowwiz.detectors.upload_set import UploadSet, upload_set

# what a new .dockerignore leaves out: the usual clutter, and files that commonly hold secrets
DEFAULT_DOCKERIGNORE = """\
# Written by flowwiz: keep these out of the image `prefect deploy` builds.
.git
**/__pycache__
**/*.pyc
.venv
venv
**/.env
**/.env.*
!**/.env.example
**/.envrc
**/.netrc
**/.pypirc
**/.npmrc
**/.git-credentials
**/id_rsa
**/id_dsa
**/id_ecdsa
**/id_ed25519
**/*.pem
**/*.key
**/*.p12
**/*.pfx
**/credentials
**/credentials.json
**/service-account*.json
**/service_account*.json
**/secrets.yaml
**/secrets.yml
**/secrets.json
**/secrets.toml
"""


def as_git_rules(dockerignore: str) -> str:
    """``.dockerignore`` text as equivalent git ignore rules (each pattern anchored)."""
    lines = []
    for raw in dockerignore.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:].strip() if negate else line
        pattern = pattern.lstrip("/")
        while pattern.startswith("./"):
            pattern = pattern[2:]
        if not pattern:
            continue
        if not pattern.startswith("**"):
            pattern = "/" + pattern
        lines.append(("!" if negate else "") + pattern)
    return "\n".join(lines) + "\n"


def build_context(root: Path) -> UploadSet:
    """The files of ``root`` a docker build would send (``root/.dockerignore`` applied)."""
    path = root / ".dockerignore"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    return upload_set(root, as_git_rules(text))


def dockerignore_addition(existing: str | None, sensitive: tuple[str, ...]) -> str:
    """The new ``.dockerignore`` text: the default one when there is none, else the existing
    text with the named files appended (anchored, one a line)."""
    if existing is None:
        return DEFAULT_DOCKERIGNORE
    text = existing if existing.endswith("\n") or not existing else existing + "\n"
    added = "".join(f"/{_escape(path)}\n" for path in sensitive)
    return text + "# Added by flowwiz: secret-looking files kept out of the image.\n" + added


def _escape(path: str) -> str:
    """A literal path as a pattern (git and Go's filepath.Match both take ``\\`` escapes)."""
    return "".join("\\" + ch if ch in "[]*?\\!#" else ch for ch in path)
