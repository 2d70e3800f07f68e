"""A TCP probe must not count a connection that met itself as a listener.

Linux lets a connect to a local port where nothing listens succeed when the
kernel picks that same port as the local one (TCP simultaneous open). Here
the self-connect is made on purpose: the socket is bound to the port it
then connects to.
"""

from __future__ import annotations

import socket

from minder.engine.probes import connected_to_itself


def test_a_self_connect_is_recognised() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.connect(sock.getsockname())  # nobody listens: it meets itself
        assert connected_to_itself(sock)


def test_a_real_listener_is_not_a_self_connect() -> None:
    with socket.socket() as server, socket.socket() as client:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client.connect(server.getsockname())
        assert not connected_to_itself(client)


def test_an_unconnected_socket_is_not_a_self_connect() -> None:
    with socket.socket() as sock:
        assert not connected_to_itself(sock)
