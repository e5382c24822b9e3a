"""Job dispatch: the runners behind ``utils/run.py`` (and the Slurm / Grid Engine ones).

Modules: ``args`` (the ``[opts] [JOB=a:b] <log> <command...>`` grammar), ``queue_config``
(Kaldi's queue/slurm config files), ``quoting`` (argv -> bash command line), ``logfile``
(Kaldi log markers), ``jobs`` (the Job/Runner contract), ``local`` (the local back end),
``gpus`` (device discovery and slots), ``cli`` (the shared front end), ``submit``
(``run_jobs`` for step scripts). Nothing here imports torch.

Example::

    from kaldinn.dispatch import run_jobs
    run_jobs("utils/run.py", "exp/x/log/echo.JOB.log", ["echo", "JOB"], nj=2)
"""

from kaldinn.dispatch.submit import run_jobs

__all__ = ["run_jobs"]
