"""steps/saliency.py: saliency maps of a clip classifier, and how well they find the calls.

For the clips of <data-dir> (features prepared exactly as in training), the gradient of the
event log-odds (``--event-label``, default ``1``) w.r.t. the input features, by each
``--method`` (``vanilla``, ``guided`` backpropagation, ``deconvnet``; see
``kaldinn/models/saliency.py``). Clips: those listed in ``--utts FILE`` (one id per line),
else the ``--num-clips`` with the highest P(event); plus, when <data-dir> has an ``events``
file (``<utt> <start-s> <end-s> <low-hz> <high-hz>`` per call), every positive clip with a
box, for the localisation figures. Written to <out-dir>:

- ``<method>.ark`` + ``<method>.scp``: the signed saliency, one float32 matrix per clip with
  the input's frames x bins (scp written last);
- ``utt2prob``: P(event) of every clip processed;
- ``png/<utt>.png`` for the chosen clips: the features, then each method's |saliency| over
  them (call boxes drawn when known), P(event) and the label in the title;
- with ``events``: ``localisation.txt``, per method over the positive clips, the mean share
  of the top-1% |saliency| mass inside the clip's boxes and the pointing-game hit rate (the
  |saliency| maximum inside a box grown by ``--tol-frames`` / ``--tol-bins``), each with a
  95% interval resampling the units of utt2spk, beside chance (the boxes' share of the grid)
  and an input-energy reference (the features themselves as the map, minus their minimum);
  ``localisation_per_clip.txt`` holds every clip's figures. Boxes map onto the grid of
  ``--fbank-config`` (``kaldinn/metrics/localisation.py``). ``--results-md FILE --tag NAME``
  appends localisation.txt to RESULTS.md.

Example::

    steps/saliency.py --num-clips 8 --method vanilla,guided --fbank-config conf/fbank.conf \\
        data/events_test exp/events_densenet exp/events_densenet/saliency_events_test
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.io.lock import DirLock
from kaldinn.io.text_table import read_table, write_table

PROG = "saliency.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Saliency maps (vanilla gradient, guided backpropagation) and their localisation.",
        usage=f"{PROG} [options] <data-dir> <exp-dir> <out-dir>",
    )
    parser.add_argument("--method", default="vanilla,guided", help="comma list of vanilla, guided, deconvnet")
    parser.add_argument("--num-clips", type=int, default=8, help="highest-P(event) clips to plot (no --utts)")
    parser.add_argument("--utts", help="file of clip ids to plot instead of the top-scoring ones")
    parser.add_argument("--event-label", default="1", help="label whose log-odds is explained")
    parser.add_argument("--fbank-config", default="conf/fbank.conf", help="option file the features used")
    parser.add_argument("--tol-frames", type=int, default=2, help="pointing-game tolerance in frames")
    parser.add_argument("--tol-bins", type=int, default=1, help="pointing-game tolerance in mel bins")
    parser.add_argument("--top-fraction", type=float, default=0.01, help="share of cells in the top mass")
    parser.add_argument("--model", default="final.pt", help="checkpoint inside <exp-dir>")
    parser.add_argument("--batch-size", type=int, default=8, help="clips per backward pass")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--replications", type=int, default=1000, help="bootstrap replicates (0: none)")
    parser.add_argument("--results-md", help="append localisation.txt to this RESULTS.md")
    parser.add_argument("--tag", default="", help="section title in RESULTS.md")
    parser.add_argument("data_dir")
    parser.add_argument("exp_dir")
    parser.add_argument("out_dir")
    return parser


def parse_methods(text: str) -> list[str]:
    from kaldinn.models.saliency import METHODS

    methods = [m for m in text.split(",") if m]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise UsageError(f"--method {text!r}: choose from {', '.join(METHODS)} (comma separated)")
    return methods


class Explainer:
    """A trained model with its feature preparation, run on clips of one data dir."""

    def __init__(self, args):
        from kaldinn.bin.nnet_forward import feature_options
        from kaldinn.data.dataset import FeatureDataset
        from kaldinn.data.labels import load_label_map
        from kaldinn.train.checkpoint import load_checkpoint, load_model
        from kaldinn.train.device import select_device

        model_path = Path(args.exp_dir) / args.model
        ckpt = load_checkpoint(model_path)
        self.device = select_device(args.device)
        self.model = load_model(model_path, self.device).eval()
        labels = load_label_map(args.exp_dir)
        if labels.get(args.event_label) is None:
            raise UsageError(
                f"--event-label {args.event_label}: {args.exp_dir}/labels.txt holds {labels.labels}"
            )
        self.event = labels.index(args.event_label)
        options = feature_options(ckpt["config"], frame_model=False)
        if options.vad:
            raise KaldinnError(
                f"{model_path} was trained with data.vad=true: its inputs drop frames, so maps would not "
                "line up with the clip's frames; saliency needs a model trained without VAD"
            )
        self.dataset = FeatureDataset(args.data_dir, options)
        self.index = {utt: i for i, utt in enumerate(self.dataset.utt_ids)}
        self.batch_size = args.batch_size

    def probabilities(self) -> dict[str, float]:
        """P(event) of every clip (one forward pass, no gradients)."""
        import torch

        from kaldinn.data.collate import collate
        from kaldinn.models.saliency import event_log_odds

        probs = {}
        for start in range(0, len(self.dataset), self.batch_size):
            batch = collate(
                [self.dataset[i] for i in range(start, min(start + self.batch_size, len(self.dataset)))]
            )
            with torch.inference_mode():
                logits = self.model(batch.feats.to(self.device), batch.feat_lens.to(self.device)).logits
                p = torch.sigmoid(event_log_odds(logits.float(), self.event)).cpu().numpy()
            probs.update(zip(batch.utt_ids, p.tolist(), strict=True))
        return probs

    def saliency(self, utts: list[str], method: str):
        """Yield (utt, features (T, D), signed saliency (T, D)) for ``utts``."""
        from kaldinn.data.collate import collate
        from kaldinn.models.saliency import input_saliency

        for start in range(0, len(utts), self.batch_size):
            batch = collate([self.dataset[self.index[u]] for u in utts[start : start + self.batch_size]])
            grads, _ = input_saliency(
                self.model, batch.feats.to(self.device), batch.feat_lens, self.event, method
            )
            grads = grads.float().cpu().numpy()
            for row, utt in enumerate(batch.utt_ids):
                frames = int(batch.feat_lens[row])
                yield utt, batch.feats[row, :frames].numpy(), np.ascontiguousarray(grads[row, :frames])


def choose_clips(args, probs: dict[str, float]) -> list[str]:
    """--utts (checked against the data), else the --num-clips highest P(event)."""
    if args.utts:
        wanted = [line.split()[0] for line in Path(args.utts).read_text().splitlines() if line.strip()]
        unknown = [u for u in wanted if u not in probs]
        if unknown:
            raise KaldinnError(
                f"{args.utts}: {len(unknown)} ids are not clips of {args.data_dir} (e.g. {unknown[0]})"
            )
        return wanted
    return sorted(probs, key=lambda u: (-probs[u], u))[: args.num_clips]


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.io.tables import Writer
    from kaldinn.metrics.localisation import FeatureGrid, read_events
    from kaldinn.steps import saliency_report as report

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    methods = parse_methods(args.method)
    if args.batch_size < 1 or args.num_clips < 0 or not 0 < args.top_fraction <= 1:
        raise UsageError("need --batch-size >= 1, --num-clips >= 0 and 0 < --top-fraction <= 1")
    data_dir, out_dir = Path(args.data_dir), Path(args.out_dir)
    events_path = data_dir / "events"
    events = read_events(events_path) if events_path.is_file() else {}
    grid = FeatureGrid.from_fbank_conf(args.fbank_config)
    explainer = Explainer(args)
    probs = explainer.probabilities()
    chosen = choose_clips(args, probs)
    refs = read_table(data_dir / "utt2label") if (data_dir / "utt2label").is_file() else {}
    positives = [
        u
        for u in explainer.dataset.utt_ids
        if u in events and refs.get(u, args.event_label) == args.event_label
    ]
    clips = list(dict.fromkeys(chosen + positives))
    with DirLock(out_dir, PROG):
        for method in methods:
            (out_dir / f"{method}.scp").unlink(missing_ok=True)
        write_table(out_dir / "utt2prob", {u: f"{probs[u]:.6g}" for u in clips})
        figures = report.Figures(grid, events, args.tol_frames, args.tol_bins, args.top_fraction)
        pictures = report.Pictures(out_dir / "png", set(chosen), probs, refs, events, grid)
        for method in methods:
            with Writer(f"ark,scp:{out_dir}/{method}.ark,{out_dir}/{method}.scp") as writer:
                for utt, feats, sal in explainer.saliency(clips, method):
                    writer.write(utt, sal)
                    figures.add(method, utt, feats, sal, utt in positives)
                    pictures.add(method, utt, feats, sal)
        pictures.write()
        if events:
            utt2spk = read_table(data_dir / "utt2spk")
            lines = figures.summary(methods, utt2spk, args.replications)
            write_text_atomic(out_dir / "localisation.txt", "\n".join(lines) + "\n")
            write_text_atomic(out_dir / "localisation_per_clip.txt", figures.per_clip_text())
            if args.results_md:
                command = shlex.join([f"steps/{PROG}", *argv])
                report.append_section(
                    Path(args.results_md), args.tag or str(out_dir), command, Path(args.exp_dir), lines
                )
        print(
            f"{PROG}: wrote {', '.join(methods)} saliency of {len(clips)} clips to {out_dir}", file=sys.stderr
        )
    return 0
