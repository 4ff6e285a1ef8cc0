import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooKeeper;

import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

/**
 * The child JVM of SessionScenario's expiry check: opens a session with the given timeout, creates
 * the ephemeral znode, prints "READY <session id in hex>" and waits to be SIGKILLed, so that its
 * session ends without being closed. Should the test die first, this JVM goes too: when its stdin
 * (a pipe from the test) closes, or after two minutes at most.
 *
 * Usage: java EphemeralHolder CONNECT_STRING PATH SESSION_TIMEOUT_MS
 */
public final class EphemeralHolder {
    private EphemeralHolder() {}

    public static void main(String[] args) throws Exception {
        String connectString = args[0];
        String path = args[1];
        int sessionTimeoutMs = Integer.parseInt(args[2]);
        ZooKeeper zk = Clients.connect(connectString, sessionTimeoutMs, new EventLog());
        zk.create(path, Clients.utf8("held"), OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        System.out.println("READY " + Long.toHexString(zk.getSessionId()));
        System.out.flush();
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(120_000);
            } catch (InterruptedException ignored) {
                // Exiting anyway.
            }
            System.exit(3);
        }, "deadline");
        deadline.setDaemon(true);
        deadline.start();
        while (System.in.read() >= 0) {
            // Nothing is sent: wait for the end of the pipe.
        }
        System.exit(3); // never killed: say so by the exit code
    }
}
