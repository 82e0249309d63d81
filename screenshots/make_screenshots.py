"""Regenerate the screenshots in this folder from the real program.

    .venv/bin/python screenshots/make_screenshots.py [--out screenshots]

Each part writes SVG files (the terminal as the program drew it); then every SVG gets a PNG
twin made with CairoSVG, after the font is swapped for an installed monospace one (DejaVu Sans
Mono; `apt-get install fonts-dejavu-core` when it is missing).

Parts:
- dashboard_screens(outdir): `flowwiz ui` on demo data (a temp FLOWWIZ_HOME and HOME, an
  in-memory keyring, a demo prefect.yaml with one broken reference), driven headless with
  Textual's Pilot and saved with App.save_screenshot().
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)
FONT = "DejaVu Sans Mono"
# demo blocks carry fixed times, so regenerating changes no pixel unless the program did
DEMO_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)

DEMO_PREFECT_YAML = """\
name: acme-flows
prefect-version: 3.9.1
pull:
- prefect.deployments.steps.git_clone:
    repository: https://github.com/acme/flows.git
    branch: main
    access_token: '{{ prefect.blocks.secret.deployment-etl-nightly-etl-repo-token }}'
deployments:
- name: etl-nightly
  entrypoint: flows/etl.py:etl
  work_pool:
    name: prod
    work_queue_name: null
  schedules:
  - cron: 0 3 * * *
    timezone: Europe/Berlin
- name: hourly-sync
  entrypoint: flows/sync.py:sync
  work_pool:
    name: prod
    work_queue_name: fast
  schedules:
  - interval: 3600
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://gitlab.example.com/data/sync.git
      branch: main
      credentials: '{{ prefect.blocks.gitlab-credentials.gitlab-data }}'
- name: monthly-report
  entrypoint: flows/report.py:report
  work_pool:
    name: reports
  schedules:
  - cron: 0 6 1 * *
    timezone: UTC
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/reports.git
      branch: release
      access_token: '{{ prefect.blocks.secret.deployment-monthly-report-report-repo-token }}'
"""


# ---------------------------------------------------------------------------------------------
# the dashboard


def write_demo_flows(project: Path) -> None:
    """The flows DEMO_PREFECT_YAML's entrypoints name (the Deployments tab checks them)."""
    (project / "flows").mkdir()
    for name in ("etl", "sync", "report"):
        (project / "flows" / f"{name}.py").write_text(
            f"from prefect import flow\n\n\n@flow\ndef {name}():\n    pass\n"
        )


@contextmanager
def demo_environment() -> Iterator[Path]:
    """A temp HOME and FLOWWIZ_HOME (the header shows ~/.flowwiz/...), an in-memory keyring,
    and colour on; everything is put back afterwards."""
    import keyring

    from tests.memory_keyring import MemoryKeyring

    saved_env = {
        k: os.environ.get(k) for k in ("HOME", "FLOWWIZ_HOME", "NO_COLOR", "PREFECT_API_URL")
    }
    previous = keyring.get_keyring()
    home = Path(tempfile.mkdtemp(prefix="flowwiz-demo-"))
    try:
        os.environ["HOME"] = str(home)
        os.environ["FLOWWIZ_HOME"] = str(home / ".flowwiz")
        os.environ.pop("NO_COLOR", None)
        os.environ.pop("PREFECT_API_URL", None)
        keyring.set_keyring(MemoryKeyring())
        yield home
    finally:
        keyring.set_keyring(previous)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)


class DemoStore:
    """The real local store with the demo's fixed timestamps on every block it returns."""

    def __init__(self, store: object) -> None:
        self._store = store
        self.kind = store.kind  # type: ignore[attr-defined]
        self.location = store.location  # type: ignore[attr-defined]

    @staticmethod
    def _fixed(block: object) -> object:
        return dataclasses.replace(block, created=DEMO_TIME, updated=DEMO_TIME)  # type: ignore[type-var]

    def list(self, block_type: str | None = None) -> list[object]:
        return [self._fixed(b) for b in self._store.list(block_type)]  # type: ignore[attr-defined]

    def pages(self, *args: object) -> Iterator[list[object]]:
        """The dashboard reads a local store page by page (``LocalStore.pages``)."""
        for page in self._store.pages(*args):  # type: ignore[attr-defined]
            yield [self._fixed(b) for b in page]

    def get(self, block_type: str, name: str, *, include_secrets: bool = False) -> object:
        return self._fixed(self._store.get(block_type, name, include_secrets=include_secrets))  # type: ignore[attr-defined]

    def save(self, block_type: str, name: str, data: object, *, overwrite: bool = False) -> object:
        return self._fixed(self._store.save(block_type, name, data, overwrite=overwrite))  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def demo_store() -> DemoStore:
    import keyring

    from flowwiz.detectors.secret import SecretStr
    from flowwiz.writers.blocks import open_store

    store = open_store()
    token = SecretStr("demo-not-a-real-token")  # never shown: the point of the screenshots
    store.save("secret", "deployment-etl-nightly-etl-repo-token", {"value": token})
    store.save("secret", "slack-webhook", {"value": token})
    store.save("secret", "warehouse-password", {"value": token})
    store.save("github-credentials", "github-acme", {"token": token})
    store.save(
        "gitlab-credentials", "gitlab-data", {"token": token, "url": "https://gitlab.example.com"}
    )
    store.save(
        "aws-credentials",
        "aws-prod",
        {
            "aws_access_key_id": "AKIA-DEMO-KEY-ID",
            "aws_secret_access_key": token,
            "region_name": "eu-central-1",
        },
    )
    store.save("secret", "old-ci-token", {"value": token})
    # one block whose value went missing from the keyring: the dashboard shows it in red
    backend = keyring.get_keyring()
    for key in [k for k in backend.entries if k[1].endswith("/secret/old-ci-token/value")]:  # type: ignore[attr-defined]
        del backend.entries[key]  # type: ignore[attr-defined]
    return DemoStore(store)


def dashboard_screens(outdir: Path) -> list[Path]:
    """Save the dashboard's main screens as SVG into outdir; returns the files written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    async def shoot(app: object, pilot: object, name: str) -> None:
        for widget in app.screen.query("Input"):  # type: ignore[attr-defined]
            widget.cursor_blink = False
        await pilot.pause(0.3)  # type: ignore[attr-defined]  # the filter's debounce
        await app.workers.wait_for_complete()  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        path = outdir / f"{name}.svg"
        app.save_screenshot(path.name, str(outdir))  # type: ignore[attr-defined]
        written.append(path)

    async def session(
        project: Path,
        store: DemoStore,
        steps: Callable[[object, object], object],
        size: tuple[int, int] = SIZE,
    ) -> None:
        from flowwiz.wizard.dashboard.app import FlowwizApp

        app = FlowwizApp(store, project)  # type: ignore[arg-type]
        async with app.run_test(size=size, notifications=True) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await steps(app, pilot)  # type: ignore[misc]

    async def blocks(app: object, pilot: object) -> None:
        app.query_one("#blocks-view").select("gitlab-credentials/gitlab-data")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-blocks")

    async def broken_block(app: object, pilot: object) -> None:
        await pilot.press("slash", *"ci-token", "enter")  # type: ignore[attr-defined]
        await pilot.press("down")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-filter")

    async def deployments(app: object, pilot: object) -> None:
        await pilot.press("2", "end")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-deployments")

    async def new_secret(app: object, pilot: object) -> None:
        # n on the deployment whose block is missing: that block's form, the name filled in
        await pilot.press("2", "end", "n")  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        await pilot.press(*"ghp_not-shown-anywhere")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-new-secret")

    async def catalog(app: object, pilot: object) -> None:
        await pilot.press("n", *"cred")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-catalog")

    async def aws_form(app: object, pilot: object) -> None:
        await pilot.press("n", *"aws-cred", "enter")  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        await pilot.press(*"aws-staging", "enter", *"AKIA-DEMO-STAGING", "enter")  # type: ignore[attr-defined]
        await pilot.press(*"not-shown-anywhere")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-form")

    async def block_page(app: object, pilot: object) -> None:
        app.query_one("#blocks-view").select("secret/deployment-etl-nightly-etl-repo-token")  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        await pilot.press("enter")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-block-page")

    async def palette(app: object, pilot: object) -> None:
        await pilot.press("ctrl+p")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-palette")

    async def small(app: object, pilot: object) -> None:
        app.query_one("#blocks-view").select("aws-credentials/aws-prod")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-80x24")

    async def saved(app: object, pilot: object) -> None:
        await pilot.press("2", "end", "n")  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        await pilot.press(*"ghp_not-shown-anywhere", "enter")  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()  # type: ignore[attr-defined]
        await pilot.press("2", "end")  # type: ignore[attr-defined]  # the broken reference is fixed
        app.clear_notifications()  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-fixed")

    async def help_screen(app: object, pilot: object) -> None:
        await pilot.press("question_mark")  # type: ignore[attr-defined]
        await shoot(app, pilot, "dashboard-help")

    shots: list[tuple[Callable[[object, object], object], tuple[int, int]]] = [
        (steps, SIZE)
        for steps in (
            blocks, broken_block, deployments, catalog, aws_form, new_secret, saved,
            block_page, palette, help_screen,
        )
    ]  # fmt: skip
    shots.append((small, (80, 24)))
    for steps, size in shots:
        with demo_environment() as home:
            project = home / "acme-flows"
            project.mkdir()
            (project / "prefect.yaml").write_text(DEMO_PREFECT_YAML)
            write_demo_flows(project)
            asyncio.run(session(project, demo_store(), steps, size))
    return written


# ---------------------------------------------------------------------------------------------
# SVG -> PNG


def font_installed(family: str = FONT) -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", family], capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


def for_cairo(svg: str, family: str = FONT) -> str:
    """Rich's SVG names Fira Code, loaded from a CDN; CairoSVG draws with installed fonts."""
    svg = re.sub(r"@font-face\s*\{[^}]*\}", "", svg)
    return svg.replace("Fira Code, monospace", f"{family}, monospace")


def svg_to_png(svg_path: Path) -> Path:
    import cairosvg

    png_path = svg_path.with_suffix(".png")
    cairosvg.svg2png(
        bytestring=for_cairo(svg_path.read_text(encoding="utf-8")).encode("utf-8"),
        write_to=str(png_path),
    )
    return png_path


# every part takes the output folder and returns the SVG files it wrote
def wizard_part(outdir: Path) -> list[Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from wizard_screens import wizard_screens

    return wizard_screens(outdir)


PARTS: list[Callable[[Path], list[Path]]] = [dashboard_screens, wizard_part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    if not font_installed():
        print(
            f"the font {FONT!r} is not installed, and the PNGs need it: "
            "apt-get install fonts-dejavu-core",
            file=sys.stderr,
        )
        return 1
    svgs: list[Path] = []
    for part in PARTS:
        svgs += part(args.out)
    for svg in svgs:
        png = svg_to_png(svg)
        print(f"{svg}  +  {png.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
