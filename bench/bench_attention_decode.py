#!/usr/bin/env python3
"""Benchmark: attention beam search (kaldinn.decode.attention), batched vs one utterance at a time.

A ``las`` model of the recipe's size (conf/att_char_blstm.yaml's model_args, 22 character
units, 80-dim input) decodes ``--utts`` utterances of random features (lengths drawn
between 1 and 3 s, 100 frames a second), with random weights made to spell: sharpened
decoder outputs, ``<eos>`` unlikely, so hypotheses run to ~40% of the encoder frames.
Contenders: beam search over batches of ``--batch-size`` utterances (sorted by length, as
kaldinn.bin.decode_attention batches them) against the same search one utterance at a
time (the baseline, measured in the same run), each with attention scores only and with
joint CTC prefix scores. Prints utterances/s with the median and spread of ``--repeats``
timed runs and the ratios against the baseline, and checks the best hypotheses agree.

Example::

    .venv/bin/python bench/bench_attention_decode.py --utts 32 --beam 10 --repeats 3
"""

from __future__ import annotations

import argparse

import _timing


def make_model(torch, num_classes: int):
    from kaldinn.models import build_model
    from kaldinn.train.config import load_config

    args = load_config("egs/synth/s5/conf/att_char_blstm.yaml").model_args
    torch.manual_seed(0)
    model = build_model("las", args, input_dim=80, num_classes=num_classes).eval()
    with torch.no_grad():
        model.decoder.output.weight.mul_(6.0)
        model.decoder.output.bias[0] = -4.0  # <eos> unlikely until late
        model.decoder.output.bias[1] = -9.0  # no <unk>
    return model


def make_utts(torch, n: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    lens = torch.randint(100, 301, (n,), generator=gen)
    return [torch.randn(int(t), 80, generator=gen) for t in lens]


def batches(torch, utts, size: int):
    from torch.nn.utils.rnn import pad_sequence

    order = sorted(range(len(utts)), key=lambda i: len(utts[i]))
    for start in range(0, len(order), size):
        idx = order[start : start + size]
        feats = pad_sequence([utts[i] for i in idx], batch_first=True)
        yield idx, feats, torch.tensor([len(utts[i]) for i in idx])


def decode(torch, model, utts, size: int, cfg) -> list[list[int]]:
    from kaldinn.decode.attention import beam_search

    out: list[list[int]] = [[] for _ in utts]
    for idx, feats, lens in batches(torch, utts, size):
        for i, nbest in zip(idx, beam_search(model, feats, lens, cfg), strict=True):
            out[i] = nbest[0].tokens
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _timing.add_arguments(parser, repeats=3)
    parser.add_argument("--utts", type=int, default=32)
    parser.add_argument("--beam", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--ctc-weight", type=float, default=0.3, help="joint decoding's CTC weight")
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    import torch

    from kaldinn.decode.attention import SearchConfig

    torch.set_num_threads(args.threads)
    _timing.print_header(
        "bench_attention_decode",
        utts=args.utts,
        beam=args.beam,
        batch=args.batch_size,
        ctc_weight=args.ctc_weight,
    )
    model, utts = make_model(torch, 22), make_utts(torch, args.utts)
    for name, cfg in (
        ("attention only", SearchConfig(beam=args.beam)),
        (f"joint CTC {args.ctc_weight}", SearchConfig(beam=args.beam, ctc_weight=args.ctc_weight)),
    ):
        results = {}

        def run(size, cfg=cfg, results=results):
            results[size] = decode(torch, model, utts, size, cfg)

        times = _timing.measure(
            {f"batched ({args.batch_size})": lambda: run(args.batch_size), "one at a time": lambda: run(1)},
            args.repeats,
            args.warmup,
        )
        print(f"-- {name}, beam {args.beam}")
        _timing.report(times, work=len(utts), unit="utt")
        _timing.print_ratio(
            times, f"batched ({args.batch_size})", "one at a time", label="batched vs one at a time:"
        )
        same = sum(a == b for a, b in zip(results[args.batch_size], results[1], strict=True))
        mean_len = sum(map(len, results[1])) / len(utts)
        print(
            f"  best hypotheses identical: {same}/{len(utts)}; mean hypothesis length {mean_len:.1f} tokens"
        )


if __name__ == "__main__":
    main()
