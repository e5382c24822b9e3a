"""The Kaldi decoding reference in tests/fixtures/kaldi_hybrid (made by real Kaldi binaries;
provenance in /work/shared/kaldi_hybrid/README.md): 20 test utterances, their GMM per-pdf
log-likelihoods (loglikes.ark), the monophone graph (HCLG.fst, a ConstFst as mkgraph.sh writes
it), final.mdl, and what Kaldi's decode-faster-mapped / latgen-faster-mapped produced at
--acoustic-scale=0.1 --beam=13 --max-active=7000 (expected/)."""

from __future__ import annotations

from pathlib import Path

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"
HCLG = REF / "graph" / "HCLG.fst"
WORDS = REF / "graph" / "words.txt"
MODEL = REF / "exp" / "final.mdl"
LOGLIKES = REF / "loglikes.ark"


def read_lines(name: str) -> dict[str, list[str]]:
    """expected/<name> as {utt: fields}; Kaldi's 1-best lines end with a space (stripped here)."""
    table = {}
    for line in (REF / "expected" / name).read_text().splitlines():
        fields = line.split()
        table[fields[0]] = fields[1:]
    return table


def make_data_dir(path: Path) -> Path:
    """A data dir of the 20 reference utterances (text, utt2spk, spk2utt; speaker = id prefix)."""
    path.mkdir(parents=True)
    text = (REF / "expected" / "ref.txt").read_text()
    (path / "text").write_text(text)
    utts = [line.split()[0] for line in text.splitlines()]
    (path / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in utts))
    spk2utt: dict[str, list[str]] = {}
    for u in utts:
        spk2utt.setdefault(u.split("-")[0], []).append(u)
    (path / "spk2utt").write_text("".join(f"{s} {' '.join(us)}\n" for s, us in spk2utt.items()))
    return path
