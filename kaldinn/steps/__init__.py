"""Step logic behind the scripts in ``steps/``: check inputs, split, dispatch, merge.

Each module exposes ``main(argv=None) -> int``; ``steps/<name>.py`` is a thin shim.
"""
