#!/usr/bin/env bash
# CTC speech recognition on Mini LibriSpeech (train-clean-5 / dev-clean-2), Kaldi-style.
# Needs the corpus on disk (no download here): --corpus points at the directory holding
# train-clean-5/ and dev-clean-2/ (the LibriSpeech/ folder of the openslr.org/31 tarballs);
# the recipe stops at stage 0 with a message when it is absent.
#
#   ./run.sh --corpus /data/LibriSpeech                      # everything, Conformer (GPU job)
#   ./run.sh --corpus /data/LibriSpeech --model bilstm       # BiLSTM instead
#   ./run.sh --corpus /data/LibriSpeech --stage 4 --beam 20  # re-decode only
#
# Stages: 0 data preparation (wav.scp of flac files, text, utt2spk, spk2utt, spk2gender),
# 1 80-dim fbank + speaker CMVN, 2 BPE units (sentencepiece, $bpe_size pieces) and a word
# trigram LM of the training transcripts, 3 CTC training (conf/ctc_<model>_bpe.yaml through
# $cuda_cmd), 4 decoding of dev-clean-2: greedy, prefix beam search, beam search + LM; WER and
# CER appended to RESULTS.md.
# Cost: the Conformer is the expensive variant (a GPU job: about an hour for 60 epochs on one
# recent GPU); --model bilstm is cheaper; --train-opts "--set train.epochs=N" shortens either.
# Outputs: data/<set>/, data/lang_bpe/ (bpe.model, tokens.txt), data/lang/lm.arpa, fbank/,
# exp/ctc_<model>_bpe/ (model, logs, decode_dev_clean_2_*/ with hyp, ctm, wer, cer), RESULTS.md.
. ./path.sh
. ./cmd.sh
set -euo pipefail

stage=0
stop_stage=100
corpus=/export/corpora/LibriSpeech  # holds train-clean-5/ and dev-clean-2/ (+ SPEAKERS.TXT)
train_set=train_clean_5
test_sets="dev_clean_2"
nj=4
model=conformer   # conformer | bilstm (conf/ctc_<model>_bpe.yaml)
bpe_size=300
train_opts=""     # extra steps/train.py options, e.g. "--set train.epochs=5"
beam=10
lm_order=3
lm_weight=0.5
word_bonus=1.0

help_message="Usage: $0 [--corpus DIR] [--stage N] [--stop-stage N] [--model conformer|bilstm] [--nj N]"
. utils/parse_options.sh

log() { echo -e "$(date '+%Y-%m-%d %H:%M:%S') (${0##*/}:${BASH_LINENO[0]}) $*"; }
# Jobs are split by speaker; small sets may have fewer speakers than $nj.
nj_for() { local n; n=$(wc -l < "$1/spk2utt"); echo $(( n < nj ? n : nj )); }
exp=exp/ctc_${model}_bpe

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: data preparation from $corpus"
  for x in $train_set $test_sets; do
    src=$corpus/${x//_/-}  # data/train_clean_5 <- $corpus/train-clean-5
    if [ ! -d "$src" ]; then
      echo "$0: $src does not exist; download Mini LibriSpeech (openslr.org/31) and pass --corpus DIR" >&2
      exit 1
    fi
    local/prepare_librispeech.py "$src" "data/$x"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: fbank features and speaker CMVN"
  for x in $train_set $test_sets; do
    steps/make_feats.py --type fbank --config conf/fbank.conf --nj "$(nj_for "data/$x")" \
      --cmd "$train_cmd" "data/$x" "exp/make_fbank/$x" fbank
    steps/compute_cmvn_stats.py "data/$x" "exp/make_cmvn/$x" cmvn
    utils/validate_data_dir.py "data/$x"
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: BPE units ($bpe_size pieces) and a word $lm_order-gram LM of the training text"
  # Training reads copies of the sets whose text is in pieces of the training set's BPE model.
  utils/copy_data_dir.py "data/$train_set" "data/${train_set}_bpe"
  steps/prepare_units.py --unit bpe --bpe-size "$bpe_size" --text-out "data/${train_set}_bpe/text" \
    "data/$train_set" data/lang_bpe
  for x in $test_sets; do
    utils/copy_data_dir.py "data/$x" "data/${x}_bpe"
    python -m kaldinn.bin.text_to_units --bpe-model data/lang_bpe/bpe.model \
      --tokens data/lang_bpe/tokens.txt "data/$x/text" "data/${x}_bpe/text"
  done
  mkdir -p data/lang
  utils/build_lm.py --order "$lm_order" --has-keys true "data/$train_set/text" data/lang/lm.arpa
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  log "Stage 3: CTC training, conf/ctc_${model}_bpe.yaml -> $exp"
  first_test=${test_sets%% *}
  $cuda_cmd "$exp/log/train.log" steps/train.py $train_opts --config "conf/ctc_${model}_bpe.yaml" \
    "data/${train_set}_bpe" "data/${first_test}_bpe" "$exp"
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  log "Stage 4: decoding $test_sets: greedy, beam $beam, beam $beam + LM (weight $lm_weight)"
  for x in $test_sets; do
    systems=()
    lm_opts="--lm data/lang/lm.arpa --lm-weight $lm_weight --word-bonus $word_bonus"
    for o in "greedy:--beam 1" "beam$beam:--beam $beam" "beam${beam}_lm:--beam $beam $lm_opts"; do
      name=${o%%:*}
      # shellcheck disable=SC2086  # the decoder options are words
      steps/decode_ctc.py --nj "$(nj_for "data/$x")" --cmd "$decode_cmd" ${o#*:} \
        "data/$x" "$exp" "$exp/decode_${x}_$name"
      systems+=("ctc_${model}_bpe, $name=$exp/decode_${x}_$name")
    done
    python -m kaldinn.bin.append_wer_results --results-md RESULTS.md --title "CTC: $x" \
      --note "BPE ($bpe_size pieces) CTC, conf/ctc_${model}_bpe.yaml, trained on $train_set. Beam: prefix beam search (width $beam); lm: word $lm_order-gram of $train_set (utils/build_lm.py), weight $lm_weight, word bonus $word_bonus." \
      "${systems[@]}"
  done
fi

log "Done. Data dirs: $PWD/data/{$train_set,${test_sets// /,}}; model and decodes: $PWD/$exp;"
log "results: $PWD/RESULTS.md"
