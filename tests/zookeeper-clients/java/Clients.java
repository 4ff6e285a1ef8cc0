import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/** Opening ZooKeeper and Curator clients the way the scenarios need them, and small helpers around them. */
final class Clients {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    static final int SESSION_TIMEOUT_MS = 6000;

    private Clients() {}

    /**
     * A plain ZooKeeper client whose default watcher is the given log, once it is connected (at most
     * {@link #CONNECT_TIMEOUT}); the log has its SyncConnected event first.
     */
    static ZooKeeper connect(String connectString, int sessionTimeoutMs, EventLog log) throws Exception {
        ZooKeeper zk = new ZooKeeper(connectString, sessionTimeoutMs, log);
        try {
            log.await(0, EventLog.state(KeeperState.SyncConnected), CONNECT_TIMEOUT,
                    "a session with " + connectString);
            return zk;
        } catch (RuntimeException | InterruptedException e) {
            zk.close();
            throw e;
        }
    }

    static ZooKeeper connect(String connectString) throws Exception {
        return connect(connectString, SESSION_TIMEOUT_MS, new EventLog());
    }

    /** A started Curator client as Flink builds it (exponential backoff), once it is connected. */
    static CuratorFramework curator(String connectString) throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.newClient(connectString, SESSION_TIMEOUT_MS, 5000,
                new ExponentialBackoffRetry(100, 5));
        client.start();
        if (!client.blockUntilConnected((int) CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            client.close();
            throw new Checks.CheckFailed("Curator did not connect to " + connectString);
        }
        return client;
    }

    /** Creates the path and any missing ancestors as persistent nodes; existing ones are kept. */
    static void ensurePath(ZooKeeper zk, String path) throws KeeperException, InterruptedException {
        int slash = 0;
        while (slash >= 0) {
            slash = path.indexOf('/', slash + 1);
            String prefix = slash < 0 ? path : path.substring(0, slash);
            try {
                zk.create(prefix, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException alreadyThere) {
                // Another client (or an earlier step) made it first.
            }
        }
    }

    private static final Pattern REMOTE_PORT = Pattern.compile("remoteserver:\\S*:(\\d+)");

    /** The client port of the member this client is connected to, from ZooKeeper.toString(); -1 if none. */
    static int remotePort(ZooKeeper zk) {
        Matcher m = REMOTE_PORT.matcher(zk.toString());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The connect string without the member listening on the given port. */
    static String withoutPort(String connectString, int port) {
        StringBuilder kept = new StringBuilder();
        for (String address : connectString.split(",")) {
            if (!address.endsWith(":" + port)) {
                kept.append(kept.length() == 0 ? "" : ",").append(address);
            }
        }
        return kept.toString();
    }

    /**
     * ZooKeeper's sync, waited for: the session's member has caught up with the leader, so the
     * session's next read sees every write acknowledged before (to any session) — what a
     * session must do before reading another session's write, on ZooKeeper as on Warren.
     */
    static void sync(ZooKeeper zk, String path) throws Exception {
        java.util.concurrent.CompletableFuture<Integer> done = new java.util.concurrent.CompletableFuture<>();
        zk.sync(path, (rc, p, ctx) -> done.complete(rc), null);
        int rc = done.get(15, java.util.concurrent.TimeUnit.SECONDS);
        if (rc != KeeperException.Code.OK.intValue()) {
            throw KeeperException.create(KeeperException.Code.get(rc), path);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] data) {
        return data == null ? null : new String(data, StandardCharsets.UTF_8);
    }

    static void closeQuietly(AutoCloseable... closeables) {
        for (AutoCloseable c : closeables) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception ignored) {
                // Tearing down after a failure: the first error is the one worth reporting.
            }
        }
    }
}
