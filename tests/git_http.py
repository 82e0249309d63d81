"""A real git smart-HTTP server on loopback: `git http-backend` behind a tiny CGI bridge that
asks for HTTP basic auth and accepts exactly one user/token pair.

    with GitHttpServer(repos_root, username="x-access-token", token=tok) as server:
        url = server.url("acme/openssl-builds.git")

Every request that carries another Authorization (or none) gets 401 with a
``WWW-Authenticate`` challenge, as GitHub and GitLab answer a wrong token.
"""

from __future__ import annotations

import base64
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType


def _backend() -> list[str]:
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return [str(Path(exec_path) / "git-http-backend")]


class GitHttpServer:
    def __init__(
        self, root: Path, *, username: str, token: str, tls_dir: Path | None = None
    ) -> None:
        """``tls_dir``: serve https with a self-signed certificate made there (clients need
        ``GIT_SSL_NO_VERIFY=1``), as the wizard accepts only https repository URLs."""
        self.root = root
        self.scheme = "https" if tls_dir is not None else "http"
        self.expected = "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()
        self.requests: list[tuple[str, str, bool]] = []  # (method, path, authorized)
        backend = _backend()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _serve(self) -> None:
                authorized = self.headers.get("Authorization") == outer.expected
                outer.requests.append((self.command, self.path, authorized))
                if not authorized:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="flowwiz-test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                env = {
                    "GIT_PROJECT_ROOT": str(outer.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": path,
                    "QUERY_STRING": query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "REMOTE_USER": "flowwiz",
                    "REMOTE_ADDR": "127.0.0.1",
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                    "PATH": "/usr/bin:/bin",
                }
                out = subprocess.run(backend, input=body, env=env, capture_output=True).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status = 200
                headers = []
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve  # noqa: N815
            do_POST = _serve  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_dir is not None:
            import ssl

            tls_dir.mkdir(parents=True, exist_ok=True)
            cert, key = tls_dir / "cert.pem", tls_dir / "key.pem"
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                 "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                check=True, capture_output=True,
            )  # fmt: skip
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/{path}"

    def __enter__(self) -> GitHttpServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
