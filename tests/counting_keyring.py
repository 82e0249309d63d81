"""keyrings.alt's file keyring (a real backend) that counts its reads and can fail them.

For the scale tests: a subprocess picks it with ``PYTHON_KEYRING_BACKEND=
tests.counting_keyring.CountingPlaintextKeyring`` (plus the plain-text opt-in and the repository
root on PYTHONPATH). Environment, read on every call:

- ``FLOWWIZ_TEST_KEYRING_READS``: a file that gets one line per secret read (the availability
  probe is not counted: it reads no block's secret);
- ``FLOWWIZ_TEST_KEYRING_FAIL``: ``raise`` (every read but the probe raises KeyringLocked) or
  ``hang`` (every read but the probe sleeps an hour: a locked Secret Service's unlock prompt).
"""

from __future__ import annotations

import os
import time

from keyring.errors import KeyringLocked
from keyrings.alt.file import PlaintextKeyring

PROBE = "availability-probe"
NAME = "tests.counting_keyring.CountingPlaintextKeyring"


class CountingPlaintextKeyring(PlaintextKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        if username != PROBE:
            log = os.environ.get("FLOWWIZ_TEST_KEYRING_READS")
            if log:
                with open(log, "a", encoding="utf-8") as out:
                    out.write("read\n")
            mode = os.environ.get("FLOWWIZ_TEST_KEYRING_FAIL")
            if mode == "raise":
                raise KeyringLocked("locked")
            if mode == "hang":
                time.sleep(3600)
        return super().get_password(service, username)
