"""A real Oxigraph server for the remote tests and the latency benchmark (`oxigraph serve`, from the PyPI
package `oxigraph` of the [test] extra): on 127.0.0.1 only, on a free port, in a temporary folder, and
always stopped (terminate, wait, kill) by the code that started it."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def oxigraph_binary() -> str | None:
    """The `oxigraph` executable next to the running Python (a venv's bin/), else on PATH."""
    here = Path(sys.executable).parent / ("oxigraph.exe" if sys.platform == "win32" else "oxigraph")
    return str(here) if here.is_file() else shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    """`with OxigraphServer() as server:` -> server.query_url (…/query), server.store_url (…/store)."""

    def __init__(self, binary: str | None = None, location: str | Path | None = None, timeout: float = 30):
        self.binary = binary or oxigraph_binary()
        if not self.binary:
            raise FileNotFoundError("the oxigraph server binary is absent: pip install -e '.[test]' installs it")
        self._tmp = None if location else tempfile.TemporaryDirectory(prefix="policykg-oxigraph-")
        self.location = Path(location) if location else Path(self._tmp.name)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.query_url = self.base + "/query"
        self.store_url = self.base + "/store"
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        self.log = self.location.parent / f"{self.location.name}.log" if location else self.location / "server.log"

    def start(self) -> OxigraphServer:
        data = self.location / "data"
        data.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log, "wb")
        self.process = subprocess.Popen([self.binary, "serve", "--location", str(data),
                                         "--bind", f"127.0.0.1:{self.port}"],
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"oxigraph serve exited with {self.process.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=1):
                    return self
            except urllib.error.HTTPError:
                return self          # it answers: ready
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"oxigraph serve did not answer on {self.base} within {self.timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
