"""Run a script in the harness's Prefect 3.9.1 virtualenv over a JSON payload (no server).

For differential tests: one subprocess evaluates Prefect's own validators on a whole corpus.
The script reads the payload as ``PAYLOAD`` (already parsed) and prints its answer with
``emit(value)``; ``prefect_eval`` returns that value.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.prefect_harness import _BASE_ENV, _bin, _clean_env, ensure_prefect

_PRELUDE = """
import json, sys
PAYLOAD = json.loads(open(sys.argv[1], encoding="utf-8").read())
def emit(value):
    print("FLOWWIZ-RESULT " + json.dumps(value))
"""


def prefect_eval(
    script: str, payload: Any, *, cwd: Path | None = None, timeout: float = 300
) -> Any:
    venv = ensure_prefect()
    env = _clean_env(_BASE_ENV)
    env["PREFECT_HOME"] = tempfile.mkdtemp(prefix="flowwiz-prefect-eval-")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(payload, f)
    done = subprocess.run(
        [str(_bin(venv, "python")), "-c", _PRELUDE + script, f.name],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    Path(f.name).unlink(missing_ok=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("FLOWWIZ-RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("FLOWWIZ-RESULT "))
