import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

/**
 * Sessions as every ZooKeeper user relies on them (Kafka's broker registration, BookKeeper's
 * bookies, Curator's latches): a session outlives the member it is connected to, moving to another
 * member with its id, its ephemerals and its watches; and a session whose client died expires after
 * its timeout, taking its ephemerals with it.
 */
final class SessionScenario {
    private static final Duration RECONNECT_TIMEOUT = Duration.ofSeconds(20);
    private static final int DYING_SESSION_TIMEOUT_MS = 4000;

    private final TestEnv env;

    private SessionScenario(TestEnv env) {
        this.env = env;
    }

    static List<TestCase> cases(TestEnv env) {
        SessionScenario s = new SessionScenario(env);
        return List.of(
                new TestCase("session: moves to another member when its member is SIGKILLed (same id, ephemeral, watch)",
                        s::sessionMoves),
                new TestCase("session: a SIGKILLed client's session expires after its timeout, its ephemeral goes",
                        s::deadClientsSessionExpires));
    }

    void sessionMoves() throws Exception {
        final String dir = "/session-move";
        final String ephemeral = dir + "/ephemeral";
        final String watched = dir + "/watched";
        EventLog sessionEvents = new EventLog();
        EventLog dataWatch = new EventLog();
        int killedPort = -1;
        ZooKeeper other = null;
        try (ZooKeeper zk = Clients.connect(env.connectString(), Clients.SESSION_TIMEOUT_MS, sessionEvents)) {
            Clients.ensurePath(zk, dir);
            zk.create(ephemeral, Clients.utf8("mine"), OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            zk.create(watched, Clients.utf8("before"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.getData(watched, dataWatch, null);
            long sessionId = zk.getSessionId();

            killedPort = Clients.remotePort(zk);
            Checks.check(killedPort > 0, "the client's member is known from ZooKeeper.toString(): " + zk);
            int mark = sessionEvents.mark();
            env.control().killMemberOnPort(killedPort);
            System.out.println("    killed the member on port " + killedPort + ", serving session 0x"
                    + Long.toHexString(sessionId));

            sessionEvents.await(mark, EventLog.state(KeeperState.Disconnected), RECONNECT_TIMEOUT,
                    "Disconnected after the member was killed");
            sessionEvents.await(mark, EventLog.state(KeeperState.SyncConnected), RECONNECT_TIMEOUT,
                    "SyncConnected again, to another member");
            List<WatchedEvent> states = sessionEvents.since(mark);
            Checks.checkEquals("[Disconnected, SyncConnected]", EventLog.describe(states),
                    "connection events after the kill");
            Checks.checkEquals(sessionId, zk.getSessionId(), "session id after the move");
            int newPort = Clients.remotePort(zk);
            Checks.check(newPort > 0 && newPort != killedPort, "connected to another member now (port " + newPort + ")");

            // Another client, on the surviving members only, sees the ephemeral still owned by the session.
            other = Clients.connect(Clients.withoutPort(env.connectString(), killedPort));
            Clients.sync(other, ephemeral); // a new session reads another's writes after a sync
            Stat stat = other.exists(ephemeral, false);
            Checks.check(stat != null, ephemeral + " survived the move");
            Checks.checkEquals(sessionId, stat.getEphemeralOwner(), "ephemeralOwner of " + ephemeral);
            Checks.check(zk.exists(ephemeral, false) != null, "the moved session still sees its ephemeral");

            // The data watch set before the kill fires for a change made after it.
            other.setData(watched, Clients.utf8("after"), -1);
            dataWatch.await(0, EventLog.node(EventType.NodeDataChanged, watched), Duration.ofSeconds(10),
                    "the data watch set before the move to fire");
            Checks.checkEquals("after", Clients.text(zk.getData(watched, false, null)), "data read after the move");
            Checks.check(sessionEvents.since(0).stream().noneMatch(e -> e.getState() == KeeperState.Expired),
                    "the session never expired: " + EventLog.describe(sessionEvents.since(0)));
        } finally {
            Clients.closeQuietly(other);
            if (killedPort > 0) {
                env.control().restartMemberOnPort(killedPort);
            }
        }
    }

    void deadClientsSessionExpires() throws Exception {
        final String dir = "/session-death";
        final String ephemeral = dir + "/holder";
        EventLog watch = new EventLog();
        Process holder = null;
        try (ZooKeeper observer = Clients.connect(env.connectString())) {
            Clients.ensurePath(observer, dir);
            holder = startEphemeralHolder(ephemeral);
            long holderSession = Long.parseUnsignedLong(readReady(holder), 16);

            Clients.sync(observer, ephemeral); // the holder's create, through another session
            Stat stat = observer.exists(ephemeral, watch);
            Checks.check(stat != null, ephemeral + " exists while its holder runs");
            Checks.checkEquals(holderSession, stat.getEphemeralOwner(), "ephemeralOwner of " + ephemeral);

            holder.destroyForcibly(); // SIGKILL: the session is not closed, it has to expire
            Checks.check(holder.waitFor(10, TimeUnit.SECONDS), "the holder JVM died");
            long killedAt = System.nanoTime();

            Thread.sleep(1000);
            Checks.check(observer.exists(ephemeral, false) != null,
                    ephemeral + " still exists 1 s after its client died (the session has not expired yet)");
            WatchedEvent deleted = watch.await(0, EventLog.node(EventType.NodeDeleted, ephemeral),
                    Duration.ofMillis(DYING_SESSION_TIMEOUT_MS + 11_000), "NodeDeleted " + ephemeral);
            long afterMs = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.println("    " + deleted.getType() + " " + ephemeral + " " + afterMs + " ms after the kill (session timeout "
                    + DYING_SESSION_TIMEOUT_MS + " ms)");
            Checks.check(observer.exists(ephemeral, false) == null, ephemeral + " is gone");
        } finally {
            if (holder != null) {
                holder.destroyForcibly();
            }
        }
    }

    /** A child JVM running EphemeralHolder: a session that creates the ephemeral and waits to be killed. */
    private Process startEphemeralHolder(String path) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        return new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), EphemeralHolder.class.getName(),
                env.connectString(), path, Integer.toString(DYING_SESSION_TIMEOUT_MS))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** Reads the holder's "READY <session id in hex>" line (at most 20 s); returns the session id. */
    private static String readReady(Process holder) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String line;
        try {
            line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (Exception e) {
                    return null;
                }
            }).get(20, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new Checks.CheckFailed("the holder JVM did not create its ephemeral within 20 s");
        }
        Checks.check(line != null && line.startsWith("READY "), "holder JVM's first line: " + line);
        return line.substring("READY ".length()).trim();
    }
}
