#!/usr/bin/env bash
# steps/decode_hybrid.sh: decode a data dir with a hybrid (HMM + per-pdf log-likelihoods) system
# through an HCLG graph, then score it; Kaldi's steps/decode.sh shape.
#
# Usage: steps/decode_hybrid.sh [options] <graph-dir> <data-dir> <model-dir> <decode-dir>
#   e.g. steps/decode_hybrid.sh --nj 4 --cmd "$decode_cmd" exp/tri1/graph data/test exp/dnn exp/dnn/decode_test
#
# Inputs: <graph-dir>/HCLG.fst (const or vector FST, as mkgraph.sh writes it) and words.txt;
# <model-dir>/final.mdl (its transition model maps transition-ids to pdfs); the per-pdf
# log-likelihoods come from --loglikes (any rspecifier, e.g. scp:exp/dnn/forward_test/loglik.scp)
# or, without it, from the network <model-dir>/final.pt with priors <model-dir>/priors.counts
# (kaldinn.bin.nnet_forward --output log-likelihood, run inside each decode job).
#
# Back-ends (--backend auto picks kaldi when latgen-faster-mapped is on PATH, else python):
#   kaldi:  latgen-faster-mapped writes lat.JOB.gz; scoring as Kaldi's local/score.sh:
#           lattice-scale --inv-acoustic-scale=LMWT | lattice-add-penalty | lattice-best-path
#           -> scoring/<LMWT>.<wip>.tra -> wer_<LMWT>_<wip>.
#   python: kaldi-decoder's FasterDecoder in-process (kaldinn.bin.decode_hybrid), the best path
#           only: tra.JOB (word ids) and ali.JOB.gz (transition-ids). Without lattices, scoring
#           sweeps the ACOUSTIC SCALE instead of the LM weight: every utterance is decoded again
#           at each of --scoring-acwts (1/LMWT optimises the same objective) with each penalty
#           added to the graph's word arcs -> scoring/acwt<acwt>.<wip>.tra -> wer_acwt<acwt>_<wip>.
# Both: scoring/test_filt.txt (= <data-dir>/text), scoring/best_wer (best_wer.sh's line,
# also printed), log/decode.JOB.log, num_jobs; and the best point as steps/decode_ctc.py writes
# a decode (kaldinn.bin.append_wer_results tabulates it): hyp (words), wer, cer,
# scoring_kaldi/wer_details/wer_bootci (out of the wer_* glob, where Kaldi's score_kaldi_wer.sh
# writes it), and best_point (acwt=<a> wip=<p> or lmwt=<n> wip=<p>).
#
# Search cost: a network's pseudo log-likelihoods are much flatter than a GMM's (per-frame spread
# of ~9 nats against ~68 on egs/synth/s5), so at --acwt 0.1 a beam of 13 prunes almost nothing
# and every state of a small graph stays active (--max-active 7000 never binds on a graph of
# 6858 states): about 10x the GMM's time per frame. There, --beam 10 --max-active 1000 cost
# 3.4x less CPU over the 27-point sweep with the same best point and WER (26 of 27 points equal).
#
# Best on dev, applied to test: --scoring-point-from <dev-decode-dir> reads that dir's
# best_point and scores this set at that point only, never choosing on this set's own text.
# python: the decode runs at the dev acoustic scale with the dev penalty on the word arcs, one
# pass per utterance (tra.JOB is that point); kaldi: lattices as usual, score.sh's pipeline at
# the dev LMWT and penalty only. The dev dir must come from the same back-end. E.g.
#   steps/decode_hybrid.sh exp/mono/graph data/dev exp/dnn exp/dnn/decode_dev      # sweep
#   steps/decode_hybrid.sh --scoring-point-from exp/dnn/decode_dev exp/mono/graph data/test exp/dnn exp/dnn/decode_test

set -euo pipefail

nj=4
cmd=utils/run.py
acwt=0.1          # acoustic scale of the decode (and of the lattices)
beam=13.0
lattice_beam=8.0  # kaldi back-end only
max_active=7000
min_active=200
backend=auto      # auto | kaldi | python
loglikes=         # rspecifier of precomputed per-pdf log-likelihoods (default: the network's)
model=            # default <model-dir>/final.mdl
nnet=             # default <model-dir>/final.pt
priors=           # default <model-dir>/priors.counts
num_threads=1
skip_scoring=false
min_lmwt=7        # kaldi back-end scoring: LM weights min_lmwt..max_lmwt
max_lmwt=17
scoring_acwts=0.06,0.07,0.08,0.09,0.1,0.11,0.12,0.13,0.14  # python back-end scoring
word_ins_penalty=0.0,0.5,1.0
scoring_point_from=  # decode dir (dev) whose best_point fixes the scoring point of this one

help_message="Usage: $0 [options] <graph-dir> <data-dir> <model-dir> <decode-dir>
e.g.: $0 --nj 4 --cmd \"\$decode_cmd\" exp/tri1/graph data/test exp/dnn exp/dnn/decode_test
Options (defaults in brackets):
  --nj <n>                 parallel jobs, data split by speaker [$nj]
  --cmd <cmd>              job runner, as in cmd.sh [$cmd]
  --acwt <f>               acoustic scale [$acwt]
  --beam <f> --lattice-beam <f> --max-active <n> --min-active <n>   search [$beam $lattice_beam $max_active $min_active]
  --backend auto|kaldi|python   decoder [$backend]
  --loglikes <rspecifier>  precomputed per-pdf log-likelihoods (default: forward <model-dir>/final.pt)
  --model <mdl> --nnet <pt> --priors <counts>   defaults in <model-dir>
  --skip-scoring true|false   [$skip_scoring]
  --min-lmwt <n> --max-lmwt <n>   kaldi back-end scoring [$min_lmwt:$max_lmwt]
  --scoring-acwts <a,b,..>        python back-end scoring [$scoring_acwts]
  --word-ins-penalty <a,b,..>     [$word_ins_penalty]
  --scoring-point-from <decode-dir>   score only at that dir's best_point (chosen on dev)"

[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh

if [ $# -ne 4 ]; then
  printf '%s\n' "$help_message" 1>&2
  exit 1
fi
graphdir=$1
data=$2
srcdir=$3
dir=$4

die() { echo "$0: ERROR: $*" 1>&2; exit 1; }
q() { printf '%q' "$1"; }  # quote a path inside a pipe command (Kaldi runs those through a shell)

model=${model:-$srcdir/final.mdl}
for f in "$graphdir/HCLG.fst" "$graphdir/words.txt" "$data/utt2spk" "$model"; do
  [ -f "$f" ] || die "no such file $f"
done
if [ -z "$loglikes" ]; then
  nnet=${nnet:-$srcdir/final.pt}
  priors=${priors:-$srcdir/priors.counts}
  for f in "$nnet" "$priors" "$data/feats.scp"; do
    [ -f "$f" ] || die "no such file $f (or give precomputed log-likelihoods with --loglikes)"
  done
fi
[ "$skip_scoring" = true ] || [ -f "$data/text" ] ||
  die "$data/text is missing: nothing to score against (use --skip-scoring true)"

case "$backend" in
  auto) if command -v latgen-faster-mapped >/dev/null 2>&1; then backend=kaldi; else backend=python; fi ;;
  kaldi) command -v latgen-faster-mapped >/dev/null 2>&1 ||
    die "--backend kaldi: latgen-faster-mapped is not on PATH (source Kaldi's path.sh, or use --backend python)" ;;
  python) ;;
  *) die "--backend must be auto, kaldi or python, got '$backend'" ;;
esac

# The scoring point chosen on another set (dev): one weight and one penalty.
main_penalty=0.0  # python back-end: the penalty on the word arcs of the main decode
if [ -n "$scoring_point_from" ]; then
  point_file=$scoring_point_from/best_point
  [ -f "$point_file" ] ||
    die "$point_file is missing: decode and score the dev set with steps/decode_hybrid.sh first"
  read -r point_weight point_wip point_rest <"$point_file" || true
  case "$backend:$point_weight:$point_wip:${point_rest:-}" in
    python:acwt=*:wip=*:) acwt=${point_weight#acwt=}; scoring_acwts=$acwt ;;
    kaldi:lmwt=*:wip=*:) min_lmwt=${point_weight#lmwt=}; max_lmwt=$min_lmwt ;;
    *:acwt=*:wip=*: | *:lmwt=*:wip=*:)
      die "$point_file ($point_weight $point_wip) comes from the other back-end; decode this set with the back-end the dev set used (--backend)" ;;
    *) die "$point_file: expected one line 'acwt=<scale> wip=<penalty>' or 'lmwt=<n> wip=<penalty>'" ;;
  esac
  word_ins_penalty=${point_wip#wip=}
  main_penalty=$word_ins_penalty
  echo "$0: scoring at $point_weight $point_wip, chosen in $scoring_point_from" 1>&2
fi

mkdir -p "$dir/log" "$dir/scoring"
utils/split_data.py "$data" "$nj"
sdata=$data/split$nj
echo "$nj" >"$dir/num_jobs"
rm -f "$dir"/wer_* "$dir/scoring/best_wer" "$dir"/scoring/*.tra "$dir"/scoring/*.tra.* \
  "$dir"/{hyp,wer,cer,best_point} "$dir/scoring_kaldi/wer_details/wer_bootci"

# The per-pdf log-likelihoods each job reads.
if [ -n "$loglikes" ]; then
  case "${loglikes%%:*}" in
    *scp*) scp=${loglikes#*:} ;;
    *) # an archive (or a pipe): index it once so each job reads only its own utterances
      python3 -m kaldinn.bin.copy_feats "$loglikes" "ark,scp:$dir/loglikes.ark,$dir/loglikes.scp"
      scp=$dir/loglikes.scp ;;
  esac
  for n in $(seq "$nj"); do
    utils/filter_scp.py "$sdata/$n/utt2spk" "$scp" >"$dir/loglikes.$n.scp"
  done
  feats="scp:$dir/loglikes.JOB.scp"
else
  feats="ark:python3 -m kaldinn.bin.nnet_forward --output log-likelihood --priors $(q "$priors")"
  feats+=" --device cpu $(q "$nnet") $(q "$sdata")/JOB ark:- |"
fi

if [ "$backend" = kaldi ]; then
  # shellcheck disable=SC2086  # $cmd is a command line
  $cmd --num-threads "$num_threads" JOB=1:"$nj" "$dir/log/decode.JOB.log" \
    latgen-faster-mapped --min-active="$min_active" --max-active="$max_active" --beam="$beam" \
    --lattice-beam="$lattice_beam" --acoustic-scale="$acwt" --allow-partial=true \
    --word-symbol-table="$graphdir/words.txt" "$model" "$graphdir/HCLG.fst" "$feats" \
    "ark:|gzip -c > $(q "$dir")/lat.JOB.gz"
else
  sweep=()
  if [ "$skip_scoring" != true ]; then
    sweep=(--sweep-acwts "$scoring_acwts" --sweep-word-ins-penalty "$word_ins_penalty"
      --sweep-out "$dir/scoring/acwt{acwt}.{wip}.tra.JOB")
  fi
  # shellcheck disable=SC2086  # $cmd is a command line
  $cmd --num-threads "$num_threads" JOB=1:"$nj" "$dir/log/decode.JOB.log" \
    python3 -m kaldinn.bin.decode_hybrid --min-active "$min_active" --max-active "$max_active" \
    --beam "$beam" --acoustic-scale "$acwt" --word-ins-penalty "$main_penalty" \
    --word-symbol-table "$graphdir/words.txt" "${sweep[@]}" \
    "$model" "$graphdir/HCLG.fst" "$feats" "ark,t:$dir/tra.JOB" "ark:|gzip -c > $(q "$dir")/ali.JOB.gz"
fi

if [ "$skip_scoring" != true ]; then
  if [ "$backend" = kaldi ]; then
    for wip in ${word_ins_penalty//,/ }; do
      # shellcheck disable=SC2086
      $cmd LMWT="$min_lmwt:$max_lmwt" "$dir/scoring/log/best_path.LMWT.$wip.log" \
        lattice-scale --inv-acoustic-scale=LMWT "ark:gunzip -c $(q "$dir")/lat.*.gz |" ark:- \| \
        lattice-add-penalty --word-ins-penalty="$wip" ark:- ark:- \| \
        lattice-best-path --word-symbol-table="$graphdir/words.txt" ark:- "ark,t:$dir/scoring/LMWT.$wip.tra"
    done
    python3 -m kaldinn.bin.score_hybrid --weights "$min_lmwt:$max_lmwt" \
      --word-ins-penalty "$word_ins_penalty" "$graphdir/words.txt" "$data/text" "$dir"
  else
    python3 -m kaldinn.bin.score_hybrid --weights "$scoring_acwts" --weight-prefix acwt --nj "$nj" \
      --word-ins-penalty "$word_ins_penalty" "$graphdir/words.txt" "$data/text" "$dir"
  fi
fi
echo "$0: succeeded decoding $data into $dir (backend $backend)" 1>&2
