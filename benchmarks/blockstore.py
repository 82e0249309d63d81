"""Benchmark: the local block store at 1,000 / 10,000 / 50,000 blocks, with the keyring
backends people and tests really have: keyrings.alt's PlaintextKeyring (a file: what
``keyring`` picks on a headless machine, and what the CLI tests use) and an in-memory one.

    .venv/bin/python benchmarks/blockstore.py [--sizes 1000,10000,50000] [--runs 3]
                                              [--creates 200] [--check-max 10000]

Stores are built once through the real store (catalog rows by ``LocalStore.save``; the
secret values then written to the plaintext keyring file in one go, in the format
PlaintextKeyring itself writes, because n saves into that file cost n^2) and cached in
``benchmarks/.cache/blocks-<n>`` (git ignores it). Each measurement runs on a copy in a
temporary directory (on /dev/shm when there is one).

What is timed (median of --runs):

- catalog read         SELECT every row of the catalog with sqlite3 in this process (connect,
                       execute, fetchall): the floor
- store.list()         the store's listing as Block objects (no keyring read), per backend
- ls --json in process the real `blocks ls --json` command through click (CliRunner.invoke,
                       output captured, not parsed), per backend; also: its keyring reads
                       (counted) and the blocks it calls broken; parsing its output with
                       json.loads is timed apart ("parse ls output")
- ls --json CLI        the console script in a subprocess (plaintext backend), wall clock,
                       after one untimed run; against "catalog read process": the same
                       SELECT in a bare `python -c` (and `python -c pass`, the start-up alone)
- creates              --creates saves into the store of that size, per backend, against
                       the backend's own set_password for the same entries (the part of
                       the cost flowwiz does not control)
- check                `check_secrets` over every block, up to --check-max blocks

Targets: `ls --json` within 2x the catalog read with any backend and zero false "broken"
(in process, as measured since issue 16; the ratio of the processes is printed too);
creates at 10,000 within 2x the per-save cost at 1,000 (flowwiz adds no growth per save).
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import encodebytes
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "benchmarks" / ".cache"
PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


def scratch() -> Path:
    return Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))


def use_dirs(base: Path) -> None:
    """FLOWWIZ_HOME and the plaintext keyring's directory under base."""
    os.environ["FLOWWIZ_HOME"] = str(base / "home")
    os.environ["XDG_DATA_HOME"] = str(base / "data")
    os.environ["FLOWWIZ_ALLOW_PLAINTEXT_KEYRING"] = "1"
    os.environ.pop("PREFECT_API_URL", None)


def set_backend(name: str, entries: dict[tuple[str, str], str] | None = None) -> object:
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from flowwiz.writers.blocks import keyring_backend
    from tests.memory_keyring import MemoryKeyring

    if name == "plaintext":
        backend: object = PlaintextKeyring()
        os.environ["PYTHON_KEYRING_BACKEND"] = PLAINTEXT
    else:
        backend = MemoryKeyring()
        if entries:
            backend.entries.update(entries)  # type: ignore[attr-defined]
        os.environ.pop("PYTHON_KEYRING_BACKEND", None)
    keyring.set_keyring(backend)  # type: ignore[arg-type]
    keyring_backend.reset_cache()
    return backend


def block_data(i: int) -> tuple[str, str, dict[str, object]]:
    from flowwiz.detectors.secret import SecretStr

    kind = i % 10
    if kind < 7:
        return "secret", f"deployment-etl-{i}-repo-token", {"value": SecretStr(f"v{i:08d}")}
    if kind == 7:
        return "github-credentials", f"github-{i}", {"token": SecretStr(f"t{i:08d}")}
    if kind == 8:
        return (
            "gitlab-credentials",
            f"gitlab-{i}",
            {"token": SecretStr(f"t{i:08d}"), "url": f"https://gitlab{i % 7}.example.com"},
        )
    return (
        "aws-credentials",
        f"aws-{i}",
        {"aws_access_key_id": f"AKIA{i:012d}", "aws_secret_access_key": SecretStr("x" * 20)},
    )


def write_plaintext(entries: dict[tuple[str, str], str]) -> None:
    """Every entry into the PlaintextKeyring file at once, as its set_password writes each."""
    from keyrings.alt.escape import escape as escape_for_ini
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend._ensure_file_path()  # noqa: SLF001
    config = configparser.RawConfigParser()
    config.read(backend.file_path, encoding="utf-8")
    for (service, username), password in entries.items():
        assoc = backend._generate_assoc(service, username)  # noqa: SLF001
        value = "\n" + encodebytes(backend.encrypt(password.encode("utf-8"), assoc)).decode()
        section = escape_for_ini(service)
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, escape_for_ini(username), value)
    with open(backend.file_path, "w", encoding="utf-8") as out:
        config.write(out)


def build(count: int) -> Path:
    """The cached store of count blocks (built on first use)."""
    target = CACHE / f"blocks-{count}"
    if (target / "done").exists():
        return target
    base = scratch()
    use_dirs(base)
    backend = set_backend("memory")
    from flowwiz.writers.blocks.local import LocalStore
    from flowwiz.writers.paths import catalog_path

    store = LocalStore(catalog_path())
    start = time.perf_counter()
    for i in range(count):
        kind, name, data = block_data(i)
        store.save(kind, name, data)  # type: ignore[arg-type]
        if i and i % 5000 == 0:
            print(f"    saved {i} blocks", flush=True)
    write_plaintext(backend.entries)  # type: ignore[attr-defined]
    entries = backend.entries.items()  # type: ignore[attr-defined]
    (base / "entries.json").write_text(json.dumps([[s, u, p] for (s, u), p in entries]))
    print(f"  built {count} blocks in {time.perf_counter() - start:.0f} s", flush=True)
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base, target)
    shutil.rmtree(base, ignore_errors=True)
    (target / "done").write_text("")
    return target


def working_copy(cached: Path) -> Path:
    base = scratch()
    for part in ("home", "data"):
        shutil.copytree(cached / part, base / part)
    use_dirs(base)
    return base


def entries_of(cached: Path) -> dict[tuple[str, str], str]:
    return {(s, u): p for s, u, p in json.loads((cached / "entries.json").read_text())}


def median(run: Callable[[], float], runs: int) -> float:
    return statistics.median(run() for _ in range(runs))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_both(
    row: dict[str, object],
    key: str,
    fn: Callable[[], object],
    runs: int,
    children: bool = False,
) -> None:
    """row[key]: the median wall-clock time of fn; row[key + " cpu"]: the median CPU time
    (this process's, or with ``children`` the child processes' it waited for: not the time
    this one spends starting them and reading their output), which load moves less."""
    walls, cpus = [], []
    for _ in range(runs):
        before = _cpu(children)
        walls.append(timed(fn))
        cpus.append(_cpu(children) - before)
    row[key] = statistics.median(walls)
    row[key + " cpu"] = statistics.median(cpus)


def _cpu(children: bool) -> float:
    import resource

    if not children:
        return time.process_time()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def catalog_read() -> None:
    from flowwiz.writers.paths import catalog_path

    with sqlite3.connect(catalog_path()) as db:
        db.execute(
            "SELECT type, name, fields, secret_fields, created, updated FROM blocks "
            "ORDER BY type, name"
        ).fetchall()


class CountingReads:
    """Counts get_password calls on the backend in use (the probe included)."""

    def __init__(self, backend: object) -> None:
        self.count = 0
        original = backend.get_password  # type: ignore[attr-defined]

        def counting(service: str, username: str) -> object:
            self.count += 1
            return original(service, username)

        backend.get_password = counting  # type: ignore[attr-defined]


def ls_json_in_process() -> bytes:
    """The command's output; only this call is timed (parsing the output is the reader's
    cost, timed apart as "parse ls output")."""
    from click.testing import CliRunner

    from flowwiz.wizard.cli import cli

    result = CliRunner().invoke(cli, ["blocks", "ls", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


# the catalog's own read as a process: a bare interpreter, sqlite3, the same SELECT
CATALOG_READ_SCRIPT = """
import os, sqlite3
path = os.path.join(os.environ["FLOWWIZ_HOME"], "catalog.sqlite3")
with sqlite3.connect(path) as db:
    db.execute(
        "SELECT type, name, fields, secret_fields, created, updated FROM blocks "
        "ORDER BY type, name"
    ).fetchall()
"""


def measure(count: int, args: argparse.Namespace) -> dict[str, object]:
    cached = build(count)
    entries = entries_of(cached)
    row: dict[str, object] = {"blocks": count}
    base = working_copy(cached)
    try:
        catalog_read()  # untimed, as the others: the file in the page cache
        timed_both(row, "catalog read", catalog_read, args.runs)
        for backend_name in ("plaintext", "memory"):
            backend = set_backend(backend_name, entries)
            from flowwiz.writers.blocks.local import LocalStore
            from flowwiz.writers.paths import catalog_path

            store = LocalStore(catalog_path())
            row[f"list {backend_name}"] = median(lambda: timed(store.list), args.runs)
            reads = CountingReads(backend)
            output: list[bytes] = []

            def ls() -> None:
                output[:] = [ls_json_in_process()]

            ls()  # untimed: the first call imports the CLI's modules
            timed_both(row, f"ls --json {backend_name}", ls, args.runs)
            payload: dict[str, object] = {}
            row["parse ls output"] = median(
                lambda: timed(lambda: payload.update(json.loads(output[0]))), args.runs
            )
            blocks = payload["blocks"]
            assert isinstance(blocks, list) and len(blocks) == count
            row[f"ls broken {backend_name}"] = sum(b["status"] == "broken" for b in blocks)
            row[f"ls reads {backend_name}"] = reads.count
        # the console script, plaintext backend, wall clock
        set_backend("plaintext")
        env = {**os.environ, "PYTHON_KEYRING_BACKEND": PLAINTEXT}
        # bytecode cached, as an installed flowwiz has it (the untimed first run writes it)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        script = str(Path(sys.executable).with_name("flowwiz"))

        printed: list[bytes] = []

        def cli() -> None:
            done = subprocess.run(
                [script, "blocks", "ls", "--json"], env=env, capture_output=True, check=True
            )
            printed[:] = [done.stdout]  # parsed after the timing: the reader's cost

        def bare(code: str) -> Callable[[], None]:
            return lambda: subprocess.run([sys.executable, "-c", code], env=env, check=True)

        cli()  # untimed: a first run (bytecode, page cache)
        timed_both(row, "ls --json CLI plaintext", cli, args.runs, children=True)
        assert len(json.loads(printed[0])["blocks"]) == count
        timed_both(row, "catalog read process", bare(CATALOG_READ_SCRIPT), args.runs, True)
        timed_both(row, "python -c pass", bare("pass"), args.runs, children=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    for backend_name in () if args.ls_only else ("plaintext", "memory"):
        base = working_copy(cached)
        try:
            backend = set_backend(backend_name, entries)
            from flowwiz.detectors.secret import SecretStr
            from flowwiz.writers.blocks.local import LocalStore
            from flowwiz.writers.paths import catalog_path

            store = LocalStore(catalog_path(), on_warning=lambda _message: None)
            store.check()  # the availability probe, once per process as in the CLI
            start = time.perf_counter()
            for i in range(args.creates):
                store.save("secret", f"bench-new-{i}", {"value": SecretStr(f"n{i:08d}")})
            row[f"create {backend_name}"] = (time.perf_counter() - start) / args.creates
            start = time.perf_counter()
            for i in range(args.creates):
                backend.set_password("bench", f"raw-{i}", f"n{i:08d}")  # type: ignore[attr-defined]
            row[f"set_password {backend_name}"] = (time.perf_counter() - start) / args.creates
            if count <= args.check_max or backend_name == "memory":
                listed = store.list()
                start = time.perf_counter()
                checked = store.check_secrets(listed)
                row[f"check {backend_name}"] = time.perf_counter() - start
                row[f"check not ok {backend_name}"] = sum(b.status != "ok" for b in checked)
        finally:
            shutil.rmtree(base, ignore_errors=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--check-max", type=int, default=10_000)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--ls-only", action="store_true", help="time the listing only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.build_only:
        for count in sizes:
            build(count)
        return 0
    rows = [measure(count, args) for count in sizes]
    ms = lambda v: f"{float(v) * 1000:.1f} ms"  # noqa: E731
    print(f"\nmedian of {args.runs}; creates: {args.creates} saves, time per save")
    for row in rows:
        print(f"\n{row['blocks']} blocks")
        for key, value in row.items():
            if key == "blocks":
                continue
            shown = value if isinstance(value, int) else ms(value)
            print(f"  {key:<28} {shown}")
        def ratio(key: str, floor: str, row: dict[str, object] = row) -> str:
            wall = float(row[key]) / float(row[floor])  # type: ignore[arg-type]
            cpu = float(row[key + " cpu"]) / float(row[floor + " cpu"])  # type: ignore[arg-type]
            return f"{wall:.2f}x wall, {cpu:.2f}x cpu"

        for backend_name in ("plaintext", "memory"):
            print(
                f"  ls --json / catalog read, in process ({backend_name}): "
                f"{ratio(f'ls --json {backend_name}', 'catalog read')}   target <= 2x"
            )
        print(
            "  ls --json / catalog read, as processes (plaintext): "
            + ratio("ls --json CLI plaintext", "catalog read process")
        )
    if len(rows) > 1 and not args.ls_only:
        first = rows[0]
        for row in rows[1:]:
            for backend_name in ("plaintext", "memory"):
                def ratio(key: str, row: dict[str, object] = row) -> float:
                    return float(row[key]) / float(first[key])  # type: ignore[arg-type]

                grow = ratio(f"create {backend_name}")
                raw = ratio(f"set_password {backend_name}")
                print(
                    f"per-save growth {first['blocks']} -> {row['blocks']} ({backend_name}): "
                    f"flowwiz save {grow:.2f}x, the backend's set_password alone {raw:.2f}x"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
