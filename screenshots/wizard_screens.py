"""Screens of the real `flowwiz deploy`, captured under tmux and rendered to SVG by rich.

A demo repository (one GitHub-like remote, two flows) is built in a temp dir with its own
HOME and block store; the wizard runs in a detached tmux session, keys are sent as a person
would type them, and the pane (with its colours) is captured at each key moment.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FLOWWIZ = str(Path(sys.executable).with_name("flowwiz"))
WIDTH, HEIGHT = 110, 40

ETL = '''\
from prefect import flow


@flow(name="nightly-etl")
def etl(count: int, label: str = "daily"):
    """Loads the nightly extract into the warehouse."""
    return count
'''
REPORT = '''\
import prefect


@prefect.flow(log_prints=True)
async def weekly_report(day: str = "monday"):
    """Builds the weekly report."""
'''


def _git(cwd: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def demo_repo(base: Path, env: dict[str, str]) -> Path:
    remote = base / "remote.git"
    remote.mkdir()
    _git(remote, "init", "-q", "--bare", "-b", "main", env=env)
    repo = base / "acme-flows"
    (repo / "flows").mkdir(parents=True)
    (repo / "flows" / "etl.py").write_text(ETL)
    (repo / "flows" / "report.py").write_text(REPORT)
    (repo / "requirements.txt").write_text("prefect>=3\n")
    url = "https://github.com/acme/flows.git"
    _git(repo, "init", "-q", "-b", "main", env=env)
    _git(repo, "add", "-A", env=env)
    _git(repo, "commit", "-q", "-m", "flows", env=env)
    _git(repo, "config", f"url.{remote}.insteadOf", url, env=env)
    _git(repo, "remote", "add", "origin", url, env=env)
    _git(repo, "push", "-q", "-u", "origin", "main", env=env)
    return repo


class Pane:
    def __init__(self, session: str) -> None:
        self.session = session

    def keys(self, *keys: str, pause: float = 0.5) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.session, key], check=True)
            time.sleep(pause)

    def capture(self) -> str:
        result = subprocess.run(
            ["tmux", "capture-pane", "-p", "-e", "-t", self.session],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.capture():
                return
            time.sleep(0.2)
        raise RuntimeError(f"the wizard never showed {text!r}:\n{self.capture()}")


def save_ansi_svg(ansi: str, path: Path, title: str) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(
        record=True, width=WIDTH, force_terminal=True, color_system="truecolor", file=io.StringIO()
    )
    lines = ansi.rstrip("\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    console.print(Text.from_ansi("\n".join(lines)))
    console.save_svg(str(path), title=title)


def wizard_screens(outdir: Path, to_png: Callable[[Path], Path] | None = None) -> list[Path]:
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed for the wizard screenshots: apt-get install tmux")
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="flowwiz-shots-") as tmp:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Demo\n\temail = demo@example.invalid\n")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "FLOWWIZ_HOME": str(base / "flowwiz-home"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            # a demo store: the test-only plain-text keyring, opted into explicitly
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "FLOWWIZ_ALLOW_PLAINTEXT_KEYRING": "1",
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
        repo = demo_repo(base, env)
        session = f"flowwiz-shots-{os.getpid()}"
        exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        command = f"cd {_quote(str(repo))} && env -i {exports} {_quote(FLOWWIZ)} deploy; sleep 60"

        def shot(pane: Pane, name: str, title: str) -> None:
            path = outdir / f"{name}.svg"
            save_ansi_svg(pane.capture(), path, title)
            written.append(path)
            if to_png:
                written.append(to_png(path))

        # the storage choice first: answered up to it, then Ctrl-C (nothing is written)
        pane = _start(session + "-storage", command)
        try:
            pane.wait_for("Which flow")
            pane.keys("Enter", "Enter", "Enter", "Enter", "Enter", "Enter", "Enter", "Enter")
            pane.wait_for("Parameter count")
            pane.keys("3", "Enter", "Enter")
            pane.wait_for("Pull flow code")
            pane.keys("n")
            pane.wait_for("Where should workers get the flow code")
            pane.keys("Down")
            shot(pane, "wizard-storage", "flowwiz deploy: where workers get the code")
            pane.keys("C-c")
            pane.wait_for("nothing was written")
        finally:
            _stop(session + "-storage")
        pane = _start(session, command)
        try:
            pane.wait_for("Which flow")
            shot(pane, "wizard-flow", "flowwiz deploy: pick a flow")
            pane.keys("Enter", "Enter", "Enter")
            pane.wait_for("Tags")
            pane.keys("etl", "Enter", "Down", "Down", "Enter")
            pane.wait_for("Cron string")
            pane.keys("C-u", "0 3 * * *", "Enter")
            pane.keys("C-u", "Europe/Paris", "Enter")
            pane.keys("C-u", "prod", "Enter", "Enter", "Enter")
            pane.wait_for("Parameter count")
            pane.keys("3", "Enter", "Enter")
            pane.wait_for("Pull flow code")
            pane.keys("Enter", "Enter", "Enter")
            pane.wait_for("private repository")
            pane.keys("y")
            pane.wait_for("Repository token")
            pane.keys("Enter")
            pane.wait_for("Access token")
            pane.keys("ghp_" + "x" * 36)
            shot(pane, "wizard-token", "flowwiz deploy: the token, hidden")
            pane.keys("Enter")
            pane.wait_for("Check now")
            pane.keys("n")
            pane.wait_for("Write prefect.yaml?")
            shot(pane, "wizard-review", "flowwiz deploy: review before anything is written")
            pane.keys("Down", "Enter")
            pane.wait_for("Which answer")
            pane.keys("Down", "Down", "Down", "Down", "Down")
            shot(pane, "wizard-change", "flowwiz deploy: change one answer at the review")
            pane.keys("Enter", pause=1.0)  # the cron string, asked again from its answer
            pane.keys("C-u", "0 4 * * *", "Enter")
            pane.wait_for("--cron '0 4 * * *'")  # the review again, with the new answer
            pane.wait_for("Write prefect.yaml?")
            pane.keys("Enter", pause=1.5)
            pane.wait_for("Next steps")
            shot(pane, "wizard-done", "flowwiz deploy: saved and written")
        finally:
            _stop(session)
    return written


def _start(session: str, command: str) -> Pane:
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), command],
        check=True,
    )
    return Pane(session)


def _stop(session: str) -> None:
    subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


if __name__ == "__main__":
    for path in wizard_screens(Path(__file__).resolve().parent):
        print(path)
