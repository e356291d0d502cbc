"""A real Oxigraph server for the remote tests and the latency benchmark (`oxigraph serve`, from the PyPI
package `oxigraph` of the [test] extra): on 127.0.0.1 only, on a free port, in a temporary folder, and
always stopped (terminate, wait, kill) by the code that started it. A real Virtuoso the same way (VirtuosoServer:
virtuoso-t from the Debian package virtuoso-opensource-7-bin, its database in a temporary folder)."""
from __future__ import annotations

import secrets
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


# --- Virtuoso ---------------------------------------------------------------------------------------------

def virtuoso_binaries() -> tuple[str, str] | None:
    """(virtuoso-t, its isql) from PATH (Debian's virtuoso-opensource-7-bin ships both), or None."""
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql-v")
    return (server, isql) if server and isql else None


VIRTUOSO_INI = """\
; written by policykg's tests: a throw-away Virtuoso on 127.0.0.1 only (docs/servers.md)
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 8
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
AllowOSCalls = 0
DirsAllowed = {dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
SingleCPU = 0
PrefixResultNames = 0
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/www
MaxClientConnections = 8
ServerThreads = 8
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
MaxKeepAlives = 8
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
"""


class VirtuosoServer:
    """`with VirtuosoServer() as server:` -> a Virtuoso (virtuoso-t in the foreground) with its database in a
    temporary folder, its SQL and HTTP ports on 127.0.0.1 only; server.query_url (…/sparql). `dba`'s default
    password is replaced by a random one at start, and a user `policykg` (server.user, server.password) is
    made with SPARQL_UPDATE, the right `push` needs (Graph Store Protocol at …/sparql-graph-crud-auth, Digest
    authentication). `max_rows` is [SPARQL] ResultSetMaxRows: the rows Virtuoso gives at most to a SELECT
    (it cuts larger answers; its default is 10000)."""

    USER = "policykg"

    def __init__(self, max_rows: int = 1_000_000, buffers: int = 60_000, timeout: float = 60):
        found = virtuoso_binaries()
        if not found:
            raise FileNotFoundError("virtuoso-t and isql-vt are absent: apt-get install virtuoso-opensource-7-bin")
        self.binary, self.isql = found
        self._tmp = tempfile.TemporaryDirectory(prefix="policykg-virtuoso-")
        self.location = Path(self._tmp.name)
        self.sql_port, self.http_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.query_url = self.base + "/sparql"
        self.store_url = self.base + "/sparql-graph-crud-auth"
        self.max_rows, self.buffers, self.timeout = max_rows, buffers, timeout
        self.user = self.USER
        self.password = "p" + secrets.token_hex(16)
        self._dba = "p" + secrets.token_hex(16)
        self.process: subprocess.Popen | None = None
        self.log = self.location / "server.log"

    def start(self) -> VirtuosoServer:
        (self.location / "www").mkdir()
        ini = self.location / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(dir=self.location, sql_port=self.sql_port, http_port=self.http_port,
                                           buffers=self.buffers, dirty=self.buffers * 3 // 4,
                                           max_rows=self.max_rows), encoding="utf-8")
        self._log = open(self.log, "wb")
        self.process = subprocess.Popen([self.binary, "+foreground", "+configfile", str(ini)], cwd=self.location,
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self._wait()
            self.sql(f"set password dba {self._dba}", password="dba")
            self.sql(f"DB.DBA.USER_CREATE('{self.user}', '{self.password}')")
            self.sql(f'GRANT SPARQL_UPDATE TO "{self.user}"')
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + self.timeout
        probe = self.query_url + "?query=ASK%7B%7D"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return
            except urllib.error.HTTPError:
                return                # it answers: ready
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"virtuoso-t did not answer on {self.base} within {self.timeout} s: "
                           f"{self.log.read_text(errors='replace')[-2000:]}")

    def version(self) -> str:
        """The server's version, as its log says it (e.g. 07.20.3229)."""
        import re
        found = re.search(r"Version (\S+)", self.log.read_text(errors="replace"))
        return found.group(1) if found else "?"

    def sql(self, statement: str, password: str | None = None) -> str:
        """Run one SQL statement as dba through isql on the SQL port; its output (an error raises)."""
        run = subprocess.run([self.isql, f"127.0.0.1:{self.sql_port}", "dba", password or self._dba,
                              f"exec={statement};"], capture_output=True, text=True, timeout=self.timeout,
                             stdin=subprocess.DEVNULL)
        out = run.stdout + run.stderr
        if run.returncode != 0 or "*** Error" in out:
            raise RuntimeError(f"isql: {statement.split()[0]} …: {out.strip()[-500:]}")
        return out

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> VirtuosoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
