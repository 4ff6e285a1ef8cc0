import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Asks the runner (java_test.py) to kill or restart a quorum member, over this process's stdout and
 * stdin: a request is the line {@code @@control kill-port PORT} (or {@code restart-port}), the member
 * being the one whose ZooKeeper client port is PORT; the runner answers {@code ok ...} or
 * {@code error ...} on one line. Nothing else is read from stdin.
 */
final class ClusterControl {
    static final String PREFIX = "@@control ";
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);

    private final PrintStream out;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private volatile boolean stdinClosed;

    ClusterControl(PrintStream out) {
        this.out = out;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    replies.add(line);
                }
            } catch (Exception ignored) {
                // stdin closed: requests then time out with a clear message.
            }
            stdinClosed = true;
            replies.add("error the runner closed stdin");
        }, "control-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** SIGKILLs the member serving the given client port; returns once it is dead. */
    void killMemberOnPort(int port) throws InterruptedException {
        request("kill-port " + port);
    }

    /** Starts the member serving the given client port again; returns once it serves. */
    void restartMemberOnPort(int port) throws InterruptedException {
        request("restart-port " + port);
    }

    private synchronized String request(String command) throws InterruptedException {
        if (stdinClosed) {
            throw new Checks.CheckFailed("cannot '" + command + "': stdin is closed (run this test through java_test.py)");
        }
        synchronized (out) {
            out.println(PREFIX + command);
            out.flush();
        }
        String reply = replies.poll(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (reply == null) {
            throw new Checks.CheckFailed("no answer from the runner to '" + command + "' within "
                    + REPLY_TIMEOUT.toSeconds() + " s (run this test through java_test.py)");
        }
        if (!reply.startsWith("ok")) {
            throw new Checks.CheckFailed("the runner could not '" + command + "': " + reply);
        }
        return reply;
    }
}
