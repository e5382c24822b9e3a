#!/usr/bin/env bash
# Start, stop or check a one-host Son of Grid Engine on this machine (loopback) for the
# real-cluster tests of utils/queue.py. Needs root; idempotent.
#
#   .ci/local_sge.sh start    # install gridengine if missing, start sge_qmaster + sge_execd,
#                             # add the smp PE, the all.q queue and a consumable gpu=2
#   .ci/local_sge.sh status   # exit 0 if qstat answers and the queue has the host
#   .ci/local_sge.sh stop     # kill both daemons by the PIDs in their pid files
set -euo pipefail

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
spool=/var/spool/gridengine
qmaster_pid=$spool/qmaster/qmaster.pid
execd_pid=$spool/execd/localhost/execd.pid
work=/run/kaldinn-sge

log() { echo "local_sge.sh: $*" >&2; }

pid_alive() {
  local pid state
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
  [ "$state" != Z ]
}

install_packages() {
  command -v qsub >/dev/null 2>&1 && [ -x /usr/sbin/sge_qmaster ] && return 0
  log "installing gridengine"
  printf '%s\n' "gridengine-common shared/gridengineconfig boolean true" \
    "gridengine-common shared/gridenginecell string default" \
    "gridengine-common shared/gridenginemaster string localhost" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    gridengine-master gridengine-exec gridengine-client >/dev/null
}

# Set "key value" lines in a qconf dump file $1 (keys given as pairs after it).
set_keys() {
  local file=$1 key
  shift
  while [ $# -gt 1 ]; do
    key=$1
    sed -i "s|^$key .*|$key $2|" "$file"
    grep -q "^$key " "$file" || echo "$key $2" >>"$file"
    shift 2
  done
}

configure() {
  mkdir -p "$work"
  qconf -sconf >"$work/global"
  set_keys "$work/global" min_uid 0 min_gid 0
  qconf -Mconf "$work/global" >/dev/null # the file's name says which configuration
  qconf -ssconf >"$work/sched"
  set_keys "$work/sched" schedule_interval 0:0:1
  qconf -Msconf "$work/sched" >/dev/null
  qconf -ss 2>/dev/null | grep -qx localhost || qconf -as localhost >/dev/null
  if ! qconf -spl 2>/dev/null | grep -qx smp; then
    printf '%s\n' "pe_name smp" "slots 64" "user_lists NONE" "xuser_lists NONE" "start_proc_args NONE" \
      "stop_proc_args NONE" 'allocation_rule $pe_slots' "control_slaves FALSE" "job_is_first_task TRUE" \
      "urgency_slots min" "accounting_summary FALSE" "qsort_args NONE" >"$work/smp"
    qconf -Ap "$work/smp" >/dev/null
  fi
  if ! qconf -sc | grep -q '^gpu '; then
    qconf -sc >"$work/complexes"
    echo "gpu gpu INT <= YES YES 0 0" >>"$work/complexes"
    qconf -Mc "$work/complexes" >/dev/null
  fi
}

add_queue() {
  qconf -sql 2>/dev/null | grep -qx all.q && return 0
  qconf -sq >"$work/all.q"
  set_keys "$work/all.q" qname all.q hostlist localhost slots 4 pe_list smp shell /bin/bash load_thresholds NONE
  qconf -Aq "$work/all.q" >/dev/null
  qconf -mattr exechost complex_values gpu=2 localhost >/dev/null
}

usable() {
  pid_alive "$qmaster_pid" && pid_alive "$execd_pid" || return 1
  qstat -f 2>/dev/null | grep -q '^all.q@localhost'
}

start() {
  if usable; then
    log "already running"
    return 0
  fi
  install_packages
  stop_daemons
  echo "localhost $(hostname)" >"$SGE_ROOT/$SGE_CELL/common/host_aliases"
  /usr/sbin/sge_qmaster
  local i
  for i in $(seq 1 50); do qstat >/dev/null 2>&1 && break || sleep 0.2; done
  configure # min_uid 0 must be set before sge_execd starts, or root may not run jobs
  mkdir -p "$spool/execd"
  /usr/sbin/sge_execd
  for i in $(seq 1 50); do qconf -sel 2>/dev/null | grep -qx localhost && break || sleep 0.2; done
  add_queue
  for i in $(seq 1 100); do
    usable && { log "started"; return 0; }
    sleep 0.2
  done
  log "Grid Engine did not come up; see $spool/qmaster/messages"
  return 1
}

stop_one() {
  local pidfile=$1 pid i
  pid_alive "$pidfile" || return 0
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    pid_alive "$pidfile" || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

stop_daemons() {
  stop_one "$execd_pid"
  stop_one "$qmaster_pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons && log "stopped" ;;
  status)
    if usable; then log "running"; else
      log "not running or not usable"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
