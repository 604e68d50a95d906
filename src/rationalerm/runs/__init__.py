"""The runs: one module a job, each an async run ``x_async`` and its sync form ``x`` (:func:`.runner.sync_form`).

``judge`` (MetaJudge), ``tag``, ``generate`` (GenRM), ``decompose``, ``metarm`` (``golden`` too), ``bench``
(JudgeBench, RM-Bench) write rows through the one resumable runner, :mod:`.runner` over
:class:`rationalerm.io.resume.ResumableOutput`; ``evaluate``, ``analyze``, ``agree``, ``prepare_rl`` and ``train``
read inputs and write reports. Layers: runs import report, reward, integrations and everything below them; nothing
below imports runs (the import-linter contract in pyproject.toml keeps it so).
"""
