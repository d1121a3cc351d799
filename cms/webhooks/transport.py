"""POST a webhook delivery without letting its URL reach the server's own network (SSRF).

A webhook URL is chosen by a user, but the request leaves from inside our network, where it could
reach the database, an admin port or the cloud metadata service (169.254.169.254). So every hop of
a delivery is checked at the moment it is sent:

- the host name is resolved once, and every address it resolves to is checked against the refused
  ranges (loopback, private, link-local, carrier-grade NAT, multicast, reserved, and IPv6 forms that
  embed one of those IPv4 addresses);
- the connection goes to a checked address, never to the name again, so a DNS answer that changes
  between the check and the connection (DNS rebinding) cannot redirect it; the name travels only in
  the ``Host`` header and, for https, in SNI and certificate verification;
- redirects are not followed by urllib3: each ``Location`` goes through the same check, up to a limit.

Operators can open chosen destinations (a receiver on the internal network, a loopback server in
tests) with an allow-list of CIDR networks and exact host names.
"""

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import quote, urldefrag, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.ssl_match_hostname import CertificateError as HostnameMismatch

import cms

MAX_URL_LENGTH = 2000
EXCERPT_CHARS = 1000
MAX_READ_BYTES = 4 * EXCERPT_CHARS  # enough bytes for 1,000 characters of UTF-8; the rest is never read
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Headers that are credentials of the first origin: dropped when a redirect leaves it.
ORIGIN_CREDENTIALS = ("authorization", "proxy-authorization", "cookie")

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_PRIVATE_V4 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_HOST_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


class DestinationRefused(Exception):
    """A delivery would have contacted an address that webhooks may not reach."""


@dataclass
class Result:
    """What happened to one delivery attempt (its last hop when there were redirects)."""

    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str | None = None
    refused: bool = False
    url: str = ""

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


# -- URLs ------------------------------------------------------------------------------------------

def check_url(url) -> str:
    """Return ``url`` normalized if it can be a webhook destination; raise ValueError saying why not."""
    if not isinstance(url, str) or not url:
        raise ValueError("The URL must be a non-empty string.")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ValueError("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
    except ValueError as error:  # "Invalid IPv6 URL", …
        raise ValueError(f"The URL cannot be parsed: {error}.") from None
    try:
        port = parts.port
    except ValueError:
        port = 0
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError("The URL must start with http:// or https://.")
    if "@" in parts.netloc:
        raise ValueError("The URL must not contain a user name or password.")
    if "#" in url:
        raise ValueError("The URL must not contain a fragment (#…).")
    if port == 0:
        raise ValueError("The URL's port must be between 1 and 65535.")
    host = _check_host(parts.hostname)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return urlunsplit((scheme, netloc, path, query, ""))


def _check_host(host):
    if not host:
        raise ValueError("The URL must name a host.")
    if "%" in host:
        raise ValueError("The URL's host must not carry an IPv6 zone (%…).")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")  # IDN → punycode; also refuses empty or long labels
    except UnicodeError:
        raise ValueError(f"The URL's host {host!r} is not a valid host name.") from None
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(label and set(label) <= _HOST_LABEL for label in labels):
        raise ValueError(f"The URL's host {host!r} is not a valid host name.")
    return ascii_host


# -- addresses -------------------------------------------------------------------------------------

def parse_allow(allow):
    """Split an allow-list into (networks, host names); raise ValueError for an entry that is neither.

    ``allow`` is a list of CIDR networks and exact host names, or one string of them separated by
    commas or spaces (as an environment variable holds them).
    """
    if isinstance(allow, str):
        allow = allow.replace(",", " ").split()
    networks, names = [], set()
    for entry in allow or ():
        entry = str(entry).strip()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        name = entry.lower().rstrip(".")
        if not name or "/" in name or ":" in name or not set(name) <= _HOST_LABEL | {"."}:
            raise ValueError(f"{entry!r} in the webhook allow-list is neither a network (CIDR) nor a host name.")
        names.add(name)
    return networks, names


def refused_reason(ip, allow=()) -> str | None:
    """Say why webhooks may not contact address ``ip``, or return None when they may.

    An address inside a network of ``allow`` is permitted; host names in ``allow`` are matched by
    ``send`` against the URL's host, since an address alone does not know its name.
    """
    networks, _names = parse_allow(allow)
    return _reason(_address(ip), networks)


def _address(ip):
    address = ipaddress.ip_address(ip)
    if address.version == 6 and address.scope_id:  # fe80::1%eth0: the zone does not change the range
        address = ipaddress.IPv6Address(str(address).partition("%")[0])
    return address


def _reason(address, networks):
    if any(address.version == network.version and address in network for network in networks):
        return None
    return (_reason_v4 if address.version == 4 else _reason_v6)(address, networks)


def _reason_v4(address, networks):
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address in _THIS_NETWORK:
        return f"{address} is in 0.0.0.0/8 ('this network')"
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address (this range holds cloud metadata services)"
    if any(address in network for network in _PRIVATE_V4):
        return f"{address} is a private address"
    if address in _CGNAT:
        return f"{address} is a carrier-grade NAT address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_reserved:
        return f"{address} is a reserved address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _reason_v6(address, networks):
    # Forms that embed an IPv4 address first: Python calls most of them "reserved".
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d to the operating system
        return _embedded(f"::ffff:{address.ipv4_mapped}", address.ipv4_mapped, "an IPv4-mapped form", networks)
    if address in _NAT64:  # reaches a.b.c.d through the network's NAT64 gateway
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return _embedded(address, embedded, "a NAT64 form", networks)
    if address in _NAT64_LOCAL:
        return f"{address} is a local-use NAT64 address"
    if address.sixtofour is not None:
        return f"{address} is a 6to4 address (it reaches {address.sixtofour} through a relay)"
    if address.teredo is not None:
        return f"{address} is a Teredo tunnel address"
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_site_local:
        return f"{address} is a site-local address"
    if address in _UNIQUE_LOCAL:
        return f"{address} is a private (unique local) address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_reserved:
        return f"{address} is a reserved address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _embedded(shown, embedded, form, networks):
    reason = _reason(embedded, networks)
    return None if reason is None else f"{shown} is {form} of {embedded}, and {reason}"


def _resolve(host, port):
    """Resolve ``host`` once; return its distinct addresses in the resolver's order."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(sockaddr[0] for _family, _type, _proto, _name, sockaddr in answers))


def _check_destination(host, port, networks, names):
    """Resolve ``host`` and return its addresses; raise DestinationRefused if any may not be contacted."""
    addresses = _resolve(host, port)
    if not addresses:
        raise OSError(f"{host} has no address")
    if host.rstrip(".") in names:
        return addresses
    literal = _is_ip(host)
    for ip in addresses:
        reason = _reason(_address(ip), networks)
        if reason:
            raise DestinationRefused(reason if literal else f"{host} resolves to {ip}, and {reason}")
    return addresses


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# -- sending ---------------------------------------------------------------------------------------

def send(url, body: bytes, headers: dict, timeout: float = 10.0, allow=(), max_redirects: int = 3) -> Result:
    """POST ``body`` to ``url`` and report what happened; network problems are returned, never raised.

    ``timeout`` is a budget for the whole delivery, redirects included: each hop's connect and each
    socket read may wait for what was left of it when the hop began, and no hop starts once it is
    spent. (Name resolution uses the system resolver, which has its own timeout.) Only the first
    bytes of the answer are read, for the excerpt. A malformed ``allow`` raises ValueError.
    """
    started = time.monotonic()
    deadline = started + timeout
    networks, names = parse_allow(allow)
    headers = _request_headers(headers)

    def result(status=None, excerpt="", error=None, refused=False, url=url):
        duration_ms = round((time.monotonic() - started) * 1000)
        return Result(status, duration_ms, excerpt, error, refused, url)

    try:
        url = check_url(url)
    except ValueError as error:
        return result(error=f"invalid URL: {error}")
    redirects = 0
    while True:
        try:
            status, location, excerpt = _post(url, body, headers, deadline, networks, names)
        except DestinationRefused as refusal:
            return result(error=f"refused destination: {refusal}", refused=True, url=url)
        except _Failed as failure:
            return result(error=str(failure), url=url)
        if status not in REDIRECT_STATUSES or not location:
            return result(status, excerpt, url=url)
        if redirects == max_redirects:
            return result(status, excerpt, error="too many redirects", url=url)
        redirects += 1
        try:
            target = check_url(urldefrag(urljoin(url, location)).url)
        except ValueError as error:
            return result(status, excerpt, error=f"invalid redirect: {error}", url=url)
        if _origin(target) != _origin(url):
            for name in ORIGIN_CREDENTIALS:
                headers.discard(name)
        url = target


class _Failed(Exception):
    """A hop ended without an HTTP answer; the message is the Result's error."""


def _request_headers(given):
    headers = urllib3.HTTPHeaderDict(given or {})
    for name in ("host", "content-length", "transfer-encoding"):  # ours to set, never the caller's
        headers.discard(name)
    headers.setdefault("User-Agent", f"Folio-Webhooks/{cms.__version__}")
    headers.setdefault("Content-Type", "application/json")
    return headers


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


def _post(url, body, headers, deadline, networks, names):
    """Send one hop; return (status, Location or None, excerpt) or raise DestinationRefused / _Failed."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]
    try:
        addresses = _check_destination(host, port, networks, names)
    except socket.gaierror as error:
        raise _Failed(f"could not resolve {host}: {error.strerror or error}") from None
    except OSError as error:
        raise _Failed(f"could not resolve {host}: {error}") from None
    hop_headers = headers.copy()
    hop_headers["Host"] = parts.netloc
    target = urlunsplit(("", "", parts.path, parts.query, ""))
    failure = None
    for ip in addresses:  # all checked; the next one is tried only when connecting fails outright
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Failed("timeout")
        try:
            return _post_to(parts.scheme, ip, port, host, target, body, hop_headers, deadline, remaining)
        except NewConnectionError as error:
            failure = _Failed(_connection_error(error))
    raise failure


def _post_to(scheme, ip, port, host, target, body, headers, deadline, remaining):
    timeout = urllib3.Timeout(connect=remaining, read=remaining)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(ip, port, timeout=timeout, retries=False, cert_reqs="CERT_REQUIRED",
                                           server_hostname=host, assert_hostname=host)
    else:
        pool = urllib3.HTTPConnectionPool(ip, port, timeout=timeout, retries=False)
    try:
        response = pool.urlopen("POST", target, body=body, headers=headers, retries=False, redirect=False,
                                assert_same_host=False, preload_content=False, decode_content=False,
                                release_conn=False)
        try:
            excerpt = _excerpt(response, deadline)
            return response.status, response.headers.get("Location"), excerpt
        finally:
            response.close()
    except NewConnectionError:
        raise
    except (ConnectTimeoutError, ReadTimeoutError, TimeoutError):
        raise _Failed("timeout") from None
    except SSLError as error:
        cause = _innermost(error)
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise _Failed(f"certificate verification failed: {cause.verify_message}") from None
        if isinstance(cause, HostnameMismatch):  # urllib3 matches the name itself (assert_hostname)
            raise _Failed(f"certificate verification failed: {cause}") from None
        raise _Failed(f"TLS error: {_cause(error)}") from None
    except ProtocolError as error:
        raise _Failed(f"connection closed: {_cause(error)}") from None
    except (HTTPError, OSError) as error:
        raise _Failed(f"connection error: {_cause(error)}") from None
    finally:
        pool.close()


def _excerpt(response, deadline):
    """Read at most MAX_READ_BYTES of the answer (stopping early at the deadline) and decode leniently."""
    data = b""
    while len(data) < MAX_READ_BYTES and time.monotonic() < deadline:
        try:
            chunk = response.read(min(1024, MAX_READ_BYTES - len(data)))
        except (HTTPError, OSError):  # the status is what matters; a broken body only shortens the excerpt
            break
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def _connection_error(error):
    if isinstance(_innermost(error), ConnectionRefusedError):
        return "connection refused"
    return f"connection failed: {_cause(error)}"


def _innermost(error):
    """The exception at the bottom of an urllib3 error's chain (the socket or ssl one)."""
    seen = {id(error)}
    while (inner := error.__cause__ or error.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        error = inner
    return error


def _cause(error):
    """The most specific message of an urllib3 error."""
    inner = _innermost(error)
    if isinstance(inner, OSError) and inner.strerror and not isinstance(inner, ssl.SSLError):
        return inner.strerror
    return str(inner)
