import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.EnsembleTracker;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.NodeCache;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.quorum.flexible.QuorumMaj;

/**
 * Apache Curator, which Flink embeds for its high availability services: LeaderLatch for the
 * JobManager's leader election, an InterProcessMutex and a SharedCount (Flink's checkpoint id
 * counter is one), the create/getData/checkExists/transaction builders Flink's state handle store
 * uses (parents created as containers, create2 with a stat, protected ephemeral-sequential
 * nodes), and CuratorCache (persistent recursive watch) and NodeCache (data watches) following
 * changes as Flink's leader retrieval does.
 */
final class CuratorScenario {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final TestEnv env;

    private CuratorScenario(TestEnv env) {
        this.env = env;
    }

    static List<TestCase> cases(TestEnv env) {
        CuratorScenario s = new CuratorScenario(env);
        return List.of(
                new TestCase("curator: LeaderLatch, 3 participants on 3 clients, leader closes, another takes over",
                        s::leaderLatch),
                new TestCase("curator: InterProcessMutex guards a read-modify-write counter, 2 clients x 2 threads",
                        s::interProcessMutex),
                new TestCase("curator: SharedCount trySetCount races between 2 clients", s::sharedCount),
                new TestCase("curator: create builders (containers, orSetData, protection, create2), getData stat, transaction",
                        s::builders),
                new TestCase("curator: CuratorCache and NodeCache follow changes", s::caches),
                new TestCase("curator: EnsembleTracker can parse the ensemble config (getConfig)", s::ensembleConfig));
    }

    private List<CuratorFramework> clients(int n) throws InterruptedException {
        List<CuratorFramework> clients = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                clients.add(Clients.curator(env.connectString()));
            }
            return clients;
        } catch (RuntimeException | InterruptedException e) {
            clients.forEach(Clients::closeQuietly);
            throw e;
        }
    }

    void leaderLatch() throws Exception {
        List<CuratorFramework> clients = clients(3);
        List<LeaderLatch> latches = new ArrayList<>();
        try {
            for (int i = 0; i < clients.size(); i++) {
                LeaderLatch latch = new LeaderLatch(clients.get(i), "/flink/leaderlatch", "jobmanager-" + (i + 1));
                latches.add(latch);
                latch.start();
            }
            LeaderLatch leader = awaitSingleLeader(latches);
            for (LeaderLatch latch : latches) {
                Checks.eventually(TIMEOUT, latch.getId() + " to name " + leader.getId() + " leader",
                        () -> latch.getLeader().getId().equals(leader.getId()));
            }
            // Each latch creates its node in the background, through its own session (maybe on
            // another member): the leader counts them once all are created and it has synced.
            for (LeaderLatch latch : latches) {
                Checks.eventually(TIMEOUT, latch.getId() + "'s latch node created", () -> latch.getOurPath() != null);
            }
            syncWith(clients.get(latches.indexOf(leader)));
            Checks.checkEquals(3, leader.getParticipants().size(), "LeaderLatch participants");

            leader.close();
            List<LeaderLatch> rest = new ArrayList<>(latches);
            rest.remove(leader);
            LeaderLatch next = awaitSingleLeader(rest);
            Checks.check(next != leader, "a different participant leads after the leader closed");
            Checks.checkEquals(2, next.getParticipants().size(), "participants after the leader closed");
        } finally {
            latches.forEach(l -> Clients.closeQuietly(l));
            clients.forEach(Clients::closeQuietly);
        }
    }

    /** Waits until exactly one latch has leadership, checking that two never have it at once. */
    private static LeaderLatch awaitSingleLeader(List<LeaderLatch> latches) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            List<LeaderLatch> leaders = latches.stream().filter(LeaderLatch::hasLeadership).toList();
            Checks.check(leaders.size() <= 1, "two LeaderLatch participants lead at once: "
                    + leaders.stream().map(LeaderLatch::getId).toList());
            if (leaders.size() == 1) {
                return leaders.get(0);
            }
            Checks.check(System.nanoTime() < deadline, "no LeaderLatch participant became leader within "
                    + TIMEOUT.toSeconds() + " s");
            Thread.sleep(20);
        }
    }

    void interProcessMutex() throws Exception {
        final int incrementsPerThread = 10;
        final String counter = "/flink/mutex-counter";
        List<CuratorFramework> clients = clients(2);
        try {
            clients.get(0).create().orSetData().creatingParentsIfNeeded().forPath(counter, Clients.utf8("0"));
            AtomicInteger holders = new AtomicInteger();
            AtomicInteger mostHolders = new AtomicInteger();
            List<Callable<Void>> workers = new ArrayList<>();
            for (CuratorFramework client : clients) {
                for (int thread = 0; thread < 2; thread++) {
                    workers.add(() -> {
                        InterProcessMutex mutex = new InterProcessMutex(client, "/flink/locks/counter");
                        for (int i = 0; i < incrementsPerThread; i++) {
                            Checks.check(mutex.acquire(TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                                    "InterProcessMutex acquired within " + TIMEOUT.toSeconds() + " s");
                            try {
                                mostHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                                int value = Integer.parseInt(Clients.text(client.getData().forPath(counter)));
                                Thread.sleep(1); // widen the window a missing exclusion would show in
                                client.setData().forPath(counter, Clients.utf8(Integer.toString(value + 1)));
                                holders.decrementAndGet();
                            } finally {
                                mutex.release();
                            }
                        }
                        return null;
                    });
                }
            }
            Concurrently.runAll(workers, Duration.ofSeconds(40));
            Checks.checkEquals(1, mostHolders.get(), "most threads holding the mutex at once");
            // The last increment and the last release may have been the other client's.
            syncWith(clients.get(1));
            Checks.checkEquals(Integer.toString(workers.size() * incrementsPerThread),
                    Clients.text(clients.get(1).getData().forPath(counter)), "counter after all increments");
            syncWith(clients.get(0));
            // The lock's parent is a container: once empty, a server may delete it at any time
            // (ZooKeeper's container manager within a minute, Warren's leader within ticks),
            // and then no lock node is left either.
            List<String> left;
            try {
                left = clients.get(0).getChildren().forPath("/flink/locks/counter");
            } catch (KeeperException.NoNodeException e) {
                left = List.of();
            }
            Checks.checkEquals(List.of(), left, "lock nodes left after every release");
        } finally {
            clients.forEach(Clients::closeQuietly);
        }
    }

    void sharedCount() throws Exception {
        final int incrementsPerThread = 10;
        final String path = "/flink/checkpoint-id-counter";
        List<CuratorFramework> clients = clients(2);
        List<SharedCount> counts = new ArrayList<>();
        try {
            for (CuratorFramework client : clients) {
                SharedCount count = new SharedCount(client, path, 0);
                counts.add(count);
                count.start();
            }
            AtomicInteger lostRaces = new AtomicInteger();
            List<Callable<Void>> workers = new ArrayList<>();
            for (SharedCount count : counts) {
                for (int thread = 0; thread < 2; thread++) {
                    workers.add(() -> {
                        for (int i = 0; i < incrementsPerThread; i++) {
                            for (int attempt = 0; ; attempt++) {
                                Checks.check(attempt < 500, "trySetCount kept failing");
                                VersionedValue<Integer> seen = count.getVersionedValue();
                                if (count.trySetCount(seen, seen.getValue() + 1)) {
                                    break;
                                }
                                lostRaces.incrementAndGet();
                            }
                        }
                        return null;
                    });
                }
            }
            Concurrently.runAll(workers, Duration.ofSeconds(40));
            int expected = workers.size() * incrementsPerThread;
            for (SharedCount count : counts) {
                Checks.eventually(Duration.ofSeconds(10), "every SharedCount to read " + expected,
                        () -> count.getCount() == expected);
            }
            byte[] stored = clients.get(0).getData().forPath(path);
            Checks.checkEquals(expected, java.nio.ByteBuffer.wrap(stored).getInt(), "the count stored in " + path);
            System.out.println("    (" + lostRaces.get() + " trySetCount calls lost a race and retried)");
        } finally {
            counts.forEach(c -> Clients.closeQuietly(c));
            clients.forEach(Clients::closeQuietly);
        }
    }

    void builders() throws Exception {
        CuratorFramework client = Clients.curator(env.connectString());
        try {
            // creatingParentContainersIfNeeded: the missing parents are made with createContainer.
            String jobGraph = "/flink-ha/jobgraphs/job-1";
            client.create().creatingParentContainersIfNeeded().forPath(jobGraph, Clients.utf8("graph"));
            for (String parent : List.of("/flink-ha", "/flink-ha/jobgraphs")) {
                Stat stat = client.checkExists().forPath(parent);
                Checks.check(stat != null, parent + " exists");
                Checks.checkEquals(0L, stat.getEphemeralOwner(), parent + "'s ephemeralOwner (a container parent)");
            }
            Checks.checkEquals(0L, client.checkExists().forPath(jobGraph).getEphemeralOwner(),
                    jobGraph + "'s ephemeralOwner (persistent)");
            Checks.check(client.checkExists().forPath("/flink-ha/absent") == null, "checkExists of a missing node");

            // orSetData: create, then set on the second call.
            String leaderInfo = "/flink-ha/leader-info";
            client.create().orSetData().forPath(leaderInfo, Clients.utf8("v1"));
            client.create().orSetData().forPath(leaderInfo, Clients.utf8("v2"));
            Stat stat = new Stat();
            byte[] data = client.getData().storingStatIn(stat).forPath(leaderInfo);
            Checks.checkEquals("v2", Clients.text(data), "data after create().orSetData() twice");
            Checks.checkEquals(1, stat.getVersion(), "version after create().orSetData() twice");
            Checks.checkEquals(2, stat.getDataLength(), "dataLength in the getData stat");

            // create2: the create answers with the new node's stat.
            Stat created = new Stat();
            client.create().storingStatIn(created).forPath("/flink-ha/running-jobs", Clients.utf8("[]"));
            Checks.check(created.getCzxid() > 0 && created.getCzxid() == created.getMzxid(),
                    "create2 stat has the creating zxid: " + created);
            Checks.checkEquals(0, created.getVersion(), "create2 stat version");
            Checks.checkEquals(2, created.getDataLength(), "create2 stat dataLength");

            // withProtection: the name carries a _c_<uuid>- prefix and the node is this session's.
            String worker = client.create().creatingParentContainersIfNeeded().withProtection()
                    .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/flink-ha/workers/worker-", Clients.utf8("w"));
            Checks.check(Pattern.matches("/flink-ha/workers/_c_[0-9a-f-]{36}-worker-\\d{10}", worker),
                    "protected ephemeral-sequential name: " + worker);
            Checks.checkEquals(client.getZookeeperClient().getZooKeeper().getSessionId(),
                    client.checkExists().forPath(worker).getEphemeralOwner(), "ephemeralOwner of " + worker);

            // A transaction as Flink's leader-guarded writes: check a version, then write.
            Stat leaderStat = client.checkExists().forPath(leaderInfo);
            List<CuratorTransactionResult> results = client.transaction().forOperations(
                    client.transactionOp().check().withVersion(leaderStat.getVersion()).forPath(leaderInfo),
                    client.transactionOp().create().forPath("/flink-ha/jobgraphs/job-2", Clients.utf8("graph")));
            Checks.checkEquals(2, results.size(), "transaction results");
            Checks.checkEquals("/flink-ha/jobgraphs/job-2", results.get(1).getResultPath(), "created path");
            Checks.expectThrows(KeeperException.BadVersionException.class, "a transaction with a stale check",
                    () -> client.transaction().forOperations(
                            client.transactionOp().check().withVersion(leaderStat.getVersion() - 1).forPath(leaderInfo),
                            client.transactionOp().create().forPath("/flink-ha/jobgraphs/job-3")));
            Checks.check(client.checkExists().forPath("/flink-ha/jobgraphs/job-3") == null,
                    "the failed transaction created nothing");

            client.delete().deletingChildrenIfNeeded().forPath("/flink-ha/jobgraphs");
            Checks.check(client.checkExists().forPath("/flink-ha/jobgraphs") == null,
                    "deletingChildrenIfNeeded removed the subtree");
        } finally {
            Clients.closeQuietly(client);
        }
    }

    @SuppressWarnings("deprecation") // NodeCache: deprecated in Curator 5, still what Flink 1.14 and older use
    void caches() throws Exception {
        final String root = "/flink-cache";
        final String leader = root + "/leader";
        CuratorFramework watcher = Clients.curator(env.connectString());
        CuratorFramework writer = Clients.curator(env.connectString());
        CuratorCache cache = null;
        NodeCache nodeCache = null;
        try {
            writer.create().forPath(root);
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch initialized = new CountDownLatch(1);
            cache = CuratorCache.build(watcher, root);
            cache.listenable().addListener(new CuratorCacheListener() {
                @Override
                public void event(Type type, ChildData oldData, ChildData data) {
                    ChildData node = data != null ? data : oldData;
                    events.add(type + " " + node.getPath() + " " + Clients.text(node.getData()));
                }

                @Override
                public void initialized() {
                    initialized.countDown();
                }
            });
            cache.start();
            Checks.check(initialized.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "CuratorCache initialized");

            nodeCache = new NodeCache(watcher, leader);
            AtomicInteger nodeCacheCalls = new AtomicInteger();
            nodeCache.getListenable().addListener(nodeCacheCalls::incrementAndGet);
            nodeCache.start(true);
            NodeCache nodes = nodeCache;
            Checks.check(nodes.getCurrentData() == null, "NodeCache of a missing node is empty");

            // Each step waits for both caches, so that no change is folded into the next one.
            writer.create().forPath(leader, Clients.utf8("akka://jm-1"));
            awaitCacheEvents(events, leader, "NODE_CREATED " + leader + " akka://jm-1");
            Checks.eventually(TIMEOUT, "NodeCache to see the created leader node", () -> nodes.getCurrentData() != null
                    && "akka://jm-1".equals(Clients.text(nodes.getCurrentData().getData())));
            writer.setData().forPath(leader, Clients.utf8("akka://jm-2"));
            awaitCacheEvents(events, leader, "NODE_CREATED " + leader + " akka://jm-1",
                    "NODE_CHANGED " + leader + " akka://jm-2");
            Checks.eventually(TIMEOUT, "NodeCache to see the new leader address", () ->
                    "akka://jm-2".equals(Clients.text(nodes.getCurrentData().getData())));
            writer.delete().forPath(leader);
            awaitCacheEvents(events, leader, "NODE_CREATED " + leader + " akka://jm-1",
                    "NODE_CHANGED " + leader + " akka://jm-2", "NODE_DELETED " + leader + " akka://jm-2");
            Checks.eventually(TIMEOUT, "NodeCache to see the leader node deleted", () -> nodes.getCurrentData() == null);
            Checks.check(nodeCacheCalls.get() >= 3, "NodeCache listener called for create, change, delete: "
                    + nodeCacheCalls.get() + " calls");
            Checks.check(cache.get(leader).isEmpty(), "CuratorCache no longer holds the deleted node");
        } finally {
            Clients.closeQuietly(nodeCache, cache, watcher, writer);
        }
    }

    /**
     * Every Curator client reads the ensemble's config (getConfig with a watch) and parses it as
     * its EnsembleTracker does, as a QuorumMaj; when the config names client addresses Curator
     * switches its connection string to them. A server may refuse getConfig; what it answers must
     * parse, and any client addresses in it must be the quorum's.
     */
    void ensembleConfig() throws Exception {
        CuratorFramework client = Clients.curator(env.connectString());
        try {
            byte[] config;
            try {
                config = client.getConfig().forEnsemble();
            } catch (KeeperException refused) {
                System.out.println("    getConfig refused: " + refused.getMessage());
                return;
            }
            Properties properties = new Properties();
            properties.load(new ByteArrayInputStream(config));
            if (properties.isEmpty()) {
                System.out.println("    getConfig: empty, which EnsembleTracker ignores");
                return;
            }
            QuorumMaj quorum;
            try {
                quorum = new QuorumMaj(properties);
            } catch (Exception e) {
                throw new Checks.CheckFailed("Curator's EnsembleTracker cannot parse the config "
                        + properties + ": " + e);
            }
            String connectString = EnsembleTracker.configToConnectionString(quorum).trim();
            System.out.println("    EnsembleTracker would use connection string '" + connectString + "'"
                    + (connectString.isEmpty() ? " (none: it keeps the configured one)" : ""));
            if (!connectString.isEmpty()) {
                Set<String> ours = Set.of(env.connectString().split(","));
                for (String address : connectString.split(",")) {
                    Checks.check(ours.contains(address), "client address " + address + " in the config is one of "
                            + ours);
                }
            }
        } finally {
            Clients.closeQuietly(client);
        }
    }

    private static void syncWith(CuratorFramework client) throws Exception {
        Clients.sync(client.getZookeeperClient().getZooKeeper(), "/");
    }

    /** Waits until the CuratorCache events about the path are exactly the expected ones, in order. */
    private static void awaitCacheEvents(List<String> events, String path, String... expected)
            throws InterruptedException {
        List<String> want = List.of(expected);
        try {
            Checks.eventually(TIMEOUT, "CuratorCache events " + want, () -> {
                synchronized (events) {
                    return events.stream().filter(e -> e.startsWith("NODE_") && e.split(" ")[1].equals(path))
                            .toList().equals(want);
                }
            });
        } catch (Checks.CheckFailed e) {
            synchronized (events) {
                throw new Checks.CheckFailed(e.getMessage() + "; got " + events);
            }
        }
    }
}
