"""cms.webhooks.transport against real HTTP servers on loopback, which the allow-list opens for a test."""

import datetime
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks.webhooks import Webhook

import cms
from cms.webhooks import signing, transport

LOOPBACK = ["127.0.0.1/32"]
BODY = b'{"event": "entry.published", "data": {"id": "01J0"}}'
REAL_GETADDRINFO = socket.getaddrinfo


# -- servers ---------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    """Record each request, then answer as the server's route for its path says."""

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server.received.append({"path": self.path, "headers": self.headers, "body": body})
        status, headers, payload = server.routes.get(self.path, (200, {}, b"thanks"))
        if status is None:  # accept the request, then never answer
            server.release.wait(10)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
            server.writes.append("complete")
        except OSError:
            server.writes.append("cut short")
        finally:
            server.written.set()

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    """An HTTP server in a thread; ``routes`` maps a path to (status, headers, body)."""

    def __init__(self, host, tls=None):
        super().__init__((host, 0), Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.received, self.writes, self.routes = [], [], {}
        self.release, self.written = threading.Event(), threading.Event()
        self.port = self.server_address[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.port}"

    def handle_error(self, request, client_address):
        pass  # a client that hangs up early is part of these tests

    def __enter__(self):
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        self.shutdown()
        self.server_close()


@pytest.fixture
def server():
    with Server("127.0.0.1") as running:
        yield running


@pytest.fixture
def other_server():
    """A second server on 127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback)."""
    with Server("127.0.0.2") as running:
        yield running


class FakeDNS:
    """Made-up DNS answers (``dns["hooks.test"] = ["127.0.0.1"]``, [] for no such name); records every lookup."""

    def __init__(self):
        self.answers, self.lookups = {}, []

    def __setitem__(self, host, ips):
        self.answers[host] = ips

    def getaddrinfo(self, host, port, *args, **kwargs):
        self.lookups.append(host)
        if host not in self.answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        if not self.answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port, 0, 0)) if ":" in ip
                else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))
                for ip in self.answers[host]]


@pytest.fixture
def names(monkeypatch):
    """Resolve made-up names, as transport sees socket.getaddrinfo (other names resolve for real)."""
    dns = FakeDNS()
    monkeypatch.setattr(transport.socket, "getaddrinfo", dns.getaddrinfo)
    return dns


def send(url, body=BODY, headers=None, **options):
    return transport.send(url, body, headers or {}, **options)


# -- deliveries ------------------------------------------------------------------------------------

def test_a_delivery_arrives_with_its_body_and_headers(server):
    secret = signing.new_secret()
    headers = signing.signed_headers([secret], "msg_1", int(time.time()), BODY)

    result = send(server.url + "/hook?x=1", headers=headers, allow=LOOPBACK)

    assert (result.status, result.ok, result.error, result.refused) == (200, True, None, False)
    assert result.excerpt == "thanks"
    assert result.url == server.url + "/hook?x=1"
    assert result.duration_ms >= 0
    [received] = server.received
    assert received["path"] == "/hook?x=1"
    assert received["body"] == BODY
    assert received["headers"]["User-Agent"] == f"Folio-Webhooks/{cms.__version__}"
    assert received["headers"]["Content-Type"] == "application/json"
    assert received["headers"]["Host"] == f"127.0.0.1:{server.port}"
    assert Webhook(secret).verify(received["body"], received["headers"]) == {"event": "entry.published",
                                                                             "data": {"id": "01J0"}}


def test_given_user_agent_and_content_type_are_kept(server):
    send(server.url, headers={"user-agent": "Mine/1", "Content-Type": "application/cloudevents+json"},
         allow=LOOPBACK)

    assert server.received[0]["headers"].get_all("User-Agent") == ["Mine/1"]
    assert server.received[0]["headers"].get_all("Content-Type") == ["application/cloudevents+json"]


def test_an_error_answer_is_a_status_not_an_error(server):
    server.routes["/"] = (500, {}, b"database down")

    result = send(server.url + "/", allow=LOOPBACK)

    assert (result.status, result.ok, result.error) == (500, False, None)
    assert result.excerpt == "database down"


def test_a_huge_answer_is_cut_to_the_excerpt_and_not_read_to_the_end(server):
    server.routes["/"] = (200, {}, "é".encode() + b"x" * 50_000_000)

    result = send(server.url + "/", allow=LOOPBACK)

    assert result.status == 200
    assert result.excerpt == "é" + "x" * 999
    assert server.written.wait(10)  # the handler notices that the client hung up
    assert server.writes == ["cut short"]


def test_a_receiver_that_never_answers_ends_as_a_timeout(server):
    server.routes["/"] = (None, {}, b"")

    result = send(server.url + "/", allow=LOOPBACK, timeout=0.5)

    assert (result.status, result.error, result.refused) == (None, "timeout", False)
    assert result.duration_ms < 5000
    assert len(server.received) == 1


def test_a_closed_port_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = send(f"http://127.0.0.1:{port}/", allow=LOOPBACK)

    assert (result.status, result.error, result.refused) == (None, "connection refused", False)


def test_an_unknown_host_name_is_a_resolution_error(names):
    names["nowhere.test"] = []

    result = send("http://nowhere.test/", allow=LOOPBACK)

    assert result.status is None
    assert result.error.startswith("could not resolve nowhere.test")


def test_an_invalid_url_is_reported_not_raised():
    result = send("ftp://example.com/")

    assert (result.status, result.refused) == (None, False)
    assert result.error.startswith("invalid URL: ")


# -- refused destinations --------------------------------------------------------------------------

def test_the_loopback_server_is_refused_without_the_allow_list(server):
    result = send(server.url + "/")

    assert (result.status, result.refused, result.ok) == (None, True, False)
    assert result.error == "refused destination: 127.0.0.1 is a loopback address"
    assert server.received == []


@pytest.mark.parametrize(("host", "reason"), [
    ("127.0.0.1", "127.0.0.1 is a loopback address"),
    ("[::1]", "::1 is a loopback address"),
    ("169.254.169.254", "169.254.169.254 is a link-local address"),
    ("10.0.0.1", "10.0.0.1 is a private address"),
    ("192.168.1.1", "192.168.1.1 is a private address"),
    ("100.64.0.1", "100.64.0.1 is a carrier-grade NAT address"),
    ("0.0.0.0", "0.0.0.0 is the unspecified address"),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 is an IPv4-mapped form of 127.0.0.1, and 127.0.0.1 is a loopback"),
    ("[::ffff:169.254.169.254]", "::ffff:169.254.169.254 is an IPv4-mapped form of 169.254.169.254, and "
                                 "169.254.169.254 is a link-local"),
    ("[fe80::1]", "fe80::1 is a link-local address"),
    ("localhost", "localhost resolves to 127.0.0.1, and 127.0.0.1 is a loopback address"),
])
def test_internal_destinations_are_refused(server, host, reason):
    result = send(f"http://{host}:{server.port}/")

    assert result.refused is True
    assert result.status is None
    assert result.error.startswith("refused destination: " + reason)
    assert server.received == []


def test_a_name_that_resolves_to_a_private_address_is_refused(names):
    names["internal.example"] = ["10.0.0.5"]

    result = send("http://internal.example/hook")

    assert result.refused is True
    assert result.error == ("refused destination: internal.example resolves to 10.0.0.5, "
                            "and 10.0.0.5 is a private address")


def test_a_name_is_refused_when_any_of_its_addresses_is_private(names):
    names["mixed.example"] = ["93.184.216.34", "2606:2800:220:1::1", "192.168.0.9"]

    result = send("https://mixed.example/hook")

    assert result.refused is True
    assert "192.168.0.9 is a private address" in result.error


def test_the_connection_goes_to_the_checked_address_not_to_the_name_again(server, names):
    names["hooks.test"] = ["127.0.0.1"]

    result = send(f"http://hooks.test:{server.port}/hook", allow=LOOPBACK)

    assert result.status == 200
    assert server.received[0]["headers"]["Host"] == f"hooks.test:{server.port}"
    assert names.lookups.count("hooks.test") == 1
    assert set(names.lookups) <= {"hooks.test", "127.0.0.1"}  # urllib3 only "resolves" the numeric address


def test_a_host_name_on_the_allow_list_may_reach_internal_addresses(server, names):
    names["hooks.internal.example"] = ["127.0.0.1"]

    result = send(f"http://hooks.internal.example:{server.port}/", allow=["hooks.internal.example"])

    assert result.status == 200
    assert len(server.received) == 1


# -- redirects -------------------------------------------------------------------------------------

def test_an_allowed_redirect_is_followed_with_the_same_body(server):
    server.routes["/moved"] = (307, {"Location": "/final"}, b"")

    result = send(server.url + "/moved", allow=LOOPBACK)

    assert (result.status, result.error, result.url) == (200, None, server.url + "/final")
    assert [(r["path"], r["body"]) for r in server.received] == [("/moved", BODY), ("/final", BODY)]


def test_a_redirect_to_the_metadata_service_is_refused(server):
    server.routes["/"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")

    result = send(server.url + "/", allow=LOOPBACK)

    assert result.refused is True
    assert result.status is None
    assert result.error.startswith("refused destination: 169.254.169.254 is a link-local address")
    assert result.url == "http://169.254.169.254/latest/meta-data/"


def test_a_redirect_outside_the_allow_list_is_refused(server, other_server):
    server.routes["/"] = (302, {"Location": other_server.url + "/"}, b"")

    result = send(server.url + "/", allow=LOOPBACK)

    assert result.refused is True
    assert result.error == "refused destination: 127.0.0.2 is a loopback address"
    assert len(server.received) == 1
    assert other_server.received == []


def test_credentials_are_not_carried_to_another_origin(server, other_server):
    server.routes["/"] = (308, {"Location": other_server.url + "/"}, b"")

    result = send(server.url + "/", headers={"Authorization": "Bearer s3cret", "X-Custom": "kept"},
                  allow=["127.0.0.0/8"])

    assert result.status == 200
    assert server.received[0]["headers"]["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in other_server.received[0]["headers"]
    assert other_server.received[0]["headers"]["X-Custom"] == "kept"
    assert other_server.received[0]["body"] == BODY


def test_a_redirect_loop_ends_with_too_many_redirects(server):
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")

    result = send(server.url + "/loop", allow=LOOPBACK, max_redirects=3)

    assert (result.status, result.error, result.ok) == (302, "too many redirects", False)
    assert len(server.received) == 4  # the first request and three redirects


def test_a_redirect_to_another_scheme_is_reported(server):
    server.routes["/"] = (301, {"Location": "ftp://files.example/"}, b"")

    result = send(server.url + "/", allow=LOOPBACK)

    assert result.status == 301
    assert result.error.startswith("invalid redirect: ")


def test_a_redirect_without_location_is_an_answer(server):
    server.routes["/"] = (302, {}, b"nowhere to go")

    result = send(server.url + "/", allow=LOOPBACK)

    assert (result.status, result.error, result.excerpt) == (302, None, "nowhere to go")


# -- https -----------------------------------------------------------------------------------------

def _certificate(subject, issuer=None, issuer_key=None, names=()):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(hours=1)))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    return key, builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """An https server for hooks.test, whose certificate authority the client is made to trust."""
    ca_key, ca = _certificate("Folio test CA")
    key, certificate = _certificate("hooks.test", ca.subject, ca_key, names=["hooks.test"])
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # read by OpenSSL's default paths
    with Server("127.0.0.1", tls=context) as running:
        yield running


def test_https_verifies_the_certificate_of_the_name_while_connecting_to_the_address(tls_server, names):
    names["hooks.test"] = ["127.0.0.1"]

    result = send(f"https://hooks.test:{tls_server.port}/hook", allow=LOOPBACK)

    assert (result.status, result.error) == (200, None)
    assert tls_server.received[0]["headers"]["Host"] == f"hooks.test:{tls_server.port}"


def test_https_refuses_a_certificate_for_another_name(tls_server, names):
    names["other.test"] = ["127.0.0.1"]

    result = send(f"https://other.test:{tls_server.port}/hook", allow=LOOPBACK)

    assert result.status is None
    assert result.error.startswith("certificate verification failed")
    assert tls_server.received == []


def test_https_refuses_an_untrusted_certificate(tls_server, names, monkeypatch):
    names["hooks.test"] = ["127.0.0.1"]
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent")

    result = send(f"https://hooks.test:{tls_server.port}/hook", allow=LOOPBACK)

    assert result.error.startswith("certificate verification failed")
    assert tls_server.received == []


# -- check_url, refused_reason ---------------------------------------------------------------------

@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.com/", "http:// or https://"),
    ("http:///path", "must name a host"),
    ("https://user:pass@example.com/", "user name or password"),
    ("https://example.com/" + "a" * 2000, "longer than 2000"),
    ("https://example.com:0/", "between 1 and 65535"),
    ("https://example.com:70000/", "between 1 and 65535"),
    ("https://example.com:http/", "between 1 and 65535"),
    ("https://example.com/#top", "fragment"),
    ("https://exa mple.com/", "spaces or control characters"),
    ("https://a..b/", "not a valid host name"),
    ("https://[::1/", "cannot be parsed"),
])
def test_check_url_rejects_bad_destinations(url, message):
    with pytest.raises(ValueError, match=message):
        transport.check_url(url)


def test_check_url_accepts_and_normalizes_a_normal_url():
    assert transport.check_url("HTTPS://Hooks.Example.COM:443/in/Folio?token=a%20b") \
        == "https://hooks.example.com/in/Folio?token=a%20b"
    assert transport.check_url("http://hooks.example.com:8080") == "http://hooks.example.com:8080/"
    assert transport.check_url("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"  # ranges: at delivery


@pytest.mark.parametrize(("ip", "allow", "refused"), [
    ("8.8.8.8", [], False),
    ("2606:4700:4700::1111", [], False),
    ("::ffff:8.8.8.8", [], False),
    ("64:ff9b::808:808", [], False),
    ("64:ff9b::a00:1", [], True),
    ("2002:a00:1::1", [], True),
    ("fd12:3456::1", [], True),
    ("172.16.5.4", [], True),
    ("224.0.0.251", [], True),
    ("240.0.0.1", [], True),
    ("192.0.2.10", [], True),
    ("127.0.0.1", ["127.0.0.1/32"], False),
    ("127.0.0.2", ["127.0.0.1/32"], True),
    ("::ffff:127.0.0.1", ["127.0.0.0/8"], False),
    ("10.1.2.3", "10.0.0.0/8, hooks.internal.example", False),
])
def test_refused_reason(ip, allow, refused):
    assert (transport.refused_reason(ip, allow) is not None) is refused


def test_a_bad_allow_list_entry_is_a_clear_error():
    with pytest.raises(ValueError, match="neither a network"):
        transport.refused_reason("8.8.8.8", ["10.0.0.0/33"])
