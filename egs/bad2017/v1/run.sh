#!/usr/bin/env bash
# Bird audio detection (the DCASE 2018 Task 3 / Bird Audio Detection challenge development
# data): does a 10 s clip hold a bird? Trained on one corpus and tested on the other, whole, as
# the challenge did (freefield1010: field recordings from freesound; warblr: smartphone
# recordings across the UK), so the test measures generalisation to unseen recording conditions.
#
#   ./run.sh --ff1010-root /corpora/ff1010bird --warblr-root /corpora/warblrb10k
#   ./run.sh --train-set warblrb10k --test-set ff1010bird ...   # the other direction
#   ./run.sh --stage 0 --stop-stage 2 ...                       # data preparation and fbank only
#
# Corpus layout (see kaldinn/corpora/bad2017.py): $ff1010_root/wav/<itemid>.wav with
# $ff1010_root/ff1010bird_metadata.csv, and $warblr_root/wav/<itemid>.wav with
# $warblr_root/warblrb10k_public_metadata.csv; both CSVs have the header itemid,datasetid,hasbird.
# Stages: 0 data dirs (each corpus whole, plus a stratified train/dev split of it), 1 validation,
# 2 fbank (44.1 kHz audio, 80 bands to 11 kHz), 3 statistics + logistic regression baseline,
# 4 DenseNet training (GPU through $cuda_cmd), 5 test-set scores, 6 ROC AUC (clip bootstrap) in RESULTS.md.
. ./path.sh
. ./cmd.sh
set -euo pipefail

stage=0
stop_stage=100
ff1010_root=/export/corpora/ff1010bird
warblr_root=/export/corpora/warblrb10k
train_set=ff1010bird  # ff1010bird | warblrb10k: trained on (its _train part) and tuned on (_dev)
test_set=warblrb10k   # the other corpus, every clip
dev_fraction=0.1      # of each label of $train_set, held out for model selection
nj=16                 # CPU jobs for features
fwd_nj=4              # forward jobs; with a GPU each gets its own card (cmd.sh's cuda_cmd)
compress=true         # Kaldi's default feature compression (method 2)
config=conf/densenet.yaml
train_opts=""         # extra steps/train.py options, e.g. "--set train.epochs=10"

help_message="Usage: $0 [--stage N] [--stop-stage N] [--ff1010-root DIR] [--warblr-root DIR] [--train-set ff1010bird|warblrb10k] [--test-set warblrb10k|ff1010bird] [--config conf/X.yaml] [--nj N]"
. utils/parse_options.sh

log() { echo -e "$(date '+%Y-%m-%d %H:%M:%S') (${0##*/}:${BASH_LINENO[0]}) $*"; }
# Jobs are split by speaker (one per clip); a set may have fewer clips than $nj.
nj_for() { local n; n=$(wc -l < "$1/spk2utt"); echo $(( n < $2 ? n : $2 )); }

[ "$train_set" != "$test_set" ] || { log "--train-set and --test-set must differ (cross-corpus test)"; exit 1; }
sets="${train_set}_train ${train_set}_dev $test_set"
exp=exp/${train_set}_$(basename "$config" .yaml)

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: data dirs: freefield1010 ($ff1010_root), warblr ($warblr_root), $dev_fraction of each held out as _dev"
  local/prepare_bad2017.py --dev-fraction "$dev_fraction" ff1010bird "$ff1010_root" data/ff1010bird
  local/prepare_bad2017.py --dev-fraction "$dev_fraction" warblrb10k "$warblr_root" data/warblrb10k
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: validate the data directories (audio headers: one sample rate throughout)"
  for x in $sets; do
    utils/validate_data_dir.py --no-feats --no-text "data/$x"
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: 80-dim fbank features"
  for x in $sets; do
    steps/make_feats.py --type fbank --config conf/fbank.conf --nj "$(nj_for "data/$x" "$nj")" \
      --cmd "$train_cmd" --compress "$compress" "data/$x" "exp/make_fbank/$x" fbank
    utils/validate_data_dir.py --no-text "data/$x"
  done
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  log "Stage 3: naive reference: per-clip fbank statistics + logistic regression (L2 picked on the dev part)"
  base=exp/${train_set}_stats_lr
  $train_cmd "$base/log/train.log" steps/train_stats_baseline.py --labels utt2label --cmvn utterance \
    --event-label 1 "data/${train_set}_train" "data/${train_set}_dev" "data/$test_set" "$base"
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  log "Stage 4: train $config on ${train_set}_train into $exp; resumes from its checkpoints when rerun"
  $cuda_cmd "$exp/log/train.log" steps/train.py $train_opts --config "$config" \
    "data/${train_set}_train" "data/${train_set}_dev" "$exp"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  log "Stage 5: $test_set scores (utt2score: the bird log-odds)"
  steps/forward.py --nj "$(nj_for "data/$test_set" "$fwd_nj")" --cmd "$cuda_cmd" --event-label 1 \
    "data/$test_set" "$exp" "$exp/forward_$test_set"
fi

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  log "Stage 6: ROC AUC on $test_set (clips resampled for the interval) into RESULTS.md"
  base=exp/${train_set}_stats_lr
  steps/score_detection.py --results-md RESULTS.md \
    --tag "BAD: statistics + logistic regression, $train_set -> $test_set" \
    "data/$test_set" "$base/forward_$test_set/utt2score" "$base/score_$test_set"
  steps/score_detection.py --results-md RESULTS.md \
    --tag "BAD: $(basename "$exp"), $train_set -> $test_set" \
    "data/$test_set" "$exp/forward_$test_set/utt2score" "$exp/score_$test_set"
fi

log "Done (stages $stage..$stop_stage). Data dirs: $PWD/data/{$train_set,$test_set}*; model and scores: $PWD/$exp"
