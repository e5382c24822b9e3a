#!/usr/bin/env bash
# VoxCeleb speaker verification: an extractor (ECAPA-TDNN by default, or Kaldi's x-vector
# TDNN) trained on VoxCeleb2 dev, scored on VoxCeleb1-O (cleaned, veri_test2.txt) with cosine
# and PLDA back-ends, each with and without adaptive s-norm (AS-norm). Training examples are
# augmented on the fly as Kaldi's VoxCeleb v2 recipe and WeSpeaker do: MUSAN noise, music and
# babble, and RIRS_NOISES reverberation (the configs' data.augment; --augment false turns it off).
#
#   ./run.sh --vox1-root /corpora/VoxCeleb1 --vox2-root /corpora/VoxCeleb2 \
#            --musan-root /corpora/musan --rirs-root /corpora/RIRS_NOISES
#   ./run.sh --stage 0 --stop-stage 2 ...        # data preparation and fbank features only
#   ./run.sh --config conf/xvector.yaml ...      # the x-vector TDNN instead of ECAPA
#
# Corpus layout (see kaldinn/corpora/voxceleb.py): $vox1_root/wav/<spk>/<video>/<n>.wav with
# veri_test2.txt (and optionally vox1_meta.csv) beside wav/; $vox2_root/dev/aac/<spk>/<video>/<n>.m4a
# (decoded by an `ffmpeg ... -f wav -ar 16000 -ac 1 - |` pipe in wav.scp: ffmpeg must be on PATH)
# or the same tree converted to wav under $vox2_root/dev/wav/ (much faster to train from: every
# training example is read from the audio). MUSAN (openslr.org/17): $musan_root/{noise,music,speech}/;
# RIRS_NOISES (openslr.org/28): $rirs_root/simulated_rirs/{smallroom,mediumroom}/ (see
# kaldinn/corpora/musan_rirs.py); both are linked as corpus/musan and corpus/RIRS_NOISES.
# Stages: 0 data dirs (+ MUSAN/RIRS_NOISES links), 1 validation, 2 fbank, 3 energy VAD, 4 validation hold-out, 5 extractor
# training (GPU through $cuda_cmd), 6 embeddings, 7 back-ends and Vox1-O scores, 8 RESULTS.md.
. ./path.sh
. ./cmd.sh
set -euo pipefail

stage=0
stop_stage=100
vox1_root=/export/corpora/VoxCeleb1
vox2_root=/export/corpora/VoxCeleb2
vox2_audio=auto       # auto (wav when converted, else m4a) | wav | m4a
musan_root=/export/corpora/JHU/musan
rirs_root=/export/corpora/RIRS_NOISES
augment=true          # on-the-fly MUSAN + RIR augmentation of the training examples (data.augment)
nj=40                 # CPU jobs for features and VAD
emb_nj=4              # embedding jobs; with a GPU each gets its own card (cmd.sh's cuda_cmd)
compress=true         # Kaldi's default feature compression (method 2)
config=conf/ecapa.yaml
train_opts=""         # extra steps/train.py options, e.g. "--set train.epochs=10"
lda_dim=0             # PLDA: LDA dimension before PLDA (0 keeps the embedding dimension)
top_k=300             # AS-norm: closest cohort entries per side
cv_utts_per_spk=2     # training utterances per speaker held out for validation

help_message="Usage: $0 [--stage N] [--stop-stage N] [--vox1-root DIR] [--vox2-root DIR] [--musan-root DIR] [--rirs-root DIR] [--augment true|false] [--config conf/X.yaml] [--nj N]"
. utils/parse_options.sh

log() { echo -e "$(date '+%Y-%m-%d %H:%M:%S') (${0##*/}:${BASH_LINENO[0]}) $*"; }
# Jobs are split by speaker; a set may have fewer speakers than $nj.
nj_for() { local n; n=$(wc -l < "$1/spk2utt"); echo $(( n < $2 ? n : $2 )); }

train=vox2_dev        # the extractor's and the back-ends' training set
test=vox1_test        # its trials file is Vox1-O
exp=exp/$(basename "$config" .yaml)

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: data dirs: VoxCeleb2 dev ($vox2_root), VoxCeleb1 test + Vox1-O trials ($vox1_root)"
  local/prepare_voxceleb.py --subset dev --audio "$vox2_audio" vox2 "$vox2_root" "data/$train"
  local/prepare_voxceleb.py --subset test vox1 "$vox1_root" "data/$test"
  if [ "$augment" = true ]; then
    log "Stage 0: MUSAN ($musan_root) and RIRS_NOISES ($rirs_root) checked and linked under corpus/"
    local/prepare_musan_rirs.py --musan-root "$musan_root" --rirs-root "$rirs_root" corpus
  fi
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: validate the data directories (and the trials against data/$test)"
  for x in $train $test; do
    utils/validate_data_dir.py --no-feats --no-text "data/$x"
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: 80-dim fbank features"
  for x in $train $test; do
    steps/make_feats.py --type fbank --config conf/fbank.conf --nj "$(nj_for "data/$x" "$nj")" \
      --cmd "$train_cmd" --compress "$compress" "data/$x" "exp/make_fbank/$x" fbank
    utils/validate_data_dir.py --no-text "data/$x"
  done
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  log "Stage 3: energy VAD (Kaldi's compute-vad on MFCC log energy, same framing as the fbank)"
  for x in $train $test; do
    # The MFCCs exist only for their energy column; dropped once vad.scp is in data/$x.
    rm -rf "data/${x}_mfcc"
    utils/copy_data_dir.py "data/$x" "data/${x}_mfcc"
    steps/make_feats.py --type mfcc --config conf/mfcc.conf --nj "$(nj_for "data/$x" "$nj")" \
      --cmd "$train_cmd" --compress "$compress" "data/${x}_mfcc" "exp/make_mfcc/$x" "mfcc_vad/$x"
    steps/compute_vad.py --vad-config conf/vad.conf --nj "$(nj_for "data/$x" "$nj")" --cmd "$train_cmd" \
      "data/${x}_mfcc" "exp/make_vad/$x" vad
    cp "data/${x}_mfcc/vad.scp" "data/$x/vad.scp"
    rm -rf "data/${x}_mfcc" "mfcc_vad/$x"
    utils/validate_data_dir.py --no-text "data/$x"
  done
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  log "Stage 4: hold out $cv_utts_per_spk utterances per $train speaker for validation"
  utils/subset_data_dir.py --per-spk "data/$train" "$cv_utts_per_spk" "data/${train}_cv"
  utils/filter_scp.py --exclude "data/${train}_cv/utt2spk" "data/$train/utt2spk" | cut -d' ' -f1 > "data/${train}_tr.list"
  utils/subset_data_dir.py --utt-list "data/${train}_tr.list" "data/$train" "data/${train}_tr"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  log "Stage 5: train the extractor ($config) into $exp; resumes from its checkpoints when rerun"
  # Training chunks come from the audio (vad.scp still applies), augmented; validation uses feats.scp.
  aug_opts=(); [ "$augment" = true ] || aug_opts=(--set data.augment=null)
  $cuda_cmd "$exp/log/train.log" steps/train.py "${aug_opts[@]}" $train_opts --config "$config" \
    "data/${train}_tr" "data/${train}_cv" "$exp"
fi

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  log "Stage 6: embeddings of $train (back-end training, AS-norm cohort) and $test"
  for x in $train $test; do
    steps/extract_embeddings.py --nj "$(nj_for "data/$x" "$emb_nj")" --cmd "$cuda_cmd" \
      "data/$x" "$exp" "$exp/xvectors_$x"
  done
fi

if [ "$stage" -le 7 ] && [ "$stop_stage" -ge 7 ]; then
  log "Stage 7: cosine and PLDA back-ends on $train; Vox1-O scores, raw and AS-norm"
  steps/train_backend.py --backend cosine "$exp/xvectors_$train" "$exp/backend"
  steps/train_backend.py --backend plda --lda-dim "$lda_dim" "$exp/xvectors_$train" "$exp/backend"
  # AS-norm cohort: one mean (length-normalised) embedding per training speaker.
  cohort=$exp/xvectors_$train/spk_xvector.scp
  for backend in cosine plda; do
    steps/score_trials.py --backend "$backend" --backend-dir "$exp/backend" \
      "data/$test/trials" "$exp/xvectors_$test" "$exp/xvectors_$test" "$exp/scores_vox1_O_$backend"
    steps/score_trials.py --backend "$backend" --backend-dir "$exp/backend" --norm as \
      --cohort "$cohort" --top-k "$top_k" \
      "data/$test/trials" "$exp/xvectors_$test" "$exp/xvectors_$test" "$exp/scores_vox1_O_${backend}_asnorm"
  done
fi

if [ "$stage" -le 8 ] && [ "$stop_stage" -ge 8 ]; then
  log "Stage 8: Vox1-O metrics into RESULTS.md"
  name=$(basename "$exp")
  python -m kaldinn.bin.sv_results_table --trials "data/$test/trials" --results-md RESULTS.md \
    --title "VoxCeleb1-O (cleaned, veri_test2.txt): $name trained on VoxCeleb2 dev" \
    --note "Single-utterance enrolment. Back-ends trained on $train embeddings; AS-norm: top-$top_k of a cohort of the $train speaker means." \
    "$name, cosine, no norm=$exp/scores_vox1_O_cosine" \
    "$name, cosine, AS-norm=$exp/scores_vox1_O_cosine_asnorm" \
    "$name, PLDA, no norm=$exp/scores_vox1_O_plda" \
    "$name, PLDA, AS-norm=$exp/scores_vox1_O_plda_asnorm"
fi

log "Done (stages $stage..$stop_stage). Data dirs: $PWD/data/{$train,$test}; model and scores: $PWD/$exp"
