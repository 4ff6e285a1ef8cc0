import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs tasks on threads of their own, released together, so that they race. */
final class Concurrently {
    private Concurrently() {}

    /** What one task ended with: a value, or the exception it threw. */
    record Outcome<T>(T value, Exception error) {
        boolean succeeded() {
            return error == null;
        }
    }

    /** Runs every task at once and waits (at most the timeout, in all) for each one's outcome, in task order. */
    static <T> List<Outcome<T>> run(List<Callable<T>> tasks, Duration timeout) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            long deadline = System.nanoTime() + timeout.toNanos();
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (Future<T> future : futures) {
                try {
                    outcomes.add(new Outcome<>(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS), null));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof Error error) {
                        throw error;
                    }
                    outcomes.add(new Outcome<>(null, (Exception) cause));
                } catch (TimeoutException e) {
                    throw new Checks.CheckFailed(tasks.size() + " concurrent tasks did not finish within "
                            + timeout.toMillis() + " ms");
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Like {@link #run}, but any task's exception fails the check; returns the values. */
    static <T> List<T> runAll(List<Callable<T>> tasks, Duration timeout) throws InterruptedException {
        List<T> values = new ArrayList<>();
        for (Outcome<T> outcome : run(tasks, timeout)) {
            if (!outcome.succeeded()) {
                throw new Checks.CheckFailed("a concurrent task failed: " + outcome.error(), outcome.error());
            }
            values.add(outcome.value());
        }
        return values;
    }
}
