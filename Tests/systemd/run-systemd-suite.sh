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
#
# Two faults of the host are guarded against, because either makes the container see the
# host instead of itself:
# - a mount left under the root (debootstrap's own unmount of ROOT/proc can fail): every
#   mount at or below the root is removed before the boot and checked again after the
#   container is powered off, also when the run fails or is interrupted;
# - a command entering the host instead of the container: the container's PID 1 is
#   identified for certain (a descendant of systemd-nspawn in another pid namespace whose
#   own pid there is 1), its namespaces are held open by descriptors from then on, and each
#   command that enters them first checks that PID 1 still runs in the recorded namespace.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin_dir="$(cd "${1:?usage: $0 BIN_DIR}" && pwd)"
state="$repo/.build-systemd"
root="$state/rootfs"
swift_root="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
echo_port=7007
unit=cotyledon-demo.service
passed=0
failed=0
nspawn_pid=""
# The container's PID 1 and its pid namespace (as readlink prints it: pid:[INODE]).
leader=""
leader_pidns=""
# Descriptors holding the container's namespaces open, by nsenter option.
declare -A namespace_fd=()
# The unit's cgroup, as seen inside the container, recorded while it runs.
unit_cgroup=""

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

# wait_for DESCRIPTION SECONDS COMMAND…: polls a state until COMMAND (a program or one of
# this script's functions) succeeds or the deadline passes.
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

# ---- Mounts under the root ----

# Every mount point at or below DIR, descendants before their ancestors (reverse order:
# a path sorts after each of its prefixes). /proc/self/mountinfo's fifth field is the mount
# point, with space, tab, newline and backslash written as octal escapes.
mounts_under() {
    local dir=$1
    awk -v dir="$dir" '
        function unescape(path,    out, i) {
            out = ""
            for (i = 1; i <= length(path); i++) {
                if (substr(path, i, 1) == "\\" && substr(path, i + 1, 3) ~ /^[0-7][0-7][0-7]$/) {
                    out = out sprintf("%c", (substr(path, i + 1, 1) * 64) + (substr(path, i + 2, 1) * 8) + substr(path, i + 3, 1))
                    i += 3
                } else {
                    out = out substr(path, i, 1)
                }
            }
            return out
        }
        { point = unescape($5); if (point == dir || index(point, dir "/") == 1) print point }
    ' /proc/self/mountinfo | sort -r
}

# Removes every mount at or below the root (lazily when busy) and checks that none is left;
# names what could not be removed. WHEN says at which step, for the message.
clear_mounts_under_root() {
    local when=$1 point left
    while IFS= read -r point; do
        log "unmounting $point, left under the container's root ($when)"
        umount "$point" 2>/dev/null || umount --lazy "$point" 2>/dev/null
    done < <(mounts_under "$root")
    left=$(mounts_under "$root")
    if [ -n "$left" ]; then
        echo "systemd suite: cannot remove these mounts under the container's root ($when): $left"
        return 1
    fi
}

# ---- The container and its PID 1 ----

# The pids of the descendants of PID, parents before children.
descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}

# The container's PID 1: a descendant of systemd-nspawn whose pid namespace is not the
# host's and whose pid in its own namespace (the last field of NSpid) is 1.
find_container_init() {
    local host_pidns pid
    host_pidns=$(readlink /proc/self/ns/pid)
    for pid in $(descendants "$nspawn_pid"); do
        [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" != "$host_pidns" ] || continue
        [ "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$pid/status" 2>/dev/null)" = 1 ] || continue
        echo "$pid"
        return 0
    done
    return 1
}

# Whether the recorded PID 1 still runs in the recorded pid namespace (a reused pid does not).
container_init_alive() {
    [ -n "$leader_pidns" ] && [ "$(readlink "/proc/$leader/ns/pid" 2>/dev/null)" = "$leader_pidns" ]
}

# Opens the container's namespaces through PID 1, so that every later command enters them by
# descriptor, whatever becomes of the pid.
hold_container_namespaces() {
    local kind option fd
    for kind in mnt:mount uts:uts ipc:ipc net:net pid:pid cgroup:cgroup; do
        option=${kind#*:}
        exec {fd}<"/proc/$leader/ns/${kind%:*}" || return 1
        namespace_fd[$option]=$fd
    done
    # The descriptor must name the namespace recorded for PID 1, not a reused pid's.
    [ "$(readlink "/proc/$BASHPID/fd/${namespace_fd[pid]}")" = "$leader_pidns" ]
}

release_container_namespaces() {
    local option
    for option in "${!namespace_fd[@]}"; do
        exec {namespace_fd[$option]}<&-
    done
    namespace_fd=()
}

# Runs a command inside the container (its mount, UTS, IPC, network, pid and cgroup
# namespaces), after checking that its PID 1 is still the one identified at boot.
inside() {
    if [ ${#namespace_fd[@]} -ne 6 ]; then
        echo "systemd suite: the container's namespaces are not held; not entering it" >&2
        return 1
    fi
    if ! container_init_alive; then
        echo "systemd suite: the container's PID 1 ($leader, $leader_pidns) is gone; not entering it" >&2
        return 1
    fi
    local options=() option
    for option in "${!namespace_fd[@]}"; do
        options+=("--$option=/proc/self/fd/${namespace_fd[$option]}")
    done
    # Bounded: a command caught by the container's shutdown is stopped by its SIGSTOP broadcast,
    # and nsenter then stops itself too, for good.
    timeout --foreground --kill-after=5 120 nsenter "${options[@]}" -- "$@"
}
prop() { inside systemctl show -p "$2" --value "$1"; }

# The container's log, printed when it could not be used.
print_container_log() { sed 's/^/    container: /' "$state/container.log"; }

make_root() {
    # The demo loads libsystemd (systemd brings it) and links libyaml; a root made before libyaml
    # was needed is made again.
    if [ ! -x "$root/lib/systemd/systemd" ] || ! compgen -G "$root/usr/lib/*/libyaml-0.so.2" >/dev/null; then
        local mirror
        mirror=$(apt_bookworm_uri)
        log "debootstrapping a Debian 12 root into $root (${mirror:-the default mirror of debootstrap})"
        # Never delete through a mount left by an earlier run (it could be the host's /proc).
        clear_mounts_under_root "before debootstrap" || return 1
        rm -rf "$root"
        mkdir -p "$state"
        # shellcheck disable=SC2086 # no mirror argument at all when apt names none
        debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,libyaml-0-2 bookworm "$root" \
            $mirror >"$root.log" 2>&1 || { cat "$root.log"; return 1; }
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

# The URI apt on this machine uses for Debian 12's main component (suite exactly `bookworm`,
# so neither the security nor the updates suite), read from its one-line and deb822 source
# files; entries signed by a keyring other than Debian's archive keyring are third-party
# repositories and skipped. Prints nothing when apt names none: debootstrap then uses its
# default.
apt_bookworm_uri() {
    local file
    {
        for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$file" ] || continue
            awk '
                $1 != "deb" { next }
                {
                    i = 2; options = ""
                    if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { options = options " " $i; i++ }; options = options " " $i; i++ }
                    if (options ~ /signed-by=/ && options !~ /debian-archive-keyring/) next
                    if ($(i + 1) != "bookworm") next
                    for (c = i + 2; c <= NF; c++) if ($c == "main") { print $i; next }
                }' "$file"
        done
        for file in /etc/apt/sources.list.d/*.sources; do
            [ -f "$file" ] || continue
            awk 'BEGIN { RS = ""; FS = "\n" }
                {
                    types = uris = suites = components = signed = enabled = ""
                    for (f = 1; f <= NF; f++) {
                        line = $f
                        if (line ~ /^#/) continue
                        key = tolower(substr(line, 1, index(line, ":") - 1)); value = " " substr(line, index(line, ":") + 1) " "
                        if (key == "types") types = value; else if (key == "uris") uris = value
                        else if (key == "suites") suites = value; else if (key == "components") components = value
                        else if (key == "signed-by") signed = value; else if (key == "enabled") enabled = value
                    }
                    if (enabled ~ /[ \t]no[ \t]/ || types !~ /[ \t]deb[ \t]/ || suites !~ /[ \t]bookworm[ \t]/ || components !~ /[ \t]main[ \t]/) next
                    if (signed ~ /[^ \t]/ && signed !~ /debian-archive-keyring/) next
                    split(uris, list, /[ \t]+/)
                    for (u in list) if (list[u] != "") { print list[u]; next }
                }' "$file"
        done
    } | head -1
}

boot() {
    log "booting systemd in a container"
    stop_stale_container
    clear_mounts_under_root "before the boot" || return 1
    # In a session of its own, so that a Ctrl-C meant for the suite does not power the
    # container off under a running command: the exit trap powers it off in order.
    setsid systemd-nspawn --quiet --register=no --keep-unit -D "$root" \
        --bind-ro="$swift_root" --bind-ro="$bin_dir:/opt/cotyledon" \
        -b -- --unit=multi-user.target >"$state/container.log" 2>&1 &
    nspawn_pid=$!
    echo "$nspawn_pid" > "$state/nspawn.pid"
    local deadline=$((SECONDS + 30))
    until leader=$(find_container_init); do
        if process_gone "$nspawn_pid"; then
            echo "systemd suite: systemd-nspawn exited before the container's PID 1 appeared"
            print_container_log
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "systemd suite: no PID 1 of a new pid namespace under systemd-nspawn ($nspawn_pid) within 30 s"
            print_container_log
            return 1
        fi
        sleep 0.05
    done
    leader_pidns=$(readlink "/proc/$leader/ns/pid")
    hold_container_namespaces || { echo "systemd suite: could not hold the namespaces of PID 1 ($leader)"; return 1; }
    log "the container's PID 1 is $leader ($leader_pidns)"
    if ! wait_for "the container's systemd to finish booting" 60 system_running; then
        print_container_log
        return 1
    fi
}
system_running() { inside systemctl is-system-running 2>/dev/null | grep -E '^(running|degraded)$' >/dev/null; }

# A container left running by a run that was killed (SIGKILL leaves no exit trap) holds the
# root: kill its systemd-nspawn, found by the pid that run recorded, if it still is one on our root.
stop_stale_container() {
    local stale
    stale=$(cat "$state/nspawn.pid" 2>/dev/null) || return 0
    if tr '\0' ' ' <"/proc/$stale/cmdline" 2>/dev/null | grep -- "systemd-nspawn .*-D $root " >/dev/null; then
        log "stopping the container left running by an earlier run (systemd-nspawn $stale)"
        local init
        init=$(nspawn_pid=$stale find_container_init) && kill -KILL "$init"
        wait_for "the earlier run's systemd-nspawn to exit" 10 process_gone "$stale" || kill -KILL "$stale"
    fi
    rm -f "$state/nspawn.pid"
}
# Whether PID has exited (a zombie not yet waited for counts as exited).
process_gone() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -z "$state" ] || [ "$state" = Z ]
}

# Powers the container off (or kills systemd-nspawn after 20 s) and waits for it.
shutdown_container() {
    container_init_alive && inside systemctl poweroff >/dev/null 2>&1
    release_container_namespaces
    if [ -n "$nspawn_pid" ]; then
        wait_for "the container to power off" 20 process_gone "$nspawn_pid"
        # Killing systemd-nspawn alone would leave the container running: kill its PID 1,
        # which takes every process of its pid namespace with it.
        container_init_alive && kill -KILL "$leader"
        wait_for "systemd-nspawn to exit" 10 process_gone "$nspawn_pid" || kill -KILL "$nspawn_pid"
        wait "$nspawn_pid" 2>/dev/null
        rm -f "$state/nspawn.pid"
        nspawn_pid=""
    fi
    leader_pidns=""
}

# On any exit of the suite (a failure, an interruption): nothing left running, nothing left mounted.
on_exit() {
    shutdown_container
    clear_mounts_under_root "after the run" >/dev/null 2>&1 || clear_mounts_under_root "after the run"
}

# The cgroup hierarchies inside the container that can hold the unit's cgroup: the unified one
# (cgroup v2), or on a host with the hybrid or legacy layout the unified and name=systemd ones.
cgroup_hierarchies="/sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd"

# Pids of every process in the unit's cgroup tree, read inside the container (its cgroup
# namespace) from the cgroup recorded while the unit ran; systemd removes the cgroup only
# once it is empty, so a leftover process keeps it, and is listed.
unit_cgroup_pids() {
    [ -n "$unit_cgroup" ] || { echo "the unit's cgroup was never recorded"; return; }
    inside sh -c 'for base in $2; do
        [ -f "$base/cgroup.procs" ] && [ -d "$base$1" ] && find "$base$1" -name cgroup.procs -exec cat {} +
    done | sort -un' sh "$unit_cgroup" "$cgroup_hierarchies"
}
journal() { inside journalctl -q -o cat -u "$1" "${@:2}"; }
# (grep -q would exit at the first match and, under pipefail, fail the pipeline by SIGPIPE.)
journal_has() { journal "$unit" | grep -- "$1" >/dev/null; }
journal_count() { journal "$unit" | grep -c "$1"; }
status_text() { prop "$unit" StatusText; }
status_is() { [ "$(status_text)" = "$1" ]; }
printer_pids() { inside pgrep -f 'cotyledon-demo: printer worker' | sort; }
reloads_at_least() { [ "$(journal_count 'event=worker-reload')" -ge "$1" ]; }
restarted_since() { [ "$(prop "$unit" NRestarts)" -gt "$1" ] && inside systemctl is-active -q "$unit"; }

test_start_waits_for_ready() {
    if ! inside systemctl start "$unit"; then
        fail "systemctl start" "$(journal "$unit" | tail -20)"
        return 1
    fi
    local state status
    state=$(prop "$unit" ActiveState)
    status=$(status_text)
    # journald reads the log stream on its own schedule: wait for the line.
    if [ "$state" = active ] && [ "$status" = "printer 4/4 ready; echo 2/2 ready" ] \
        && wait_for "event=all-ready in the journal" 10 journal_has 'event=all-ready'; then
        pass "systemctl start returns after READY=1: active, StatusText '$status'"
    else
        fail "systemctl start returns after READY=1" "ActiveState=$state StatusText=$status"
    fi
}

# The leftover check reads the right cgroup: while the unit runs, it lists MainPID.
test_cgroup_check_sees_the_unit() {
    local main pids
    unit_cgroup=$(prop "$unit" ControlGroup)
    main=$(prop "$unit" MainPID)
    pids=$(unit_cgroup_pids)
    if [ -n "$unit_cgroup" ] && echo "$pids" | grep -qx "$main" && [ "$(echo "$pids" | wc -l)" -eq 7 ]; then
        pass "the unit's cgroup $unit_cgroup, read inside the container, lists the master ($main) and its 6 workers"
    else
        fail "the unit's cgroup lists its processes" "cgroup '$unit_cgroup', MainPID $main, listed: $pids"
    fi
}

test_titles_and_notify_access() {
    local main tree
    main=$(prop "$unit" MainPID)
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
    before=$(journal "$unit" | grep -c 'event=worker-reload')
    inside systemctl reload "$unit" || { fail "systemctl reload" "$(journal "$unit" | tail)"; return; }
    if wait_for "4 workers to reload" 20 reloads_at_least $((before + 4)) \
        && [ "$(prop "$unit" ActiveState)" = active ]; then
        after=$(journal "$unit" | grep -c 'event=worker-reload')
        pass "systemctl reload: every worker reloaded ($((after - before)) reloads), unit active"
    else
        fail "systemctl reload reaches every worker" "$(journal "$unit" | tail)"
    fi
}

test_bad_config_fails_reload() {
    cp "$root/etc/cotyledon-demo.yaml" "$root/etc/cotyledon-demo.yaml.good"
    printf 'services:\n  printer:\n    workers: 2\n    wrokers: 3\n' > "$root/etc/cotyledon-demo.yaml"
    local output
    if output=$(inside systemctl reload "$unit" 2>&1); then
        fail "systemctl reload reports a bad configuration" "it succeeded: $output"
    elif [ "$(prop "$unit" ActiveState)" = active ] \
        && status_text | grep "^reload failed: /etc/cotyledon-demo.yaml:4:5" >/dev/null; then
        pass "systemctl reload fails on a bad file (cotyledonctl reload --wait), unit still active, StatusText names the line"
    else
        fail "systemctl reload reports a bad configuration" "StatusText=$(status_text) ActiveState=$(prop "$unit" ActiveState)"
    fi
    mv "$root/etc/cotyledon-demo.yaml.good" "$root/etc/cotyledon-demo.yaml"
    if inside systemctl reload "$unit"; then
        pass "systemctl reload succeeds again once the file is fixed"
    else
        fail "systemctl reload succeeds once the file is fixed" "$(journal "$unit" | tail -5)"
    fi
}

test_worker_kill_is_repaired() {
    local main victim
    main=$(prop "$unit" MainPID)
    victim=$(printer_pids | head -1)
    inside kill -KILL "$victim"
    if wait_for "a replacement worker and the status to count the restart" 20 status_is 'printer 4/4 ready, 1 restart; echo 2/2 ready' \
        && [ "$(prop "$unit" MainPID)" = "$main" ] \
        && ! printer_pids | grep -x "$victim" >/dev/null && [ "$(printer_pids | wc -l)" -eq 4 ]; then
        pass "kill -9 of worker $victim: MainPID unchanged, replaced, StatusText '$(status_text)'"
    else
        fail "kill -9 of a worker is repaired" "StatusText=$(status_text) MainPID=$(prop "$unit" MainPID) was $main"
    fi
    if journal "$unit" -p err | grep "killed by SIGKILL" >/dev/null; then
        pass "journal: the crash is logged at priority err (syslog prefix)"
    else
        fail "journal: the crash is logged at priority err" "$(journal "$unit" -p err | tail -3)"
    fi
}

# What is left of the unit after its stop: its cgroup's processes and anything titled as ours.
leftovers() { unit_cgroup_pids; inside pgrep -f 'cotyledon-demo:'; }

test_stop_leaves_nothing() {
    inside systemctl stop "$unit"
    local result left
    result=$(prop "$unit" Result)
    left=$(leftovers)
    if [ "$result" = success ] && [ -z "$left" ] \
        && wait_for "event=master-exit in the journal" 10 journal_has 'event=master-exit status=0'; then
        pass "systemctl stop: Result=success, no process left in $unit_cgroup, master exited 0"
    else
        fail "systemctl stop leaves nothing" "Result=$result left: $left"
    fi
}

# The check above must be able to fail: a process planted in the stopped unit's cgroup
# (moved there from a transient unit of the container's systemd) is seen by it.
test_leftover_check_sees_a_stray() {
    local stray left
    inside systemd-run --quiet --unit=cotyledon-stray.service sleep 600
    stray=$(prop cotyledon-stray.service MainPID)
    inside sh -c 'for base in $3; do
        [ -f "$base/cgroup.procs" ] && [ -d "$base$(dirname "$2")" ] || continue
        mkdir -p "$base$2" && echo "$1" > "$base$2/cgroup.procs"
        exit
    done' sh "$stray" "$unit_cgroup" "$cgroup_hierarchies"
    left=$(leftovers)
    if [ -n "$stray" ] && [ "$stray" != 0 ] && echo "$left" | grep -qx "$stray"; then
        pass "the leftover check sees a process planted in $unit_cgroup (pid $stray)"
    else
        fail "the leftover check sees a planted process" "planted: $stray, seen: $left"
    fi
    inside kill -KILL "$stray"
    inside systemctl stop cotyledon-stray.service 2>/dev/null
    wait_for "the planted process to be gone" 10 cgroup_empty
    inside sh -c 'for base in $2; do [ -d "$base$1" ] && rmdir "$base$1"; done; true' sh "$unit_cgroup" "$cgroup_hierarchies"
}
cgroup_empty() { [ -z "$(unit_cgroup_pids)" ]; }

test_watchdog() {
    printf '[Service]\nWatchdogSec=2\nRestartSec=100ms\n' > "$root/etc/systemd/system/cotyledon-demo.service.d/watchdog.conf"
    inside systemctl daemon-reload
    inside systemctl start "$unit" || { fail "start with WatchdogSec=2"; return; }
    local main restarts
    main=$(prop "$unit" MainPID)
    restarts=$(prop "$unit" NRestarts)
    # A healthy master must outlive five watchdog periods; only waiting can show that.
    sleep 10
    if [ "$(prop "$unit" MainPID)" = "$main" ] && [ "$(prop "$unit" NRestarts)" = "$restarts" ] \
        && [ "$(prop "$unit" ActiveState)" = active ]; then
        pass "WatchdogSec=2: a healthy master runs 10 s without a watchdog kill"
    else
        fail "a healthy master is not killed by the watchdog" "$(journal "$unit" | tail -5)"
    fi
    inside kill -STOP "$main"
    local stopped_at=$SECONDS
    if wait_for "the watchdog to restart the unit" 60 restarted_since "$restarts" \
        && [ "$(prop "$unit" MainPID)" != "$main" ]; then
        pass "WatchdogSec=2: a SIGSTOPped master gets the unit restarted (after $((SECONDS - stopped_at)) s)"
        inside journalctl -q -o short-monotonic -u "$unit" --no-pager | grep -E "Watchdog|watchdog|Crash|crash|Main process|Scheduled" | head -8 | sed 's/^/    /'
    else
        fail "a stuck master is restarted by the watchdog" "$(inside journalctl -q -n 30 --no-pager | grep -v 'Doing stuff')"
    fi
    inside systemctl stop "$unit"
    rm -f "$root/etc/systemd/system/cotyledon-demo.service.d/watchdog.conf"
    inside systemctl daemon-reload
}

test_socket_activation() {
    inside systemctl start cotyledon-demo.socket || { fail "start cotyledon-demo.socket"; return; }
    if inside systemctl is-active -q "$unit"; then
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
        && inside systemctl is-active -q "$unit"; then
        pass "socket activation: first connection started the service; both echo workers served ($distinct)"
    else
        fail "socket activation serves from every worker" "answers: ${#seen[@]}, workers: $distinct"
    fi
    inside systemctl stop cotyledon-demo.socket "$unit"
}

# A client inside the container connecting to the echo listener over and over until
# /var/tmp/fd-store-client.stop exists, one line per attempt in /var/tmp/fd-store-client.log:
# "ok <greeting>" ("echo worker(N) pid PID"), "refused", or "no-answer" (connected, no greeting in 10 s).
fd_store_client='
while [ ! -e /var/tmp/fd-store-client.stop ]; do
    result=refused
    { result=no-answer; line=$(timeout 10 head -1 <&3) && [ -n "$line" ] && result="ok $line"; } 3<>/dev/tcp/127.0.0.1/'$echo_port' 2>/dev/null
    echo "$result"
done >> /var/tmp/fd-store-client.log'
fd_store_client_log() { cat "$root/var/tmp/fd-store-client.log" 2>/dev/null; }
# The pids of the echo workers that answered the client.
fd_store_answering_pids() { fd_store_client_log | awk '$1 == "ok" { print $NF }' | sort -u; }
# Whether one of the PIDS (a list, one per line) answered the client.
fd_store_answered_by() { fd_store_answering_pids | grep -Fxf <(printf '%s\n' "$1") >/dev/null; }
echo_worker_pids() { inside pgrep -f 'cotyledon-demo: echo worker' | sort; }
# journal_has, for this boot only: the root's journal persists across runs, and pids repeat.
fd_store_journal_has() { journal "$unit" -b | grep -- "$1" >/dev/null; }

# fd_store: true with the echo listener declared: `systemctl restart` while a client keeps
# connecting refuses no connection (they wait in the stored socket and the new daemon
# answers them), NRestarts stays (a manual restart is not counted); a crash restarted by
# Restart= counts in NRestarts and keeps the store; `systemctl stop` empties the store
# (the next start opens the listener itself).
test_fd_store_restart() {
    cp "$root/etc/cotyledon-demo.yaml" "$root/etc/cotyledon-demo.yaml.good"
    printf 'fd_store: true\nlisteners:\n  echo:\n    address: 127.0.0.1:%s\nservices:\n  printer:\n    workers: 4\n  echo:\n    workers: 2\n' \
        "$echo_port" > "$root/etc/cotyledon-demo.yaml"
    rm -f "$root/var/tmp/fd-store-client.log" "$root/var/tmp/fd-store-client.stop" "$root/var/tmp/fd-store-pre.answer"
    # A connection made for certain while no master runs: before each start, a client left
    # in the background (outside the sandbox, "+") connects and waits for the greeting.
    printf '%s\n' '[Service]' \
        "ExecStartPre=+/bin/bash -c '{ timeout 30 head -1 <&3 > /var/tmp/fd-store-pre.answer; } 3<>/dev/tcp/127.0.0.1/$echo_port 2>/dev/null &'" \
        > "$root/etc/systemd/system/cotyledon-demo.service.d/fd-store.conf"
    inside systemctl daemon-reload
    if ! inside systemctl start "$unit"; then
        fail "start with fd_store: true" "$(journal "$unit" -b | tail -20)"
    elif ! wait_for "the master to store the echo listener" 10 fd_store_journal_has 'event=fd-stored .*name=echo'; then
        fail "the master stores its declared listener" "$(journal "$unit" -b | grep -E 'fd-st|listener|FileDescriptorStore' | tail -10)"
    else
        local main restarts old_workers client new_main new_workers log
        main=$(prop "$unit" MainPID)
        restarts=$(prop "$unit" NRestarts)
        old_workers=$(echo_worker_pids)
        log "fd store before the restart: NFileDescriptorStore=$(prop "$unit" NFileDescriptorStore 2>&1 | head -1), FileDescriptorStoreMax=$(prop "$unit" FileDescriptorStoreMax)"
        rm -f "$root/var/tmp/fd-store-pre.answer"
        inside bash -c "$fd_store_client" &
        client=$!
        wait_for "the client's first answers from the running daemon" 20 fd_store_answered_by "$old_workers"
        inside systemctl restart "$unit"
        new_main=$(prop "$unit" MainPID)
        new_workers=$(echo_worker_pids)
        wait_for "answers from the restarted daemon's workers" 20 fd_store_answered_by "$new_workers"
        wait_for "the answer to the connection made before the new master started" 20 test -s "$root/var/tmp/fd-store-pre.answer"
        touch "$root/var/tmp/fd-store-client.stop"
        wait "$client"
        local pre_answer
        pre_answer=$(cat "$root/var/tmp/fd-store-pre.answer" 2>/dev/null)
        log=$(fd_store_client_log)
        local attempts refused unanswered
        attempts=$(echo "$log" | grep -c .)
        refused=$(echo "$log" | grep -c '^refused')
        unanswered=$(echo "$log" | grep -c '^no-answer')
        if [ "$new_main" != "$main" ] && [ "$(prop "$unit" NRestarts)" = "$restarts" ] \
            && [ "$refused" -eq 0 ] && [ "$unanswered" -eq 0 ] \
            && fd_store_answered_by "$old_workers" && fd_store_answered_by "$new_workers" \
            && printf '%s\n' "$new_workers" | grep -Fx "${pre_answer##* }" >/dev/null \
            && [ "$(prop "$unit" NFileDescriptorStore)" = 1 ] \
            && journal "$unit" -b | grep "cotyledon-demo\[$new_main\]" | grep 'event=fd-store-restored .*name=echo' >/dev/null; then
            pass "fd_store: systemctl restart with a client connecting throughout: $attempts attempts, none refused or unanswered, answered before and after by the old and new workers; a connection made in ExecStartPre (no master running) answered by a new worker ($pre_answer); the new master took the stored socket back and stored nothing twice (NFileDescriptorStore=1); NRestarts stays $restarts"
        else
            fail "fd_store: a restart refuses no connection" "MainPID $main -> $new_main, NRestarts $restarts -> $(prop "$unit" NRestarts), attempts $attempts, refused $refused, unanswered $unanswered, NFileDescriptorStore $(prop "$unit" NFileDescriptorStore); ExecStartPre's connection: ${pre_answer:-no answer}; answering pids: $(fd_store_answering_pids | tr '\n' ' '); old workers: $(echo $old_workers); new workers: $(echo $new_workers)
$(journal "$unit" -b | grep -E 'fd-st|listener-|FileDescriptorStore|Stopped|Started' | tail -20)"
        fi
        # A crash: Restart= restarts the unit, counted in NRestarts, and the store is kept.
        inside kill -KILL "$new_main"
        local crashed_at
        if wait_for "Restart= to restart the unit after the master's SIGKILL" 30 restarted_since "$restarts" \
            && crashed_at=$(prop "$unit" MainPID) \
            && wait_for "the master after the crash to take the stored socket back" 20 fd_store_journal_has "cotyledon-demo\[$crashed_at\]: .*event=fd-store-restored .*name=echo" \
            && [ "$(prop "$unit" NRestarts)" = $((restarts + 1)) ] && [ "$(prop "$unit" NFileDescriptorStore)" = 1 ]; then
            pass "fd_store: a master killed with SIGKILL is restarted by Restart= (NRestarts $restarts -> $((restarts + 1))) and takes the stored socket back"
        else
            fail "fd_store: the store survives a crash and Restart=" "NRestarts $(prop "$unit" NRestarts), NFileDescriptorStore $(prop "$unit" NFileDescriptorStore)
$(journal "$unit" -b | grep -E 'fd-st|listener-|Main process|Scheduled' | tail -10)"
        fi
        inside systemctl stop "$unit"
        inside systemctl start "$unit"
        local fresh
        fresh=$(prop "$unit" MainPID)
        if journal "$unit" -b | grep "cotyledon-demo\[$fresh\]" | grep 'event=listener-opened .*name=echo' >/dev/null \
            && ! journal "$unit" -b | grep "cotyledon-demo\[$fresh\]" | grep 'event=fd-store-restored' >/dev/null; then
            pass "fd_store: systemctl stop empties the store: the next start opens the echo listener itself"
        else
            fail "systemctl stop empties the store" "$(journal "$unit" -b | grep "cotyledon-demo\[$fresh\]" | grep -E 'fd-st|listener-' | tail -10)"
        fi
    fi
    inside systemctl stop "$unit"
    rm -f "$root/etc/systemd/system/cotyledon-demo.service.d/fd-store.conf" "$root/var/tmp/fd-store-pre.answer"
    inside systemctl daemon-reload
    mv "$root/etc/cotyledon-demo.yaml.good" "$root/etc/cotyledon-demo.yaml"
    rm -f "$root/var/tmp/fd-store-client.log" "$root/var/tmp/fd-store-client.stop"
}

# ---- The in-place upgrade ----

upgrade_binary=/usr/local/bin/cotyledon-demo
upgrade_work="$state/upgrade"

echo_pids() { inside pgrep -f 'cotyledon-demo: echo worker' | sort; }

# The demo with its echo listener declared in the configuration: the master owns that socket,
# it crosses the upgrade's exec, and every echo worker accepts from its one queue. (As shipped,
# without a socket unit, each echo worker binds its own SO_REUSEPORT socket, and the
# connections queued at a worker that stops are reset.) The shipped file is kept aside.
write_upgrade_configuration() {
    cp "$root/etc/cotyledon-demo.yaml" "$upgrade_work/cotyledon-demo.yaml"
    printf 'listeners:\n  echo:\n    address: 127.0.0.1:%s\nservices:\n  printer:\n    workers: 4\n    listeners: []\n  echo:\n    workers: 2\n    listeners: [echo]\n' \
        "$echo_port" > "$root/etc/cotyledon-demo.yaml"
}

# Stops the unit and puts back what the upgrade scenario changed: the symbolic link to the
# first build and the shipped configuration.
restore_after_upgrade() {
    inside systemctl stop "$unit"
    ln -sfn /opt/cotyledon/cotyledon-demo "$root$upgrade_binary"
    if [ -f "$upgrade_work/cotyledon-demo.yaml" ]; then
        mv "$upgrade_work/cotyledon-demo.yaml" "$root/etc/cotyledon-demo.yaml"
    fi
}

# Connects to the echo port from the host (the container shares its network) until the file
# STOP exists, one connection at a time; appends one line per connection to OUT:
# "greeted PID" (the echo worker that greeted it), "no-greeting" (accepted, but closed or
# silent for 5 s before the greeting), "failed" (the connection itself failed: bash's reason
# is appended to OUT.errors). Several loops may share OUT: each line is one append.
echo_client_loop() {
    local out=$1 stop=$2 line
    while [ ! -e "$stop" ]; do
        if exec 3<>"/dev/tcp/127.0.0.1/$echo_port"; then
            # The greeting is "echo worker(ID) pid PID".
            if IFS= read -r -t 5 line <&3; then echo "greeted ${line##* pid }"; else echo no-greeting; fi
            exec 3<&-
        else
            echo failed
            # Not a busy loop while nothing listens.
            sleep 0.01
        fi
    done >>"$out" 2>>"$out.errors"
}

# The echo clients of the upgrade scenario: this many loops at once.
echo_clients=4

# Samples the unit's ActiveState, MainPID and StatusText into OUT (one line per sample, in
# that order) until the file STOP exists.
sample_unit() {
    local out=$1 stop=$2
    while [ ! -e "$stop" ]; do
        inside systemctl show -p ActiveState -p MainPID -p StatusText "$unit" | sort | tr '\n' ' '
        echo
        sleep 0.1
    done >"$out"
}

lines_matching() { grep -c -- "$2" "$1"; }
more_lines_matching() { [ "$(lines_matching "$1" "$2")" -ge "$3" ]; }

# Whether the unit runs 4 printer and 2 echo workers, none of them one of the pids given.
workers_all_replaced() {
    local now pid
    now=$(printer_pids; echo_pids)
    [ "$(printer_pids | wc -l)" -eq 4 ] && [ "$(echo_pids | wc -l)" -eq 2 ] || return 1
    for pid in "$@"; do
        echo "$now" | grep -x "$pid" >/dev/null && return 1
    done
    return 0
}

# The pids among those given whose /proc/PID/exe (inside the container) is not FILE, with
# what it is.
executables_other_than() {
    local file=$1 pid exe
    shift
    for pid in "$@"; do
        exe=$(inside readlink "/proc/$pid/exe")
        [ "$exe" = "$file" ] || echo "$pid:$exe"
    done
}

# A deploy as the unit's operator makes it: the new build copied beside the binary the unit
# runs and renamed over it, then `cotyledonctl upgrade --wait`; the unit keeps its MainPID,
# stays active and is never restarted, every worker is replaced by one of the new build, and
# clients of the echo port are never refused.
test_upgrade_in_place() {
    rm -rf "$upgrade_work"
    mkdir -p "$upgrade_work"
    write_upgrade_configuration
    if inside systemctl start "$unit"; then
        check_upgrade_in_place
    else
        fail "start the demo for the upgrade" "$(journal "$unit" | tail -20)"
    fi
    restore_after_upgrade
}

check_upgrade_in_place() {
    local main restarts old_workers old_exes clients=() sampler output status greeted_before text_at_answer
    local connections_before connections_during
    main=$(prop "$unit" MainPID)
    restarts=$(prop "$unit" NRestarts)
    old_workers=$(printer_pids; echo_pids)
    # shellcheck disable=SC2086 # one pid per word
    old_exes=$(executables_other_than /opt/cotyledon/cotyledon-demo $main $old_workers)
    if [ "$(echo "$old_workers" | wc -w)" -ne 6 ] || [ -n "$old_exes" ]; then
        fail "the demo runs 6 workers of the first build before the upgrade" "workers: $old_workers; other executables: $old_exes"
        return
    fi
    : >"$upgrade_work/echo"
    for _ in $(seq "$echo_clients"); do
        echo_client_loop "$upgrade_work/echo" "$upgrade_work/stop" &
        clients+=($!)
    done
    sample_unit "$upgrade_work/samples" "$upgrade_work/stop" &
    sampler=$!
    if ! wait_for "the echo client's first greeting" 10 more_lines_matching "$upgrade_work/echo" '^greeted' 1; then
        touch "$upgrade_work/stop"
        wait "${clients[@]}" "$sampler"
        fail "the echo port answers before the upgrade" "$(head -3 "$upgrade_work/echo" "$upgrade_work/echo.errors")"
        return
    fi

    # The deploy: a copy beside the link the unit starts through, renamed over it.
    cp "$bin_dir/cotyledon-demo-next" "$root/usr/local/bin/.cotyledon-demo.new" \
        && chmod 755 "$root/usr/local/bin/.cotyledon-demo.new" \
        && mv -f "$root/usr/local/bin/.cotyledon-demo.new" "$root$upgrade_binary"
    connections_before=$(wc -l <"$upgrade_work/echo")
    output=$(inside /usr/local/bin/cotyledonctl --socket /run/cotyledon-demo/control.sock upgrade --wait 2>&1)
    status=$?
    connections_during=$(($(wc -l <"$upgrade_work/echo") - connections_before))
    text_at_answer=$(status_text)
    # shellcheck disable=SC2086
    wait_for "every old worker to be gone" 60 workers_all_replaced $old_workers
    greeted_before=$(lines_matching "$upgrade_work/echo" '^greeted')
    wait_for "20 more echo greetings" 30 more_lines_matching "$upgrade_work/echo" '^greeted' $((greeted_before + echo_clients + 20))
    touch "$upgrade_work/stop"
    wait "${clients[@]}" "$sampler"

    if [ "$status" -eq 0 ] && echo "$output" | grep "upgrade complete" >/dev/null; then
        pass "cotyledonctl upgrade --wait after the new build was renamed over $upgrade_binary: exit 0 ($output)"
    else
        fail "cotyledonctl upgrade --wait exits 0" "exit $status: $output
$(journal "$unit" | grep -v 'Doing stuff' | tail -20)"
    fi

    local samples bad reloading
    samples=$(wc -l <"$upgrade_work/samples")
    bad=$(grep -v -E "^ActiveState=(active|reloading) MainPID=$main StatusText=" "$upgrade_work/samples" | sort | uniq -c)
    reloading=$(lines_matching "$upgrade_work/samples" '^ActiveState=reloading')
    if [ "$(prop "$unit" MainPID)" = "$main" ] && [ "$samples" -gt 0 ] && [ -z "$bad" ] \
        && [ "$(prop "$unit" NRestarts)" = 0 ] && [ "$restarts" = 0 ] && [ "$(prop "$unit" ActiveState)" = active ]; then
        pass "MainPID $main unchanged, NRestarts=0, the unit active (or reloading) in all $samples samples ($reloading reloading)"
    else
        fail "the unit keeps its MainPID and stays active" "MainPID $(prop "$unit" MainPID) was $main, NRestarts $(prop "$unit" NRestarts), samples $samples, other states:
$bad"
    fi

    local new_workers other_exes
    new_workers=$(printer_pids; echo_pids)
    # shellcheck disable=SC2086
    other_exes=$(executables_other_than "$upgrade_binary" $main $new_workers)
    # shellcheck disable=SC2086
    if workers_all_replaced $old_workers && [ -z "$other_exes" ]; then
        pass "all 4 printer and 2 echo workers are new; they and the master run $upgrade_binary (/proc/PID/exe)"
    else
        fail "every worker is new and runs the new file" "old: $old_workers; now: $new_workers; other executables: $other_exes"
    fi

    local builds
    builds=$(inside /usr/local/bin/cotyledonctl --socket /run/cotyledon-demo/control.sock --json status \
        | grep -oE '"build" *: *"[^"]*"' | sed 's/.*: *//' | sort | uniq -c)
    if [ "$(echo "$builds" | wc -l)" -eq 1 ] && echo "$builds" | grep -E '^ *7 "1\.1\.0-next \(build ' >/dev/null; then
        pass "cotyledonctl status reports the new build for the master and all 6 workers: $(echo $builds)"
    else
        fail "cotyledonctl status reports the new build everywhere" "builds in status (count, build): $builds"
    fi

    # What systemctl status shows once the upgrade is over, not only at the moment it ends.
    local text upgraded_samples
    text=$(status_text)
    upgraded_samples=$(lines_matching "$upgrade_work/samples" 'StatusText=upgraded to ')
    if echo "$text" | grep '^upgraded to 1\.1\.0-next (build ' >/dev/null; then
        pass "StatusText '$text' once the old workers are gone"
    else
        fail "StatusText names the new build once the upgrade is over" "StatusText '$text' once the old workers were gone; right after the answer: '$text_at_answer'; $upgraded_samples of $samples samples during the upgrade showed 'upgraded to'"
    fi

    local connections failed refused silent greeted_by greeted_after stray
    connections=$(wc -l <"$upgrade_work/echo")
    failed=$(lines_matching "$upgrade_work/echo" '^failed')
    refused=$(lines_matching "$upgrade_work/echo.errors" 'refused')
    silent=$(lines_matching "$upgrade_work/echo" '^no-greeting')
    greeted_by=$(grep '^greeted' "$upgrade_work/echo" | cut -d' ' -f2 | sort -u | tr '\n' ' ')
    # Once the old workers were gone, only the new echo workers greet.
    # (Each loop may have read one greeting of an old worker before they were all gone, and
    # written it after: those are skipped.)
    greeted_after=$(grep '^greeted' "$upgrade_work/echo" | tail -n +$((greeted_before + echo_clients + 1)) | cut -d' ' -f2 | sort -u)
    stray=$(echo "$greeted_after" | grep -v -x -F "$(echo_pids)")
    if [ "$failed" -eq 0 ] && [ "$connections" -gt 20 ] && [ -n "$greeted_after" ] && [ -z "$stray" ]; then
        # (A connection an echo worker accepted just before it exits can end before its greeting:
        # the demo's greeting is sent from a dispatch queue; counted, not failed.)
        pass "echo clients throughout: $connections connections ($connections_during while upgrade --wait ran), none refused or failed, $silent closed before the greeting; greeted by $greeted_by, after the upgrade by the new workers only"
    else
        fail "no echo connection is refused during the upgrade" "$connections connections, $failed failed ($refused refused), $silent without greeting, greeted after the upgrade by $(echo $greeted_after) (not an echo worker now: $(echo $stray)):
$(sort "$upgrade_work/echo.errors" | uniq -c | head -5)"
    fi
}

test_units_verify() {
    local output
    if output=$(inside systemd-analyze verify /etc/systemd/system/cotyledon-demo.service /etc/systemd/system/cotyledon-demo.socket 2>&1); then
        pass "systemd-analyze verify accepts both units"
    else
        fail "systemd-analyze verify" "$output"
    fi
}

# The fault the boot must survive, planted on every run: a proc (the host's) and nested
# tmpfs mounts left under the root, as debootstrap can leave them.
plant_stale_mounts() {
    mount -t proc proc "$root/proc" || return 1
    mount -t tmpfs tmpfs "$root/mnt" && mkdir -p "$root/mnt/nested" && mount -t tmpfs tmpfs "$root/mnt/nested"
}

# The boot removed what was planted, and the container sees its own processes.
test_boot_over_a_clean_root() {
    local left own_init entered
    left=$(mounts_under "$root")
    own_init=$(inside readlink /proc/1/ns/pid)
    entered=$(inside sh -c 'readlink /proc/$$/ns/pid')
    if [ -z "$left" ] && [ "$own_init" = "$leader_pidns" ] && [ "$entered" = "$leader_pidns" ] && inside ps -e -o pid= >/dev/null; then
        pass "a proc and nested mounts planted under the root were removed before the boot; the container's /proc is its own; commands run in its pid namespace"
    else
        fail "the boot removes mounts left under the root" "left on the host: ${left:-none}; /proc/1 inside is in ${own_init:-?}, a command inside in ${entered:-?}, PID 1 in $leader_pidns"
    fi
}

# After the poweroff, nothing is left mounted under the root.
test_nothing_mounted_after_poweroff() {
    local left
    left=$(mounts_under "$root")
    if [ -z "$left" ]; then
        pass "after the poweroff, nothing is mounted under the root"
    else
        fail "nothing is mounted under the root after the poweroff" "$left"
    fi
}

run_suite() {
    trap on_exit EXIT
    # A Ctrl-C or SIGTERM may reach the whole process group: the suite and its commands
    # ignore them, the script turns them into one SIGUSR1, and the suite finishes the
    # command at hand (each is bounded) before it cleans up.
    trap '' INT TERM HUP
    trap 'trap "" USR1; echo "systemd suite: interrupted"; exit 130' USR1
    if ! install_tools || ! make_root || ! plant_stale_mounts || ! boot; then
        echo "systemd suite: could not boot the container"
        echo "0 passed, 1 failed"
        exit 1
    fi
    if [ -n "${SYSTEMD_SUITE_ONLY:-}" ]; then
        # For debugging one scenario: SYSTEMD_SUITE_ONLY=test_watchdog.
        "$SYSTEMD_SUITE_ONLY"
    else
        test_boot_over_a_clean_root
        test_units_verify
        test_start_waits_for_ready && {
            test_cgroup_check_sees_the_unit
            test_titles_and_notify_access
            test_reload_reaches_workers
            test_bad_config_fails_reload
            test_worker_kill_is_repaired
            test_stop_leaves_nothing
            test_leftover_check_sees_a_stray
        }
        test_watchdog
        test_socket_activation
        test_fd_store_restart
        test_upgrade_in_place
    fi
    shutdown_container
    test_nothing_mounted_after_poweroff
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# The suite runs in a subshell the script waits for: bash runs a trap at once during `wait`,
# but after a foreground command only if that command died of the same signal (nsenter under
# timeout does not). On SIGINT, SIGTERM or SIGHUP the suite is told to stop; its exit trap
# powers the container off and removes every mount under the root before the script exits.
run_suite &
suite=$!
trap 'kill -USR1 "$suite" 2>/dev/null' INT TERM HUP
until wait "$suite"; status=$?; ! kill -0 "$suite" 2>/dev/null; do :; done
exit "$status"
