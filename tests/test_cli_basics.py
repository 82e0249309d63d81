"""The CLI's frame: version, help, exit codes, and the layer contract on imports."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import FLOWWIZ

HEAVY_UI = ("questionary", "prompt_toolkit", "textual", "rich")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FLOWWIZ, *args], capture_output=True, text=True, timeout=60)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("flowwiz, version ")


def test_help_has_examples_and_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout
    assert "flowwiz deploy" in result.stdout


def test_unknown_command_is_usage_error() -> None:
    result = run("no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def _loaded_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_UI!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_detectors_and_writers_load_no_ui() -> None:
    code = (
        "import pkgutil, importlib\nfrom flowwiz import detectors, writers\n"
        "for pkg in (detectors, writers):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)"
    )
    assert _loaded_after(code) == []


def test_detectors_never_import_keyring() -> None:
    code = (
        "import pkgutil, importlib\nfrom flowwiz import detectors\n"
        "for m in pkgutil.walk_packages(detectors.__path__, 'flowwiz.detectors.'):\n"
        "    importlib.import_module(m.name)\n"
        "import sys; assert 'keyring' not in sys.modules, 'detectors imported keyring'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_loads_no_heavy_modules() -> None:
    code = (
        "import sys\nfrom flowwiz.wizard.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
    )
    loaded = _loaded_after(code)
    assert loaded == []
    code_git = code + "assert 'git' not in sys.modules and 'fsspec' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code_git], check=True)
