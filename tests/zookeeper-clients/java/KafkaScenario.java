import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

/**
 * Kafka in ZooKeeper mode, as its KafkaZkClient uses ZooKeeper, under a chroot as Kafka clusters
 * usually are: brokers register ephemeral /brokers/ids/ID with JSON data and watch each other's
 * registrations; the controller is elected by a multi that creates the ephemeral /controller and
 * bumps /controller_epoch with a versioned setData; every controller write is a multi led by a
 * check of /controller_epoch's zkVersion, so that a controller that lost its place is fenced off.
 */
final class KafkaScenario {
    private static final String CHROOT = "/kafka-cluster";
    private static final String CONTROLLER = "/controller";
    private static final String CONTROLLER_EPOCH = "/controller_epoch";
    private static final Duration WATCH_TIMEOUT = Duration.ofSeconds(10);

    private final TestEnv env;

    private KafkaScenario(TestEnv env) {
        this.env = env;
    }

    static List<TestCase> cases(TestEnv env) {
        KafkaScenario s = new KafkaScenario(env);
        return List.of(
                new TestCase("kafka: broker registration (ephemeral /brokers/ids/N under a chroot, broker watch)",
                        s::brokerRegistration),
                new TestCase("kafka: controller election by multi, epoch bump, fencing by check(/controller_epoch)",
                        s::controllerElection));
    }

    /** The controller epoch a broker won, with the zkVersion of /controller_epoch that fences its writes. */
    private record Epoch(int epoch, int zkVersion) {}

    /** The winner of an election round and the epoch it won. */
    private record Election(Broker controller, Epoch epoch) {}

    /** One broker's ZooKeeper session, used the way KafkaZkClient uses it. */
    private final class Broker implements AutoCloseable {
        final int id;
        final EventLog events = new EventLog();
        final ZooKeeper zk;

        Broker(int id) throws Exception {
            this.id = id;
            this.zk = Clients.connect(env.connectString() + CHROOT, Clients.SESSION_TIMEOUT_MS, events);
        }

        /** makeSurePersistentPathExists for the paths a broker needs, racing the other brokers. */
        void createPersistentPaths() throws Exception {
            Clients.ensurePath(zk, "/brokers/ids");
            Clients.ensurePath(zk, "/brokers/topics");
        }

        void register() throws Exception {
            String json = "{\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},"
                    + "\"endpoints\":[\"PLAINTEXT://127.0.0.1:" + (9091 + id) + "\"],\"jmx_port\":-1,"
                    + "\"host\":\"127.0.0.1\",\"port\":" + (9091 + id) + ",\"timestamp\":\""
                    + System.currentTimeMillis() + "\",\"version\":5}";
            zk.create("/brokers/ids/" + id, Clients.utf8(json), OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        }

        /**
         * registerControllerAndIncrementControllerEpoch: reads the epoch (creating it as "0" if
         * missing), then in one multi creates /controller and sets epoch+1 at the version read.
         * Throws the multi's KeeperException when another broker is controller.
         */
        Epoch tryToBecomeController() throws Exception {
            Stat epochStat = new Stat();
            byte[] epochData;
            try {
                epochData = zk.getData(CONTROLLER_EPOCH, false, epochStat);
            } catch (KeeperException.NoNodeException missing) {
                try {
                    zk.create(CONTROLLER_EPOCH, Clients.utf8("0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                } catch (KeeperException.NodeExistsException anotherBrokerMadeIt) {
                    // Fine: read what it wrote, after a sync (it wrote through another session).
                    Clients.sync(zk, CONTROLLER_EPOCH);
                }
                epochData = zk.getData(CONTROLLER_EPOCH, false, epochStat);
            }
            int newEpoch = Integer.parseInt(Clients.text(epochData)) + 1;
            String controllerJson = "{\"version\":1,\"brokerid\":" + id + ",\"timestamp\":\""
                    + System.currentTimeMillis() + "\"}";
            List<OpResult> results = zk.multi(List.of(
                    Op.create(CONTROLLER, Clients.utf8(controllerJson), OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL),
                    Op.setData(CONTROLLER_EPOCH, Clients.utf8(Integer.toString(newEpoch)), epochStat.getVersion())));
            Checks.checkEquals(2, results.size(), "results of the winning election multi");
            return new Epoch(newEpoch, ((OpResult.SetDataResult) results.get(1)).getStat().getVersion());
        }

        /** A controller write as Kafka sends it: check(/controller_epoch, zkVersion) then the write. */
        List<OpResult> controllerWrite(int epochZkVersion, Op write) throws Exception {
            return zk.multi(List.of(Op.check(CONTROLLER_EPOCH, epochZkVersion), write));
        }

        @Override
        public void close() throws InterruptedException {
            zk.close();
        }
    }

    private void createChroot() throws Exception {
        try (ZooKeeper root = Clients.connect(env.connectString())) {
            Clients.ensurePath(root, CHROOT);
        }
    }

    private List<Broker> startBrokers(int... ids) throws Exception {
        List<Broker> brokers = new ArrayList<>();
        try {
            for (int id : ids) {
                brokers.add(new Broker(id));
            }
            List<Callable<Void>> setups = new ArrayList<>();
            for (Broker b : brokers) {
                setups.add(() -> {
                    b.createPersistentPaths();
                    b.register();
                    return null;
                });
            }
            Concurrently.runAll(setups, Duration.ofSeconds(20));
            return brokers;
        } catch (Exception | Error e) {
            brokers.forEach(Clients::closeQuietly);
            throw e;
        }
    }

    void brokerRegistration() throws Exception {
        createChroot();
        List<Broker> brokers = startBrokers(1, 2, 3);
        try (ZooKeeper outsider = Clients.connect(env.connectString() + CHROOT)) {
            Broker watcher = brokers.get(0);
            int mark = watcher.events.mark();
            // The other brokers registered through their own sessions, maybe on other members.
            Clients.sync(watcher.zk, "/brokers/ids");
            List<String> ids = watcher.zk.getChildren("/brokers/ids", true);
            Checks.checkEquals(List.of("1", "2", "3"), sorted(ids), "children of /brokers/ids");
            for (Broker b : brokers) {
                Stat stat = new Stat();
                String json = Clients.text(watcher.zk.getData("/brokers/ids/" + b.id, false, stat));
                Checks.check(json.contains("\"port\":" + (9091 + b.id)), "broker " + b.id + "'s JSON: " + json);
                Checks.checkEquals(b.zk.getSessionId(), stat.getEphemeralOwner(),
                        "ephemeralOwner of /brokers/ids/" + b.id);
            }

            // checkedEphemeralCreate from another session: NodeExists, and the owner is not that session.
            Checks.expectThrows(KeeperException.NodeExistsException.class, "registering broker 2 twice",
                    () -> outsider.create("/brokers/ids/2", new byte[0], OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL));
            Clients.sync(outsider, "/brokers/ids/2");
            Stat owner = outsider.exists("/brokers/ids/2", false);
            Checks.check(owner.getEphemeralOwner() != outsider.getSessionId(),
                    "/brokers/ids/2 still belongs to broker 2's session");

            // Broker 3 shuts down: its registration goes, and the broker-change watch fires.
            brokers.get(2).close();
            watcher.events.await(mark, EventLog.node(EventType.NodeChildrenChanged, "/brokers/ids"), WATCH_TIMEOUT,
                    "NodeChildrenChanged on /brokers/ids (chroot stripped) after broker 3 left");
            Checks.checkEquals(List.of("1", "2"), sorted(watcher.zk.getChildren("/brokers/ids", false)),
                    "children of /brokers/ids after broker 3 left");
        } finally {
            brokers.forEach(Clients::closeQuietly);
        }
    }

    void controllerElection() throws Exception {
        createChroot();
        List<Broker> brokers = startBrokers(11, 12, 13);
        Broker zombie = null;
        try {
            // Round 1: three brokers race; exactly one multi succeeds.
            Election round1 = electOne(brokers, 1);
            Broker first = round1.controller();
            Epoch firstEpoch = round1.epoch();
            List<Broker> others = new ArrayList<>(brokers);
            others.remove(first);

            // Kafka's ControllerChangeHandler: the others watch /controller.
            List<Integer> marks = new ArrayList<>();
            for (Broker b : others) {
                marks.add(b.events.mark());
                Clients.sync(b.zk, CONTROLLER); // the winner's /controller, made through its session
                Checks.check(b.zk.exists(CONTROLLER, true) != null, "/controller exists for broker " + b.id);
            }

            // Controller writes pass the epoch check.
            String topic = "/brokers/topics/orders";
            first.controllerWrite(firstEpoch.zkVersion(), Op.create(topic,
                    Clients.utf8("{\"version\":2,\"partitions\":{\"0\":[11,12]}}"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
            // A passing check followed by a failing write: [OK, NODEEXISTS], nothing applied.
            KeeperException duplicate = Checks.expectThrows(KeeperException.NodeExistsException.class,
                    "a controller multi creating an existing topic",
                    () -> first.controllerWrite(firstEpoch.zkVersion(),
                            Op.create(topic, new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));
            checkResults(duplicate, Code.OK, Code.NODEEXISTS);

            // The controller's session closes: the others see /controller go, and race again.
            first.close();
            for (int i = 0; i < others.size(); i++) {
                others.get(i).events.await(marks.get(i), EventLog.node(EventType.NodeDeleted, CONTROLLER),
                        WATCH_TIMEOUT, "NodeDeleted /controller at broker " + others.get(i).id);
            }
            Election round2 = electOne(others, 2);
            Broker second = round2.controller();
            Epoch secondEpoch = round2.epoch();
            Checks.check(second != first, "a different broker is controller");

            // The old controller, back with a new session but its old epoch zkVersion, is fenced off.
            zombie = new Broker(first.id);
            Broker stale = zombie;
            KeeperException fenced = Checks.expectThrows(KeeperException.BadVersionException.class,
                    "a write by the stale controller",
                    () -> stale.controllerWrite(firstEpoch.zkVersion(),
                            Op.setData(topic, Clients.utf8("stale"), -1)));
            checkResults(fenced, Code.BADVERSION, Code.RUNTIMEINCONSISTENCY);
            KeeperException fencedCreate = Checks.expectThrows(KeeperException.BadVersionException.class,
                    "a topic creation by the stale controller",
                    () -> stale.controllerWrite(firstEpoch.zkVersion(),
                            Op.create("/brokers/topics/payments", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));
            checkResults(fencedCreate, Code.BADVERSION, Code.RUNTIMEINCONSISTENCY);
            Checks.check(second.zk.exists("/brokers/topics/payments", false) == null,
                    "the stale controller's topic was not created");
            Checks.check(Clients.text(second.zk.getData(topic, false, null)).contains("partitions"),
                    "the stale controller's setData was not applied");

            // The new controller's writes pass.
            List<OpResult> ok = second.controllerWrite(secondEpoch.zkVersion(),
                    Op.setData(topic, Clients.utf8("{\"version\":2,\"partitions\":{\"0\":[12,13]}}"), 0));
            Checks.checkEquals(1, ((OpResult.SetDataResult) ok.get(1)).getStat().getVersion(),
                    "topic znode version after the new controller's write");
        } finally {
            brokers.forEach(Clients::closeQuietly);
            Clients.closeQuietly(zombie);
        }
    }

    /**
     * Races the brokers for /controller; checks that exactly one won the given epoch and that each
     * loser's multi failed as a whole with [NODEEXISTS, RUNTIMEINCONSISTENCY].
     */
    private Election electOne(List<Broker> contenders, int expectedEpoch) throws Exception {
        List<Callable<Epoch>> attempts = new ArrayList<>();
        for (Broker b : contenders) {
            attempts.add(b::tryToBecomeController);
        }
        List<Concurrently.Outcome<Epoch>> outcomes = Concurrently.run(attempts, Duration.ofSeconds(20));
        Broker winner = null;
        Epoch epoch = null;
        for (int i = 0; i < contenders.size(); i++) {
            Broker b = contenders.get(i);
            Concurrently.Outcome<Epoch> outcome = outcomes.get(i);
            if (outcome.succeeded()) {
                Checks.check(winner == null, "brokers " + (winner == null ? "" : winner.id) + " and " + b.id
                        + " both won the controller election");
                winner = b;
                epoch = outcome.value();
            } else if (outcome.error() instanceof KeeperException.NodeExistsException lost) {
                checkResults(lost, Code.NODEEXISTS, Code.RUNTIMEINCONSISTENCY);
            } else {
                throw new Checks.CheckFailed("broker " + b.id + "'s election multi failed with " + outcome.error(),
                        outcome.error());
            }
        }
        Checks.check(winner != null, "no broker won the controller election");
        Checks.checkEquals(expectedEpoch, epoch.epoch(), "controller epoch");
        Checks.checkEquals(expectedEpoch, epoch.zkVersion(), "zkVersion of /controller_epoch");
        String controllerJson = Clients.text(winner.zk.getData(CONTROLLER, false, null));
        Checks.checkEquals(winner.id, brokerIdIn(controllerJson), "brokerid in /controller");
        Checks.checkEquals(Integer.toString(expectedEpoch),
                Clients.text(winner.zk.getData(CONTROLLER_EPOCH, false, null)), "data of /controller_epoch");
        return new Election(winner, epoch);
    }

    /** Checks a failed multi's per-operation results, as the Java client hands them over. */
    private static void checkResults(KeeperException e, Code... expected) {
        List<OpResult> results = e.getResults();
        Checks.check(results != null, "the failed multi carries per-operation results (" + e + ")");
        List<Code> codes = new ArrayList<>();
        for (OpResult r : results) {
            Checks.check(r instanceof OpResult.ErrorResult, "every result of a failed multi is an ErrorResult, got "
                    + r.getClass().getSimpleName());
            codes.add(Code.get(((OpResult.ErrorResult) r).getErr()));
        }
        Checks.checkEquals(List.of(expected), codes, "per-operation results of the failed multi");
    }

    private static final Pattern BROKER_ID = Pattern.compile("\"brokerid\":(\\d+)");

    private static int brokerIdIn(String json) {
        Matcher m = BROKER_ID.matcher(json);
        Checks.check(m.find(), "no brokerid in " + json);
        return Integer.parseInt(m.group(1));
    }

    private static List<String> sorted(List<String> names) {
        List<String> copy = new ArrayList<>(names);
        copy.sort(null);
        return copy;
    }
}
