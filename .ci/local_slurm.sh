#!/usr/bin/env bash
# Start, stop or check a one-node Slurm cluster on this machine (loopback only) for the
# real-cluster dispatch tests and bench/bench_dispatch.py. Needs root; idempotent.
#
#   .ci/local_slurm.sh start    # install slurm-wlm + munge if missing, start munged,
#                               # slurmctld, slurmd; wait until the node is idle
#   .ci/local_slurm.sh status   # exit 0 if the cluster answers and the node is usable
#   .ci/local_slurm.sh stop     # kill the daemons by the PIDs in their pid files
#
# The node has two fake GPUs (character devices under $run_dir) so `--gres=gpu:N` is
# testable: Slurm sets CUDA_VISIBLE_DEVICES per task. Config goes to /etc/slurm (the path
# every Slurm client reads); logs to /var/log/slurm.
set -euo pipefail

run_dir=/run/kaldinn-slurm
conf_dir=/etc/slurm
munge_pid=/run/munge/munged.pid
ctld_pid=$run_dir/slurmctld.pid
slurmd_pid=$run_dir/slurmd.pid

log() { echo "local_slurm.sh: $*" >&2; }

# A live, non-zombie process with the PID in file $1.
pid_alive() {
  local pid state
  pid=$(cat "$1" 2>/dev/null) || return 1  # the daemon may remove it as it exits
  [ -n "$pid" ] || return 1
  [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
  [ "$state" != Z ]
}

install_packages() {
  command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && return 0
  log "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_config() {
  local cpus mem_mb
  cpus=$(nproc)
  mem_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 / 2))
  mkdir -p "$conf_dir" "$run_dir" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  for i in 0 1; do
    [ -c "$run_dir/nvidia$i" ] || mknod "$run_dir/nvidia$i" c 1 3
  done
  # CPUs=4 on a smaller machine needs config_overrides; trivial test jobs fit anyway.
  cat >"$conf_dir/slurm.conf" <<EOF
# Written by kaldinn .ci/local_slurm.sh: a one-node test cluster on loopback.
ClusterName=kaldinn
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=100
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
MailProg=/bin/true
ReturnToService=2
GresTypes=gpu
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SlurmdParameters=config_overrides
MinJobAge=30
SlurmctldPidFile=$ctld_pid
SlurmdPidFile=$slurmd_pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$((cpus < 4 ? 4 : cpus)) RealMemory=$mem_mb Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  cat >"$conf_dir/gres.conf" <<EOF
AutoDetect=off
NodeName=localhost Name=gpu File=$run_dir/nvidia[0-1]
EOF
}

node_state() { sinfo -h -o %T 2>/dev/null | head -n1; }

usable() {
  pid_alive "$munge_pid" && pid_alive "$ctld_pid" && pid_alive "$slurmd_pid" || return 1
  case "$(node_state)" in idle* | mixed* | allocated* | completing*) return 0 ;; esac
  return 1
}

start() {
  if usable; then
    log "already running (node $(node_state))"
    return 0
  fi
  install_packages
  stop_daemons
  write_config
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  install -d -o munge -g munge /run/munge
  runuser -u munge -- /usr/sbin/munged
  /usr/sbin/slurmctld -c
  /usr/sbin/slurmd -N localhost
  local i
  for i in $(seq 1 100); do
    case "$(node_state)" in
      idle*) log "started: node idle after $i polls"; return 0 ;;
      down* | drain*) scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
  done
  log "the node did not become idle (state: $(node_state)); see /var/log/slurm/*.log"
  return 1
}

stop_one() {
  local pidfile=$1 pid i
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    pid_alive "$pidfile" || break
    sleep 0.1
  done
  pid_alive "$pidfile" && kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

stop_daemons() {
  stop_one "$slurmd_pid"
  stop_one "$ctld_pid"
  stop_one "$munge_pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons && log "stopped" ;;
  status)
    if usable; then
      log "running (node $(node_state))"
    else
      log "not running or not usable"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
