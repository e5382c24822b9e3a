"""A Kaldi lang directory from a dict directory, as ``utils/prepare_lang.sh`` makes it.

Inputs (the dict dir, Kaldi's layout): lexicon.txt (``<word> <phone>...``) or lexiconp.txt
(``<word> <prob> <phone>...``), silence_phones.txt and nonsilence_phones.txt (one line per
phone set; the phones of a line share a tree root), optional_silence.txt (one phone) and an
optional extra_questions.txt. Outputs, with Kaldi's names and text forms:

* phones.txt (``<eps>``, silence phones, non-silence phones, ``#0``..``#k``) and words.txt
  (``<eps>``, the sorted words, ``#0``, ``<s>``, ``</s>``);
* phones/: silence, nonsilence, optional_silence, disambig, context_indep (``.txt``,
  ``.int``, ``.csl``), sets, extra_questions, roots (``.txt``, ``.int``), align_lexicon
  (``.txt``, ``.int``), wdisambig.txt, wdisambig_phones.int, wdisambig_words.int;
* oov.txt / oov.int, topo (``utils/gen_topo.pl``: 3-state left-to-right non-silence HMMs,
  a 5-state silence HMM whose first four states are fully connected);
* L.fst and L_disambig.fst (``kaldinn.hmm.lexicon_fst``; L_disambig carries the lexicon's
  ``#n``, the silence disambiguation symbol ``#k`` and ``#0:#0`` self-loops where words are
  emitted, as ``fstaddselfloops`` adds them), olabel-sorted, OpenFst binary.

Only position-independent phones are made (``--position-dependent-phones false``); the
silence phones do not share one tree root (``--share-silence-phones false``).
The directory is built under a temporary name and renamed into place.

Example::

    prepare_lang(read_dict_dir("data/local/dict"), "<SIL>", "data/lang")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kaldinn.errors import KaldinnError
from kaldinn.hmm.lexicon_fst import LexiconEntry, add_disambig, lexicon_arcs
from kaldinn.io.atomic import write_text_atomic

SPECIAL_WORDS = ("<eps>", "#0", "<s>", "</s>")


@dataclass(frozen=True)
class DictDir:
    """The contents of a Kaldi dict dir (phone-set lines keep their order)."""

    silence: list[list[str]]
    nonsilence: list[list[str]]
    optional_silence: str
    lexicon: list[LexiconEntry]
    extra_questions: list[list[str]]


def _read_lines(path: Path, required: bool = True) -> list[list[str]]:
    if not path.is_file():
        if required:
            raise KaldinnError(
                f"{path} does not exist; a dict dir needs it (see utils/prepare_lang.py --help)"
            )
        return []
    lines = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                raise KaldinnError(f"{path}:{lineno}: empty line")
            lines.append(fields)
    return lines


def _read_lexicon(dict_dir: Path) -> list[LexiconEntry]:
    with_probs = (dict_dir / "lexiconp.txt").is_file()
    path = dict_dir / ("lexiconp.txt" if with_probs else "lexicon.txt")
    entries = []
    for lineno, fields in enumerate(_read_lines(path), 1):
        word, rest = fields[0], fields[1:]
        prob = 1.0
        if with_probs:
            try:
                prob = float(rest[0]) if rest else float("nan")
            except ValueError:
                prob = float("nan")
            if not 0.0 < prob <= 1.0:
                raise KaldinnError(f"{path}:{lineno}: the pronunciation probability must be in (0, 1]")
            rest = rest[1:]
        if word in SPECIAL_WORDS or word.startswith("#"):
            raise KaldinnError(f"{path}:{lineno}: {word!r} is reserved and may not be a lexicon word")
        entries.append((word, prob, tuple(rest)))
    if not entries:
        raise KaldinnError(f"{path} is empty")
    return entries


def read_dict_dir(dict_dir: str | os.PathLike) -> DictDir:
    """Read and check a dict dir (what Kaldi's validate_dict_dir.pl checks that matters here)."""
    d = Path(dict_dir)
    silence = _read_lines(d / "silence_phones.txt")
    nonsilence = _read_lines(d / "nonsilence_phones.txt")
    optional = _read_lines(d / "optional_silence.txt")
    if len(optional) != 1 or len(optional[0]) != 1:
        raise KaldinnError(f"{d}/optional_silence.txt must hold exactly one phone")
    phones = [p for line in silence + nonsilence for p in line]
    seen: set[str] = set()
    for p in phones:
        if p in seen:
            raise KaldinnError(f"phone {p!r} appears twice in {d}/silence_phones.txt + nonsilence_phones.txt")
        if p.startswith("#") or p == "<eps>":
            raise KaldinnError(f"{d}: {p!r} is reserved and may not be a phone")
        seen.add(p)
    silence_set = {p for line in silence for p in line}
    if optional[0][0] not in silence_set:
        raise KaldinnError(f"{d}/optional_silence.txt: {optional[0][0]} is not in silence_phones.txt")
    lexicon = _read_lexicon(d)
    for word, _, pron in lexicon:
        unknown = [p for p in pron if p not in seen]
        if unknown:
            raise KaldinnError(
                f"{d}: the pronunciation of {word!r} uses phones {unknown} not in the phone lists"
            )
    extra = _read_lines(d / "extra_questions.txt", required=False)
    for line in extra:
        if any(p not in seen for p in line):
            raise KaldinnError(f"{d}/extra_questions.txt names a phone not in the phone lists: {line}")
    return DictDir(silence, nonsilence, optional[0][0], lexicon, extra)


def topology_text(
    nonsil: list[int], sil: list[int], num_nonsil_states: int = 3, num_sil_states: int = 5
) -> str:
    """Kaldi's text HMM topology as ``utils/gen_topo.pl`` writes it."""
    out = ["<Topology>", "<TopologyEntry>", "<ForPhones>", " ".join(map(str, nonsil)), "</ForPhones>"]
    for s in range(num_nonsil_states):
        out.append(f"<State> {s} <PdfClass> {s} <Transition> {s} 0.75 <Transition> {s + 1} 0.25 </State>")
    out += [f"<State> {num_nonsil_states} </State>", "</TopologyEntry>"]
    out += ["<TopologyEntry>", "<ForPhones>", " ".join(map(str, sil)), "</ForPhones>"]
    if num_sil_states > 1:
        p = f"{1.0 / (num_sil_states - 1):.15g}"
        first = "".join(f"<Transition> {t} {p} " for t in range(num_sil_states - 1))
        out.append(f"<State> 0 <PdfClass> 0 {first}</State>")
        middle = "".join(f"<Transition> {t} {p} " for t in range(1, num_sil_states))
        for s in range(1, num_sil_states - 1):
            out.append(f"<State> {s} <PdfClass> {s} {middle}</State>")
        last = num_sil_states - 1
        tail = f"<Transition> {last} 0.75 <Transition> {num_sil_states} 0.25"
        out.append(f"<State> {last} <PdfClass> {last} {tail} </State>")
    else:
        out.append("<State> 0 <PdfClass> 0 <Transition> 0 0.75 <Transition> 1 0.25 </State>")
    out += [f"<State> {num_sil_states} </State>", "</TopologyEntry>", "</Topology>"]
    return "\n".join(out) + "\n"


def _table(symbols: list[str]) -> str:
    return "".join(f"{s} {i}\n" for i, s in enumerate(symbols))


def _write_lists(lang: Path, name: str, symbols: list[str], ids: dict[str, int], csl: bool = True) -> None:
    write_text_atomic(lang / f"phones/{name}.txt", "".join(f"{s}\n" for s in symbols))
    write_text_atomic(lang / f"phones/{name}.int", "".join(f"{ids[s]}\n" for s in symbols))
    if csl:
        write_text_atomic(lang / f"phones/{name}.csl", ":".join(str(ids[s]) for s in symbols) + "\n")


def _write_sets(lang: Path, name: str, lines: list[list[str]], ids: dict[str, int], prefix: str = "") -> None:
    write_text_atomic(lang / f"phones/{name}.txt", "".join(f"{prefix}{' '.join(line)}\n" for line in lines))
    write_text_atomic(
        lang / f"phones/{name}.int",
        "".join(f"{prefix}{' '.join(str(ids[p]) for p in line)}\n" for line in lines),
    )


def _lexicon_fst(entries, sil_prob, sil_phone, sil_disambig, phone_ids, word_ids, self_loops=None):
    from kaldinn.hmm.fst import build_fst, kaldifst

    arcs, finals = lexicon_arcs(entries, sil_prob, sil_phone, sil_disambig)
    numbered = [(s, d, phone_ids[p], word_ids[w], c) for s, d, p, w, c in arcs]
    fst = build_fst(numbered, start=0, finals=finals)
    if self_loops is not None:
        kaldifst().add_self_loops(fst, [self_loops[0]], [self_loops[1]])
    kaldifst().arcsort(fst, sort_type="olabel")
    return fst


def prepare_lang(
    dictionary: DictDir,
    oov_word: str,
    lang_dir: str | os.PathLike,
    tmp_dir: str | os.PathLike | None = None,
    sil_prob: float = 0.5,
    num_sil_states: int = 5,
    num_nonsil_states: int = 3,
) -> None:
    """Write the lang dir for ``dictionary`` (see the module docstring); ``oov_word`` must be a word."""
    from kaldinn.hmm.fst import write_fst

    words = sorted({w for w, _, _ in dictionary.lexicon})
    if oov_word not in words:
        raise KaldinnError(
            f"the OOV word {oov_word!r} is not in the lexicon; add e.g. '{oov_word} SIL' to it"
        )
    disambig_lexicon, top = add_disambig(dictionary.lexicon)
    num_disambig = top + 1  # one more for the silence in L_disambig (as prepare_lang.sh)
    disambig = [f"#{i}" for i in range(num_disambig + 1)]
    silence = [p for line in dictionary.silence for p in line]
    nonsilence = [p for line in dictionary.nonsilence for p in line]
    phones = ["<eps>", *silence, *nonsilence, *disambig]
    word_table = ["<eps>", *words, "#0", "<s>", "</s>"]
    phone_ids = {p: i for i, p in enumerate(phones)}
    word_ids = {w: i for i, w in enumerate(word_table)}

    lang_dir = Path(lang_dir)
    lang_dir.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{lang_dir.name}.", dir=lang_dir.parent))
    try:
        write_text_atomic(build / "phones.txt", _table(phones))
        write_text_atomic(build / "words.txt", _table(word_table))
        write_text_atomic(build / "oov.txt", f"{oov_word}\n")
        write_text_atomic(build / "oov.int", f"{word_ids[oov_word]}\n")
        _write_lists(build, "silence", silence, phone_ids)
        _write_lists(build, "nonsilence", nonsilence, phone_ids)
        _write_lists(build, "optional_silence", [dictionary.optional_silence], phone_ids)
        _write_lists(build, "disambig", disambig, phone_ids)
        _write_lists(build, "context_indep", silence, phone_ids)
        sets = dictionary.silence + dictionary.nonsilence
        _write_sets(build, "sets", sets, phone_ids)
        _write_sets(build, "roots", sets, phone_ids, prefix="shared split ")
        _write_sets(build, "extra_questions", dictionary.extra_questions, phone_ids)
        write_text_atomic(build / "phones/wdisambig.txt", "#0\n")
        write_text_atomic(build / "phones/wdisambig_phones.int", f"{phone_ids['#0']}\n")
        write_text_atomic(build / "phones/wdisambig_words.int", f"{word_ids['#0']}\n")
        align = sorted(
            {f"{w} {w} {' '.join(pron)}" for w, _, pron in dictionary.lexicon}
            | {f"<eps> <eps> {dictionary.optional_silence}"}
        )
        write_text_atomic(build / "phones/align_lexicon.txt", "".join(f"{line}\n" for line in align))
        write_text_atomic(
            build / "phones/align_lexicon.int",
            "".join(
                " ".join([str(word_ids[f[0]]), str(word_ids[f[1]]), *(str(phone_ids[p]) for p in f[2:])])
                + "\n"
                for f in (line.split() for line in align)
            ),
        )
        write_text_atomic(
            build / "topo",
            topology_text(
                [phone_ids[p] for p in nonsilence],
                [phone_ids[p] for p in silence],
                num_nonsil_states,
                num_sil_states,
            ),
        )
        sil = dictionary.optional_silence
        write_fst(_lexicon_fst(dictionary.lexicon, sil_prob, sil, None, phone_ids, word_ids), build / "L.fst")
        write_fst(
            _lexicon_fst(
                disambig_lexicon,
                sil_prob,
                sil,
                f"#{num_disambig}",
                phone_ids,
                word_ids,
                self_loops=(phone_ids["#0"], word_ids["#0"]),
            ),
            build / "L_disambig.fst",
        )
        if tmp_dir is not None:
            _write_tmp(Path(tmp_dir), dictionary.lexicon, disambig_lexicon, num_disambig)
        replace_dir(build, lang_dir)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def _write_tmp(tmp: Path, lexicon, disambig_lexicon, num_disambig: int) -> None:
    """prepare_lang.sh's intermediate files (lexiconp.txt, lexiconp_disambig.txt, lex_ndisambig)."""

    def fmt(entries):
        return "".join(f"{w}\t{p:g}\t{' '.join(pron)}\n" for w, p, pron in entries)

    write_text_atomic(tmp / "lexiconp.txt", fmt(lexicon))
    write_text_atomic(tmp / "lexiconp_disambig.txt", fmt(disambig_lexicon))
    write_text_atomic(tmp / "lex_ndisambig", f"{num_disambig}\n")


def replace_dir(build: Path, target: Path) -> None:
    """Rename ``build`` to ``target``; an existing ``target`` is removed only after the rename."""
    os.chmod(build, 0o755)  # mkdtemp makes it 0700
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(build, target)
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
