"""Statistics over records: pure functions, no I/O, no model calls.

- :mod:`.consistency`: rationale-consistency metrics in both modes (``paper`` and ``reference``), bootstrap
  intervals and summaries;
- :mod:`.paired`: comparisons between models (paired bootstrap, Holm) and between evaluators (agreement), label
  rates with sample-level bootstrap intervals;
- :mod:`.ralign`: R-Align's L-Acc, S-Corr and F-Score.
"""
