"""Lang dirs: the reference lexicon gives what Kaldi's prepare_lang.sh made (fixtures/kaldi_hybrid/lang)."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from kaldinn.bin.prepare_lang import main as prepare_lang_main
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.hmm.lexicon_fst import add_disambig

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"
kaldifst = pytest.importorskip("kaldifst")


def make_dict(tmp_path: Path, lexicon_text: str, phones: list[str]) -> Path:
    d = tmp_path / "dict"
    d.mkdir(parents=True)
    (d / "lexicon.txt").write_text(lexicon_text)
    (d / "silence_phones.txt").write_text("SIL\n")
    (d / "optional_silence.txt").write_text("SIL\n")
    (d / "nonsilence_phones.txt").write_text("".join(f"{p}\n" for p in phones))
    (d / "extra_questions.txt").write_text("")
    return d


@pytest.fixture
def ref_dict(tmp_path):
    lexicon = (REF / "recipe" / "lexicon.txt").read_text()
    phones = sorted({p for line in lexicon.splitlines() for p in line.split()[1:]} - {"SIL"})
    return make_dict(tmp_path, lexicon, phones)


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def arc_set(path: Path):
    from kaldinn.hmm.fst import fst_arcs, read_fst

    fst = read_fst(path)
    arcs, finals = fst_arcs(fst)
    return (
        fst.start,
        fst.num_states,
        sorted((s, d, i, o, round(c, 5) + 0.0) for s, d, i, o, c in arcs),
        finals,
    )


def test_reference_lexicon_gives_kaldis_lang_dir(ref_dict, tmp_path):
    lang = tmp_path / "lang"
    assert prepare_lang_main(["--position-dependent-phones", "false", str(ref_dict), "<SIL>",
                              str(tmp_path / "lang_tmp"), str(lang)]) == 0  # fmt: skip
    assert files_under(lang) == files_under(REF / "lang") - {"G.fst"}
    for name in sorted(files_under(lang)):
        if not name.endswith(".fst"):
            assert filecmp.cmp(lang / name, REF / "lang" / name, shallow=False), name
    for name in ("L.fst", "L_disambig.fst"):
        ours, ref = arc_set(lang / name), arc_set(REF / "lang" / name)
        assert ours == ref, name  # same states (numbered alike), arcs, weights, finals
        assert kaldifst.StdVectorFst.read(str(lang / name)).is_olabel_sorted
    assert (tmp_path / "lang_tmp" / "lex_ndisambig").read_text() == "2\n"


def test_rerun_replaces_the_lang_dir(ref_dict, tmp_path):
    lang = tmp_path / "lang"
    args = ["--position-dependent-phones", "false", str(ref_dict), "<SIL>", str(tmp_path / "t"), str(lang)]
    prepare_lang_main(args)
    (lang / "stale").write_text("x")
    prepare_lang_main(args)
    assert not (lang / "stale").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_disambiguation_of_homophones_and_prefixes():
    lexicon = [("a", 1.0, ("x",)), ("b", 1.0, ("x",)), ("c", 1.0, ("x", "y")), ("d", 1.0, ("y",))]
    out, top = add_disambig(lexicon)
    assert [pron for _, _, pron in out] == [("x", "#1"), ("x", "#2"), ("x", "y"), ("y",)]
    assert top == 2


def test_options_and_bad_dicts_are_refused(ref_dict, tmp_path):
    with pytest.raises(UsageError, match="position-dependent-phones false"):
        prepare_lang_main([str(ref_dict), "<SIL>", str(tmp_path / "t"), str(tmp_path / "lang")])
    opts = ["--position-dependent-phones", "false"]
    with pytest.raises(KaldinnError, match="OOV word '<UNK>' is not in the lexicon"):
        prepare_lang_main([*opts, str(ref_dict), "<UNK>", str(tmp_path / "t"), str(tmp_path / "lang")])
    bad = make_dict(tmp_path / "bad", "<SIL> SIL\nword a q\n", ["a"])
    with pytest.raises(KaldinnError, match=r"'word' uses phones \['q'\]"):
        prepare_lang_main([*opts, str(bad), "<SIL>", str(tmp_path / "t"), str(tmp_path / "lang")])
    assert not (tmp_path / "lang").exists()


def test_corpus_phonemiser_reproduces_the_reference_lexicon(tmp_path):
    from kaldinn.bin.prepare_synth_dict import main as prepare_dict_main

    words = sorted(line.split()[0] for line in (REF / "recipe" / "lexicon.txt").read_text().splitlines())
    text = tmp_path / "text"
    text.write_text("".join(f"utt{i} {w}\n" for i, w in enumerate(words) if w != "<SIL>"))
    assert prepare_dict_main([str(text), str(tmp_path / "dict")]) == 0
    assert (tmp_path / "dict" / "lexicon.txt").read_text() == (REF / "recipe" / "lexicon.txt").read_text()
