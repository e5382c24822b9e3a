"""A Kaldi dict dir (data/local/dict) for the synthetic corpus, from its own phonemiser.

Each word is spoken alone by eSpeak NG with the voice the corpus uses for its language
(``en`` for the digits) and its phoneme events become the pronunciation exactly as the corpus
turns events into frame labels (``alignment.normalise_phone``: stress marks stripped, pauses
dropped). The dict dir holds what ``utils/prepare_lang.py`` (and Kaldi's prepare_lang.sh)
reads: lexicon.txt (``<oov-word> SIL`` first), silence_phones.txt (SIL),
optional_silence.txt (SIL), nonsilence_phones.txt (one phone a line, sorted) and an empty
extra_questions.txt.

Example::

    lexicon = phonemise(["one", "two"], voice="en")   # {"one": ["w", "0", "n"], ...}
    write_dict_dir("data/local/dict", lexicon, oov_word="<SIL>")
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from kaldinn.corpora.synth.alignment import SILENCE, normalise_phone
from kaldinn.errors import KaldinnError
from kaldinn.io.atomic import write_text_atomic


def phonemise(words: Iterable[str], voice: str = "en") -> dict[str, list[str]]:
    """Each word's phone sequence as the corpus phonemiser produces it for ``voice``."""
    from kaldinn.corpora.synth.espeak import Synthesizer, VoiceSettings

    synthesizer = Synthesizer.shared()
    lexicon: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        _, events = synthesizer.synthesize(word, VoiceSettings(voice))
        phones = [p for p in (normalise_phone(symbol) for symbol, _ in events) if p != SILENCE]
        if not phones:
            raise KaldinnError(f"eSpeak NG gave no phones for the word {word!r} (voice {voice})")
        lexicon[word] = phones
    return lexicon


def words_of_text(path: str | os.PathLike) -> list[str]:
    """The distinct words of a Kaldi ``text`` file (``<utt> <word>...`` lines), sorted."""
    words: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                raise KaldinnError(f"{path}:{lineno}: empty line; run utils/fix_data_dir.py on its data dir")
            words.update(fields[1:])
    if not words:
        raise KaldinnError(f"{path} holds no words")
    return sorted(words)


def write_dict_dir(
    dict_dir: str | os.PathLike, lexicon: Mapping[str, Sequence[str]], oov_word: str = "<SIL>"
) -> None:
    """Write a Kaldi dict dir; ``oov_word`` is pronounced as silence, as in Kaldi's recipes."""
    dict_dir = Path(dict_dir)
    if oov_word in lexicon:
        raise KaldinnError(f"the OOV word {oov_word!r} is also a lexicon word; choose another --oov-word")
    phones = sorted({p for pron in lexicon.values() for p in pron})
    if SILENCE in phones:
        raise KaldinnError(f"a pronunciation uses the silence phone {SILENCE}")
    lines = [f"{oov_word} {SILENCE}"] + [f"{w} {' '.join(lexicon[w])}" for w in sorted(lexicon)]
    write_text_atomic(dict_dir / "lexicon.txt", "".join(sorted(f"{line}\n" for line in lines)))
    write_text_atomic(dict_dir / "silence_phones.txt", f"{SILENCE}\n")
    write_text_atomic(dict_dir / "optional_silence.txt", f"{SILENCE}\n")
    write_text_atomic(dict_dir / "nonsilence_phones.txt", "".join(f"{p}\n" for p in phones))
    write_text_atomic(dict_dir / "extra_questions.txt", "")
