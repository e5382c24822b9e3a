# shellcheck shell=bash
# cmd.sh: how recipe stages run their jobs. Sourced (`. ./cmd.sh`) by run.sh after path.sh;
# steps receive these strings as --cmd and run `$cmd JOB=1:$nj <log> <command...>`.
#
#   . ./cmd.sh && $train_cmd JOB=1:2 exp/log/x.JOB.log echo JOB
#
# Default: utils/run.py, the local runner (Kaldi's run.pl). `--mem` is accepted for
# compatibility with the cluster runners and not enforced locally.
# cuda_cmd asks for one GPU per job (`--gpu 1`: each concurrent job gets its own device in
# CUDA_VISIBLE_DEVICES) only when a GPU is visible: CUDA_VISIBLE_DEVICES non-empty, or, when
# it is unset, `nvidia-smi -L` listing a GPU. Otherwise cuda_cmd is a plain CPU runner, so
# every recipe also runs on a machine without a GPU (training then uses the CPU).

export train_cmd="utils/run.py --mem 4G"
export decode_cmd="utils/run.py --mem 4G"

if [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then
  _kaldinn_gpu_visible=$([ -n "$CUDA_VISIBLE_DEVICES" ] && echo yes || echo no)
elif command -v nvidia-smi >/dev/null 2>&1 && grep -q '^GPU ' <<<"$(nvidia-smi -L 2>/dev/null)"; then
  _kaldinn_gpu_visible=yes
else
  _kaldinn_gpu_visible=no
fi
if [ "$_kaldinn_gpu_visible" = yes ]; then
  export cuda_cmd="utils/run.py --mem 8G --gpu 1"
else
  # No GPU: a training job uses every core (other jobs default to one thread each).
  export cuda_cmd="utils/run.py --mem 8G --num-threads $(nproc 2>/dev/null || echo 1)"
fi
unset _kaldinn_gpu_visible

# Slurm (see conf/slurm.conf for the option -> sbatch flag mapping):
# export train_cmd="utils/slurm.py --config conf/slurm.conf --mem 4G"
# export decode_cmd="utils/slurm.py --config conf/slurm.conf --mem 4G"
# export cuda_cmd="utils/slurm.py --config conf/slurm.conf --mem 8G --gpu 1"

# Grid Engine (see conf/queue.conf for the option -> qsub flag mapping):
# export train_cmd="utils/queue.py --config conf/queue.conf --mem 4G"
# export decode_cmd="utils/queue.py --config conf/queue.conf --mem 4G"
# export cuda_cmd="utils/queue.py --config conf/queue.conf --mem 8G --gpu 1"
