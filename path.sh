# shellcheck shell=bash
# path.sh: the environment every kaldinn recipe runs in. Sourced (`. ./path.sh`) by run.sh;
# recipes link to this root copy, and KALDINN_ROOT is found through that link.
#
#   . ./path.sh && run.py JOB=1:2 exp/log/x.JOB.log echo JOB
#
# Sets KALDINN_ROOT (the repository), puts $KALDINN_ROOT/.venv/bin (when present) and
# $KALDINN_ROOT/utils first on PATH, adds KALDINN_ROOT to PYTHONPATH (so `python -m
# kaldinn.bin.<tool>` works without an install), and exports LC_ALL=C (Kaldi's sort order)
# and PYTHONUNBUFFERED=1 (job logs show output as it happens). Sourcing it twice is harmless.

KALDINN_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
export KALDINN_ROOT

_kaldinn_path_prepend() {
  case ":${PATH:-}:" in
    *":$1:"*) ;;
    *) PATH="$1${PATH:+:$PATH}" ;;
  esac
}
_kaldinn_path_prepend "$KALDINN_ROOT/utils"
if [ -d "$KALDINN_ROOT/.venv/bin" ]; then
  _kaldinn_path_prepend "$KALDINN_ROOT/.venv/bin"
fi
unset -f _kaldinn_path_prepend
export PATH

case ":${PYTHONPATH:-}:" in
  *":$KALDINN_ROOT:"*) ;;
  *) PYTHONPATH="$KALDINN_ROOT${PYTHONPATH:+:$PYTHONPATH}" ;;
esac
export PYTHONPATH

export LC_ALL=C
export PYTHONUNBUFFERED=1
