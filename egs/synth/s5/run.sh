#!/usr/bin/env bash
# The default kaldinn recipe: a synthetic corpus (eSpeak NG, offline) prepared as Kaldi data
# directories, validated, and turned into features with parallel jobs.
#
#   ./run.sh                          # everything, small preset
#   ./run.sh --preset tiny --nj 2     # the quick variant the tests run
#   ./run.sh --stage 2 --stop-stage 3 # features only
#
# Outputs: corpus/ (wav files), data/<set>/ (Kaldi data dirs with feats.scp, cmvn.scp, vad.scp),
# fbank/ (feature arks), exp/make_fbank/ (job logs).
. ./path.sh
. ./cmd.sh
set -euo pipefail

stage=0
stop_stage=100
preset=small      # tiny | small | large (see local/make_synth.py --help)
seed=777
nj=2
feat_type=fbank   # fbank | mfcc
compress=true     # Kaldi's default feature compression (method 2)

help_message="Usage: $0 [--stage N] [--stop-stage N] [--preset tiny|small|large] [--nj N] [--seed N]"
. utils/parse_options.sh

log() { echo -e "$(date '+%Y-%m-%d %H:%M:%S') (${0##*/}:${BASH_LINENO[0]}) $*"; }
# Jobs are split by speaker; small sets (the tiny preset) may have fewer speakers than $nj.
nj_for() { local n; n=$(wc -l < "$1/spk2utt"); echo $(( n < nj ? n : nj )); }

# Every data directory the corpus provides, one per task and split.
sets="digits_train digits_dev digits_test lid_train lid_dev lid_test sv_train sv_enroll sv_test words_train words_dev words_test"

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: synthesise the corpus (preset $preset, seed $seed) and prepare data dirs"
  local/make_synth.py --preset "$preset" --seed "$seed" --nj "$nj" --cmd "$train_cmd" corpus data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: validate the data directories"
  for x in $sets; do
    utils/validate_data_dir.py --no-feats "data/$x"
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: $feat_type features"
  for x in $sets; do
    steps/make_feats.py --type "$feat_type" --config "conf/$feat_type.conf" --nj "$(nj_for "data/$x")" \
      --cmd "$train_cmd" --compress "$compress" "data/$x" "exp/make_$feat_type/$x" "$feat_type"
    utils/validate_data_dir.py "data/$x"
  done
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  log "Stage 3: CMVN statistics and energy VAD"
  for x in $sets; do
    steps/compute_cmvn_stats.py "data/$x" "exp/make_cmvn/$x" cmvn
    steps/compute_vad.py --vad-config conf/vad.conf --nj "$(nj_for "data/$x")" --cmd "$train_cmd" \
      "data/$x" "exp/make_vad/$x" vad
    utils/validate_data_dir.py "data/$x"
  done
fi

log "Done. Data dirs: $PWD/data/<set> (feats.scp, cmvn.scp, vad.scp); features: $PWD/$feat_type;"
log "job logs: $PWD/exp. Sets: $sets"
