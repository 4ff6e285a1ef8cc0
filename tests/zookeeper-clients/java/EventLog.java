import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;

/**
 * A watcher that records every event it is given, in order, so that a scenario can wait for one
 * and afterwards check the whole sequence.
 */
final class EventLog implements Watcher {
    private final List<WatchedEvent> events = new ArrayList<>();

    @Override
    public synchronized void process(WatchedEvent event) {
        events.add(event);
        notifyAll();
    }

    /** The number of events so far: a mark to pass to {@link #await} and {@link #since}. */
    synchronized int mark() {
        return events.size();
    }

    synchronized List<WatchedEvent> since(int mark) {
        return new ArrayList<>(events.subList(mark, events.size()));
    }

    /** Waits for an event at or after the mark that matches; fails after the timeout. */
    synchronized WatchedEvent await(int mark, Predicate<WatchedEvent> matches, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int next = mark;
        while (true) {
            for (; next < events.size(); next++) {
                if (matches.test(events.get(next))) {
                    return events.get(next);
                }
            }
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                throw new Checks.CheckFailed("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + "; events seen: " + describe(since(mark)));
            }
            wait(leftMs);
        }
    }

    static Predicate<WatchedEvent> node(EventType type, String path) {
        return e -> e.getType() == type && path.equals(e.getPath());
    }

    static Predicate<WatchedEvent> state(KeeperState state) {
        return e -> e.getType() == EventType.None && e.getState() == state;
    }

    static String describe(List<WatchedEvent> events) {
        return events.stream()
                .map(e -> e.getType() == EventType.None ? e.getState().name() : e.getType() + " " + e.getPath())
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
