"""HTTP for SPARQL endpoints: urllib with a deadline for each exchange as a whole, redirects within the
origin only, Basic and Digest credentials for the endpoint's own origins, and the mapping of what goes wrong
onto policykg's endpoint errors. An endpoint is not trusted to behave (issue 14):

- `timeout` bounds each exchange as a whole (connecting, sending, the status, headers and the whole body):
  every socket read or write waits at most the time left until the deadline, so a server that drips its
  answer byte by byte is cut at `timeout` like one that says nothing (`endpoint-timeout`).
- Redirects are followed only within the origin of the URL the user gave (same scheme, host and port), with
  the same request (method, body, credentials; a 303 becomes a GET). A redirect to another origin is
  refused (`endpoint-redirect`), with or without credentials: following it would send the password, the
  query and the pushed graphs to a server the user never named, and following it without the password
  would run the query anonymously on that server. The error names the target, to be given explicitly.
- `endpoint_error` turns a urllib, http.client or socket error into the endpoint error that says it:
  `endpoint-unreachable`, `endpoint-timeout`, `endpoint-auth` (401, 403), `endpoint-redirect`, or
  `endpoint-error` with the first line of the server's answer (64 KiB of it at most are read).

SPARQLWrapper is not used: its public API opens the connection itself (urllib.urlopen, whose timeout is per
socket read and whose redirects keep the Authorization header), so neither the deadline nor the redirect
rule could be applied through it.
"""
from __future__ import annotations

import http.client
import io
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from ..errors import EnvironmentError_, UsageError

PASSWORD_ENV = "POLICYKG_ENDPOINT_PASSWORD"
TIMEOUT_S = 60
USER_AGENT = "policykg (SPARQL 1.1 Protocol)"


class EndpointError(EnvironmentError_):
    """The endpoint answered with an error (a status other than 401/403)."""
    id = "endpoint-error"


class EndpointUnreachableError(EndpointError):
    id = "endpoint-unreachable"


class EndpointAuthError(EndpointError):
    id = "endpoint-auth"


class EndpointTimeoutError(EndpointUnreachableError):
    id = "endpoint-timeout"


class EndpointRedirectError(EndpointError):
    """The server redirected to another origin: not followed (see the module's docstring)."""
    id = "endpoint-redirect"


# --- a deadline for the whole exchange -----------------------------------------------------------------------

def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the default port filled in; None for a URL without a valid one."""
    try:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return None
    return (scheme, parts.hostname, port) if parts.hostname and port else None


def time_left(deadline: float) -> float:
    """Seconds until `deadline` (time.monotonic()); TimeoutError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the answer took longer than the timeout")
    return left


class DeadlineSocket:
    """A connected socket whose every send and receive waits at most until `deadline`: a server that sends
    one byte a second cannot stretch the timeout, which counts the whole exchange, not each read."""

    SEND_CHUNK = 64 * 1024   # sent at a time, so a slow reader on the other side is also cut at the deadline

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock, self._deadline = sock, deadline

    def sendall(self, data) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), self.SEND_CHUNK):
            self._sock.settimeout(time_left(self._deadline))
            self._sock.sendall(view[start:start + self.SEND_CHUNK])

    def makefile(self, mode: str = "rb", *args, **kwargs):
        """What http.client reads the answer through: the socket's own reader, each read under the deadline."""
        return io.BufferedReader(_DeadlineReader(self._sock.makefile("rb", buffering=0), self), 64 * 1024)

    def wait(self) -> None:
        self._sock.settimeout(time_left(self._deadline))

    def __getattr__(self, name):   # close, fileno, setsockopt…: the socket's own
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, raw, sock: DeadlineSocket):
        self._raw, self._sock = raw, sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.wait()
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()   # releases the socket (http.client closes its own handle on it early)
        super().close()


class _DeadlineConnection:
    """Mixed into http.client's connections: connect within the time left, then read and write through a
    DeadlineSocket."""

    def __init__(self, *args, deadline: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        self.timeout = time_left(self.deadline)   # the TCP (and TLS) handshake waits at most the time left
        super().connect()
        self.sock = DeadlineSocket(self.sock, self.deadline)


class _HTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class DeadlineHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """urllib's HTTP and HTTPS handler, on connections that end every exchange by the request's `deadline`
    (an attribute: time.monotonic() value, kept by redirects and by the answers to auth challenges)."""

    def http_open(self, req):
        return self.do_open(_HTTPConnection, req, deadline=req.deadline)

    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, deadline=req.deadline)


# --- redirects within the origin ------------------------------------------------------------------------

class CrossOriginRedirect(Exception):
    """A redirect to another origin than the request's (refused; SparqlEndpoint._error says it)."""

    def __init__(self, url: str, location: str, status: int):
        super().__init__(f"{status} redirect from {url} to {location}")
        self.url, self.location, self.status = url, location, status


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect within the origin with the same request (method, body and headers, credentials
    included; a 303 See Other as a GET); refuses one to another origin (CrossOriginRedirect)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        fp.close()   # unread: urllib would read a redirect's whole body, which a server can make endless
        if origin(newurl) != origin(req.full_url):
            raise CrossOriginRedirect(req.full_url, newurl, code)
        see_other = code == 303
        kept = {k: v for k, v in req.headers.items()
                if not (see_other and k.lower() in ("content-type", "content-length"))}
        new = urllib.request.Request(newurl, data=None if see_other else req.data, headers=kept,
                                     method="GET" if see_other else req.get_method(),
                                     origin_req_host=req.origin_req_host, unverifiable=True)
        if req.has_header("Authorization"):   # the same origin: the credentials go along
            new.add_unredirected_header("Authorization", req.get_header("Authorization"))
        new.deadline = req.deadline            # one deadline for the whole chain
        return new


def opener(user: str | None = None, password: str | None = None,
           urls: tuple[str | None, ...] = ()) -> urllib.request.OpenerDirector:
    """urllib with deadlines, redirects within the origin, and (with a user) answers to Basic and Digest
    challenges from the origins of `urls` only (the endpoint and its graph store)."""
    handlers = [DeadlineHandler(), SameOriginRedirects()]
    if user:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        roots = {"%s://%s:%s/" % o for o in map(origin, filter(None, urls)) if o}
        manager.add_password(None, sorted(roots), user, password)
        handlers += [urllib.request.HTTPBasicAuthHandler(manager), PreemptiveDigest(manager)]
    return urllib.request.build_opener(*handlers)


class PreemptiveDigest(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that, once an origin has sent a challenge, answers it in every later request
    to that origin before being asked (the nonce counted up, RFC 7616 3.4), as browsers do. An upload then
    carries its credentials the first time: a server that refuses a request without them may close the
    connection before reading its body (Virtuoso does), which the sender sees as a broken pipe, not as the
    401 urllib would answer. `knock` asks for the challenge with a bodiless request first."""

    def __init__(self, manager):
        super().__init__(manager)
        self.challenges: dict[tuple, dict] = {}   # origin -> its last Digest challenge

    def retry_http_digest_auth(self, req, auth):
        _, challenge = auth.split(" ", 1)
        parsed = urllib.request.parse_keqv_list(filter(None, urllib.request.parse_http_list(challenge)))
        self.challenges[origin(req.full_url)] = parsed
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):
        challenge = self.challenges.get(origin(req.full_url))
        if challenge is not None and not req.has_header(self.auth_header):
            answer = self.get_authorization(req, challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, f"Digest {answer}")
        return req

    https_request = http_request


# --- errors -----------------------------------------------------------------------------------------------

def endpoint_error(exc: Exception, what: str, url: str, timeout: float) -> EndpointError:
    """The endpoint error for what went wrong in an exchange with the `what` ("query", "graph store") at
    `url`; an EndpointError is kept as it is."""
    if isinstance(exc, EndpointError):
        return exc
    if isinstance(exc, CrossOriginRedirect):
        option = "--endpoint" if what == "query" else "--graph-store"
        target = exc.location if what == "query" else exc.location.split("?", 1)[0]
        return EndpointRedirectError(
            f"the {what} at {url} redirects to {exc.location} (HTTP {exc.status}), another origin: not "
            "followed, so neither the credentials nor the request were sent there", url,
            f"if you trust that server, give it yourself: {option} {target} (policykg follows redirects "
            "only within one scheme://host:port)")
    status, body = status_and_body(exc)
    if status in (401, 403):
        return EndpointAuthError(f"the {what} at {url} refused the request ({status} "
                                 f"{'Unauthorized' if status == 401 else 'Forbidden'})", url,
                                 f"pass --user NAME and set the environment variable {PASSWORD_ENV} "
                                 "to the password (or ask the server's administrator for write access)")
    if status is not None:
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        return EndpointError(f"the {what} at {url} answered HTTP {status}" + (f": {first}" if first else ""),
                             url, "check the URL (the query endpoint and --graph-store are different "
                                  "URLs on most servers) and the server's log")
    reason = getattr(exc, "reason", exc)
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return EndpointTimeoutError(f"the {what} at {url} did not answer in full within {timeout:g} s",
                                    url, "try again later, or give the server more time with --timeout "
                                         "SECONDS (it counts the whole answer)")
    if isinstance(exc, (urllib.error.URLError, OSError)):
        return EndpointUnreachableError(f"no answer from the {what} at {url} ({reason})", url,
                                        "start the server or check the URL and port; leave out --endpoint "
                                        "to use the embedded store")
    return EndpointError(f"the {what} at {url} failed: {type(exc).__name__}: {exc}", url,
                         "check the URL and the server's log")


def cut_short(headers, rows: int) -> str | None:
    """What says, in an answer's headers, that the server cut the answer short, or None: Virtuoso gives at
    most ResultSetMaxRows rows (header X-SPARQL-MaxRows, sent when that many came) and, past
    MaxQueryExecutionTime, what it found so far (X-SQL-State, e.g. S1TAT)."""
    if headers is None:
        return None
    cap = headers.get("X-SPARQL-MaxRows")
    if cap and cap.strip().isdigit() and rows >= int(cap):
        return f"{rows} rows, the most it gives (X-SPARQL-MaxRows: {cap.strip()}); more may match"
    state = headers.get("X-SQL-State")
    if state:
        message = headers.get("X-SQL-Message") or ""
        return f"X-SQL-State {state.strip()}" + (f" ({message.strip()})" if message.strip() else "")
    return None


def check_url(url: str, option: str) -> None:
    """An http(s) URL with a host and a valid port, or a usage error."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port   # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UsageError(f"{option} {url} is not a valid URL ({exc})", url,
                         "write it as http://HOST:PORT/PATH, e.g. http://127.0.0.1:7878/query",
                         error_id="usage") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} {url} is not an http(s) URL", url,
                         "write it as http://HOST:PORT/PATH, e.g. http://127.0.0.1:7878/query",
                         error_id="usage")


def status_and_body(exc: Exception) -> tuple[int | None, str]:
    """The HTTP status behind a urllib error and the start of its answer (64 KiB at most: enough for the
    first line, and a server cannot make us hold more)."""
    if not isinstance(exc, urllib.error.HTTPError):
        return None, ""
    try:
        body = exc.read(64 * 1024).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a broken or late error page: the status says enough
        body = ""
    return exc.code, body
