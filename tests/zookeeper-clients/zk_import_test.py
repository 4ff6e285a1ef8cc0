"""`warren import-zk` against a real ZooKeeper 3.8 (Debian's zookeeper.jar, standalone).

ZooKeeper runs with a small snapCount, so that its data directory holds several snapshots and
transaction logs after the newest, while kazoo drives a workload: persistent, sequential,
ephemeral and ephemeral-sequential nodes, containers and TTL nodes (raw requests: kazoo 2.8
has no call for them), binary, empty and null data, setData with versions, deletes, setACL
with digest and world ACLs, a multi that commits and one that fails, sessions closed and
sessions left open, deep paths, a quota whose running count ZooKeeper got wrong (the import
counts it afresh, as ZooKeeper's own restart does). Every node (path, data, full stat, ACL),
the quota nodes among them, is dumped through kazoo; ZooKeeper is stopped (SIGKILL, as a crash leaves its logs; then again with a clean
stop), `warren import-zk` converts its data directory, `warren check` passes on the result,
and warrend started on it with --zk-port must show the same dump, node for node. Then: a new
write's zxid is above every imported one; a sequential create under an imported parent gets
ZooKeeper's next number; a session left open reattaches with the id and password ZooKeeper
gave it, and keeps its ephemerals; an abandoned one expires and its ephemerals go; warrend
restarts on the imported data directory (Raft indexes of epoch << 32 and more).

    /usr/bin/python3 zk_import_test.py --bin-dir=build/bin --base-port=7800 \
        --workdir=/tmp/zk-import
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import unittest
from collections import namedtuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warren_quorum import (Quorum, die_with_parent, eventually,  # noqa: E402
                           install_signal_cleanup, new_kazoo_client)

from kazoo.exceptions import BadVersionError, NoNodeError  # noqa: E402
from kazoo.protocol.serialization import Create2, long_struct  # noqa: E402
from kazoo.protocol.states import KazooState  # noqa: E402
from kazoo.security import make_acl, make_digest_acl  # noqa: E402

ARGS = None
SESSION_TIMEOUT_S = 4.0
WAIT_S = 20
OPEN_ACL = [make_acl("world", "anyone", all=True)]
ZK_PROPS = ["zookeeper.snapCount=16", "zookeeper.preAllocSize=16"]  # preAllocSize in KiB


class CreateContainer(Create2):
    type = 19


class CreateTTL(namedtuple("CreateTTL", "path data acl flags ttl")):
    type = 21

    def serialize(self):
        b = Create2(self.path, self.data, self.acl, self.flags).serialize()
        b.extend(long_struct.pack(self.ttl))
        return b

    @classmethod
    def deserialize(cls, bytes, offset):
        return Create2.deserialize(bytes, offset)


def call(client, request):
    result = client.handler.async_result()
    client._call(request, result)
    return result.get(timeout=WAIT_S)


def create_container(client, path, value=b""):
    return call(client, CreateContainer(path, value, OPEN_ACL, 4))


def create_ttl(client, path, ttl_ms, value=b"", sequential=False):
    return call(client, CreateTTL(path, value, OPEN_ACL, 6 if sequential else 5, ttl_ms))


def dump(client):
    """Every node but /zookeeper and below, and the quotas below /zookeeper/quota:
    path -> (data, stat, ACL)."""
    nodes = {}

    def walk(path):
        data, stat = client.get(path)
        acl, _ = client.get_acls(path)
        # Warren keeps no null data apart from empty (docs/migrating-from-zookeeper.md).
        nodes[path] = (b"" if data is None else data, tuple(stat),
                       sorted((a.perms, a.id.scheme, a.id.id) for a in acl))
        for child in sorted(client.get_children(path)):
            child_path = ("" if path == "/" else path) + "/" + child
            if child_path != "/zookeeper":
                walk(child_path)
    walk("/")
    walk("/zookeeper/quota")
    return nodes


def max_zxid(nodes):
    return max(max(stat[0], stat[1], stat[10]) for _, stat, _ in nodes.values())


def wait_reading(address):
    """Until a client can read / at address; reads only, so the tree is left as it is."""
    def probe():
        client = new_kazoo_client(address, timeout=SESSION_TIMEOUT_S)
        try:
            client.start(timeout=3)
            return client.exists("/") is not None
        finally:
            client.stop()
            client.close()
    eventually(probe, 60, f"a member reading on {address}", interval=0.2)


def run(cmd, **kwargs):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, **kwargs)


class ImportCase:
    """One ZooKeeper run, stopped with `stop` ("kill" or "term"), imported and served."""

    def __init__(self, test, stop, base_port, zookeeper_config):
        self.test = test
        self.stop = stop
        self.workdir = os.path.join(ARGS.workdir, stop)
        self.base_port = base_port
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)
        self.zookeeper_config = zookeeper_config
        self.zk = Quorum("zookeeper", os.path.join(self.workdir, "zookeeper"), base_port, n=1,
                         zookeeper_props=ZK_PROPS, zookeeper_config=zookeeper_config)
        self.address = self.zk.zk_address(1)
        self.warrend = None
        self.clients = []

    def client(self, **kwargs):
        c = new_kazoo_client(self.address, timeout=SESSION_TIMEOUT_S, **kwargs)
        c.start(timeout=10)
        self.clients.append(c)
        return c

    def close(self):
        for c in self.clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - stopped already, or its server gone
                pass
        self.zk.stop()
        if hasattr(self, "d"):
            if self.d.poll() is None:
                self.d.kill()
                self.d.wait()
            self.d.stdin.close()
            self.d.stdout.close()
        if self.warrend is not None and self.warrend.poll() is None:
            self.warrend.kill()
            self.warrend.wait()

    # -- on ZooKeeper ------------------------------------------------------------------------

    def workload(self):
        self.zk.start()
        a = self.client(auth_data=[("digest", "admin:secret")])
        a.create("/app", b"root data")
        # A quota on /app, its stats node made before its limits node: ZooKeeper counts the
        # subtree when the stats node is made and then only once the limits node is there, so
        # the creates between are missing from its usage until it restarts and counts afresh.
        # The import must count as that restart does.
        a.create("/zookeeper/quota/app/zookeeper_stats", b"count=0,bytes=0", makepath=True)
        a.create("/app/binary", bytes([0, 1, 0, 255, 254, 0]))
        a.create("/app/empty", b"")
        a.create("/app/null", None)
        a.create("/zookeeper/quota/app/zookeeper_limits",
                 b"count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=1000")
        a.create("/deep/a/b/c/d/e/f/g/h/i/j", b"deep", makepath=True)
        a.create("/seq")
        for i in range(6):
            a.create("/seq/item-", str(i).encode(), sequence=True)
        a.delete("/seq/item-0000000001")
        a.delete("/seq/item-0000000004")
        a.create("/versions", b"v0")
        a.set("/versions", b"v1")
        a.set("/versions", b"v2", version=1)
        with self.test.assertRaises(BadVersionError):
            a.set("/versions", b"never", version=7)
        a.create("/gone", b"x")
        a.delete("/gone", version=0)
        a.create("/acl")
        a.create("/acl/digest", b"secret", acl=[make_digest_acl("admin", "secret", all=True)])
        a.create("/acl/readonly", b"r")
        a.set_acls("/acl/readonly", [make_acl("world", "anyone", read=True)])
        a.create("/acl/mixed", b"m")
        a.set_acls("/acl/mixed", [make_digest_acl("admin", "secret", all=True),
                                  make_acl("world", "anyone", read=True, create=True)])
        t = a.transaction()
        t.create("/multi", b"ok")
        t.create("/multi/one", b"1")
        t.set_data("/versions", b"v3")
        t.delete("/app/empty")
        self.test.assertFalse(any(isinstance(r, Exception) for r in t.commit()))
        t = a.transaction()
        t.create("/multi/never", b"no")
        t.check("/versions", 99)
        self.test.assertTrue(any(isinstance(r, Exception) for r in t.commit()))
        create_container(a, "/container")
        a.create("/container/child", b"c")
        create_container(a, "/empty-container")
        create_ttl(a, "/ttl", 600000, b"ttl data")
        create_ttl(a, "/ttl-seq-", 900000, sequential=True)
        a.create("/eph")

        # Sessions: b stays connected (and reattaches to Warren), d is left open but abandoned
        # (it must expire there), c closes (its ephemerals go on ZooKeeper already).
        self.b = self.client()
        self.b.create("/eph/b-seq-", b"bs", sequence=True)
        self.b.create("/eph/b", b"b", ephemeral=True)
        self.b.create("/eph/b-eseq-", b"", ephemeral=True, sequence=True)
        self.d = self.abandoned_session("/eph/d")
        c = self.client()
        c.create("/eph/c", b"c", ephemeral=True)
        c.stop()
        c.close()
        self.b_id = self.b.client_id

        # Enough writes for several snapshots, and a log after the newest.
        for i in range(40):
            a.set("/app", f"round {i}".encode())
        for i in range(60):
            if self._log_after_snapshot():
                break
            a.set("/app", f"more {i}".encode())
        a.set("/app", b"final")
        a.stop()
        a.close()
        self.clients.remove(a)

    def abandoned_session(self, path):
        """A process holding a session with an ephemeral at `path`, to be SIGKILLed."""
        script = (
            "import sys; sys.path.insert(0, %r)\n"
            "from warren_quorum import new_kazoo_client\n"
            "c = new_kazoo_client(%r, timeout=%r); c.start(timeout=10)\n"
            "c.create(%r, b'abandoned', ephemeral=True)\n"
            "print('ready', flush=True); sys.stdin.read()\n"
            % (os.path.dirname(os.path.abspath(__file__)), self.address, SESSION_TIMEOUT_S,
               path))
        proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        self.test.assertEqual(proc.stdout.readline().strip(), "ready")
        return proc

    def _files(self, prefix):
        d = os.path.join(self.zk.member_dir(1), "data", "version-2")
        return sorted(int(f[len(prefix):], 16) for f in os.listdir(d)
                      if f.startswith(prefix) and "." not in f[len(prefix):])

    def _log_after_snapshot(self):
        snaps, logs = self._files("snapshot."), self._files("log.")
        return len(snaps) >= 2 and logs and logs[-1] > snaps[-1]

    def dump_zookeeper(self):
        reader = self.client(auth_data=[("digest", "admin:secret")])
        self.expected = dump(reader)
        reader.stop()
        reader.close()
        self.clients.remove(reader)

    def stop_zookeeper(self):
        # d's process dies first, so that no close can reach anyone.
        self.d.kill()
        self.d.wait()
        if self.stop == "kill":
            self.zk.kill(1)
        self.zk.stop()
        self.test.assertGreaterEqual(len(self._files("snapshot.")), 2)
        self.test.assertTrue(self._files("log."))

    # -- on Warren ---------------------------------------------------------------------------

    def import_zk(self):
        self.data_dir = os.path.join(self.workdir, "warren")
        cmd = [os.path.join(ARGS.bin_dir, "warren"), "--json", "import-zk",
               os.path.join(self.zk.member_dir(1), "data"), f"--data-dir={self.data_dir}",
               "--id=1", f"--address=127.0.0.1:{self.base_port + 5}"]
        out = run(cmd)
        self.test.assertEqual(out.returncode, 0, out.stderr + out.stdout)
        self.report = json.loads(out.stdout)
        self.test.assertGreater(self.report["txns"], 0, self.report)  # a log after the snapshot
        check = run([os.path.join(ARGS.bin_dir, "warren"), "check", self.data_dir])
        self.test.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def zookeeper_next_sequential(self, parent):
        """What ZooKeeper, started on a copy of its data directory (on other ports, so that
        the clients of the original stay away), names the next sequential child of
        `parent`."""
        copy = Quorum("zookeeper", os.path.join(self.workdir, "zookeeper-copy"),
                      self.base_port + 12, n=1, zookeeper_props=ZK_PROPS,
                      zookeeper_config=self.zookeeper_config)
        copy.prepare(1)
        shutil.copytree(os.path.join(self.zk.member_dir(1), "data", "version-2"),
                        os.path.join(copy.member_dir(1), "data", "version-2"))
        try:
            copy.restart(1)
            client = new_kazoo_client(copy.zk_address(1), timeout=SESSION_TIMEOUT_S)
            client.start(timeout=10)
            try:
                return client.create(parent + "/item-", b"", sequence=True)
            finally:
                client.stop()
                client.close()
        finally:
            copy.stop()

    def start_warrend(self):
        log = open(os.path.join(self.workdir, "warrend.log"), "ab")
        self.warrend = subprocess.Popen(
            [os.path.join(ARGS.bin_dir, "warrend"), "--id=1",
             f"--members=1=127.0.0.1:{self.base_port + 5}", f"--data-dir={self.data_dir}",
             f"--zk-port={self.zk.zk_port(1)}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        log.close()
        wait_reading(self.address)

    def stop_warrend(self):
        self.warrend.send_signal(signal.SIGTERM)
        self.warrend.wait(timeout=30)


def check_case(test, case):
    case.workload()
    case.dump_zookeeper()
    case.stop_zookeeper()
    case.import_zk()
    if case.zookeeper_config:
        test.assertGreater(case.report["index"], 1 << 32)
    zookeeper_seq = case.zookeeper_next_sequential("/seq")
    test.assertGreaterEqual(case.report["index"], max_zxid(case.expected))
    case.start_warrend()

    # /app's quota usage: what ZooKeeper shows after a restart, the subtree counted afresh.
    stats = "/zookeeper/quota/app/zookeeper_stats"
    subtree = [n for p, n in case.expected.items() if p == "/app" or p.startswith("/app/")]
    recounted = f"count={len(subtree)},bytes={sum(len(n[0]) for n in subtree)}".encode()
    data, stat, acl = case.expected[stats]
    test.assertNotEqual(data, recounted, "ZooKeeper's running count should have missed some")
    stat = stat[:8] + (len(recounted),) + stat[9:]  # dataLength
    case.expected[stats] = (recounted, stat, acl)

    reader = case.client(auth_data=[("digest", "admin:secret")])
    got = dump(reader)
    test.assertEqual(sorted(got), sorted(case.expected))
    for path in case.expected:
        test.assertEqual(got[path], case.expected[path], path)

    # A new write is above every imported zxid, and above the import's index.
    _, stat = reader.create("/after-import", b"", include_data=True)
    test.assertGreater(stat.czxid, case.report["index"])
    test.assertGreater(stat.czxid, max_zxid(case.expected))
    # ZooKeeper numbers sequential nodes by the creates under the parent, not by the cversion
    # it shows (creates and deletes): the next one is the name it gave.
    test.assertEqual(reader.create("/seq/item-", b"", sequence=True), zookeeper_seq)
    # The imported quota counts on: its usage grows with a create.
    before = dict(f.split("=") for f in reader.get(stats)[0].decode().split(","))
    reader.create("/app/after-import", b"12345")
    after = dict(f.split("=") for f in reader.get(stats)[0].decode().split(","))
    test.assertEqual((int(after["count"]), int(after["bytes"])),
                     (int(before["count"]) + 1, int(before["bytes"]) + 5))

    # b reattaches to its session (kazoo sends the id and password ZooKeeper gave it).
    eventually(lambda: case.b.state == KazooState.CONNECTED and case.b.exists("/eph/b"),
               WAIT_S, "the open session to reattach")
    test.assertEqual(case.b.client_id, case.b_id)
    owner = case.b_id[0]
    test.assertEqual(reader.exists("/eph/b").ephemeralOwner, owner)
    eseq = [p for p in case.expected if p.startswith("/eph/b-eseq-")]
    test.assertEqual(len(eseq), 1)
    test.assertEqual(reader.exists(eseq[0]).ephemeralOwner, owner)
    # A client that saw the session on ZooKeeper may reattach with its id and password.
    again = case.client(client_id=case.b_id)
    test.assertEqual(again.client_id[0], owner)
    test.assertIsNotNone(again.exists("/eph/b"))
    # d was abandoned: once its timeout passes, its ephemerals go.
    test.assertIsNotNone(reader.exists("/eph/d"))
    eventually(lambda: reader.exists("/eph/d") is None, WAIT_S, "the abandoned session's "
               "ephemeral to go")

    # Raft indexes above epoch << 32 survive a restart.
    case.stop_warrend()
    for c in list(case.clients):
        c.stop()
        c.close()
        case.clients.remove(c)
    case.start_warrend()
    reader = case.client(auth_data=[("digest", "admin:secret")])
    test.assertIsNotNone(reader.exists("/after-import"))
    _, stat2 = reader.create("/after-restart", b"", include_data=True)
    test.assertGreater(stat2.czxid, stat.czxid)
    with test.assertRaises(NoNodeError):
        reader.get("/zookeeper/never")


class ZkImportTest(unittest.TestCase):
    def _run(self, stop, port_offset, zookeeper_config=()):
        case = ImportCase(self, stop, ARGS.base_port + port_offset, zookeeper_config)
        try:
            check_case(self, case)
        finally:
            case.close()

    def test_after_sigkill(self):
        # A quorum of one, not standalone: zxids start at epoch 1 (1 << 32), beyond 32 bits.
        self._run("kill", 0, ["standaloneEnabled=false"])

    def test_after_clean_stop(self):
        self._run("term", 30)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--base-port", type=int, default=7800)
    parser.add_argument("--workdir", default="/tmp/zk-import")
    ARGS, rest = parser.parse_known_args()
    install_signal_cleanup()
    program = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
