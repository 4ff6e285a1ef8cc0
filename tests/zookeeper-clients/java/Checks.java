import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/** Assertions for the scenarios. Each failed one throws {@link CheckFailed} saying what was expected. */
final class Checks {
    private Checks() {}

    static final class CheckFailed extends RuntimeException {
        CheckFailed(String message) {
            super(message);
        }

        CheckFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    static void check(boolean condition, String what) {
        if (!condition) {
            throw new CheckFailed(what);
        }
    }

    static void checkEquals(Object expected, Object actual, String what) {
        if (!Objects.equals(expected, actual)) {
            throw new CheckFailed(what + ": expected " + expected + ", got " + actual);
        }
    }

    /** Runs the action, which must throw an exception of the given type; returns it. */
    static <E extends Exception> E expectThrows(Class<E> type, String what, Action action) {
        try {
            action.run();
        } catch (Exception e) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
            throw new CheckFailed(what + ": expected " + type.getSimpleName() + ", got " + e, e);
        }
        throw new CheckFailed(what + ": expected " + type.getSimpleName() + ", but it succeeded");
    }

    /**
     * Polls the probe until it returns true or a non-null non-false value, which is returned; fails
     * after the timeout naming what was awaited and the probe's last exception, if any.
     */
    static <T> T eventually(Duration timeout, String what, Callable<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception lastError = null;
        while (true) {
            try {
                T value = probe.call();
                if (value != null && !Boolean.FALSE.equals(value)) {
                    return value;
                }
                lastError = null;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                lastError = e;
            }
            if (System.nanoTime() >= deadline) {
                throw new CheckFailed("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + (lastError != null ? " (last error: " + lastError + ")" : ""));
            }
            Thread.sleep(50);
        }
    }
}
