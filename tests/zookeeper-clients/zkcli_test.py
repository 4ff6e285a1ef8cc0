"""Drives a 3-member quorum through zkCli.sh, ZooKeeper's own Java command-line client.

Three zkCli processes in all (each JVM costs about a second to start):
  * one batch of commands fed through stdin: create (plain, -e, -s, -e -s), ls, ls -s, get,
    get -s, set -v, stat, delete (-v), deleteall, getAcl, the errors zkCli reports, and the
    one-shot watches of get -w, ls -w and stat -w, each firing exactly once;
  * one batch of setquota, listquota and delquota, hard limits refusing writes;
  * one interactive zkCli holding an ephemeral and three watches while the member it is
    connected to is SIGKILLed: it must reconnect elsewhere with the same session, keep the
    ephemeral, answer the next command, and have its watches fire for the changes made after
    the kill (the Java client re-sends its watches with setWatches).
Assertions are on zkCli's output text (and on what a kazoo client sees).

    /usr/bin/python3 zkcli_test.py --kind=zookeeper --base-port=7730 --workdir=/tmp/zk-zkcli
    /usr/bin/python3 zkcli_test.py --kind=warren --bin-dir=build/bin --base-port=7730 \
        --workdir=/tmp/warren-zkcli
"""

import os
import re
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warren_quorum import (die_with_parent, eventually, new_kazoo_client,  # noqa: E402
                           run_suite)

from kazoo.exceptions import NodeExistsError  # noqa: E402
from kazoo.retry import KazooRetry  # noqa: E402

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
SESSION_TIMEOUT_MS = 6000
WAIT_S = 20
MARK = "/zkcli-test-mark-"       # `ls` of a missing node: its error line ends a command's output
EVENT = re.compile(r"WatchedEvent state:(\w+) type:(\w+) path:(\S+)")
QUORUM = None


# -- talking to zkCli --------------------------------------------------------------------------

def zkcli_command():
    return [ZKCLI, "-timeout", str(SESSION_TIMEOUT_MS), "-waitforconnection",
            "-server", QUORUM.connect_string()]


def is_noise(line):
    """Lines of zkCli's output that belong to no command: banners, logging, watch events."""
    return (not line.strip() or line.startswith(("SLF4J:", "WATCHER::", "Welcome to ZooKeeper",
                                                 "JLine support", "Connecting to"))
            or EVENT.search(line) is not None)


def split_by_marks(lines):
    """The output lines of each command, the commands being separated by `ls MARK<n>`.
    A mark answered otherwise than with "Node does not exist" (e.g. ConnectionLoss) keeps
    its line in the output of the command before it."""
    outputs, current = {}, []
    mark = re.compile(re.escape(MARK) + r"(\d+)$")
    for line in lines:
        m = mark.search(line)
        if m:
            if not line.startswith("Node does not exist: "):
                current.append(line)
            outputs[int(m.group(1))] = current
            current = []
        elif not is_noise(line):
            current.append(line)
    return outputs


def watch_events(lines):
    """(type, path) of every watch event zkCli printed, session events (type None) left out."""
    events = [EVENT.search(line) for line in lines]
    return [(m.group(2), m.group(3)) for m in events if m and m.group(2) != "None"]


def session_states(lines):
    return [m.group(1) for m in map(EVENT.search, lines) if m and m.group(2) == "None"]


def parse_stat(lines):
    """zkCli's `key = value` stat lines as a dict."""
    return dict(line.split(" = ", 1) for line in lines if " = " in line)


def run_batch(commands):
    """Runs the commands through one zkCli; returns each command's output lines (None if
    zkCli did not answer it) and every output line."""
    script = []
    for i, command in enumerate(commands):
        script += [command, f"ls {MARK}{i}"]
    script.append("quit")
    done = subprocess.run(zkcli_command(), input="\n".join(script) + "\n", text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                          preexec_fn=die_with_parent)
    lines = done.stdout.splitlines()
    outputs = split_by_marks(lines)
    return [outputs.get(i) for i in range(len(commands))], lines


class InteractiveZkCli:
    """One zkCli process kept running; commands are sent one at a time."""

    def __init__(self):
        self.proc = subprocess.Popen(zkcli_command(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1, preexec_fn=die_with_parent)
        self.lines = []
        self._sent = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def run(self, command):
        """Sends one command; returns its output lines once zkCli has answered it."""
        n = self._sent
        self._sent += 1
        self.proc.stdin.write(f"{command}\nls {MARK}{n}\n")
        self.proc.stdin.flush()
        eventually(lambda: n in split_by_marks(self.lines), WAIT_S,
                   f"zkCli to answer {command!r}; output so far:\n" + "\n".join(self.lines[-20:]))
        return split_by_marks(self.lines)[n]

    def pids(self):
        """zkCli.sh's process and its descendants (the JVM)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo += [int(c) for c in f.read().split()]
            except OSError:
                pass
        return found

    def connected_member(self):
        """The member whose client port the JVM has an established connection to."""
        pids = set(self.pids())
        ss = subprocess.run(["ss", "-tnpH", "state", "established"], text=True,
                            capture_output=True, timeout=10).stdout
        for line in ss.splitlines():
            fields = line.split()
            owner = re.search(r"pid=(\d+)", line)
            if not owner or int(owner.group(1)) not in pids or len(fields) < 4:
                continue
            peer_port = int(fields[3].rsplit(":", 1)[1])
            try:
                return QUORUM.member_of_port(peer_port)
            except ValueError:
                continue
        return None

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(WAIT_S)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        self.proc.stdin.close()
        self.proc.stdout.close()


# -- tests -------------------------------------------------------------------------------------

class ZkCliTest(unittest.TestCase):

    def setUp(self):
        QUORUM.restart_dead()
        self.kazoo = new_kazoo_client(QUORUM.connect_string())
        self.kazoo.start(timeout=WAIT_S)

    def tearDown(self):
        self.kazoo.stop()
        self.kazoo.close()

    def test_commands(self):
        children = r"^\[eph, eseq-\d{10}, seq-\d{10}\]$"
        # (command, what zkCli must print: the exact lines, one regex for the first line, or
        # a function that checks the lines)
        script = [
            ("create /zkcli hello", ["Created /zkcli"]),
            ("create /zkcli again", ["Node already exists: /zkcli"]),
            ("create -e /zkcli/eph e", ["Created /zkcli/eph"]),
            ("create -s /zkcli/seq- s", r"^Created /zkcli/seq-\d{10}$"),
            ("create -e -s /zkcli/eseq- x", r"^Created /zkcli/eseq-\d{10}$"),
            ("create /zkcli/eph/child", ["Ephemerals cannot have children: /zkcli/eph/child"]),
            ("ls /zkcli", children),
            ("ls -s /zkcli", lambda out: self._check_ls_s(out, children)),
            ("get /zkcli", ["hello"]),
            ("get -s /zkcli", self._check_get_s),
            ("set -v 0 /zkcli world", []),
            ("set -v 0 /zkcli again", ["version No is not valid : /zkcli"]),
            ("stat /zkcli", self._check_stat_after_set),
            ("stat /zkcli/eph", lambda out: self.assertNotEqual(
                parse_stat(out).get("ephemeralOwner", "0x0"), "0x0", out)),
            ("get -w /zkcli", ["world"]),
            ("set /zkcli w2", []),                  # fires the get -w watch
            ("set /zkcli w3", []),                  # fires nothing more
            ("ls -w /zkcli", children),
            ("create /zkcli/kid k", ["Created /zkcli/kid"]),   # fires the ls -w watch
            ("stat -w /zkcli/later", ["Node does not exist: /zkcli/later"]),
            ("create /zkcli/later", ["Created /zkcli/later"]),  # fires the stat -w watch
            ("delete /zkcli", ["Node not empty: /zkcli"]),
            ("delete -v 5 /zkcli/kid", ["version No is not valid : /zkcli/kid"]),
            ("delete -v 0 /zkcli/kid", []),
            ("delete /zkcli/kid", ["Node does not exist: /zkcli/kid"]),
            ("getAcl /zkcli", ["'world,'anyone", ": cdrwa"]),
            ("deleteall /zkcli", []),
            ("ls /zkcli", ["Node does not exist: /zkcli"]),
        ]
        outputs, lines = run_batch([command for command, _ in script])
        for (command, expected), out in zip(script, outputs):
            with self.subTest(command=command):
                self.assertIsNotNone(out, "zkCli printed no answer")
                if callable(expected):
                    expected(out)
                elif isinstance(expected, str):
                    self.assertRegex("\n".join(out), expected)
                else:
                    self.assertEqual(out, expected)
        with self.subTest("sequence numbers"):
            seq, eseq = (int(outputs[i][0][-10:]) for i in (3, 4))
            self.assertLess(seq, eseq)
        with self.subTest("watch events"):
            self.assertEqual(sorted(watch_events(lines)),
                             sorted([("NodeDataChanged", "/zkcli"),
                                     ("NodeChildrenChanged", "/zkcli"),
                                     ("NodeCreated", "/zkcli/later")]))
        with self.subTest("session events"):
            # zkCli exits right after zk.close(); the Closed event, queued by the closing
            # send thread, is printed only if the event thread runs before the JVM exits.
            self.assertIn(session_states(lines), (["SyncConnected"], ["SyncConnected", "Closed"]))
        self.kazoo.sync("/")
        self.assertIsNone(self.kazoo.exists("/zkcli"))

    def test_quotas(self):
        """setquota, listquota and delquota: the stats node counts the subtree (the node itself
        among it), a hard limit refuses the write that would pass it, a soft one only warns.
        (ZooKeeper enforces hard limits with zookeeper.enforceQuota=true; Warren always.)"""
        limits = "/zookeeper/quota/zq/zookeeper_limits"
        script = [
            ("create /zq 12345", ["Created /zq"]),
            ("create /zq/a ab", ["Created /zq/a"]),
            ("setquota -N 4 /zq", []),
            ("listquota /zq", [f"absolute path is {limits}",
                               "Output quota for /zq "
                               "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=4",
                               "Output stat for /zq count=2,bytes=7"]),
            ("create /zq/b", ["Created /zq/b"]),
            ("create /zq/c", ["Created /zq/c"]),
            ("create /zq/d", ["Quota has exceeded : /zq/d"]),
            ("setquota -B 10 /zq", []),
            ("set /zq/a abcd", []),
            ("set /zq/a abcdefgh", ["Quota has exceeded : /zq/a"]),
            ("get /zq/a", ["abcd"]),
            ("delquota -N /zq", []),
            ("create /zq/d", ["Created /zq/d"]),
            ("listquota /zq", [f"absolute path is {limits}",
                               "Output quota for /zq "
                               "count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=-1",
                               "Output stat for /zq count=5,bytes=9"]),
            ("setquota -n 5 /zq", []),
            ("create /zq/soft", ["Created /zq/soft"]),  # past the soft limit: a warning only
            ("delquota /zq", []),
            ("listquota /zq", [f"absolute path is {limits}", "quota for /zq does not exist."]),
            ("create /zq/e 0123456789abcdef", ["Created /zq/e"]),
            ("ls /zookeeper/quota", ["[]"]),
            ("setquota -n 1 /zookeeper/quota",
             ["cannot set a quota under the path: /zookeeper/quota"]),
            ("deleteall /zq", []),
        ]
        outputs, _ = run_batch([command for command, _ in script])
        for (command, expected), out in zip(script, outputs):
            with self.subTest(command=command):
                self.assertEqual(out, expected)
        if QUORUM.kind == "warren":
            eventually(lambda: any("Quota exceeded: /zq [count 6, soft limit 5]"
                                   in QUORUM.log_tail(i, 200) for i in QUORUM.members()),
                       WAIT_S, "a member to warn of the soft limit in its log")

    def _check_ls_s(self, out, children):
        self.assertRegex(out[0], children)
        stat = parse_stat(out)
        self.assertEqual((stat.get("numChildren"), stat.get("cversion")), ("3", "3"), out)

    def _check_get_s(self, out):
        self.assertEqual(out[0], "hello")
        stat = parse_stat(out)
        self.assertEqual((stat.get("dataVersion"), stat.get("dataLength"),
                          stat.get("ephemeralOwner"), stat.get("cversion")),
                         ("0", "5", "0x0", "3"), out)
        self.assertEqual(stat["cZxid"], stat["mZxid"])

    def _check_stat_after_set(self, out):
        stat = parse_stat(out)
        self.assertEqual((stat.get("dataVersion"), stat.get("dataLength"),
                          stat.get("numChildren")), ("1", "5", "3"), out)
        self.assertLess(int(stat["cZxid"], 16), int(stat["mZxid"], 16))

    def test_session_moves_when_its_member_dies(self):
        k = self.kazoo
        k.create("/zkmove/watched", b"0", makepath=True)
        k.create("/zkmove/parent")
        cli = InteractiveZkCli()
        try:
            self.assertEqual(cli.run("create -e /zkmove/eph held"), ["Created /zkmove/eph"])
            self.assertEqual(cli.run("get -w /zkmove/watched"), ["0"])
            self.assertEqual(cli.run("ls -w /zkmove/parent"), ["[]"])
            self.assertEqual(cli.run("stat -w /zkmove/later"),
                             ["Node does not exist: /zkmove/later"])
            owner = parse_stat(cli.run("stat /zkmove/eph"))["ephemeralOwner"]
            member = eventually(cli.connected_member, WAIT_S, "zkCli's connection in ss")

            QUORUM.kill(member)
            survivors = new_kazoo_client(",".join(
                QUORUM.zk_address(i) for i in QUORUM.members() if i != member))
            survivors.start(timeout=WAIT_S)
            try:
                self._change_while_moving(survivors)
                eventually(lambda: "SyncConnected" in session_states(cli.lines)[2:], WAIT_S,
                           "zkCli to report it reconnected; output:\n"
                           + "\n".join(cli.lines[-10:]))
                self.assertEqual(session_states(cli.lines)[:3],
                                 ["SyncConnected", "Disconnected", "SyncConnected"])
                # The change was made through another session, and the watch event that would
                # order it before this read is only awaited below: read after a sync.
                cli.run("sync /zkmove/watched")
                self.assertEqual(cli.run("get /zkmove/watched"), ["1"])
                self.assertEqual(parse_stat(cli.run("stat /zkmove/eph"))["ephemeralOwner"],
                                 owner)
                new_member = cli.connected_member()
                self.assertNotIn(new_member, (None, member))
                expected = [("NodeDataChanged", "/zkmove/watched"),
                            ("NodeChildrenChanged", "/zkmove/parent"),
                            ("NodeCreated", "/zkmove/later")]
                eventually(lambda: len(watch_events(cli.lines)) >= 3, WAIT_S,
                           "the three watches to fire; events so far: "
                           f"{watch_events(cli.lines)}")
                self.assertEqual(sorted(watch_events(cli.lines)), sorted(expected))
                survivors.sync("/zkmove")
                stat = survivors.exists("/zkmove/eph")
                self.assertIsNotNone(stat, "the ephemeral went with the member")
                self.assertEqual(hex(stat.ephemeralOwner), owner)
                self.assertNotIn("Expired", session_states(cli.lines))
            finally:
                survivors.stop()
                survivors.close()
        finally:
            cli.close()
        k.sync("/zkmove")
        self.assertIsNone(k.exists("/zkmove/eph"), "zkCli's quit did not end its session")

    @staticmethod
    def _change_while_moving(client):
        retry = KazooRetry(max_tries=-1, delay=0.1, backoff=1.3, max_delay=1.0,
                           deadline=WAIT_S, ignore_expire=False)
        retry(client.set, "/zkmove/watched", b"1")
        for path in ("/zkmove/parent/child", "/zkmove/later"):
            try:
                retry(client.create, path)
            except NodeExistsError:  # an attempt cut off by the failover got through
                pass


# -- running -----------------------------------------------------------------------------------

def main():
    def use(quorum):
        global QUORUM
        QUORUM = quorum
    # ZooKeeper enforces hard quotas only when told to; Warren always does.
    run_suite(__doc__.split("\n")[0], 7730, "/tmp/warren-zkcli-test", use,
              zookeeper_props=["zookeeper.enforceQuota=true"])


if __name__ == "__main__":
    main()
