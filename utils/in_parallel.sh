# Source this file: . utils/in_parallel.sh
#
# in_parallel <jobs> <function> <arg>...
#   Runs "<function> <arg>" for every arg in the background, at most <jobs> at a time, and
#   starts the next one as soon as any running one ends: a short job never leaves a CPU idle
#   while others wait for a batch to finish. After a failure no further job starts; once the
#   running ones have ended it names the function and returns 1.
#   It waits with `wait -n`, so the caller must not have other background jobs running.
#
# Example (two trainings at a time, each on one CPU):
#   train() { steps/train.py --num-threads 1 --config "conf/$1.yaml" data/train data/dev "exp/$1"; }
#   in_parallel 2 train cnn resnet densenet || exit 1

in_parallel() {
  if [ $# -lt 2 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
    echo "in_parallel: usage: in_parallel <jobs: a positive integer> <function> <arg>... (got: $*)" >&2
    return 2
  fi
  local jobs=$1 fn=$2 running=0 failed=0 arg
  shift 2
  for arg in "$@"; do
    if [ "$running" -ge "$jobs" ]; then
      wait -n || failed=1
      running=$((running - 1))
    fi
    [ "$failed" = 0 ] || break
    "$fn" "$arg" &
    running=$((running + 1))
  done
  while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
  done
  if [ "$failed" != 0 ]; then
    echo "in_parallel: $fn failed for at least one of: $*; no job was started after the first failure" >&2
    return 1
  fi
}
