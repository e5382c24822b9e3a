"""Kaldi's queue/slurm config files: how runner options map to submit-command flags.

The grammar (one directive per line, ``#`` starts a comment)::

    command sbatch --export=PATH --ntasks-per-node=1   # the fixed submit command
    option mem=* --mem-per-cpu $0                      # any value; $0 is replaced by it
    option mem=0                                       # this exact value adds no flags
    option gpu=* -p gpu --gres=gpu:$0
    default gpu=0                                      # used when the option is not given

An exact ``option name=value`` rule wins over ``option name=*``. A command-line option the
config does not describe (or a value neither rule accepts) is an error naming both.

Example::

    config = parse_queue_config("conf/slurm.conf")
    config.command + config.resolve({"mem": "4G", "num_threads": "2"})
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kaldinn.errors import ConfigError

_NAME_VALUE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$")


@dataclass
class QueueConfig:
    """A parsed config: submit command, per-option rules, defaults."""

    source: str
    command: list[str] = field(default_factory=list)
    exact: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, value) -> flags
    wildcard: dict[str, str] = field(default_factory=dict)  # name -> flags with $0
    defaults: dict[str, str] = field(default_factory=dict)

    def describes(self, name: str) -> bool:
        """Whether any ``option name=...`` rule exists for ``name``."""
        return name in self.wildcard or any(key[0] == name for key in self.exact)

    def resolve(self, options: Mapping[str, str]) -> list[str]:
        """Submit flags for ``options`` (defaults filled in), in option order.

        Each rule's flags are split like a shell would split them before ``$0`` is
        replaced, so a value holding spaces stays one argument.
        """
        merged = dict(self.defaults)
        merged.update(options)
        flags: list[str] = []
        for name, value in merged.items():
            flags.extend(self.flags_for(name, value))
        return flags

    def flags_for(self, name: str, value: str) -> list[str]:
        """Flags for one option, or ConfigError if the config does not describe it."""
        if (name, value) in self.exact:
            return shlex.split(self.exact[name, value])
        if name in self.wildcard:
            return [token.replace("$0", value) for token in shlex.split(self.wildcard[name])]
        flag = "--" + name.replace("_", "-")
        if self.describes(name):
            allowed = ", ".join(v for (n, v) in self.exact if n == name)
            raise ConfigError(
                f"{self.source}: option {flag} {value} is not allowed (values described: {allowed}); "
                f"add 'option {name}=* <flags with $0>' to the config or use an allowed value"
            )
        raise ConfigError(
            f"{self.source}: command-line option {flag} is not described in this config; "
            f"add an 'option {name}=...' line or drop {flag}"
        )


def parse_queue_config(path: str | Path) -> QueueConfig:
    """Read and parse a config file; ConfigError names the file and line at fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(
            f"cannot read config file {path}: {err.strerror}; check the --config path"
        ) from None
    return parse_queue_config_text(text, str(path))


def parse_queue_config_text(text: str, source: str = "<config>") -> QueueConfig:
    """Parse config text; ``source`` names it in error messages."""
    config = QueueConfig(source=source)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        directive, _, rest = line.partition(" ")
        rest = rest.strip()
        where = f"{source}:{lineno}"
        if directive == "command":
            if not rest:
                raise ConfigError(f"{where}: 'command' needs the submit command, e.g. 'command sbatch'")
            config.command = shlex.split(rest)
        elif directive in ("option", "default"):
            _add_rule(config, directive, rest, where)
        else:
            raise ConfigError(
                f"{where}: cannot parse {raw.strip()!r}; lines must start with command, option or default"
            )
    if not config.command:
        raise ConfigError(f"{source}: no 'command ...' line; add one, e.g. 'command sbatch --export=PATH'")
    return config


def _add_rule(config: QueueConfig, directive: str, rest: str, where: str) -> None:
    head, _, flags = rest.partition(" ")
    match = _NAME_VALUE_RE.match(head)
    if not match:
        raise ConfigError(f"{where}: expected '{directive} name=value ...', got {rest!r}")
    name, value = match.groups()
    flags = flags.strip()
    if directive == "default":
        if value == "*" or flags:
            raise ConfigError(f"{where}: 'default' takes one name=value and no flags, got {rest!r}")
        config.defaults[name] = value
    elif value == "*":
        if "$0" not in flags:
            raise ConfigError(f"{where}: 'option {name}=*' flags must use $0 for the value")
        config.wildcard[name] = flags
    else:
        config.exact[name, value] = flags
