"""Drives a 3-member quorum through kazoo (python3-kazoo 2.8), an unmodified ZooKeeper client.

Covers: the client calls (create in every mode, get/set/delete with versions, exists,
children, ensure_path, recursive delete, transactions, sync, the errors ZooKeeper gives,
sequential names, data near the 1 MiB limit and over it, stat fields); the kazoo recipes
(Lock, Election, Counter, Barrier, DoubleBarrier, Queue, LockingQueue, Party, Semaphore,
DataWatch, ChildrenWatch, TreeCache) with several clients contending; a session moving to
another member when its member is killed (ephemerals and watches kept); session expiry and
clean close; one-shot watches, and what watches see across a reconnection (kazoo 2.8 does
not send setWatches: it ends one-shot watches with a NONE event and its recipes read again;
re-sent watches are tested with the Java client in zkcli_test.py).

Every test must pass against real ZooKeeper (the spec) as well as against Warren:
    /usr/bin/python3 kazoo_test.py --kind=zookeeper --base-port=7700 --workdir=/tmp/zk-kazoo
    /usr/bin/python3 kazoo_test.py --kind=warren --bin-dir=build/bin --base-port=7700 \
        --workdir=/tmp/warren-kazoo
Arguments after these go to unittest (e.g. `-k Lock` runs the tests whose name has Lock).
One quorum serves the whole suite; a member killed by a test is restarted before the next.
"""

import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warren_quorum import (die_with_parent, eventually, member_serving,  # noqa: E402
                           new_kazoo_client, run_suite)

from kazoo.exceptions import (BadVersionError, KazooException,  # noqa: E402
                              NoChildrenForEphemeralsError, NodeExistsError, NoNodeError,
                              NotEmptyError, RolledBackError, RuntimeInconsistency)
from kazoo.protocol.states import EventType, KazooState  # noqa: E402
from kazoo.recipe.cache import TreeCache, TreeEvent  # noqa: E402
from kazoo.retry import KazooRetry  # noqa: E402

CLIENT_TIMEOUT_S = 4.0       # session timeout the clients ask for
WAIT_S = 20                  # bound on any wait for the quorum to do something
EXPIRY_MARGIN_S = 8          # an expired session's ephemerals are gone within timeout + this
MAX_DATA = 1024 * 1024       # about the largest request: jute.maxbuffer is 1 MiB - 1
QUORUM = None                # the Quorum every test uses (set by main)


# -- helpers -----------------------------------------------------------------------------------

def retrying(fn, *args, **kwargs):
    """Calls fn, retrying through connection losses (e.g. while a member dies), bounded."""
    retry = KazooRetry(max_tries=-1, delay=0.1, backoff=1.3, max_delay=1.0, deadline=WAIT_S,
                       ignore_expire=False)
    return retry(fn, *args, **kwargs)


def create_retrying(client, path, value=b"", **kwargs):
    """Creates path through connection losses; a NodeExistsError after a lost connection
    means an earlier attempt succeeded."""
    attempts = []

    def attempt():
        attempts.append(1)
        try:
            return client.create(path, value, **kwargs)
        except NodeExistsError:
            if len(attempts) == 1:
                raise
            return path
    return retrying(attempt)


def close_quietly(client):
    try:
        client.stop()
        client.close()
    except Exception:  # noqa: BLE001 - the client may be stopped or its member dead
        pass


class StateLog:
    """Records a kazoo client's connection states."""

    def __init__(self, client):
        self.states = []
        client.add_listener(self.states.append)

    @property
    def lost(self):
        return KazooState.LOST in self.states


class EventLog:
    """Collects watch events (one-shot watch callbacks) in order."""

    def __init__(self):
        self.events = []
        self._lock = threading.Lock()

    def __call__(self, event):
        with self._lock:
            self.events.append(event)

    def wait_for(self, count, what):
        eventually(lambda: len(self.events) >= count, WAIT_S, what)
        return self.events

    def kinds(self):
        return [(e.type, e.path) for e in self.events]


class Recorder:
    """Collects the values a recipe's watch function is called with: DataWatch's (data,
    stat), ChildrenWatch's (children,)."""

    def __init__(self, arity):
        self.arity = arity
        self.values = []

    def __call__(self, *args):  # DataWatch passes the event too when the function takes it
        self.values.append(args[:self.arity])

    def wait_last(self, predicate, what):
        eventually(lambda: self.values and predicate(*self.values[-1]), WAIT_S, what)


def cached_data(tree_cache, path):
    """The data a TreeCache holds for path, None if it holds no such node."""
    node = tree_cache.get_data(path)
    return None if node is None else node.data


def run_threads(targets):
    """Runs each callable in its own thread, joins them (bounded) and re-raises the first
    exception any of them raised."""
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported to the test's thread
                errors.append(e)
        return run
    threads = [threading.Thread(target=wrap(t), daemon=True) for t in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 2 * WAIT_S
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise AssertionError("threads still running after %d s" % (2 * WAIT_S))
    if errors:
        raise errors[0]


class QuorumTestCase(unittest.TestCase):
    """Restarts members killed by an earlier test; gives each test a root path of its own and
    clients that are closed when it ends."""

    def setUp(self):
        restarted = QUORUM.restart_dead()
        if restarted:
            print(f"(restarted member(s) {restarted}) ", end="", flush=True)
        self._clients = []
        self.root = "/" + self._testMethodName
        self.admin = self.new_client()
        self.admin.create(self.root)

    def tearDown(self):
        for client in reversed(self._clients):
            close_quietly(client)

    def new_client(self, hosts=None):
        """A started client, of the given members or (by default) of all."""
        client = new_kazoo_client(hosts or QUORUM.connect_string(), timeout=CLIENT_TIMEOUT_S)
        self._clients.append(client)
        client.start(timeout=WAIT_S)
        return client

    def client_on(self, member):
        """A client connected to one member only."""
        return self.new_client(QUORUM.zk_address(member))

    def clients_on_members(self):
        return [self.client_on(i) for i in QUORUM.members()]

    def path(self, *parts):
        return "/".join((self.root,) + parts)

    @staticmethod
    def visible(path, *clients):
        """Makes every write to path so far visible to the clients, whose members may lag
        behind the one that took it (ZooKeeper's sync); returns path."""
        for client in clients:
            client.sync(path)
        return path

    def survivors_client(self, dead):
        """A client connected to the members other than `dead`."""
        others = ",".join(QUORUM.zk_address(i) for i in QUORUM.members() if i != dead)
        return self.new_client(others)


# -- client calls ------------------------------------------------------------------------------

class ClientCallsTest(QuorumTestCase):

    def test_get_set_delete_with_versions(self):
        c = self.admin
        p = self.path("node")
        self.assertEqual(c.create(p, b"v0"), p)
        data, stat = c.get(p)
        self.assertEqual((data, stat.version), (b"v0", 0))
        self.assertEqual(c.set(p, b"v1", version=0).version, 1)
        with self.assertRaises(BadVersionError):
            c.set(p, b"v2", version=0)
        self.assertEqual(c.get(p)[0], b"v1")
        self.assertEqual(c.set(p, b"v3").version, 2)  # -1: any version
        with self.assertRaises(BadVersionError):
            c.delete(p, version=1)
        self.assertIsNotNone(c.exists(p))
        c.delete(p, version=2)
        self.assertIsNone(c.exists(p))

    def test_errors(self):
        c = self.admin
        p = self.path("parent")
        c.create(p)
        c.create(self.path("parent", "child"))
        with self.assertRaises(NoNodeError):
            c.get(self.path("missing"))
        with self.assertRaises(NoNodeError):
            c.set(self.path("missing"), b"x")
        with self.assertRaises(NoNodeError):
            c.delete(self.path("missing"))
        with self.assertRaises(NoNodeError):
            c.create(self.path("missing", "child"))
        with self.assertRaises(NoNodeError):
            c.get_children(self.path("missing"))
        with self.assertRaises(NodeExistsError):
            c.create(p)
        with self.assertRaises(NotEmptyError):
            c.delete(p)
        self.assertEqual(c.get_children(p), ["child"])

    def test_create_ephemeral_and_plain(self):
        c = self.admin
        plain = c.create(self.path("plain"))
        ephemeral = c.create(self.path("ephemeral"), b"e", ephemeral=True)
        self.assertEqual(c.exists(plain).ephemeralOwner, 0)
        self.assertEqual(c.exists(ephemeral).ephemeralOwner, c.client_id[0])
        with self.assertRaises(NoChildrenForEphemeralsError):
            c.create(self.path("ephemeral", "child"))

    def test_sequential_names(self):
        c = self.admin
        parent = c.create(self.path("seq"))
        names = [c.create(parent + "/n-", sequence=True) for _ in range(3)]
        names.append(c.create(parent + "/e-", ephemeral=True, sequence=True))
        suffixes = []
        for name in names:
            suffix = name[-10:]
            self.assertTrue(suffix.isdigit() and len(name) == len(parent) + 3 + 10, name)
            suffixes.append(int(suffix))
        self.assertEqual(suffixes, [0, 1, 2, 3])
        self.assertEqual(c.exists(names[3]).ephemeralOwner, c.client_id[0])
        self.assertEqual(sorted(c.get_children(parent)), sorted(n.rsplit("/", 1)[1]
                                                                   for n in names))

    def test_makepath_and_create2(self):
        c = self.admin
        deep = self.path("a", "b", "c")
        self.assertEqual(c.create(deep, b"deep", makepath=True), deep)
        self.assertEqual(c.get(deep)[0], b"deep")
        self.assertIsNotNone(c.exists(self.path("a", "b")))
        created, stat = c.create(self.path("with-stat"), b"12345", include_data=True)
        self.assertEqual(created, self.path("with-stat"))
        self.assertEqual((stat.version, stat.dataLength, stat.numChildren), (0, 5, 0))
        self.assertEqual(stat.czxid, stat.mzxid)
        self.assertEqual(stat, c.exists(created))

    def test_children_ensure_path_and_recursive_delete(self):
        c = self.admin
        top = self.path("tree")
        self.assertTrue(c.ensure_path(top + "/x/y/z"))
        self.assertTrue(c.ensure_path(top + "/x/y/z"))  # already there: fine
        for name in ("a", "b", "c"):
            c.create(f"{top}/x/{name}", name.encode())
        children, stat = c.get_children(top + "/x", include_data=True)
        self.assertEqual(sorted(children), ["a", "b", "c", "y"])
        self.assertEqual(stat.numChildren, 4)
        self.assertEqual(stat, c.exists(top + "/x"))
        c.delete(top, recursive=True)
        self.assertIsNone(c.exists(top))
        self.assertEqual(c.get_children(self.root), [])

    def test_stat_fields(self):
        c = self.admin
        p = self.path("stat")
        c.create(p, b"abc")
        s0 = c.exists(p)
        self.assertEqual((s0.version, s0.cversion, s0.numChildren, s0.dataLength),
                         (0, 0, 0, 3))
        self.assertEqual(s0.ephemeralOwner, 0)
        self.assertEqual(s0.czxid, s0.mzxid)
        c.set(p, b"abcdef")
        s1 = c.exists(p)
        self.assertEqual((s1.version, s1.dataLength, s1.czxid), (1, 6, s0.czxid))
        self.assertLess(s0.mzxid, s1.mzxid)
        self.assertLessEqual(s1.ctime, s1.mtime)
        c.create(p + "/k1")
        c.create(p + "/k2")
        c.delete(p + "/k1")
        s2 = c.exists(p)
        self.assertEqual((s2.cversion, s2.numChildren, s2.version), (3, 1, 1))
        self.assertEqual(s2.mzxid, s1.mzxid)  # children do not change the data's zxid
        self.assertLess(s1.mzxid, s2.pzxid)
        self.assertLessEqual(s2.czxid, s2.mzxid)
        e = c.create(self.path("eph"), ephemeral=True)
        self.assertEqual(c.exists(e).ephemeralOwner, c.client_id[0])

    def test_sync_makes_other_members_writes_visible(self):
        writer, reader = self.client_on(1), self.client_on(2)
        p = self.path("synced")
        writer.create(p, b"0")
        for value in (b"1", b"2", b"3"):
            writer.set(p, value)
            reader.sync(p)
            self.assertEqual(reader.get(p)[0], value)

    def test_transaction_commits_all(self):
        c = self.admin
        c.create(self.path("to-set"), b"old")
        c.create(self.path("to-delete"))
        root_version = c.exists(self.root).version
        t = c.transaction()
        t.create(self.path("new"), b"n")
        t.check(self.root, root_version)
        t.set_data(self.path("to-set"), b"new")
        t.delete(self.path("to-delete"))
        results = t.commit()
        self.assertEqual(results[0], self.path("new"))
        self.assertIs(results[1], True)
        self.assertEqual(results[2].version, 1)
        self.assertIs(results[3], True)
        self.assertEqual(c.get(self.path("new"))[0], b"n")
        self.assertEqual(c.get(self.path("to-set"))[0], b"new")
        self.assertIsNone(c.exists(self.path("to-delete")))

    def test_failing_transaction_changes_nothing(self):
        c = self.admin
        c.create(self.path("to-set"), b"old")
        c.create(self.path("to-delete"))
        before = c.exists(self.path("to-set"))
        t = c.transaction()
        t.create(self.path("new"), b"n")
        t.set_data(self.path("to-set"), b"new")
        t.check(self.path("to-set"), 7)       # wrong version: the whole transaction fails
        t.delete(self.path("to-delete"))
        results = t.commit()
        # As ZooKeeper answers: the ops before the failed one rolled back, the failed one's
        # own error, the ops after it not run.
        self.assertEqual([type(r) for r in results],
                         [RolledBackError, RolledBackError, BadVersionError,
                          RuntimeInconsistency])
        self.assertIsNone(c.exists(self.path("new")))
        self.assertEqual(c.get(self.path("to-set")), (b"old", before))
        self.assertIsNotNone(c.exists(self.path("to-delete")))
        t = c.transaction()
        t.create(self.path("dup"))
        t.create(self.path("dup"))
        self.assertEqual([type(r) for r in t.commit()], [RolledBackError, NodeExistsError])
        self.assertIsNone(c.exists(self.path("dup")))

    def test_data_near_and_over_the_limit(self):
        c = self.admin
        p = self.path("big")
        big = bytes(range(256)) * ((MAX_DATA - 1024) // 256)
        c.create(p, big)
        self.assertEqual(c.get(p)[0], big)
        big2 = big[::-1]
        c.set(p, big2)
        data, stat = c.get(p)
        self.assertEqual((data, stat.dataLength, stat.version), (big2, len(big2), 1))
        too_big = b"x" * (MAX_DATA + 1024)
        with self.assertRaises(KazooException):  # an error, or the connection dropped
            c.set(p, too_big)
        with self.assertRaises(KazooException):
            c.create(self.path("too-big"), too_big)
        # The session survives (reconnecting if the server closed the connection).
        eventually(lambda: c.state == KazooState.CONNECTED, WAIT_S, "client to reconnect")
        self.assertEqual(retrying(c.get, p), (big2, stat))
        self.assertIsNone(retrying(c.exists, self.path("too-big")))


# -- recipes -----------------------------------------------------------------------------------

class RecipesTest(QuorumTestCase):

    def test_lock_mutual_exclusion(self):
        clients = [self.client_on(1), self.client_on(2)]
        counter = self.visible(self.admin.create(self.path("counter"), b"0"), *clients)
        lock_path = self.path("lock")
        inside = []          # threads inside the critical section right now
        overlaps = []
        rounds = 6

        def worker(client, name):
            def run():
                lock = client.Lock(lock_path, name)
                for _ in range(rounds):
                    with lock:
                        inside.append(name)
                        if len(inside) > 1:
                            overlaps.append(list(inside))
                        value = int(client.get(counter)[0])
                        client.set(counter, str(value + 1).encode())  # unversioned on purpose
                        inside.remove(name)
            return run
        run_threads([worker(c, f"c{i}t{t}") for i, c in enumerate(clients) for t in range(2)])
        self.assertEqual(overlaps, [])
        self.admin.sync(counter)
        self.assertEqual(int(self.admin.get(counter)[0]), 4 * rounds)

    def test_lock_contention_between_clients(self):
        a, b = self.client_on(1), self.client_on(3)
        lock_a, lock_b = a.Lock(self.path("lock"), "a"), b.Lock(self.path("lock"), "b")
        self.assertTrue(lock_a.acquire(timeout=WAIT_S))
        self.assertFalse(lock_b.acquire(blocking=False))
        self.assertEqual(lock_b.contenders(), ["a"])
        got = []
        waiter = threading.Thread(target=lambda: got.append(lock_b.acquire(timeout=WAIT_S)))
        waiter.start()
        eventually(lambda: lock_a.contenders() == ["a", "b"], WAIT_S, "b to queue for the lock")
        self.assertEqual(got, [])  # b queued behind a, not holding
        lock_a.release()
        waiter.join(WAIT_S)
        self.assertEqual(got, [True])
        self.assertEqual(lock_a.contenders(), ["b"])
        lock_b.release()

    def test_election(self):
        clients = {"one": self.client_on(1), "two": self.client_on(2)}
        leaders = []
        resign = threading.Event()

        def lead(name):
            leaders.append(name)
            resign.wait(WAIT_S)
        threads = []
        for name, client in clients.items():
            election = client.Election(self.path("election"), name)
            t = threading.Thread(target=self._run_election, args=(election, lead, name),
                                 daemon=True)
            t.start()
            threads.append(t)
        view = self.admin.Election(self.path("election"))
        eventually(lambda: sorted(view.contenders()) == ["one", "two"], WAIT_S,
                   "both clients to contend")
        eventually(lambda: len(leaders) == 1, WAIT_S, "a leader to be elected")
        first = leaders[0]
        self.assertEqual(view.contenders()[0], first)
        clients[first].stop()  # the leader's session ends: the other must take over
        eventually(lambda: len(leaders) == 2, WAIT_S, "a new leader after the first stopped")
        self.assertEqual(set(leaders), {"one", "two"})
        eventually(lambda: view.contenders() == [leaders[1]], WAIT_S,
                   "the first leader to leave the contenders")
        resign.set()
        for t in threads:
            t.join(WAIT_S)

    @staticmethod
    def _run_election(election, lead, name):
        try:
            election.run(lead, name)
        except Exception:  # noqa: BLE001 - the stopped client cannot release its node
            pass

    def test_counter(self):
        clients = [self.client_on(1), self.client_on(2)]
        path = self.path("counter")
        per_thread = 8

        def increment(client):
            def run():
                counter = client.Counter(path)
                for _ in range(per_thread):
                    counter += 1
            return run
        run_threads([increment(c) for c in clients for _ in range(2)])
        for c in clients:
            c.sync(path)
            self.assertEqual(c.Counter(path).value, 4 * per_thread)
        counter = clients[0].Counter(path)
        counter -= 5
        self.visible(path, clients[1])
        self.assertEqual(clients[1].Counter(path).value, 4 * per_thread - 5)

    def test_barrier(self):
        holder, waiter = self.client_on(1), self.client_on(2)
        barrier = holder.Barrier(self.path("barrier"))
        barrier.create()
        self.visible(self.path("barrier"), waiter)
        self.assertFalse(waiter.Barrier(self.path("barrier")).wait(timeout=0.3))
        passed = []
        t = threading.Thread(
            target=lambda: passed.append(waiter.Barrier(self.path("barrier")).wait(WAIT_S)))
        t.start()
        barrier.remove()
        t.join(WAIT_S)
        self.assertEqual(passed, [True])

    def test_double_barrier(self):
        clients = self.clients_on_members()
        entering, leaving = [], []
        seen_on_enter, seen_on_leave = [], []

        def participant(client, name):
            def run():
                barrier = client.DoubleBarrier(self.path("double"), len(clients), name)
                entering.append(name)
                barrier.enter()
                seen_on_enter.append(len(entering))  # nobody passes before all arrived
                leaving.append(name)
                barrier.leave()
                seen_on_leave.append(len(leaving))   # nobody leaves before all are leaving
            return run
        run_threads([participant(c, f"p{i}") for i, c in enumerate(clients)])
        self.assertEqual(seen_on_enter, [3, 3, 3])
        self.assertEqual(seen_on_leave, [3, 3, 3])

    def test_queue(self):
        producer = self.client_on(1)
        consumers = [self.client_on(2), self.client_on(3)]
        queue = producer.Queue(self.path("queue"))
        items = [str(i).encode() for i in range(12)]
        for item in items[:6]:
            queue.put(item)
        queue.put(b"urgent", priority=1)
        self.visible(self.path("queue"), *consumers)
        self.assertEqual(consumers[0].Queue(self.path("queue")).get(), b"urgent")
        self.assertEqual(consumers[1].Queue(self.path("queue")).get(), b"0")  # FIFO
        for item in items[6:]:
            queue.put(item)
        taken = {0: [], 1: []}

        def consume(i):
            def run():
                q = consumers[i].Queue(self.path("queue"))
                while True:
                    item = q.get()
                    if item is None:
                        return
                    taken[i].append(item)
            return run
        run_threads([consume(0), consume(1)])
        self.visible(self.path("queue"), producer)
        self.assertEqual(sorted(taken[0] + taken[1], key=int), items[1:])
        for got in taken.values():  # each consumer saw the items in queue order
            self.assertEqual(got, sorted(got, key=int))
        self.assertEqual(len(queue), 0)  # (its member applied the deletes before the sync)

    def test_locking_queue(self):
        producer, first, second = self.clients_on_members()
        path = self.path("lqueue")
        producer.LockingQueue(path).put_all([b"a", b"b", b"c"])
        q1, q2 = first.LockingQueue(path), second.LockingQueue(path)
        self.assertEqual(q1.get(WAIT_S), b"a")
        self.assertTrue(q1.holds_lock())
        self.assertEqual(q2.get(WAIT_S), b"b")  # a is locked by the first consumer
        self.assertTrue(q1.release())           # gives a back without consuming it
        self.assertTrue(q2.consume())           # b is done
        self.visible(path, second)              # (its member may not have the release yet)
        self.assertEqual(q2.get(WAIT_S), b"a")
        self.assertTrue(q2.consume())
        self.visible(path, first)
        self.assertEqual(q1.get(WAIT_S), b"c")
        self.assertTrue(q1.consume())
        self.visible(path, producer, second)
        self.assertEqual(len(producer.LockingQueue(path)), 0)
        self.assertIsNone(q2.get(0.2))

    def test_party(self):
        clients = self.clients_on_members()
        parties = [c.Party(self.path("party"), f"member-{i}") for i, c in enumerate(clients)]
        for party in parties:
            party.join()
        view = self.admin.Party(self.path("party"))
        self.visible(self.path("party"), self.admin)
        self.assertEqual(sorted(view), ["member-0", "member-1", "member-2"])
        self.assertEqual(len(view), 3)
        parties[1].leave()
        self.visible(self.path("party"), self.admin)
        self.assertEqual(sorted(view), ["member-0", "member-2"])
        clients[2].stop()  # its session closes: its ephemeral membership goes
        self.visible(self.path("party"), self.admin)
        self.assertEqual(sorted(view), ["member-0"])

    def test_semaphore(self):
        clients = self.clients_on_members()
        path = self.path("semaphore")
        sems = [c.Semaphore(path, f"s{i}", max_leases=2) for i, c in enumerate(clients)]
        self.assertTrue(sems[0].acquire(timeout=WAIT_S))
        self.assertTrue(sems[1].acquire(timeout=WAIT_S))
        self.assertFalse(sems[2].acquire(blocking=False))
        self.assertEqual(sorted(sems[2].lease_holders()), ["s0", "s1"])
        got = []
        t = threading.Thread(target=lambda: got.append(sems[2].acquire(timeout=WAIT_S)))
        t.start()
        sems[0].release()
        t.join(WAIT_S)
        self.assertEqual(got, [True])
        self.visible(path, clients[0])
        self.assertEqual(sorted(sems[0].lease_holders()), ["s1", "s2"])
        sems[1].release()
        sems[2].release()
        self.visible(path, clients[0])
        self.assertEqual(sems[0].lease_holders(), [])

    def test_data_watch(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        p = self.path("watched")
        seen = Recorder(2)
        watcher.DataWatch(p, seen)
        seen.wait_last(lambda data, stat: data is None and stat is None, "the missing node")
        writer.create(p, b"one")
        seen.wait_last(lambda data, stat: data == b"one" and stat.version == 0, "its creation")
        writer.set(p, b"two")
        seen.wait_last(lambda data, stat: data == b"two" and stat.version == 1, "its change")
        writer.delete(p)
        seen.wait_last(lambda data, stat: data is None, "its deletion")

    def test_children_watch(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        p = self.visible(self.admin.create(self.path("parent")), watcher)
        seen = Recorder(1)
        watcher.ChildrenWatch(p, seen)
        seen.wait_last(lambda children: children == [], "no children at first")
        writer.create(p + "/a")
        seen.wait_last(lambda children: children == ["a"], "child a")
        writer.create(p + "/b")
        seen.wait_last(lambda children: sorted(children) == ["a", "b"], "children a and b")
        writer.delete(p + "/a")
        seen.wait_last(lambda children: children == ["b"], "child a gone")

    def test_tree_cache(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        top = self.visible(self.admin.create(self.path("cached"), b"top"), watcher)
        cache = TreeCache(watcher, top)
        events = []
        cache.listen(events.append)
        cache.start()
        try:
            eventually(lambda: any(e.event_type == TreeEvent.INITIALIZED for e in events),
                       WAIT_S, "the cache to initialize")
            writer.create(top + "/x/y", b"y", makepath=True)
            eventually(lambda: cached_data(cache, top + "/x/y") == b"y", WAIT_S,
                       "the cache to see /x/y")
            self.assertEqual(cache.get_children(top), frozenset(["x"]))
            writer.set(top + "/x/y", b"y2")
            eventually(lambda: cached_data(cache, top + "/x/y") == b"y2", WAIT_S,
                       "the cache to see /x/y changed")
            writer.delete(top + "/x", recursive=True)
            eventually(lambda: cache.get_data(top + "/x") is None, WAIT_S,
                       "the cache to see /x removed")
            expected = {(TreeEvent.NODE_ADDED, top + "/x"),
                        (TreeEvent.NODE_ADDED, top + "/x/y"),
                        (TreeEvent.NODE_UPDATED, top + "/x/y"),
                        (TreeEvent.NODE_REMOVED, top + "/x/y"),
                        (TreeEvent.NODE_REMOVED, top + "/x")}
            # The listener hears of a change a little after the cache holds it.
            eventually(lambda: expected <= {(e.event_type, e.event_data.path)
                                            for e in list(events) if e.event_data},
                       WAIT_S, f"the listener to hear of {sorted(expected)}")
        finally:
            cache.close()


# -- sessions ----------------------------------------------------------------------------------

class SessionTest(QuorumTestCase):

    def test_session_moves_when_its_member_dies(self):
        client = self.new_client()
        states = StateLog(client)
        session = client.client_id[0]
        member = member_serving(QUORUM, client)
        self.assertIsNotNone(member)
        ephemeral = client.create(self.path("eph"), ephemeral=True)
        own = client.create(self.path("own"), b"v0")
        client.set(own, b"v1")  # the last write this session saw before its member died
        data = self.admin.create(self.path("data"), b"before")
        parent = self.admin.create(self.path("parent"))
        self.visible(self.root, client)
        one_shot = EventLog()
        client.get(data, watch=one_shot)
        data_seen, children_seen = Recorder(2), Recorder(1)
        client.DataWatch(data, data_seen)
        client.ChildrenWatch(parent, children_seen)
        children_seen.wait_last(lambda children: children == [], "the children watch set")

        QUORUM.kill(member)
        other = self.survivors_client(member)
        retrying(other.set, data, b"after")
        create_retrying(other, parent + "/child")

        eventually(lambda: client.state == KazooState.CONNECTED
                   and member_serving(QUORUM, client) not in (None, member), WAIT_S,
                   f"the client to reconnect to another member than {member}")
        self.assertFalse(states.lost, f"session lost; states {states.states}")
        self.assertEqual(client.client_id[0], session)
        # No going back in time: the new member has what the session saw (no sync here).
        self.assertEqual(client.get(own)[0], b"v1")
        other.sync(ephemeral)
        stat = other.exists(ephemeral)
        self.assertIsNotNone(stat, "the ephemeral went with the member")
        self.assertEqual(stat.ephemeralOwner, session)
        # kazoo 2.8 does not re-send watches (no setWatches): it ends its one-shot watches
        # with a NONE event when the connection drops, and its recipes read again.
        self.assertEqual(one_shot.wait_for(1, "the one-shot watch")[0].type, EventType.NONE)
        data_seen.wait_last(lambda d, stat: d == b"after", "the DataWatch to see the change")
        children_seen.wait_last(lambda children: children == ["child"],
                                "the ChildrenWatch to see the child")
        # Watches set on the new member fire.
        again = EventLog()
        self.assertEqual(client.get(data, watch=again)[0], b"after")
        other.set(data, b"later")
        self.assertEqual(again.wait_for(1, "a watch set after moving").pop().type,
                         EventType.CHANGED)
        data_seen.wait_last(lambda d, stat: d == b"later", "the DataWatch to see 'later'")

    def test_expired_session_loses_its_ephemerals(self):
        path = self.path("eph")
        child = subprocess.Popen(
            [sys.executable, "-c", EPHEMERAL_HOLDER, QUORUM.connect_string(), path,
             str(CLIENT_TIMEOUT_S)],
            stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        try:
            line = self._read_ready(child)
            self.assertTrue(line.startswith("ready "), line)
            deleted = EventLog()
            self.visible(path, self.admin)
            self.assertIsNotNone(self.admin.exists(path, watch=deleted))
            child.kill()
            child.wait()
            killed_at = time.monotonic()
            self.assertIsNotNone(self.admin.exists(path), "ephemeral gone at once on a kill")
            eventually(lambda: self.admin.exists(path) is None,
                       CLIENT_TIMEOUT_S + EXPIRY_MARGIN_S, "the expired session's ephemeral "
                       "to go")
            gone_after = time.monotonic() - killed_at
            self.assertGreater(gone_after, 1.0, "ephemeral removed long before the timeout")
            events = deleted.wait_for(1, "the NodeDeleted watch")
            self.assertEqual([(e.type, e.path) for e in events], [(EventType.DELETED, path)])
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()

    @staticmethod
    def _read_ready(child):
        result = []
        reader = threading.Thread(target=lambda: result.append(child.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(WAIT_S)
        if not result:
            raise AssertionError("the child process did not get ready")
        return result[0].strip()

    def test_clean_close_removes_ephemerals_at_once(self):
        client = self.new_client()
        paths = [client.create(self.path(f"eph{i}"), ephemeral=True) for i in range(3)]
        deleted = EventLog()
        observer = self.client_on(1)
        self.visible(self.root, observer)
        for p in paths:
            self.assertIsNotNone(observer.exists(p, watch=deleted))
        client.stop()
        observer.sync(self.root)
        self.assertEqual([observer.exists(p) for p in paths], [None] * 3)
        self.assertEqual(observer.get_children(self.root), [])
        deleted.wait_for(3, "three NodeDeleted events")
        self.assertEqual(sorted(deleted.kinds()), sorted((EventType.DELETED, p) for p in paths))


# A child process holding an ephemeral: connects, creates it, says so, waits to be killed.
EPHEMERAL_HOLDER = r"""
import sys, time
from kazoo.client import KazooClient
hosts, path, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
client = KazooClient(hosts=hosts, timeout=timeout)
client.start(timeout=20)
client.create(path, b"held", ephemeral=True)
print("ready %d" % client.client_id[0], flush=True)
time.sleep(120)
"""


# -- watches -----------------------------------------------------------------------------------

class WatchTest(QuorumTestCase):

    def _fire_sentinel(self, watcher, writer):
        """Sets a watch and fires it; once it fired, every event sent to `watcher` before it
        has been delivered too."""
        sentinel_path = self.path("sentinel")
        if writer.exists(sentinel_path) is None:
            writer.create(sentinel_path)
        sentinel = EventLog()
        watcher.sync(sentinel_path)
        watcher.get(sentinel_path, watch=sentinel)
        writer.set(sentinel_path, b"tick")
        sentinel.wait_for(1, "the sentinel watch")

    def test_data_watch_fires_once(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        p = self.visible(self.admin.create(self.path("data"), b"0"), watcher)
        events = EventLog()
        watcher.get(p, watch=events)
        writer.set(p, b"1")
        events.wait_for(1, "the data watch")
        writer.set(p, b"2")
        writer.delete(p)
        self._fire_sentinel(watcher, writer)
        self.assertEqual(events.kinds(), [(EventType.CHANGED, p)])

    def test_data_watch_fires_on_delete(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        p = self.visible(self.admin.create(self.path("data"), b"0"), watcher)
        events = EventLog()
        watcher.get(p, watch=events)
        writer.delete(p)
        events.wait_for(1, "the data watch")
        self._fire_sentinel(watcher, writer)
        self.assertEqual(events.kinds(), [(EventType.DELETED, p)])

    def test_exists_watch_on_missing_node_fires_on_create(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        p = self.path("later")
        events = EventLog()
        self.assertIsNone(watcher.exists(p, watch=events))
        writer.create(p)
        events.wait_for(1, "the exists watch")
        writer.set(p, b"x")
        self._fire_sentinel(watcher, writer)
        self.assertEqual(events.kinds(), [(EventType.CREATED, p)])

    def test_exists_watch_on_node_fires_on_change(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        p = self.visible(self.admin.create(self.path("there")), watcher)
        events = EventLog()
        self.assertIsNotNone(watcher.exists(p, watch=events))
        writer.set(p, b"x")
        events.wait_for(1, "the exists watch")
        writer.delete(p)
        self._fire_sentinel(watcher, writer)
        self.assertEqual(events.kinds(), [(EventType.CHANGED, p)])

    def test_children_watch_fires_once_on_children_only(self):
        watcher, writer = self.client_on(1), self.client_on(2)
        p = self.admin.create(self.path("parent"))
        writer.create(p + "/existing")
        self.visible(p, watcher)
        events = EventLog()
        watcher.get_children(p, watch=events)
        writer.set(p, b"data of the parent")      # not a children change
        writer.set(p + "/existing", b"data")      # nor this
        writer.create(p + "/new")
        events.wait_for(1, "the children watch")
        writer.create(p + "/newer")
        self._fire_sentinel(watcher, writer)
        self.assertEqual(events.kinds(), [(EventType.CHILD, p)])
        for child in writer.get_children(p):
            writer.delete(f"{p}/{child}")
        events = EventLog()
        self.visible(p, watcher)
        self.assertEqual(watcher.get_children(p, watch=events), [])
        writer.delete(p)
        events.wait_for(1, "the children watch on the deleted parent")
        self.assertEqual(events.kinds(), [(EventType.DELETED, p)])

    def test_watches_catch_up_after_reconnecting_elsewhere(self):
        # Changes made while the client was cut off reach its recipes once it reconnects to
        # another member; its one-shot watches are told of the disconnection. (Re-sent
        # watches, setWatches, are tested with the Java client in zkcli_test.py: kazoo 2.8
        # does not send setWatches.)
        member = 2
        watcher = self.client_on(member)  # pinned to one member until it dies
        states = StateLog(watcher)
        session = watcher.client_id[0]
        changed = self.admin.create(self.path("changed"), b"0")
        created = self.path("created")
        parent = self.admin.create(self.path("parent"))
        self.visible(self.root, watcher)
        one_shot = EventLog()
        self.assertIsNone(watcher.exists(created, watch=one_shot))
        data_seen, exists_seen, children_seen = Recorder(2), Recorder(2), Recorder(1)
        watcher.DataWatch(changed, data_seen)
        watcher.DataWatch(created, exists_seen)
        watcher.ChildrenWatch(parent, children_seen)
        children_seen.wait_last(lambda children: children == [], "the children watch set")

        QUORUM.kill(member)
        eventually(lambda: watcher.state != KazooState.CONNECTED, WAIT_S,
                   "the watcher to notice its member died")
        writer = self.survivors_client(member)
        retrying(writer.set, changed, b"1")
        create_retrying(writer, created, b"new")
        create_retrying(writer, parent + "/child")
        self.assertNotEqual(watcher.state, KazooState.CONNECTED)  # changes made meanwhile

        watcher.set_hosts(",".join(QUORUM.zk_address(i) for i in QUORUM.members()
                                   if i != member))
        eventually(lambda: watcher.state == KazooState.CONNECTED, WAIT_S,
                   "the watcher to reconnect elsewhere")
        self.assertEqual(watcher.client_id[0], session)
        self.assertFalse(states.lost, f"session lost; states {states.states}")
        data_seen.wait_last(lambda d, stat: d == b"1", "the DataWatch to see the change")
        exists_seen.wait_last(lambda d, stat: d == b"new", "the DataWatch to see the creation")
        children_seen.wait_last(lambda children: children == ["child"],
                                "the ChildrenWatch to see the child")
        # (kazoo runs watch callbacks on one thread, which the DataWatches block while
        # they retry their reads: the one-shot watch's NONE event comes after reconnecting.)
        one_shot.wait_for(1, "the one-shot watch")
        self.assertEqual([e.type for e in one_shot.events], [EventType.NONE])


# -- running -----------------------------------------------------------------------------------

class TimedResult(unittest.TextTestResult):
    """Prints each test's wall time after its result."""

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _write_status(self, test, status):  # Python 3.11's hook for "ok", "FAIL", ...
        super()._write_status(test, f"{status} ({time.monotonic() - self._started:.1f} s)")


def main():
    def use(quorum):
        global QUORUM
        QUORUM = quorum
    run_suite(__doc__.split("\n")[0], 7700, "/tmp/warren-kazoo-test", use,
              unittest.TextTestRunner(resultclass=TimedResult, verbosity=2))


if __name__ == "__main__":
    main()
