import socket

import pytest

from tests.offline_guard import NetworkAccessError


def test_reaching_slack_fails_the_test():
    with pytest.raises(NetworkAccessError):
        socket.getaddrinfo("slack.com", 443)


def test_connecting_to_a_public_address_fails_the_test():
    with socket.socket() as sock, pytest.raises(NetworkAccessError):
        sock.connect(("162.159.128.233", 443))  # a discord.com address


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.socket() as client:
            client.connect(server.getsockname())
