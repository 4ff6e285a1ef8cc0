"""A 3-member quorum on loopback for tests that drive it through real ZooKeeper clients.

Quorum(kind, workdir, base_port) runs either Warren (`warrend --zk-port=...`) or a real
ZooKeeper 3.8 ensemble (Debian's zookeeper.jar, QuorumPeerMain), so that the same test can
be validated against ZooKeeper (the spec) and then run against Warren. Ports, for member i
(1-based):
    base_port + i - 1       Warren: Raft peer port.   ZooKeeper: quorum port
    base_port + 3 + i       ZooKeeper: leader election port (base+4 .. base+6)
    base_port + 10 + i - 1  ZooKeeper-protocol client port (both kinds)
    base_port + 20 + i - 1  with secure=True: the TLS client port (secureClientPort, both)
With secure=True the quorum gets a throwaway PKI (tests/security/make_certs.sh) in
<workdir>/pki: ca.pem, member-<i>.pem/.key for the members, and the client certificates
named in client_certs; pki(name) is a file's path there.
Every member logs to <workdir>/member<i>.log and keeps its data in <workdir>/member<i>/.

Also here: member_serving(quorum, client), the member a kazoo client is connected to, and
eventually(fn, timeout, what), a bounded poll.

Used by kazoo_test.py, zkcli_test.py and the Java client runner in this directory.
"""

import argparse
import atexit
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import uuid

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar"
SLF4J_SIMPLE_JAR = "/usr/share/java/slf4j-simple.jar"  # so that the members' logs say something
START_TIMEOUT_S = 60
STOP_GRACE_S = 10
PEER_PORTS = 3      # ZooKeeper's election ports start after the quorum ports
CLIENT_PORT_OFFSET = 10
SECURE_PORT_OFFSET = 20
MAKE_CERTS = os.path.join(REPO_ROOT, "tests", "security", "make_certs.sh")
# What ZooKeeper's Netty server (its TLS port) needs beside zookeeper.jar.
NETTY_JARS = [f"/usr/share/java/netty-{name}.jar" for name in (
    "buffer", "codec", "common", "handler", "resolver", "transport",
    "transport-native-epoll", "transport-native-unix-common")]

# Kazoo is chatty about every refused connection while members start or die.
logging.getLogger("kazoo").setLevel(logging.CRITICAL)


def eventually(fn, timeout, what, interval=0.05):
    """Polls fn() until it returns a truthy value, which is returned; raises AssertionError
    naming `what` (and the last exception fn raised, if any) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = fn()
            if result:
                return result
            last_error = None
        except Exception as e:  # noqa: BLE001 - the condition may fail while it settles
            last_error = e
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{detail}")
        time.sleep(interval)


def die_with_parent():
    """Run in the child before exec: SIGKILL it when the thread that started it ends (so when
    the test process dies, even by SIGKILL; Linux only)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def new_kazoo_client(hosts, timeout=4.0, **kwargs):
    """A KazooClient that reconnects quickly (at most 1 s between attempts) after a member
    dies, instead of kazoo's default exponential backoff."""
    from kazoo.client import KazooClient
    retry = dict(max_tries=-1, delay=0.05, backoff=1.5, max_delay=1.0)
    return KazooClient(hosts=hosts, timeout=timeout, connection_retry=retry, **kwargs)


class Quorum:
    """Three (n) members of one system on loopback; a context manager that stops them all.
    Start and restart members from the main thread: a member is SIGKILLed when the thread
    that started it ends (die_with_parent), so that none outlives a killed test."""

    def __init__(self, kind, workdir, base_port, bin_dir=None, n=3, extra_args=(),
                 zookeeper_props=(), zookeeper_config=(), secure=False, client_certs=()):
        if kind not in ("warren", "zookeeper"):
            raise ValueError(f"unknown quorum kind {kind!r}")
        self.kind = kind
        self.workdir = os.path.abspath(workdir)
        self.base_port = base_port
        self.bin_dir = bin_dir or os.environ.get("WARREN_BIN") or os.path.join(
            REPO_ROOT, "build", "bin")
        self.n = n
        self.extra_args = list(extra_args)
        self.zookeeper_props = list(zookeeper_props)  # "name=value": -D system properties
        self.zookeeper_config = list(zookeeper_config)  # "name=value" lines for zoo.cfg
        self.secure = secure
        self.client_certs = list(client_certs)
        self._procs = {}      # member -> Popen
        self._logs = {}       # member -> open log file
        atexit.register(self.stop)

    # -- addresses ---------------------------------------------------------------------------

    def members(self):
        return range(1, self.n + 1)

    def zk_port(self, i):
        return self.base_port + CLIENT_PORT_OFFSET + i - 1

    def zk_address(self, i):
        return f"127.0.0.1:{self.zk_port(i)}"

    def connect_string(self):
        return ",".join(self.zk_address(i) for i in self.members())

    def secure_port(self, i):
        return self.base_port + SECURE_PORT_OFFSET + i - 1

    def secure_connect_string(self):
        return ",".join(f"127.0.0.1:{self.secure_port(i)}" for i in self.members())

    def pki(self, name):
        return os.path.join(self.workdir, "pki", name)

    def member_of_port(self, port):
        for offset in (CLIENT_PORT_OFFSET, SECURE_PORT_OFFSET):
            i = port - self.base_port - offset + 1
            if i in self.members() and (offset == CLIENT_PORT_OFFSET or self.secure):
                return i
        raise ValueError(f"port {port} is no member's client port")

    def log_path(self, i):
        return os.path.join(self.workdir, f"member{i}.log")

    def log_tail(self, i, lines=20):
        try:
            with open(self.log_path(i), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def log_tails(self, lines=15):
        """The last lines of every member's log, for a failure report."""
        return "".join(f"--- last lines of {self.log_path(i)}\n{self.log_tail(i, lines)}"
                       for i in self.members())

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        """Starts every member on a fresh data directory and waits until each serves writes."""
        self._check_ports_free()
        os.makedirs(self.workdir, exist_ok=True)
        for i in self.members():  # what an earlier run left (nothing else in workdir)
            shutil.rmtree(self.member_dir(i), ignore_errors=True)
            if os.path.exists(self.log_path(i)):
                os.remove(self.log_path(i))
        if self.secure:
            self._make_pki()
        for i in self.members():
            self.prepare(i)
        for i in self.members():
            self._spawn(i)
        deadline = time.monotonic() + START_TIMEOUT_S
        for i in self.members():
            self._wait_serving(i, deadline)

    def stop(self):
        """SIGTERM every living member, SIGKILL whichever is still there after 10 s."""
        for proc in self._procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in self._procs.values():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()
        for log in self._logs.values():
            log.close()
        self._logs.clear()

    def pid(self, i):
        return self._procs[i].pid

    def alive(self, i):
        proc = self._procs.get(i)
        return proc is not None and proc.poll() is None

    def kill(self, i):
        """SIGKILL member i and reap it."""
        proc = self._procs[i]
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def restart(self, i, wait=True):
        """Starts member i again on its data directory; with wait, until it serves writes."""
        if self.alive(i):
            raise RuntimeError(f"member {i} still runs")
        self._spawn(i)
        if wait:
            self._wait_serving(i, time.monotonic() + START_TIMEOUT_S)

    def restart_dead(self):
        """Restarts every member that is not running (between tests)."""
        dead = [i for i in self.members() if not self.alive(i)]
        for i in dead:
            self._spawn(i)
        deadline = time.monotonic() + START_TIMEOUT_S
        for i in dead:
            self._wait_serving(i, deadline)
        return dead

    # -- internals ---------------------------------------------------------------------------

    def _make_pki(self):
        pki = self.pki("")
        shutil.rmtree(pki, ignore_errors=True)
        os.makedirs(pki)
        names = [f"member-{i}" for i in self.members()] + self.client_certs
        subprocess.run([MAKE_CERTS, pki, *names], check=True)
        for name in names:  # ZooKeeper's PEM key store: the key and the certificate in one file
            with open(self.pki(f"{name}-combined.pem"), "w") as out:
                for part in (f"{name}.key", f"{name}.pem"):
                    with open(self.pki(part)) as f:
                        out.write(f.read())

    def _ports(self):
        ports = [self.base_port + j for j in range(self.n)]
        ports += [self.zk_port(i) for i in self.members()]
        if self.secure:
            ports += [self.secure_port(i) for i in self.members()]
        if self.kind == "zookeeper":
            ports += [self.base_port + PEER_PORTS + i for i in self.members()]
        return ports

    def _check_ports_free(self):
        """Refuses to start over another process's ports (a test would talk to it)."""
        for port in self._ports():
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME-WAIT is fine
                try:
                    s.bind(("127.0.0.1", port))
                except OSError as e:
                    raise RuntimeError(f"port {port} is in use ({e}); is another quorum "
                                       f"running?") from None

    def member_dir(self, i):
        return os.path.join(self.workdir, f"member{i}")

    def prepare(self, i):
        """Makes member i's directory (and configuration) without starting it."""
        os.makedirs(self.member_dir(i), exist_ok=True)
        if self.kind == "zookeeper":
            self._write_zookeeper_config(i)

    def _command(self, i):
        if self.kind == "warren":
            return self._warren_command(i)
        return self._zookeeper_command(i)

    def _warren_command(self, i):
        members = ",".join(f"{j}=127.0.0.1:{self.base_port + j - 1}" for j in self.members())
        tls = []
        if self.secure:
            tls = [f"--tls-ca={self.pki('ca.pem')}", f"--tls-cert={self.pki(f'member-{i}.pem')}",
                   f"--tls-key={self.pki(f'member-{i}.key')}",
                   f"--zk-secure-port={self.secure_port(i)}"]
        return [os.path.join(self.bin_dir, "warrend"), f"--id={i}", f"--members={members}",
                f"--data-dir={self.member_dir(i)}", f"--zk-port={self.zk_port(i)}",
                *tls, *self.extra_args]

    def _write_zookeeper_config(self, i):
        data_dir = os.path.join(self.member_dir(i), "data")
        conf_dir = os.path.join(self.member_dir(i), "conf")
        os.makedirs(data_dir, exist_ok=True)
        os.makedirs(conf_dir, exist_ok=True)
        with open(os.path.join(data_dir, "myid"), "w") as f:
            f.write(f"{i}\n")
        lines = [
            "tickTime=1000",  # session timeouts from 2 s to 20 s
            "initLimit=10",
            "syncLimit=5",
            f"dataDir={data_dir}",
            f"clientPort={self.zk_port(i)}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            "extendedTypesEnabled=true",
            *self.zookeeper_config,
        ]
        if self.secure:
            lines += [
                f"secureClientPort={self.secure_port(i)}",
                "secureClientPortAddress=127.0.0.1",
                "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
                f"ssl.keyStore.location={self.pki(f'member-{i}-combined.pem')}",
                "ssl.keyStore.type=PEM",
                f"ssl.trustStore.location={self.pki('ca.pem')}",
                "ssl.trustStore.type=PEM",
                "ssl.clientAuth=want",  # as Warren: a certificate if the client has one
            ]
        for j in self.members():
            quorum_port = self.base_port + j - 1
            election_port = self.base_port + PEER_PORTS + j
            lines.append(f"server.{j}=127.0.0.1:{quorum_port}:{election_port}")
        with open(os.path.join(conf_dir, "zoo.cfg"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def _zookeeper_command(self, i):
        conf_dir = os.path.join(self.member_dir(i), "conf")
        return ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", ":".join([conf_dir, ZOOKEEPER_JAR, SLF4J_SIMPLE_JAR, *NETTY_JARS]),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                f"-Dzookeeper.log.dir={self.member_dir(i)}",
                "-Dzookeeper.extendedTypesEnabled=true",
                "-Dzookeeper.admin.enableServer=false",
                *(f"-D{prop}" for prop in self.zookeeper_props),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                os.path.join(conf_dir, "zoo.cfg")]

    def _spawn(self, i):
        log = self._logs.get(i)
        if log is None:
            log = self._logs[i] = open(self.log_path(i), "ab")
        log.write(f"=== {time.strftime('%H:%M:%S')} starting member {i}\n".encode())
        log.flush()
        self._procs[i] = subprocess.Popen(
            self._command(i), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)

    def _wait_serving(self, i, deadline):
        """Waits until a kazoo client connected to member i alone can create and delete;
        fails at once if the member exits."""
        last_error = None
        while True:
            if not self.alive(i):
                raise RuntimeError(f"member {i} ({self.kind}) exited; log tail:\n"
                                   + self.log_tail(i))
            try:
                return _probe_write(self.zk_address(i))
            except Exception as e:  # noqa: BLE001 - not serving yet
                last_error = e
            if time.monotonic() >= deadline:
                raise AssertionError(f"member {i} ({self.kind}) did not serve writes on "
                                     f"{self.zk_address(i)} in time (last error: "
                                     f"{last_error!r}); log tail:\n{self.log_tail(i)}")
            time.sleep(0.2)


def _probe_write(address):
    client = new_kazoo_client(address, timeout=4.0)
    try:
        client.start(timeout=3)
        path = f"/warren-quorum-probe-{uuid.uuid4().hex}"
        client.create(path, b"probe", ephemeral=True)
        client.delete(path)
        return True
    finally:
        try:
            client.stop()
            client.close()
        except Exception:  # noqa: BLE001
            pass


def member_serving(quorum, client):
    """The member (1-based) whose client port the kazoo client is connected to, or None while
    it is not connected."""
    sock = getattr(client._connection, "_socket", None)
    if sock is None:
        return None
    try:
        _, port = sock.getpeername()[:2]
    except OSError:
        return None
    return quorum.member_of_port(port)


def install_signal_cleanup():
    """Turns SIGTERM (e.g. a ctest timeout) into SystemExit so that `finally` and context
    managers stop the quorum."""
    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)


if __name__ == "__main__":
    # Manual use: python3 warren_quorum.py KIND WORKDIR BASE_PORT -- starts, prints the
    # connect string, runs until Ctrl-C.
    install_signal_cleanup()
    kind, workdir, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Quorum(kind, workdir, base) as q:
        print(q.connect_string(), flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


def run_suite(description, default_port, default_workdir, use_quorum, test_runner=None,
              **quorum_options):
    """A test script's main: parses --kind, --bin-dir, --base-port and --workdir (the rest go
    to unittest), starts one Quorum (with quorum_options), hands it to use_quorum, runs the
    __main__ module's unittest tests against it, prints the members' logs if any failed, and
    exits 0 or 1."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--kind", choices=("warren", "zookeeper"), default="warren")
    parser.add_argument("--bin-dir", default=None, help="where warrend is (kind warren)")
    parser.add_argument("--base-port", type=int, default=default_port)
    parser.add_argument("--workdir", default=default_workdir)
    args, unittest_args = parser.parse_known_args()
    install_signal_cleanup()
    started = time.monotonic()
    with Quorum(args.kind, args.workdir, args.base_port, bin_dir=args.bin_dir,
                **quorum_options) as quorum:
        print(f"{args.kind} quorum serving on {quorum.connect_string()} after "
              f"{time.monotonic() - started:.1f} s; logs in {args.workdir}", flush=True)
        use_quorum(quorum)
        program = unittest.main(argv=[sys.argv[0], "-v"] + unittest_args, exit=False,
                                testRunner=test_runner)
        if not program.result.wasSuccessful():
            print(quorum.log_tails(), end="", flush=True)
    print(f"total {time.monotonic() - started:.1f} s")
    sys.exit(0 if program.result.wasSuccessful() else 1)
