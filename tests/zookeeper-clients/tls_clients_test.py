"""ZooKeeper's clients over TLS, on the secure client port (warrend --zk-secure-port; ZooKeeper's
secureClientPort): kazoo (python3-kazoo 2.8, use_ssl) here, and ZooKeeper's Java client with
its Netty socket (zookeeper.client.secure, as Kafka and BookKeeper turn TLS on) through
java-tls/TlsClient.java.

Covers: the calls and a watch over TLS, seen through the plaintext port too; a session that
moves to another member's secure port when its member is killed; a client's certificate as its
x509 identity in ACLs; and the clients refused: one that does not trust the members' CA, and a
plaintext client on the secure port.

Every test must pass against real ZooKeeper (the spec) as well as against Warren:
    /usr/bin/python3 tls_clients_test.py --kind=zookeeper --base-port=7860 --workdir=/tmp/zk-tls
    /usr/bin/python3 tls_clients_test.py --kind=warren --bin-dir=build/bin --base-port=7860 \\
        --workdir=/tmp/warren-tls
"""

import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warren_quorum import (NETTY_JARS, eventually, member_serving,  # noqa: E402
                           new_kazoo_client, run_suite)

from kazoo.exceptions import NoAuthError  # noqa: E402
from kazoo.handlers.threading import KazooTimeoutError  # noqa: E402
from kazoo.security import make_acl  # noqa: E402

WAIT_S = 20
QUORUM = None
HERE = os.path.dirname(os.path.abspath(__file__))
JARS_DIR = "/usr/share/java"
JAVA_JARS = [os.path.join(JARS_DIR, j) for j in (
    "zookeeper.jar", "zookeeper-jute.jar", "slf4j-api.jar", "slf4j-nop.jar")] + NETTY_JARS
ALICE = "CN=alice,O=warren-test"  # the subject of make_certs.sh's certificate for alice


def tls_client(name="alice", ca="ca.pem", hosts=None, **kwargs):
    """A kazoo client of the secure ports trusting `ca`, presenting `name`'s certificate."""
    cert = {}
    if name:
        cert = dict(certfile=QUORUM.pki(f"{name}.pem"), keyfile=QUORUM.pki(f"{name}.key"))
    return new_kazoo_client(hosts or QUORUM.secure_connect_string(), use_ssl=True,
                            verify_certs=True, ca=QUORUM.pki(ca), **cert, **kwargs)


def started(client):
    client.start(timeout=WAIT_S)
    return client


class TlsClientsTest(unittest.TestCase):
    def setUp(self):
        QUORUM.restart_dead()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - stopped already, or its member is dead
                pass

    def keep(self, client):
        self.clients.append(client)
        return client

    def test_calls_and_watches_over_tls_are_those_of_the_plaintext_port(self):
        secure = self.keep(started(tls_client()))
        plain = self.keep(started(new_kazoo_client(QUORUM.connect_string())))
        secure.create("/tls-calls", b"one")
        plain.sync("/tls-calls")  # its member may be behind the secure client's
        self.assertEqual(plain.get("/tls-calls")[0], b"one")
        fired = threading.Event()
        secure.get("/tls-calls", watch=lambda event: fired.set())
        plain.set("/tls-calls", b"two")
        self.assertTrue(fired.wait(WAIT_S), "no watch event over TLS")
        big = b"x" * 500_000  # many TLS records each way
        secure.set("/tls-calls", big)
        self.assertEqual(secure.get("/tls-calls")[0], big)
        for i in range(50):
            secure.create(f"/tls-calls/c{i}")
        plain.sync("/tls-calls")
        self.assertEqual(len(plain.get_children("/tls-calls")), 50)

    def test_a_session_moves_to_another_members_secure_port(self):
        client = self.keep(started(tls_client()))
        client.create("/tls-ephemeral", ephemeral=True)
        session = client.client_id[0]
        member = member_serving(QUORUM, client)
        QUORUM.kill(member)
        eventually(lambda: client.connected and member_serving(QUORUM, client) != member,
                   WAIT_S, "the client on another member's secure port")
        self.assertEqual(client.client_id[0], session)
        self.assertIsNotNone(client.exists("/tls-ephemeral"))

    def test_the_certificate_is_an_x509_identity_for_acls(self):
        alice = self.keep(started(tls_client("alice")))
        bob = self.keep(started(tls_client("bob")))
        acl = [make_acl("x509", ALICE, all=True)]
        alice.create("/tls-alice", b"hers", acl=acl)
        self.assertEqual(alice.get("/tls-alice")[0], b"hers")
        # Bob's member may not have applied alice's create yet (reads are sequentially
        # consistent per session, as ZooKeeper's): sync brings it up to date first.
        bob.sync("/tls-alice")
        with self.assertRaises(NoAuthError):
            bob.get("/tls-alice")
        with self.assertRaises(NoAuthError):
            bob.set("/tls-alice", b"his")

    def test_a_client_that_does_not_trust_the_members_is_refused(self):
        client = self.keep(tls_client(name=None, ca="rogue-ca.pem"))
        with self.assertRaises(KazooTimeoutError):
            client.start(timeout=3)

    def test_plaintext_on_the_secure_port_gets_no_session(self):
        client = self.keep(new_kazoo_client(QUORUM.secure_connect_string()))
        with self.assertRaises(KazooTimeoutError):
            client.start(timeout=3)

    def test_zookeepers_java_client_over_tls(self):
        classes = os.path.join(QUORUM.workdir, "java-tls-classes")
        os.makedirs(classes, exist_ok=True)
        javac = subprocess.run(
            ["javac", "-nowarn", "-encoding", "UTF-8", "-cp", ":".join(JAVA_JARS), "-d", classes,
             os.path.join(HERE, "java-tls", "TlsClient.java")],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(javac.returncode, 0, javac.stdout + javac.stderr)
        props = [
            "-Dzookeeper.client.secure=true",
            "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
            f"-Dzookeeper.ssl.trustStore.location={QUORUM.pki('ca.pem')}",
            "-Dzookeeper.ssl.trustStore.type=PEM",
            f"-Dzookeeper.ssl.keyStore.location={QUORUM.pki('alice-combined.pem')}",
            "-Dzookeeper.ssl.keyStore.type=PEM",
        ]
        java = subprocess.run(
            ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m", *props, "-cp",
             ":".join([classes, *JAVA_JARS]), "TlsClient", QUORUM.secure_connect_string(), ALICE],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(java.returncode, 0, java.stdout + java.stderr)
        self.assertIn("PASS", java.stdout)


def main():
    def use(quorum):
        global QUORUM
        QUORUM = quorum
    run_suite(__doc__.split("\n")[0], 7860, "/tmp/warren-tls-clients-test", use,
              secure=True, client_certs=["alice", "bob"])


if __name__ == "__main__":
    main()
