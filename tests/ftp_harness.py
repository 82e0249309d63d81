"""An FTP server on loopback (pyftpdlib, in a thread): a real host-based fsspec filesystem
(fsspec's ``ftp`` protocol is in fsspec itself, so the Prefect venv needs nothing more).

``ftp_server`` (module scope) yields an :class:`FtpServer` whose one user has a canary
password, so a test can prove that password never lands in a file or an output.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.leaks import canary


@dataclass(frozen=True)
class FtpServer:
    host: str
    port: int
    root: Path  # the user's home: what ftp://host:port/ shows
    username: str
    password: str

    def url(self, path: str) -> str:
        return f"ftp://{self.host}:{self.port}/{path.lstrip('/')}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def ftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FtpServer]:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    root = tmp_path_factory.mktemp("ftp-home")
    server_info = FtpServer("127.0.0.1", _free_port(), root, "flows", canary())
    authorizer = DummyAuthorizer()
    authorizer.add_user(server_info.username, server_info.password, str(root), perm="elradfmwMT")

    class Handler(FTPHandler):
        pass

    Handler.authorizer = authorizer
    server = FTPServer((server_info.host, server_info.port), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.5}, daemon=True)
    thread.start()
    try:
        yield server_info
    finally:
        server.close_all()
        thread.join(timeout=5)
