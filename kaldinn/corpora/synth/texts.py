"""Prompt generation: English digit strings and numbers in words, numerals for other languages.

English prompts are generated as words, so the transcript is exactly what espeak speaks.
Other languages get numerals ("4721 38"), which espeak reads in that language's own number
words: the content stays comparable across languages for language identification. The
isolated-word task draws single words from ``WORDS_VOCABULARY`` (digits plus commands).

Example::

    rng = np.random.default_rng(0)
    english_prompt(rng, max_digits=5)   # ['three', 'oh', 'one'] or ['forty', 'two']
    number_words(4721)                  # ['four', 'thousand', 'seven', 'hundred', 'twenty', 'one']
    isolated_words(rng, 3)              # e.g. ['left', 'seven', 'go']
"""

from __future__ import annotations

import numpy as np

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS = (
    "ten", "eleven", "twelve", "thirteen", "fourteen",
    "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# Every word an English prompt can contain (the closed vocabulary of the digits task).
ENGLISH_VOCABULARY = tuple(sorted({"oh", "hundred", "thousand", *ONES, *TEENS, *TENS[2:]}))
# Short commands as in Speech Commands; with the ten digits, the classes of the words task.
COMMAND_WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
WORDS_VOCABULARY = ONES + COMMAND_WORDS


def number_words(n: int) -> list[str]:
    """American English words for ``0 <= n < 1_000_000`` (no "and")."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_words supports 0..999999, got {n}")
    if n == 0:
        return ["zero"]
    words: list[str] = []
    thousands, rest = divmod(n, 1000)
    if thousands:
        words += _below_thousand(thousands) + ["thousand"]
    if rest:
        words += _below_thousand(rest)
    return words


def _below_thousand(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(TENS[tens])
        if ones:
            words.append(ONES[ones])
    elif rest >= 10:
        words.append(TEENS[rest - 10])
    elif rest:
        words.append(ONES[rest])
    return words


def digit_words(digits: str, rng: np.random.Generator) -> list[str]:
    """Read a digit string one digit at a time; a 0 is "zero" or "oh" at random."""
    return [("oh" if rng.random() < 0.5 else "zero") if d == "0" else ONES[int(d)] for d in digits]


def english_prompt(rng: np.random.Generator, max_digits: int) -> list[str]:
    """A connected-digit string (60%) or a number in words (40%), at most ``max_digits`` long."""
    if rng.random() < 0.6:
        length = int(rng.integers(min(3, max_digits), max_digits + 1))
        return digit_words(_random_digits(rng, length), rng)
    length = int(rng.integers(1, min(max_digits, 6) + 1))
    return number_words(int(rng.integers(10 ** (length - 1) if length > 1 else 0, 10**length)))


def isolated_words(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` single-word prompts, every word of the vocabulary once per round.

    Rounds are random permutations, so a speaker saying ``len(WORDS_VOCABULARY)`` words
    covers every class once and the classes of a split stay balanced. A speaker with fewer
    words than the vocabulary (the tiny preset) says the first ``count`` words, so every
    split still holds the same classes.
    """
    vocabulary = WORDS_VOCABULARY[: min(count, len(WORDS_VOCABULARY))]
    words: list[str] = []
    while len(words) < count:
        words += [vocabulary[int(i)] for i in rng.permutation(len(vocabulary))]
    return words[:count]


def numeral_prompt(rng: np.random.Generator, max_groups: int) -> str:
    """One to ``max_groups`` numbers of 1-4 digits written as numerals ("4721 38")."""
    groups = int(rng.integers(1, max_groups + 1))
    numbers = []
    for _ in range(groups):
        length = int(rng.integers(1, 5))
        numbers.append(str(int(rng.integers(10 ** (length - 1) if length > 1 else 0, 10**length))))
    return " ".join(numbers)


def _random_digits(rng: np.random.Generator, length: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, size=length))
