import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Unmodified ZooKeeper clients against a quorum: the ZooKeeper 3.8 Java client and Apache Curator
 * 5.4 (Debian's jars), used the way Kafka, BookKeeper and Flink use them. Written against a real
 * ZooKeeper ensemble, whose behaviour is the specification, and run against Warren's ZooKeeper
 * port (warrend --zk-port).
 *
 * <ul>
 *   <li>{@link KafkaScenario}: broker registration, controller election by multi with the
 *       /controller_epoch bump, controller writes fenced by check(/controller_epoch) (KafkaZkClient).
 *   <li>{@link BookKeeperScenario}: ledger ids from sequential znodes (ZkLedgerIdGenerator), bookie
 *       registration and the bookie watcher, hierarchical ledger metadata with CAS updates.
 *   <li>{@link CuratorScenario}: LeaderLatch, InterProcessMutex, SharedCount, the create/getData
 *       builders, CuratorCache and NodeCache (Flink's high availability services), and the
 *       ensemble config every Curator client parses.
 *   <li>{@link ZooKeeperApiScenario}: getEphemerals, whoAmI, persistent watches, removeWatches,
 *       getAllChildrenNumber, multiRead, TTL and container nodes, sync, getConfig, digest ACLs.
 *   <li>{@link SessionScenario}: a session moving off a SIGKILLed member; a dead client's session
 *       expiring.
 * </ul>
 *
 * Run through the runner, which starts the quorum and serves the kill/restart requests:
 * {@code python3 tests/zookeeper-clients/java_test.py --kind=zookeeper|warren}. Directly:
 * {@code java -cp CLASSES:JARS ZkClientsTest --connect=HOST:PORT,... [--only=REGEX]}; each case
 * prints PASS or FAIL, the last line is "java: N passed, N failed", and the exit code is 1 if any
 * case failed.
 */
public final class ZkClientsTest {
    private static final Duration CASE_TIMEOUT = Duration.ofSeconds(45);
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(150);

    private ZkClientsTest() {}

    public static void main(String[] args) throws Exception {
        String connectString = null;
        Pattern only = null;
        for (String arg : args) {
            if (arg.startsWith("--connect=")) {
                connectString = arg.substring("--connect=".length());
            } else if (arg.startsWith("--only=")) {
                only = Pattern.compile(arg.substring("--only=".length()));
            } else {
                System.err.println("unknown argument " + arg);
                System.exit(2);
            }
        }
        if (connectString == null) {
            System.err.println("usage: ZkClientsTest --connect=HOST:PORT,... [--only=REGEX]");
            System.exit(2);
        }
        startWatchdog();

        TestEnv env = new TestEnv(connectString, new ClusterControl(System.out));
        List<TestCase> cases = new ArrayList<>();
        cases.addAll(KafkaScenario.cases(env));
        cases.addAll(BookKeeperScenario.cases(env));
        cases.addAll(CuratorScenario.cases(env));
        cases.addAll(ZooKeeperApiScenario.cases(env));
        cases.addAll(SessionScenario.cases(env));

        int passed = 0;
        int failed = 0;
        for (TestCase c : cases) {
            if (only != null && !only.matcher(c.name()).find()) {
                continue;
            }
            if (runCase(c)) {
                passed++;
            } else {
                failed++;
            }
        }
        System.out.println("java: " + passed + " passed, " + failed + " failed");
        System.out.flush();
        System.exit(failed == 0 && passed > 0 ? 0 : 1);
    }

    /** Runs one case on a thread of its own, at most CASE_TIMEOUT; prints PASS or FAIL with the reason. */
    private static boolean runCase(TestCase c) {
        long start = System.nanoTime();
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "case");
            t.setDaemon(true);
            return t;
        });
        Throwable failure = null;
        try {
            Future<?> result = thread.submit(() -> {
                c.body().run();
                return null;
            });
            result.get(CASE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            failure = e.getCause();
        } catch (TimeoutException e) {
            failure = new Checks.CheckFailed("did not finish within " + CASE_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        } finally {
            thread.shutdownNow();
        }
        String took = String.format("(%.1f s)", (System.nanoTime() - start) / 1e9);
        if (failure == null) {
            System.out.println("PASS " + c.name() + " " + took);
            return true;
        }
        System.out.println("FAIL " + c.name() + " " + took);
        System.out.println("     " + describe(failure));
        return false;
    }

    /** The failure, its causes, and where in the scenario code it was thrown. */
    private static String describe(Throwable failure) {
        StringBuilder text = new StringBuilder(failure instanceof Checks.CheckFailed ? failure.getMessage()
                : failure.toString());
        for (Throwable cause = failure.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            text.append("\n       caused by ").append(cause);
        }
        // An unexpected exception: where it came from, down to the scenario's line.
        StackTraceElement[] frames = failure.getStackTrace();
        for (int i = 0; i < frames.length; i++) {
            String file = frames[i].getFileName();
            boolean inScenario = file != null && file.endsWith("Scenario.java");
            if (inScenario || (i < 4 && !(failure instanceof Checks.CheckFailed))) {
                text.append("\n       at ").append(frames[i]);
            }
            if (inScenario) {
                break;
            }
        }
        return text.toString();
    }

    /** Every wait is bounded, but a stuck library thread should not hold the run: end it after RUN_TIMEOUT. */
    private static void startWatchdog() {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(RUN_TIMEOUT.toMillis());
                System.out.println("FAIL the whole run took over " + RUN_TIMEOUT.toSeconds() + " s; stopping");
                System.out.flush();
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException ignored) {
                // The run ended first.
            }
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
