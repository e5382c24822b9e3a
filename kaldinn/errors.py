"""Exceptions raised by kaldinn library code.

Every message is written for the user: it names the file, line or key at fault and, where
there is one, the command that fixes it. Command-line wrappers (``kaldinn.cli``) print the
message as one line on stderr and exit 1.
"""


class KaldinnError(Exception):
    """Base class of every error kaldinn reports to a user."""


class UsageError(KaldinnError):
    """Bad command-line usage; CLIs exit with code 2."""


class TableError(KaldinnError):
    """An rspecifier/wspecifier, scp/ark file or table entry is malformed or unreadable."""


class DataDirError(KaldinnError):
    """A Kaldi data directory breaks a rule (sorting, keys, missing files, ...)."""


class AudioError(KaldinnError):
    """A recording cannot be read, or disagrees with what the caller expects."""


class DispatchError(KaldinnError):
    """A job runner was misused, or jobs failed."""


class ConfigError(KaldinnError):
    """A configuration file or option is invalid."""


class WriteError(KaldinnError):
    """The operating system refused a write (full disk, read-only file system, permissions, quota)."""

    def __init__(self, path: object, cause: OSError):
        self.path, self.cause = str(path), cause
        super().__init__(f"cannot write {path}: {cause.strerror or cause}")


class LockError(KaldinnError):
    """Another running job holds the directory this step writes."""


class ModelError(KaldinnError):
    """A Kaldi model file (final.mdl, transition model) or alignment disagrees with its format or model."""
