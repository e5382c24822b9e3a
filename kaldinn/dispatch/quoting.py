"""Re-quote a runner's command arguments into one bash command line.

A runner receives the job's command already split into arguments by the caller's shell,
and must hand bash a string. The rule, argument by argument:

1. Shell operator tokens stay operators: ``|``, ``||``, ``&&``, ``;``, ``&``, ``|&``, ``(``,
   ``)`` and redirections (``>``, ``>>``, ``<``, ``2>``, ``2>&1``, ``>&2``, ``&>`` ...). The
   caller writes them escaped (``\\|``, ``\\>``) so they reach the runner as arguments,
   exactly as with Kaldi's run.pl. A redirection glued to a plain file name
   (``2>/dev/null``, ``>out.txt``) also stays a redirection.
2. An argument made only of safe characters (letters, digits, ``_ - . / : = , + @ % ^``)
   and the glob characters ``* ? [ ]`` is passed unquoted, so ``exp/x/foo.*.ark`` still
   expands (Kaldi recipes rely on it).
3. Anything else (whitespace, quotes, ``$``, backticks, ``;``, ``|``, ``&``, ``<``, ``>``,
   ``\\``, ``!``, ``~``, braces, newlines, the empty string) is single-quoted, with embedded single
   quotes written ``'\\''``. Single quotes disable every expansion, so an utterance id like
   ``x;rm -rf y`` or ``$(reboot)`` reaches the program as literal text. (Kaldi uses double
   quotes here, which still expand ``$`` and backticks; kaldinn does not reproduce that.)

Example::

    quote_command(["copy-feats", "ark:a b.ark", "ark:-", "|", "gzip", "-c", ">", "x.gz"])
    # "copy-feats 'ark:a b.ark' ark:- | gzip -c > x.gz"
"""

from __future__ import annotations

import re
from collections.abc import Sequence

OPERATORS = frozenset({"|", "||", "&&", ";", "&", "|&", "(", ")", ";;"})
# Redirections: optional fd (or &), >, >> or <, optional &N / &- target.
_REDIRECT_RE = re.compile(r"^(\d*|&)(>>?|<)(&\d+|&-)?$")
_SAFE_RE = re.compile(r"^[A-Za-z0-9_\-./:=,+@%^*?\[\]]+$")
_REDIRECT_TO_FILE_RE = re.compile(r"^(\d*|&)(>>?|<)([A-Za-z0-9_\-./:=,+@%^]+)$")


def is_operator(arg: str) -> bool:
    """Whether ``arg`` is kept as a bash operator or redirection."""
    return arg in OPERATORS or bool(_REDIRECT_RE.match(arg)) or bool(_REDIRECT_TO_FILE_RE.match(arg))


def quote_arg(arg: str) -> str:
    """One argument as bash text that yields exactly ``arg`` (globs left active)."""
    if is_operator(arg) or _SAFE_RE.match(arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


def quote_command(argv: Sequence[str]) -> str:
    """The bash command line for ``argv`` following the rules in the module header."""
    return " ".join(quote_arg(arg) for arg in argv)
