#!/usr/bin/env bash
# docs/operations.md, scripted: `cpack` makes warren_*.deb, `apt-get install` installs it
# (user, data directory, conffile, systemd unit), warrend starts as the unit starts it — by
# systemd where it runs, else with the unit's own ExecStart line as the user `warren` — the
# CLI talks to it, its metrics and health are scraped, a backup is taken and restored into a
# new member that serves the same tree; then the package is purged, the machine left as it was.
# Needs root (it installs into /usr); skipped (77) otherwise, or if warren is installed already.
#   tests/package/package_test.sh BUILD_DIR
set -euo pipefail
build="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to install a package"
grep -q "install ok installed" <<< "$(dpkg-query -W -f='${Status}' warren 2>/dev/null)" &&
  skip "the warren package is installed on this machine; not touching it"
[ ! -e /var/lib/warren ] || skip "/var/lib/warren exists; not touching it"
user_existed=false
getent passwd warren > /dev/null && user_existed=true

work="$(mktemp -d /tmp/warren-package-test-XXXXXX)"
pid="" restored_pid=""
cleanup() {
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  [ -z "$restored_pid" ] || kill -9 "$restored_pid" 2>/dev/null || true
  if [ -d /run/systemd/system ]; then systemctl stop warrend.service 2>/dev/null || true; fi
  apt-get purge -y -q warren > /dev/null 2>&1 || true
  rm -rf /var/lib/warren "$work"
  $user_existed || userdel warren 2>/dev/null || true
}
trap cleanup EXIT

echo "== cpack -G DEB (the server's package)"
(cd "$build" && cpack -G DEB -B "$work" -D CPACK_COMPONENTS_ALL=server > "$work/cpack.log") ||
  { cat "$work/cpack.log"; fail "cpack"; }
deb="$(ls "$work"/warren_*_amd64.deb)"
info="$(dpkg-deb -I "$deb")"
grep -q "Depends: passwd" <<< "$info" || fail "the package's dependencies: $info"

echo "== apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" > "$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get install"; }
for f in /usr/bin/warrend /usr/bin/warren /etc/warren/warrend.conf \
  /lib/systemd/system/warrend.service /usr/share/doc/warren/metastore.md; do
  [ -e "$f" ] || fail "$f was not installed"
done
grep -q /etc/warren/warrend.conf <<< "$(dpkg-query -W -f='${Conffiles}' warren)" ||
  fail "/etc/warren/warrend.conf is not a conffile"
grep -q nologin <<< "$(getent passwd warren)" || fail "no system user warren"
[ "$(stat -c %U:%a /var/lib/warren)" = "warren:750" ] ||
  fail "/var/lib/warren is $(stat -c %U:%a /var/lib/warren), not warren:750"

echo "== warrend as its unit starts it"
if [ -d /run/systemd/system ]; then
  systemctl is-enabled warrend.service > /dev/null || fail "the unit is not enabled"
else
  exec_start="$(sed -n 's/^ExecStart=//p' /lib/systemd/system/warrend.service)"
  [ -n "$exec_start" ] || fail "no ExecStart in the unit"
  echo "systemd is not running here: as the user warren, $exec_start"
  # setpriv execs the command itself, so that $! is warrend and gets the SIGTERM below.
  # shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
  setpriv --reuid=warren --regid=warren --init-groups -- $exec_start 2> "$work/warrend.log" &
  pid=$!
fi
cli() { /usr/bin/warren --endpoints=127.0.0.1:7101 "$@"; }
for _ in $(seq 150); do cli leader > /dev/null 2>&1 && break; sleep 0.2; done
cli create /package "from the package" > /dev/null ||
  { cat "$work/warrend.log" 2>/dev/null; fail "create through the installed CLI"; }
[ "$(cli get /package)" = "from the package" ] || fail "get /package"
status="$(cli status)"
grep -q "role=leader.* ready" <<< "$status" || fail "status: $status"
[ "$(stat -c %U /var/lib/warren/raft)" = warren ] || fail "the data is not the user warren's"

echo "== metrics and health on the configured address"
http_get() {  # PATH: the status line and the body of GET http://127.0.0.1:7190PATH
  exec 3<> /dev/tcp/127.0.0.1/7190
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$1" >&3
  cat <&3
  exec 3<&-
}
response="$(http_get /readyz)"
grep -q "^HTTP/1.1 200" <<< "$response" || fail "/readyz: $response"
metrics="$(http_get /metrics)"
grep -q '^warren_raft_role{.*role="leader".*} 1' <<< "$metrics" || fail "no leader role in /metrics"
grep -Eq '^warren_metastore_znodes({[^}]*})? [1-9]' <<< "$metrics" || fail "no znodes in /metrics"

echo "== backup, and a new member restored from it"
cli backup "$work/quorum.backup"
cli create /after-the-backup x > /dev/null
/usr/bin/warren restore "$work/quorum.backup" --data-dir="$work/restored" --id=1 \
  --address=127.0.0.1:7195 > /dev/null
/usr/bin/warrend --id=1 --members=1=127.0.0.1:7195 --data-dir="$work/restored" \
  2> "$work/restored.log" &
restored_pid=$!
restored() { /usr/bin/warren --endpoints=127.0.0.1:7195 "$@"; }
for _ in $(seq 150); do restored leader > /dev/null 2>&1 && break; sleep 0.2; done
[ "$(restored get /package)" = "from the package" ] ||
  { tail -5 "$work/restored.log"; fail "the restored member does not have /package"; }
! restored exists /after-the-backup > /dev/null 2>&1 || fail "the restore holds a later write"
kill -TERM "$restored_pid"
wait "$restored_pid" || fail "the restored member exited with $?"
restored_pid=""

if [ -n "$pid" ]; then
  echo "== SIGTERM stops it cleanly"
  kill -TERM "$pid"
  wait "$pid" || fail "warrend exited with $? on SIGTERM: $(tail -5 "$work/warrend.log")"
  pid=""
fi

echo "== apt-get purge keeps the data"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q warren > "$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get purge"; }
[ ! -e /usr/bin/warrend ] || fail "/usr/bin/warrend is still there"
[ ! -e /etc/warren/warrend.conf ] || fail "purge left the conffile"
[ -d /var/lib/warren/raft ] || fail "purge deleted the member's data"
echo "PASS"
