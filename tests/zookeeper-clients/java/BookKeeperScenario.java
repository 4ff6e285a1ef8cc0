import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

/**
 * Apache BookKeeper's metadata on ZooKeeper: ledger ids taken from the suffix of sequential znodes
 * (ZkLedgerIdGenerator, sync and pipelined async), bookies registering ephemeral
 * /ledgers/available/HOST:PORT (readonly ones under /ledgers/available/readonly) and clients
 * watching that list, and ledger metadata in the hierarchical layout /ledgers/00/0000/L0001 with
 * compare-and-set updates.
 */
final class BookKeeperScenario {
    private static final String IDGEN = "/ledgers/idgen";
    private static final String AVAILABLE = "/ledgers/available";
    private static final String READONLY = AVAILABLE + "/readonly";
    private static final Pattern ID_PATH = Pattern.compile(Pattern.quote(IDGEN + "/ID-") + "(\\d{10})");
    private static final Duration WATCH_TIMEOUT = Duration.ofSeconds(10);

    private final TestEnv env;

    private BookKeeperScenario(TestEnv env) {
        this.env = env;
    }

    static List<TestCase> cases(TestEnv env) {
        BookKeeperScenario s = new BookKeeperScenario(env);
        return List.of(
                new TestCase("bookkeeper: ledger ids from /ledgers/idgen/ID- sequential znodes, two clients",
                        s::ledgerIdGeneration),
                new TestCase("bookkeeper: bookie registration, readonly bookies, bookie watcher", s::bookieRegistration),
                new TestCase("bookkeeper: hierarchical ledger metadata /ledgers/00/0000/L0001, CAS updates",
                        s::ledgerMetadata));
    }

    /** ZkLedgerIdGenerator: create ID- sequential, the id is its 10-digit suffix; delete it again. */
    private static long generateLedgerId(ZooKeeper zk) throws Exception {
        String path = zk.create(IDGEN + "/ID-", new byte[0], OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
        long id = parseId(path);
        zk.delete(path, -1);
        return id;
    }

    private static long parseId(String path) {
        Matcher m = ID_PATH.matcher(path);
        Checks.check(m.matches(), "sequential znode " + path + " ends in a 10-digit counter");
        return Long.parseLong(m.group(1));
    }

    void ledgerIdGeneration() throws Exception {
        final int idsPerThread = 15;
        final int pipelined = 30;
        try (ZooKeeper syncClient = Clients.connect(env.connectString());
             ZooKeeper asyncClient = Clients.connect(env.connectString())) {
            Clients.ensurePath(syncClient, IDGEN);
            List<Callable<List<Long>>> generators = new ArrayList<>();
            for (int thread = 0; thread < 2; thread++) {
                generators.add(() -> {
                    List<Long> ids = new ArrayList<>();
                    for (int i = 0; i < idsPerThread; i++) {
                        ids.add(generateLedgerId(syncClient));
                    }
                    return ids;
                });
            }
            // As ZkLedgerIdGenerator does: async creates, each deleted from its callback. Replies
            // come in request order, so the ids come in increasing order too.
            generators.add(() -> pipelinedIds(asyncClient, pipelined));
            List<List<Long>> perGenerator = Concurrently.runAll(generators, Duration.ofSeconds(30));

            Set<Long> all = new HashSet<>();
            for (List<Long> ids : perGenerator) {
                for (int i = 1; i < ids.size(); i++) {
                    Checks.check(ids.get(i) > ids.get(i - 1), "ids of one generator increase: " + ids);
                }
                all.addAll(ids);
            }
            Checks.checkEquals(2 * idsPerThread + pipelined, all.size(), "distinct ledger ids handed out");
            Checks.eventually(Duration.ofSeconds(5), "the ID- znodes deleted",
                    () -> syncClient.getChildren(IDGEN, false).isEmpty());
        }
    }

    private static List<Long> pipelinedIds(ZooKeeper zk, int count) throws InterruptedException {
        List<Long> ids = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        CountDownLatch deleted = new CountDownLatch(count);
        for (int i = 0; i < count; i++) {
            zk.create(IDGEN + "/ID-", new byte[0], OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL,
                    (rc, path, ctx, name) -> {
                        if (rc != Code.OK.intValue()) {
                            synchronized (errors) {
                                errors.add("create: " + Code.get(rc));
                            }
                            deleted.countDown();
                            return;
                        }
                        synchronized (ids) {
                            ids.add(parseId(name));
                        }
                        zk.delete(name, -1, (deleteRc, deletePath, deleteCtx) -> {
                            if (deleteRc != Code.OK.intValue()) {
                                synchronized (errors) {
                                    errors.add("delete " + deletePath + ": " + Code.get(deleteRc));
                                }
                            }
                            deleted.countDown();
                        }, null);
                    }, null);
        }
        Checks.check(deleted.await(20, TimeUnit.SECONDS), "all pipelined id requests answered");
        Checks.check(errors.isEmpty(), "pipelined id requests failed: " + errors);
        synchronized (ids) {
            return new ArrayList<>(ids);
        }
    }

    /** A bookie's registration session: its ephemeral znode under available/ or available/readonly/. */
    private ZooKeeper registerBookie(String parent, String address) throws Exception {
        ZooKeeper bookie = Clients.connect(env.connectString());
        try {
            bookie.create(parent + "/" + address, Clients.utf8("{\"bookieId\":\"" + address + "\"}"),
                    OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            return bookie;
        } catch (Exception e) {
            bookie.close();
            throw e;
        }
    }

    /** What a BookKeeper client's registration watcher reads: writable bookies, re-arming its watch. */
    private static List<String> writableBookies(ZooKeeper client) throws Exception {
        List<String> children = new ArrayList<>(client.getChildren(AVAILABLE, true));
        children.remove("readonly");
        children.sort(null);
        return children;
    }

    private static List<String> readonlyBookies(ZooKeeper client) throws Exception {
        List<String> children = new ArrayList<>(client.getChildren(READONLY, true));
        children.sort(null);
        return children;
    }

    void bookieRegistration() throws Exception {
        EventLog watcherEvents = new EventLog();
        ZooKeeper bookieA = null;
        ZooKeeper readonlyB = null;
        ZooKeeper bookieC = null;
        try (ZooKeeper client = Clients.connect(env.connectString(), Clients.SESSION_TIMEOUT_MS, watcherEvents)) {
            Clients.ensurePath(client, READONLY);
            bookieA = registerBookie(AVAILABLE, "127.0.0.1:3181");
            readonlyB = registerBookie(READONLY, "127.0.0.1:3182");
            // The bookies' sessions may be served by other members: their registrations are read
            // (and the watches set) after a sync. Later reads follow a watch event of this session.
            Clients.sync(client, AVAILABLE);
            Checks.checkEquals(List.of("127.0.0.1:3181"), writableBookies(client), "writable bookies");
            Checks.checkEquals(List.of("127.0.0.1:3182"), readonlyBookies(client), "readonly bookies");

            // A bookie joins: the watcher hears of it.
            int mark = watcherEvents.mark();
            bookieC = registerBookie(AVAILABLE, "127.0.0.1:3183");
            watcherEvents.await(mark, EventLog.node(EventType.NodeChildrenChanged, AVAILABLE), WATCH_TIMEOUT,
                    "NodeChildrenChanged " + AVAILABLE + " when bookie 3183 registered");
            Checks.checkEquals(List.of("127.0.0.1:3181", "127.0.0.1:3183"), writableBookies(client),
                    "writable bookies after 3183 joined");

            // A restarted bookie finds its old registration still there while the old session lives.
            try (ZooKeeper restarted = Clients.connect(env.connectString())) {
                Checks.expectThrows(KeeperException.NodeExistsException.class, "registering 3183 again",
                        () -> restarted.create(AVAILABLE + "/127.0.0.1:3183", new byte[0], OPEN_ACL_UNSAFE,
                                CreateMode.EPHEMERAL));
            }

            // It leaves: its session closes, its znode goes, the watcher hears of it.
            mark = watcherEvents.mark();
            bookieC.close();
            watcherEvents.await(mark, EventLog.node(EventType.NodeChildrenChanged, AVAILABLE), WATCH_TIMEOUT,
                    "NodeChildrenChanged " + AVAILABLE + " when bookie 3183's session closed");
            Checks.checkEquals(List.of("127.0.0.1:3181"), writableBookies(client), "writable bookies after 3183 left");

            // Bookie A turns readonly: registers under readonly/, then drops its writable znode.
            mark = watcherEvents.mark();
            bookieA.create(READONLY + "/127.0.0.1:3181", new byte[0], OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            bookieA.delete(AVAILABLE + "/127.0.0.1:3181", -1);
            watcherEvents.await(mark, EventLog.node(EventType.NodeChildrenChanged, READONLY), WATCH_TIMEOUT,
                    "NodeChildrenChanged " + READONLY + " when 3181 turned readonly");
            watcherEvents.await(mark, EventLog.node(EventType.NodeChildrenChanged, AVAILABLE), WATCH_TIMEOUT,
                    "NodeChildrenChanged " + AVAILABLE + " when 3181 turned readonly");
            Checks.checkEquals(List.of(), writableBookies(client), "writable bookies after 3181 turned readonly");
            Checks.checkEquals(List.of("127.0.0.1:3181", "127.0.0.1:3182"), readonlyBookies(client),
                    "readonly bookies after 3181 turned readonly");

            mark = watcherEvents.mark();
            readonlyB.close();
            watcherEvents.await(mark, EventLog.node(EventType.NodeChildrenChanged, READONLY), WATCH_TIMEOUT,
                    "NodeChildrenChanged " + READONLY + " when readonly bookie 3182 left");
            Checks.checkEquals(List.of("127.0.0.1:3181"), readonlyBookies(client), "readonly bookies after 3182 left");
        } finally {
            Clients.closeQuietly(bookieA, readonlyB, bookieC);
        }
    }

    /** HierarchicalLedgerManager's path: the id as 10 digits, split 2/4/4, the last part prefixed with L. */
    static String ledgerPath(long ledgerId) {
        String digits = String.format("%010d", ledgerId);
        return "/ledgers/" + digits.substring(0, 2) + "/" + digits.substring(2, 6) + "/L" + digits.substring(6);
    }

    /** Stand-in for serialized ledger metadata: binary, with zero and 0xFF bytes. */
    private static byte[] metadata(long ledgerId, int ensembleSize) {
        byte[] header = Clients.utf8("BookieMetadataFormatVersion\t3\n");
        byte[] data = new byte[header.length + 6];
        System.arraycopy(header, 0, data, 0, header.length);
        data[header.length] = 0;
        data[header.length + 1] = (byte) 0xFF;
        data[header.length + 2] = (byte) ensembleSize;
        data[header.length + 3] = (byte) (ledgerId >>> 16);
        data[header.length + 4] = (byte) (ledgerId >>> 8);
        data[header.length + 5] = (byte) ledgerId;
        return data;
    }

    void ledgerMetadata() throws Exception {
        long[] ledgerIds = {1, 2, 10001, 1234567890L};
        CuratorFramework writer = Clients.curator(env.connectString());
        CuratorFramework rival = Clients.curator(env.connectString());
        try {
            for (long id : ledgerIds) {
                writer.create().creatingParentsIfNeeded().forPath(ledgerPath(id), metadata(id, 3));
            }
            Checks.checkEquals("/ledgers/12/3456/L7890", ledgerPath(1234567890L), "hierarchical path layout");
            // Each client may be served by a different member: a read of another session's write
            // waits for sync, as BookKeeper's readers must on ZooKeeper too.
            syncWith(rival);
            Checks.checkEquals(List.of("L0001", "L0002"), sortedChildren(rival, "/ledgers/00/0000"),
                    "ledgers under /ledgers/00/0000");
            Checks.checkEquals(List.of("L0001"), sortedChildren(rival, "/ledgers/00/0001"),
                    "ledgers under /ledgers/00/0001");
            Checks.checkEquals(List.of("L7890"), sortedChildren(rival, "/ledgers/12/3456"),
                    "ledgers under /ledgers/12/3456");
            for (long id : ledgerIds) {
                Checks.check(java.util.Arrays.equals(metadata(id, 3), rival.getData().forPath(ledgerPath(id))),
                        "binary metadata of ledger " + id + " reads back unchanged");
            }

            // Two writers update ledger 2's metadata from the same version: one wins, one BadVersion.
            String path = ledgerPath(2);
            Stat seenByWriter = new Stat();
            Stat seenByRival = new Stat();
            writer.getData().storingStatIn(seenByWriter).forPath(path);
            rival.getData().storingStatIn(seenByRival).forPath(path);
            Checks.checkEquals(seenByWriter.getVersion(), seenByRival.getVersion(), "both read the same version");
            Stat written = writer.setData().withVersion(seenByWriter.getVersion()).forPath(path, metadata(2, 5));
            Checks.checkEquals(seenByWriter.getVersion() + 1, written.getVersion(), "version after the update");
            Checks.expectThrows(KeeperException.BadVersionException.class, "the rival's update from the old version",
                    () -> rival.setData().withVersion(seenByRival.getVersion()).forPath(path, metadata(2, 7)));
            syncWith(rival);
            Checks.check(java.util.Arrays.equals(metadata(2, 5), rival.getData().forPath(path)),
                    "ledger 2 holds the winner's metadata");

            // Deleting a ledger: a stale version is refused, the current one accepted.
            Checks.expectThrows(KeeperException.BadVersionException.class, "delete with a stale version",
                    () -> rival.delete().withVersion(seenByRival.getVersion()).forPath(path));
            rival.delete().withVersion(written.getVersion()).forPath(path);
            syncWith(writer);
            Checks.check(writer.checkExists().forPath(path) == null, "ledger 2's metadata deleted");
        } finally {
            Clients.closeQuietly(writer, rival);
        }
    }

    private static void syncWith(CuratorFramework client) throws Exception {
        Clients.sync(client.getZookeeperClient().getZooKeeper(), "/");
    }

    private static List<String> sortedChildren(CuratorFramework client, String path) throws Exception {
        List<String> children = new ArrayList<>(client.getChildren().forPath(path));
        children.sort(null);
        return children;
    }
}
