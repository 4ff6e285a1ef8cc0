import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

/**
 * The ZooKeeper 3.5-3.8 API beyond the basics, each part used by some client library: getEphemerals
 * and whoAmI (3.6/3.7 admin tooling), persistent and persistent-recursive watches (Curator's
 * CuratorCache), removeWatches, getAllChildrenNumber, multiRead, TTL and container nodes
 * (Curator's creatingParentContainersIfNeeded, Kafka's and Flink's cleanup), sync before a
 * read (Kafka's admin reads), getConfig, and digest ACLs (Kafka's zookeeper.set.acl, BookKeeper's
 * zkEnableSecurity).
 */
final class ZooKeeperApiScenario {
    private static final Duration WATCH_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Stat.ephemeralOwner as clients see it for TTL and container nodes: 0. (ZooKeeper keeps a marker
     * there internally, but DataNode.copyStat hands clients 0 for every non-ephemeral type.)
     */
    private static final long NOT_EPHEMERAL = 0;

    private final TestEnv env;

    private ZooKeeperApiScenario(TestEnv env) {
        this.env = env;
    }

    static List<TestCase> cases(TestEnv env) {
        ZooKeeperApiScenario s = new ZooKeeperApiScenario(env);
        return List.of(
                new TestCase("zk api: getEphemerals (all, by prefix) and whoAmI", s::ephemeralsAndWhoAmI),
                new TestCase("zk api: addWatch PERSISTENT_RECURSIVE and PERSISTENT", s::persistentWatches),
                new TestCase("zk api: removeWatches (data watch, persistent watch, none left)", s::removeWatches),
                new TestCase("zk api: getAllChildrenNumber", s::allChildrenNumber),
                new TestCase("zk api: multi of read ops (multiRead)", s::multiRead),
                new TestCase("zk api: PERSISTENT_WITH_TTL and PERSISTENT_SEQUENTIAL_WITH_TTL nodes", s::ttlNodes),
                new TestCase("zk api: CONTAINER nodes", s::containerNodes),
                new TestCase("zk api: sync then read another client's write; getConfig", s::syncAndConfig),
                new TestCase("zk api: digest ACLs, addAuthInfo, setACL/getACL, CREATOR_ALL_ACL", s::digestAcls));
    }

    void ephemeralsAndWhoAmI() throws Exception {
        try (ZooKeeper zk = Clients.connect(env.connectString())) {
            Clients.ensurePath(zk, "/api/ephemerals");
            for (String name : List.of("a", "ab", "b")) {
                zk.create("/api/ephemerals/" + name, new byte[0], OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            }
            zk.create("/api/ephemerals/persistent", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            Checks.checkEquals(List.of("/api/ephemerals/a", "/api/ephemerals/ab", "/api/ephemerals/b"),
                    sorted(zk.getEphemerals()), "getEphemerals()");
            Checks.checkEquals(List.of("/api/ephemerals/a", "/api/ephemerals/ab"),
                    sorted(zk.getEphemerals("/api/ephemerals/a")), "getEphemerals(\"/api/ephemerals/a\"), a string prefix");
            Checks.checkEquals(List.of(), zk.getEphemerals("/nowhere"), "getEphemerals of a prefix with none");

            List<String> identities = identities(zk.whoAmI());
            Checks.check(identities.contains("ip:127.0.0.1"), "whoAmI() names the ip identity: " + identities);
            zk.addAuthInfo("digest", Clients.utf8("alice:secret"));
            List<ClientInfo> afterAuth = zk.whoAmI();
            Checks.check(zk.getState().isAlive(), "the session survives addAuthInfo(digest): state " + zk.getState());
            identities = identities(afterAuth);
            Checks.check(identities.contains("ip:127.0.0.1") && identities.contains("digest:alice"),
                    "whoAmI() after addAuthInfo(digest alice) names ip and digest identities: " + identities);
        }
    }

    private static List<String> identities(List<ClientInfo> infos) {
        Checks.check(infos != null, "whoAmI() returned null: the Java client gives null when the server"
                + " answers with an error code or a null vector");
        List<String> ids = new ArrayList<>();
        for (ClientInfo info : infos) {
            ids.add(info.getAuthScheme() + ":" + info.getUser());
        }
        return ids;
    }

    void persistentWatches() throws Exception {
        EventLog recursive = new EventLog();
        EventLog flat = new EventLog();
        try (ZooKeeper watcher = Clients.connect(env.connectString());
             ZooKeeper writer = Clients.connect(env.connectString())) {
            Clients.ensurePath(writer, "/api/tree");
            Clients.ensurePath(writer, "/api/flat");
            // The watcher's member has applied the writer's creates before the watches are set:
            // else the creates, applied there after, fire them (as ZooKeeper's would too).
            Clients.sync(watcher, "/api");
            watcher.addWatch("/api/tree", recursive, AddWatchMode.PERSISTENT_RECURSIVE);
            watcher.addWatch("/api/flat", flat, AddWatchMode.PERSISTENT);

            writer.create("/api/tree/a", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            writer.create("/api/tree/a/b", Clients.utf8("1"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            writer.setData("/api/tree/a/b", Clients.utf8("2"), -1);
            writer.delete("/api/tree/a/b", -1);
            writer.delete("/api/tree/a", -1);
            recursive.await(0, EventLog.node(EventType.NodeDeleted, "/api/tree/a"), WATCH_TIMEOUT,
                    "NodeDeleted /api/tree/a from the recursive watch");
            Checks.checkEquals("[NodeCreated /api/tree/a, NodeCreated /api/tree/a/b, NodeDataChanged /api/tree/a/b, "
                            + "NodeDeleted /api/tree/a/b, NodeDeleted /api/tree/a]",
                    EventLog.describe(recursive.since(0)), "events of the PERSISTENT_RECURSIVE watch on /api/tree");

            // PERSISTENT (not recursive): the node's own changes and its children list, every time.
            writer.create("/api/flat/x", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            writer.create("/api/flat/x/deeper", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            writer.create("/api/flat/y", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            writer.setData("/api/flat", Clients.utf8("changed"), -1);
            flat.await(0, EventLog.node(EventType.NodeDataChanged, "/api/flat"), WATCH_TIMEOUT,
                    "NodeDataChanged /api/flat from the persistent watch");
            Checks.checkEquals("[NodeChildrenChanged /api/flat, NodeChildrenChanged /api/flat, NodeDataChanged /api/flat]",
                    EventLog.describe(flat.since(0)), "events of the PERSISTENT watch on /api/flat");
        }
    }

    void removeWatches() throws Exception {
        final String path = "/api/removed-watches";
        EventLog dataWatch = new EventLog();
        EventLog childWatch = new EventLog();
        EventLog persistentWatch = new EventLog();
        try (ZooKeeper zk = Clients.connect(env.connectString());
             ZooKeeper writer = Clients.connect(env.connectString())) {
            Clients.ensurePath(zk, path);

            // One-shot watches: the data watch is removed, the child watch on the same path stays.
            zk.getData(path, dataWatch, null);
            zk.getChildren(path, childWatch);
            zk.removeWatches(path, dataWatch, WatcherType.Data, false);
            dataWatch.await(0, EventLog.node(EventType.DataWatchRemoved, path), WATCH_TIMEOUT,
                    "DataWatchRemoved for the removed data watch");
            Checks.expectThrows(KeeperException.NoWatcherException.class, "removing a watch that is gone",
                    () -> zk.removeWatches(path, dataWatch, WatcherType.Data, false));
            writer.setData(path, Clients.utf8("changed"), -1);
            writer.create(path + "/child", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            childWatch.await(0, EventLog.node(EventType.NodeChildrenChanged, path), WATCH_TIMEOUT,
                    "NodeChildrenChanged from the child watch that was not removed");
            awaitQuiet(zk, path);
            Checks.checkEquals("[DataWatchRemoved " + path + "]", EventLog.describe(dataWatch.since(0)),
                    "events of the removed data watch");

            // A persistent recursive watch, removed: no more events.
            zk.addWatch(path, persistentWatch, AddWatchMode.PERSISTENT_RECURSIVE);
            zk.removeWatches(path, persistentWatch, WatcherType.Any, false);
            persistentWatch.await(0, EventLog.node(EventType.PersistentWatchRemoved, path), WATCH_TIMEOUT,
                    "PersistentWatchRemoved for the removed persistent watch");
            writer.setData(path, Clients.utf8("changed again"), -1);
            writer.delete(path + "/child", -1);
            awaitQuiet(zk, path);
            Checks.checkEquals("[PersistentWatchRemoved " + path + "]", EventLog.describe(persistentWatch.since(0)),
                    "events of the removed persistent watch");
        }
    }

    /**
     * Lets every notification the session has coming arrive: after a sync and a read through the
     * session, the server has sent any notification for earlier writes (it sends them before the
     * answer); the short sleep covers the client's event thread.
     */
    private static void awaitQuiet(ZooKeeper zk, String path) throws Exception {
        syncAndWait(zk, path);
        zk.getData(path, false, null);
        Thread.sleep(300);
    }

    void allChildrenNumber() throws Exception {
        try (ZooKeeper zk = Clients.connect(env.connectString())) {
            for (String path : List.of("/api/count/a/c/d", "/api/count/b")) {
                Clients.ensurePath(zk, path);
            }
            Checks.checkEquals(4, zk.getAllChildrenNumber("/api/count"), "getAllChildrenNumber(/api/count)");
            Checks.checkEquals(2, zk.getAllChildrenNumber("/api/count/a"), "getAllChildrenNumber(/api/count/a)");
            Checks.checkEquals(0, zk.getAllChildrenNumber("/api/count/b"), "getAllChildrenNumber of a leaf");
        }
    }

    void multiRead() throws Exception {
        try (ZooKeeper zk = Clients.connect(env.connectString())) {
            Clients.ensurePath(zk, "/api/multi");
            zk.create("/api/multi/x", Clients.utf8("x-data"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.create("/api/multi/y", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.setData("/api/multi/x", Clients.utf8("x-data2"), 0);

            List<OpResult> results = zk.multi(List.of(Op.getData("/api/multi/x"), Op.getChildren("/api/multi"),
                    Op.getData("/api/multi/missing")));
            Checks.checkEquals(3, results.size(), "multiRead results");
            Checks.check(results.get(0) instanceof OpResult.GetDataResult, "first result is a GetDataResult: "
                    + results.get(0).getClass().getSimpleName());
            OpResult.GetDataResult data = (OpResult.GetDataResult) results.get(0);
            Checks.checkEquals("x-data2", Clients.text(data.getData()), "multiRead getData data");
            Checks.checkEquals(1, data.getStat().getVersion(), "multiRead getData stat version");
            Checks.check(results.get(1) instanceof OpResult.GetChildrenResult, "second result is a GetChildrenResult: "
                    + results.get(1).getClass().getSimpleName());
            Checks.checkEquals(List.of("x", "y"), sorted(((OpResult.GetChildrenResult) results.get(1)).getChildren()),
                    "multiRead getChildren");
            Checks.check(results.get(2) instanceof OpResult.ErrorResult, "a missing node's read is an ErrorResult: "
                    + results.get(2).getClass().getSimpleName());
            Checks.checkEquals(Code.NONODE, Code.get(((OpResult.ErrorResult) results.get(2)).getErr()),
                    "multiRead error for the missing node");
        }
    }

    void ttlNodes() throws Exception {
        final long longTtlMs = 60_000; // longer than the test: the node must stay
        final long shortTtlMs = 500;
        EventLog deletions = new EventLog();
        try (ZooKeeper zk = Clients.connect(env.connectString())) {
            Clients.ensurePath(zk, "/api/ttl");
            Stat stat = new Stat();
            String path = zk.create("/api/ttl/node", Clients.utf8("t"), OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT_WITH_TTL, stat, longTtlMs);
            Checks.checkEquals("/api/ttl/node", path, "TTL node path");
            Checks.checkEquals(NOT_EPHEMERAL, stat.getEphemeralOwner(), "ephemeralOwner in the create2 stat of a TTL node");
            Checks.checkEquals(NOT_EPHEMERAL, zk.exists(path, false).getEphemeralOwner(),
                    "ephemeralOwner of the TTL node read back");
            String sequential = zk.create("/api/ttl/seq-", new byte[0], OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, stat, longTtlMs);
            Checks.check(sequential.matches("/api/ttl/seq-\\d{10}"), "sequential TTL node name: " + sequential);
            Checks.checkEquals(List.of(), zk.getEphemerals("/api/ttl"), "TTL nodes are not the session's ephemerals");

            // Short TTLs: the idle childless one is deleted, the one with a child stays.
            String idle = zk.create("/api/ttl/idle", new byte[0], OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT_WITH_TTL, stat, shortTtlMs);
            String busy = zk.create("/api/ttl/busy", new byte[0], OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT_WITH_TTL, stat, shortTtlMs);
            zk.create(busy + "/child", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            long created = System.nanoTime();
            if (zk.exists(idle, deletions) != null) {
                deletions.await(0, EventLog.node(EventType.NodeDeleted, idle), Duration.ofSeconds(15),
                        "the deletion of an idle TTL node (TTL " + shortTtlMs + " ms; a ZooKeeper server checks every "
                                + "znode.container.checkIntervalMs, which java_test.py lowers)");
            }
            System.out.printf("    idle TTL node deleted %d ms after its creation%n", (System.nanoTime() - created) / 1_000_000);
            Checks.check(zk.exists(busy, false) != null, "a TTL node with a child is kept past its TTL");
            Checks.check(zk.exists(path, false) != null, "a TTL node within its TTL is kept");

            zk.close();
            try (ZooKeeper later = Clients.connect(env.connectString())) {
                Clients.sync(later, path); // another session's node: read after a sync
                Checks.check(later.exists(path, false) != null, "a TTL node outlives the session that made it");
            }
        }
    }

    void containerNodes() throws Exception {
        EventLog deletions = new EventLog();
        try (ZooKeeper zk = Clients.connect(env.connectString())) {
            Clients.ensurePath(zk, "/api/containers");
            Stat stat = new Stat();
            String path = zk.create("/api/containers/c", Clients.utf8("box"), OPEN_ACL_UNSAFE, CreateMode.CONTAINER, stat);
            Checks.checkEquals("/api/containers/c", path, "container path");
            Checks.checkEquals(NOT_EPHEMERAL, stat.getEphemeralOwner(), "ephemeralOwner of a container (create2 stat)");
            zk.create(path + "/item", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            Checks.checkEquals(List.of("item"), zk.getChildren(path, false), "children of the container");
            Checks.checkEquals(NOT_EPHEMERAL, zk.exists(path, false).getEphemeralOwner(),
                    "ephemeralOwner of the container read back");
            Checks.checkEquals(List.of(), zk.getEphemerals("/api/containers"),
                    "containers are not the session's ephemerals");
            String neverUsed = zk.create("/api/containers/new", new byte[0], OPEN_ACL_UNSAFE, CreateMode.CONTAINER);

            // Its last child gone, the container is deleted; a container that never had one stays.
            zk.exists(path, deletions);
            zk.delete(path + "/item", -1);
            deletions.await(0, EventLog.node(EventType.NodeDeleted, path), Duration.ofSeconds(15),
                    "the deletion of a container whose last child went (a ZooKeeper server checks every "
                            + "znode.container.checkIntervalMs, which java_test.py lowers)");
            Checks.check(zk.exists(neverUsed, false) != null, "a container that never had a child is kept");

            Checks.expectThrows(KeeperException.NoChildrenForEphemeralsException.class,
                    "a child under an ephemeral (for contrast)", () -> {
                        zk.create("/api/containers/eph", new byte[0], OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
                        zk.create("/api/containers/eph/child", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                    });
        }
    }

    /** zk.sync with a bounded wait for its callback; fails unless it answers OK for the path. */
    private static void syncAndWait(ZooKeeper zk, String path) throws Exception {
        CompletableFuture<String> done = new CompletableFuture<>();
        zk.sync(path, (rc, syncedPath, ctx) -> done.complete(Code.get(rc) + " " + syncedPath), null);
        Checks.checkEquals("OK " + path, done.get(10, TimeUnit.SECONDS), "sync's answer");
    }

    void syncAndConfig() throws Exception {
        final String path = "/api/synced";
        // Three clients, so that at least two sit on different members (the list is shuffled).
        try (ZooKeeper writer = Clients.connect(env.connectString());
             ZooKeeper reader1 = Clients.connect(env.connectString());
             ZooKeeper reader2 = Clients.connect(env.connectString())) {
            Clients.ensurePath(writer, path);
            for (int round = 1; round <= 5; round++) {
                String value = "round-" + round;
                writer.setData(path, Clients.utf8(value), -1);
                for (ZooKeeper reader : List.of(reader1, reader2)) {
                    syncAndWait(reader, path);
                    Checks.checkEquals(value, Clients.text(reader.getData(path, false, null)),
                            "a read after sync sees the other client's write");
                }
            }
            try {
                Stat stat = new Stat();
                byte[] config = writer.getConfig(false, stat);
                System.out.println("    getConfig: " + Clients.text(config).trim().replace("\n", " | ")
                        + " (mzxid 0x" + Long.toHexString(stat.getMzxid()) + ")");
            } catch (KeeperException e) {
                System.out.println("    getConfig refused: " + e.getMessage());
            }
        }
    }

    void digestAcls() throws Exception {
        final String secret = "/api/acl-secret";
        final Id user = new Id("digest", DigestAuthenticationProvider.generateDigest("user:pass"));
        // Mutable lists: ZooKeeper.validateACL asks contains(null), which List.of refuses.
        final List<ACL> userOnly = new ArrayList<>(List.of(new ACL(Perms.ALL, user)));
        try (ZooKeeper owner = Clients.connect(env.connectString());
             ZooKeeper stranger = Clients.connect(env.connectString());
             ZooKeeper friend = Clients.connect(env.connectString())) {
            Clients.ensurePath(owner, "/api");
            owner.addAuthInfo("digest", Clients.utf8("user:pass"));
            owner.create(secret, Clients.utf8("s3cret"), userOnly, CreateMode.PERSISTENT);
            Stat aclStat = new Stat();
            Checks.checkEquals(userOnly, owner.getACL(secret, aclStat), "getACL by the owner");
            Checks.checkEquals(0, aclStat.getAversion(), "aversion of a new node");
            Checks.checkEquals("s3cret", Clients.text(owner.getData(secret, false, null)), "the owner reads");

            Clients.sync(stranger, secret); // the owner's node, made through another session
            Checks.check(stranger.exists(secret, false) != null, "exists needs no permission");
            Checks.expectThrows(KeeperException.NoAuthException.class, "getData without auth",
                    () -> stranger.getData(secret, false, null));
            Checks.expectThrows(KeeperException.NoAuthException.class, "setData without auth",
                    () -> stranger.setData(secret, Clients.utf8("x"), -1));
            stranger.addAuthInfo("digest", Clients.utf8("user:wrong"));
            Checks.expectThrows(KeeperException.NoAuthException.class, "getData with the wrong password",
                    () -> stranger.getData(secret, false, null));

            friend.addAuthInfo("digest", Clients.utf8("user:pass"));
            Clients.sync(friend, secret);
            Checks.checkEquals("s3cret", Clients.text(friend.getData(secret, false, null)),
                    "getData by another session with the right digest");

            // setACL: let the world read; only the digest user may still write.
            List<ACL> worldReads = new ArrayList<>(
                    List.of(new ACL(Perms.ALL, user), new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE)));
            Stat afterSet = owner.setACL(secret, worldReads, 0);
            Checks.checkEquals(1, afterSet.getAversion(), "aversion after setACL");
            Clients.sync(friend, secret);  // another session: it reads the change after a sync
            Checks.checkEquals(worldReads, friend.getACL(secret, null), "getACL after setACL");
            Clients.sync(stranger, secret);
            Checks.checkEquals("s3cret", Clients.text(stranger.getData(secret, false, null)),
                    "getData by the stranger once the world may read");
            Checks.expectThrows(KeeperException.NoAuthException.class, "setData by the stranger",
                    () -> stranger.setData(secret, Clients.utf8("x"), -1));
            Checks.expectThrows(KeeperException.BadVersionException.class, "setACL with a stale aversion",
                    () -> owner.setACL(secret, userOnly, 0));

            // CREATOR_ALL_ACL: the creator's authenticated identity; without one it is invalid.
            owner.create("/api/acl-creator", new byte[0], Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
            Checks.checkEquals(userOnly, owner.getACL("/api/acl-creator", null), "ACL made from CREATOR_ALL_ACL");
            try (ZooKeeper anonymous = Clients.connect(env.connectString())) {
                Checks.expectThrows(KeeperException.InvalidACLException.class, "CREATOR_ALL_ACL without auth",
                        () -> anonymous.create("/api/acl-anonymous", new byte[0], Ids.CREATOR_ALL_ACL,
                                CreateMode.PERSISTENT));
            }
        }
    }

    private static List<String> sorted(List<String> names) {
        List<String> copy = new ArrayList<>(names);
        copy.sort(null);
        return copy;
    }
}
