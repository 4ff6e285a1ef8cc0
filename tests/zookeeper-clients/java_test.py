#!/usr/bin/python3
"""Runs the Java ZooKeeper-client test (java/ZkClientsTest.java) against a 3-member quorum.

    /usr/bin/python3 java_test.py --kind=warren|zookeeper [--bin-dir=DIR] [--base-port=7760]
                                  [--workdir=DIR] [--only=REGEX] [--java-log=LEVEL]

Compiles java/*.java with javac against Debian's ZooKeeper 3.8 and Curator 5.4 jars (into
WORKDIR/classes, while the quorum starts), starts the quorum with warren_quorum.Quorum (in
WORKDIR/quorum: member logs are WORKDIR/quorum/member<i>.log), runs ZkClientsTest with the
connect string, and serves its requests to kill or restart a member: a line
"@@control kill-port PORT" or "@@control restart-port PORT" on its stdout, answered with one line
on its stdin. Exits with the Java test's exit code (0: every case passed). The JVM and the quorum
are stopped on every exit path; the whole run is cut off after RUN_TIMEOUT_S.

Validate against real ZooKeeper first (--kind=zookeeper): its behaviour is the specification.
Needs javac/java 17, Debian's libzookeeper-java, libcurator-*-java and zookeeper packages, and
python3-kazoo (warren_quorum probes members with kazoo: run it with /usr/bin/python3).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from warren_quorum import Quorum, install_signal_cleanup  # noqa: E402

JAVA_SOURCES = os.path.join(HERE, "java")
JARS_DIR = "/usr/share/java"
JARS = ["zookeeper.jar", "zookeeper-jute.jar", "curator-client.jar", "curator-framework.jar",
        "curator-recipes.jar", "guava.jar", "slf4j-api.jar"]
MAIN_CLASS = "ZkClientsTest"
CONTROL_PREFIX = "@@control "
RUN_TIMEOUT_S = 170
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx256m"]
# A ZooKeeper server deletes idle containers and expired TTL nodes every
# znode.container.checkIntervalMs, 60 s by default: too seldom for a test of them. Quorum has no
# way to give its ZooKeeper members a JVM flag, so they get it from JAVA_TOOL_OPTIONS (set for
# the members only, not for javac and the test's JVM).
ZOOKEEPER_MEMBER_JVM_OPTIONS = "-Dznode.container.checkIntervalMs=500"
CALLERS_JAVA_TOOL_OPTIONS = os.environ.get("JAVA_TOOL_OPTIONS")


def classpath(*extra):
    return ":".join([*extra, *(os.path.join(JARS_DIR, jar) for jar in JARS)])


def own_env():
    """The environment for javac and the test's JVM: without the members' JAVA_TOOL_OPTIONS."""
    env = dict(os.environ)
    env.pop("JAVA_TOOL_OPTIONS", None)
    if CALLERS_JAVA_TOOL_OPTIONS is not None:
        env["JAVA_TOOL_OPTIONS"] = CALLERS_JAVA_TOOL_OPTIONS
    return env


def start_compile(classes_dir):
    """javac of every source into classes_dir, started in the background."""
    sources = sorted(os.path.join(JAVA_SOURCES, f) for f in os.listdir(JAVA_SOURCES)
                     if f.endswith(".java"))
    return subprocess.Popen(["javac", "-nowarn", "-encoding", "UTF-8", "-cp", classpath(),
                             "-d", classes_dir, *sources],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=own_env())


def logging_flags(level):
    """slf4j-nop (silent) by default; slf4j-simple at the given level to see the clients' logs."""
    if not level:
        return [os.path.join(JARS_DIR, "slf4j-nop.jar")], []
    return [os.path.join(JARS_DIR, "slf4j-simple.jar")], [
        f"-Dorg.slf4j.simpleLogger.defaultLogLevel={level}",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"]


def serve_control(quorum, request):
    """Carries out one request of the Java test; returns the reply line."""
    try:
        verb, port = request.split()
        member = quorum.member_of_port(int(port))
        if verb == "kill-port":
            quorum.kill(member)
            return f"ok member {member} killed"
        if verb == "restart-port":
            if not quorum.alive(member):
                quorum.restart(member)
            return f"ok member {member} serves"
        return f"error unknown request {request!r}"
    except Exception as e:  # noqa: BLE001 - the reason goes back to the Java test
        return f"error {e!r}".replace("\n", " ")


def run_java(quorum, classes_dir, args):
    """Runs ZkClientsTest, echoing its output and serving its control requests; returns its code."""
    jars, flags = logging_flags(args.java_log)
    command = ["java", *JVM_FLAGS, *flags, "-cp", classpath(classes_dir, *jars), MAIN_CLASS,
               f"--connect={quorum.connect_string()}"]
    if args.only:
        command.append(f"--only={args.only}")
    java = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            bufsize=1, env=own_env())
    watchdog = threading.Timer(RUN_TIMEOUT_S, java.kill)
    watchdog.start()
    try:
        for line in java.stdout:
            if line.startswith(CONTROL_PREFIX):
                request = line[len(CONTROL_PREFIX):].strip()
                reply = serve_control(quorum, request)
                print(f"    [runner] {request}: {reply}", flush=True)
                try:
                    java.stdin.write(reply + "\n")
                    java.stdin.flush()
                except BrokenPipeError:
                    pass  # the JVM is gone; its exit code tells
            else:
                print(line, end="", flush=True)
        return java.wait()
    finally:
        watchdog.cancel()
        if java.poll() is None:
            java.kill()
            java.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("warren", "zookeeper"), required=True)
    parser.add_argument("--bin-dir", default=None, help="where warrend is (default: build/bin)")
    parser.add_argument("--base-port", type=int, default=7760)
    parser.add_argument("--workdir", default=None,
                        help="classes and quorum data (default: a new temporary directory)")
    parser.add_argument("--only", default=None, help="run only the cases whose name matches")
    parser.add_argument("--java-log", default=None,
                        help="log level of the Java clients (default: silent)")
    args = parser.parse_args()
    install_signal_cleanup()

    started = time.monotonic()
    workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix=f"zk-java-{args.kind}-"))
    classes_dir = os.path.join(workdir, "classes")
    os.makedirs(classes_dir, exist_ok=True)
    javac = start_compile(classes_dir)
    if args.kind == "zookeeper":
        os.environ["JAVA_TOOL_OPTIONS"] = " ".join(
            filter(None, [os.environ.get("JAVA_TOOL_OPTIONS"), ZOOKEEPER_MEMBER_JVM_OPTIONS]))
    code = 1
    try:
        with Quorum(args.kind, os.path.join(workdir, "quorum"), args.base_port,
                    bin_dir=args.bin_dir) as quorum:
            print(f"{args.kind} quorum serving on {quorum.connect_string()} "
                  f"({time.monotonic() - started:.1f} s)", flush=True)
            compiler_output, _ = javac.communicate(timeout=120)
            if javac.returncode != 0:
                print(f"javac failed:\n{compiler_output}", flush=True)
                code = 2
                return code
            code = run_java(quorum, classes_dir, args)
            if code != 0:
                for i in quorum.members():
                    print(f"--- last lines of {quorum.log_path(i)}", flush=True)
                    print(quorum.log_tail(i, 15), end="", flush=True)
            return code
    finally:
        if javac.poll() is None:
            javac.kill()
            javac.wait()
        print(f"java_test.py --kind={args.kind}: exit {code}, wall time "
              f"{time.monotonic() - started:.1f} s (workdir {workdir})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
