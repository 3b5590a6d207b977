#!/usr/bin/env bash
# The systemd suite: runs cotyledon-demo under a real systemd (252, Debian 12) booted with
# systemd-nspawn on its own debootstrapped root (never on this machine's root: systemd's
# tmpfiles set-up would empty the host's /tmp). Uses the unit files of systemd/ as shipped.
#
# Usage: Tests/systemd/run-systemd-suite.sh BIN_DIR
#   BIN_DIR holds the built cotyledon-demo (swift build --show-bin-path).
# Needs root (apt-get, debootstrap, nspawn). Not root: prints SKIPPED and exits 0,
# unless CI=true, where the suite must run and a missing privilege fails it.
# Ends with "N passed, N failed".
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin_dir="$(cd "${1:?usage: $0 BIN_DIR}" && pwd)"
root="$repo/.build-systemd/rootfs"
swift_root="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
echo_port=7007
passed=0
failed=0
nspawn_pid=""
leader=""

if [ "$(id -u)" -ne 0 ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "systemd suite: FAILED to run: root is required and CI=true"
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "systemd suite: SKIPPED (needs root for debootstrap and systemd-nspawn)"
    exit 0
fi

log() { echo "systemd suite: $*"; }
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; [ $# -gt 1 ] && echo "$2" | sed 's/^/    /'; }

# Runs a command inside the container (all its namespaces).
inside() { nsenter -t "$leader" -a "$@"; }
prop() { inside systemctl show -p "$2" --value "$1"; }

# wait_for DESCRIPTION SECONDS COMMAND…: polls a state until COMMAND succeeds or the deadline passes.
wait_for() {
    local description=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            echo "    timed out after ${seconds}s waiting for $description"
            return 1
        fi
        sleep 0.1
    done
}

install_tools() {
    local missing=()
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
    command -v nsenter >/dev/null || missing+=(util-linux)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

make_root() {
    # The demo links libsystemd (systemd brings it) and libyaml; a root made before libyaml
    # was needed is made again.
    if [ ! -x "$root/lib/systemd/systemd" ] || ! compgen -G "$root/usr/lib/*/libyaml-0.so.2" >/dev/null; then
        local mirror
        mirror=$(grep -rhoE 'https?://deb\.debian\.org/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -1)
        log "debootstrapping a Debian 12 root into $root (${mirror:-http://deb.debian.org/debian})"
        rm -rf "$root"
        mkdir -p "$(dirname "$root")"
        debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,libyaml-0-2 bookworm "$root" \
            "${mirror:-http://deb.debian.org/debian}" >"$root.log" 2>&1 || { cat "$root.log"; return 1; }
    fi
    # The units as shipped; the binary reached through the path they name.
    cp "$repo/systemd/cotyledon-demo.service" "$repo/systemd/cotyledon-demo.socket" "$root/etc/systemd/system/"
    cp "$repo/config/cotyledon-demo.yaml" "$root/etc/cotyledon-demo.yaml"
    mkdir -p "$root/opt/cotyledon" "$root/usr/local/bin" "$root/etc/systemd/system/cotyledon-demo.service.d"
    ln -sf /opt/cotyledon/cotyledon-demo "$root/usr/local/bin/cotyledon-demo"
    ln -sf /opt/cotyledon/cotyledonctl "$root/usr/local/bin/cotyledonctl"
    rm -f "$root/etc/systemd/system/cotyledon-demo.service.d/"*.conf
    # Nothing but what the suite starts.
    ln -sf /dev/null "$root/etc/systemd/system/systemd-timesyncd.service"
    ln -sf /dev/null "$root/etc/systemd/system/getty.target"
    echo cotyledon-systemd-suite > "$root/etc/hostname"
}

boot() {
    log "booting systemd in a container"
    systemd-nspawn --quiet --register=no --keep-unit -D "$root" \
        --bind-ro="$swift_root" --bind-ro="$bin_dir:/opt/cotyledon" \
        -b -- --unit=multi-user.target >"$repo/.build-systemd/container.log" 2>&1 &
    nspawn_pid=$!
    local deadline=$((SECONDS + 30))
    while [ -z "$leader" ]; do
        leader=$(pgrep -P "$nspawn_pid" | head -1)
        if [ $SECONDS -ge $deadline ] || ! kill -0 "$nspawn_pid" 2>/dev/null; then
            cat "$repo/.build-systemd/container.log"
            return 1
        fi
        [ -n "$leader" ] || sleep 0.05
    done
    wait_for "the container's systemd to finish booting" 60 \
        bash -c "nsenter -t $leader -a systemctl is-system-running 2>/dev/null | grep -qE '^(running|degraded)$'"
}

shutdown_container() {
    [ -n "$leader" ] && inside systemctl poweroff >/dev/null 2>&1
    if [ -n "$nspawn_pid" ]; then
        local deadline=$((SECONDS + 20))
        while kill -0 "$nspawn_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        kill -KILL "$nspawn_pid" 2>/dev/null
        wait "$nspawn_pid" 2>/dev/null
    fi
}
trap shutdown_container EXIT

# Pids of the unit's processes, from its cgroup.
unit_pids() { inside systemctl show -p ControlGroup --value "$1" | xargs -I{} cat "/sys/fs/cgroup{}/cgroup.procs" 2>/dev/null; }
journal() { inside journalctl -q -o cat -u "$1" "${@:2}"; }
status_text() { prop cotyledon-demo.service StatusText; }
printer_pids() { inside pgrep -f 'cotyledon-demo: printer worker' | sort; }

test_start_waits_for_ready() {
    if ! inside systemctl start cotyledon-demo.service; then
        fail "systemctl start" "$(journal cotyledon-demo.service | tail -20)"
        return 1
    fi
    local state status
    state=$(prop cotyledon-demo.service ActiveState)
    status=$(status_text)
    # journald reads the log stream on its own schedule: wait for the line.
    if [ "$state" = active ] && [ "$status" = "printer 4/4 ready; echo 2/2 ready" ] \
        && wait_for "event=all-ready in the journal" 10 bash -c "nsenter -t $leader -a journalctl -q -o cat -u cotyledon-demo.service | grep -q 'event=all-ready'"; then
        pass "systemctl start returns after READY=1: active, StatusText '$status'"
    else
        fail "systemctl start returns after READY=1" "ActiveState=$state StatusText=$status"
    fi
}

test_titles_and_notify_access() {
    local main tree
    main=$(prop cotyledon-demo.service MainPID)
    tree=$(inside ps -o pid=,ppid=,args= --ppid "$main" -p "$main")
    # (That workers lose NOTIFY_SOCKET is checked by the integration tests: /proc/PID/environ
    # shows the process title's bytes, not the environment.)
    if echo "$tree" | grep -q "cotyledon-demo: master process \[/usr/local/bin/cotyledon-demo --config" \
        && [ "$(echo "$tree" | grep -c 'cotyledon-demo: printer worker(')" -eq 4 ] \
        && [ "$(echo "$tree" | grep -c 'cotyledon-demo: echo worker(')" -eq 2 ]; then
        pass "MainPID is the master; its children are the 4 printer and 2 echo workers, titled"
    else
        fail "MainPID is the master; its children are the titled workers" "$tree"
    fi
}

test_reload_reaches_workers() {
    local before after
    before=$(journal cotyledon-demo.service | grep -c 'event=worker-reload')
    inside systemctl reload cotyledon-demo.service || { fail "systemctl reload" "$(journal cotyledon-demo.service | tail)"; return; }
    if wait_for "4 workers to reload" 20 bash -c \
        "[ \$(nsenter -t $leader -a journalctl -q -o cat -u cotyledon-demo.service | grep -c 'event=worker-reload') -ge $((before + 4)) ]" \
        && [ "$(prop cotyledon-demo.service ActiveState)" = active ]; then
        after=$(journal cotyledon-demo.service | grep -c 'event=worker-reload')
        pass "systemctl reload: every worker reloaded ($((after - before)) reloads), unit active"
    else
        fail "systemctl reload reaches every worker" "$(journal cotyledon-demo.service | tail)"
    fi
}

test_bad_config_fails_reload() {
    cp "$root/etc/cotyledon-demo.yaml" "$root/etc/cotyledon-demo.yaml.good"
    printf 'services:\n  printer:\n    workers: 2\n    wrokers: 3\n' > "$root/etc/cotyledon-demo.yaml"
    local output
    if output=$(inside systemctl reload cotyledon-demo.service 2>&1); then
        fail "systemctl reload reports a bad configuration" "it succeeded: $output"
    elif [ "$(prop cotyledon-demo.service ActiveState)" = active ] \
        && status_text | grep -q "^reload failed: /etc/cotyledon-demo.yaml:4:5"; then
        pass "systemctl reload fails on a bad file (cotyledonctl reload --wait), unit still active, StatusText names the line"
    else
        fail "systemctl reload reports a bad configuration" "StatusText=$(status_text) ActiveState=$(prop cotyledon-demo.service ActiveState)"
    fi
    mv "$root/etc/cotyledon-demo.yaml.good" "$root/etc/cotyledon-demo.yaml"
    if inside systemctl reload cotyledon-demo.service; then
        pass "systemctl reload succeeds again once the file is fixed"
    else
        fail "systemctl reload succeeds once the file is fixed" "$(journal cotyledon-demo.service | tail -5)"
    fi
}

test_worker_kill_is_repaired() {
    local main victim
    main=$(prop cotyledon-demo.service MainPID)
    victim=$(printer_pids | head -1)
    inside kill -KILL "$victim"
    if wait_for "a replacement worker and the status to count the restart" 20 bash -c \
        "nsenter -t $leader -a systemctl show -p StatusText --value cotyledon-demo.service | grep -qx 'printer 4/4 ready, 1 restart; echo 2/2 ready'" \
        && [ "$(prop cotyledon-demo.service MainPID)" = "$main" ] \
        && ! printer_pids | grep -qx "$victim" && [ "$(printer_pids | wc -l)" -eq 4 ]; then
        pass "kill -9 of worker $victim: MainPID unchanged, replaced, StatusText '$(status_text)'"
    else
        fail "kill -9 of a worker is repaired" "StatusText=$(status_text) MainPID=$(prop cotyledon-demo.service MainPID) was $main"
    fi
    if journal cotyledon-demo.service -p err | grep -q "killed by SIGKILL"; then
        pass "journal: the crash is logged at priority err (syslog prefix)"
    else
        fail "journal: the crash is logged at priority err" "$(journal cotyledon-demo.service -p err | tail -3)"
    fi
}

test_stop_leaves_nothing() {
    inside systemctl stop cotyledon-demo.service
    local result left
    result=$(prop cotyledon-demo.service Result)
    left=$(unit_pids cotyledon-demo.service; inside pgrep -f 'cotyledon-demo:')
    if [ "$result" = success ] && [ -z "$left" ] \
        && wait_for "event=master-exit in the journal" 10 bash -c "nsenter -t $leader -a journalctl -q -o cat -u cotyledon-demo.service | grep -q 'event=master-exit status=0'"; then
        pass "systemctl stop: Result=success, no process left, master exited 0"
    else
        fail "systemctl stop leaves nothing" "Result=$result left: $left"
    fi
}

test_watchdog() {
    printf '[Service]\nWatchdogSec=2\nRestartSec=100ms\n' > "$root/etc/systemd/system/cotyledon-demo.service.d/watchdog.conf"
    inside systemctl daemon-reload
    inside systemctl start cotyledon-demo.service || { fail "start with WatchdogSec=2"; return; }
    local main restarts
    main=$(prop cotyledon-demo.service MainPID)
    restarts=$(prop cotyledon-demo.service NRestarts)
    # A healthy master must outlive five watchdog periods; only waiting can show that.
    sleep 10
    if [ "$(prop cotyledon-demo.service MainPID)" = "$main" ] && [ "$(prop cotyledon-demo.service NRestarts)" = "$restarts" ] \
        && [ "$(prop cotyledon-demo.service ActiveState)" = active ]; then
        pass "WatchdogSec=2: a healthy master runs 10 s without a watchdog kill"
    else
        fail "a healthy master is not killed by the watchdog" "$(journal cotyledon-demo.service | tail -5)"
    fi
    inside kill -STOP "$main"
    local stopped_at=$SECONDS
    if wait_for "the watchdog to restart the unit" 60 bash -c \
        "[ \$(nsenter -t $leader -a systemctl show -p NRestarts --value cotyledon-demo.service) -gt $restarts ] && nsenter -t $leader -a systemctl is-active -q cotyledon-demo.service" \
        && [ "$(prop cotyledon-demo.service MainPID)" != "$main" ]; then
        pass "WatchdogSec=2: a SIGSTOPped master gets the unit restarted (after $((SECONDS - stopped_at)) s)"
        inside journalctl -q -o short-monotonic -u cotyledon-demo.service --no-pager | grep -E "Watchdog|watchdog|Crash|crash|Main process|Scheduled" | head -8 | sed 's/^/    /'
    else
        fail "a stuck master is restarted by the watchdog" "$(inside journalctl -q -n 30 --no-pager | grep -v 'Doing stuff')"
    fi
    inside systemctl stop cotyledon-demo.service
    rm -f "$root/etc/systemd/system/cotyledon-demo.service.d/watchdog.conf"
    inside systemctl daemon-reload
}

test_socket_activation() {
    inside systemctl start cotyledon-demo.socket || { fail "start cotyledon-demo.socket"; return; }
    if inside systemctl is-active -q cotyledon-demo.service; then
        fail "the service waits for the first connection" "it is already active"
        return
    fi
    local seen=() worker
    for _ in $(seq 1 60); do
        worker=$(exec 3<>/dev/tcp/127.0.0.1/$echo_port && head -1 <&3 | cut -d' ' -f2; exec 3<&-)
        [ -n "$worker" ] && seen+=("$worker")
    done
    local distinct
    distinct=$(printf '%s\n' "${seen[@]}" | sort -u | tr '\n' ' ')
    if [ "${#seen[@]}" -eq 60 ] && [ "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" -eq 2 ] \
        && inside systemctl is-active -q cotyledon-demo.service; then
        pass "socket activation: first connection started the service; both echo workers served ($distinct)"
    else
        fail "socket activation serves from every worker" "answers: ${#seen[@]}, workers: $distinct"
    fi
    inside systemctl stop cotyledon-demo.socket cotyledon-demo.service
}

test_units_verify() {
    local output
    if output=$(inside systemd-analyze verify /etc/systemd/system/cotyledon-demo.service /etc/systemd/system/cotyledon-demo.socket 2>&1); then
        pass "systemd-analyze verify accepts both units"
    else
        fail "systemd-analyze verify" "$output"
    fi
}

install_tools && make_root && boot || { echo "systemd suite: could not boot the container"; echo "0 passed, 1 failed"; exit 1; }
if [ -n "${SYSTEMD_SUITE_ONLY:-}" ]; then
    # For debugging one scenario: SYSTEMD_SUITE_ONLY=test_watchdog.
    "$SYSTEMD_SUITE_ONLY"
else
    test_units_verify
    test_start_waits_for_ready && {
        test_titles_and_notify_access
        test_reload_reaches_workers
        test_bad_config_fails_reload
        test_worker_kill_is_repaired
        test_stop_leaves_nothing
    }
    test_watchdog
    test_socket_activation
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
