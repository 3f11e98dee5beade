"""HTTPS on the listener: the server's TLS context, and a server that shakes hands in each connection's thread."""

from __future__ import annotations

import socket
import ssl
from http.server import ThreadingHTTPServer
from pathlib import Path

import structlog

from monitor.errors import ConfigError

log = structlog.get_logger("drifthound.http")

WHERE = "[service] tls_cert_file, tls_key_file"


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """A TLS 1.2+ server context holding the certificate (chain) and its key; a ConfigError if they do not load."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for file in (cert_file, key_file):  # ssl's own error does not say which file it missed
        if not file.is_file():
            raise ConfigError(WHERE, f"{file}: no such file; check the path")
    try:
        # An encrypted key would make OpenSSL ask for its passphrase on the terminal: refuse it instead.
        context.load_cert_chain(cert_file, key_file, password=lambda: b"")
    except PermissionError:
        raise ConfigError(WHERE, f"{cert_file} or {key_file}: not readable by this user") from None
    except (ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", None) or error.__class__.__name__
        raise ConfigError(
            WHERE,
            f"cannot load {cert_file} with {key_file} ({reason}): they must be PEM files, the certificate "
            "(its chain after it) and its private key, unencrypted",
        ) from None
    return context


class TlsHttpServer(ThreadingHTTPServer):
    """Speaks HTTPS only. The handshake runs in the connection's own thread, bounded by `handshake_timeout`, so
    a client that connects and says nothing cannot stall the accept loop; a plain-HTTP request fails the
    handshake and the connection is closed unanswered."""

    tls: ssl.SSLContext
    handshake_timeout: float

    def finish_request(self, request: socket.socket, client_address) -> None:  # type: ignore[override]
        request.settimeout(self.handshake_timeout)
        try:
            secure = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log.debug(
                "http.tls_refused", client=client_address[0], reason=getattr(error, "reason", None) or repr(error)
            )
            return
        try:
            super().finish_request(secure, client_address)
        finally:
            self.shutdown_request(secure)
