"""Feature store 特征库: point-in-time features per person, and the training table.

Owns, as pure functions over pandas frames of stored facts (one frame per source of
``puhui.data.sources``, people named by person key):

- ``asof`` — the point-in-time rule: a fact is used as of ``D`` only if it was known before
  ``D`` (a ``month`` row from the first day of the next month, an event from the day after);
- ``windows`` — 3/6/12-month statistics over a persons × months matrix (mean, volatility,
  trend, seasonality);
- ``payments``, ``government``, ``merchant``, ``history`` — the features by partner;
  ``catalogue`` — every feature's name, partner, window, direction of risk;
- ``build`` — all persons at once, masked by each person's consent scope; fairness groups
  (gender, ethnicity, age band, township) returned beside, never inside, the features;
- ``training`` — the training table (features as of ``T``, label = more than 90 days past due
  within 12 months after ``T``, groups, optional oracle PD for evaluation) and its YAML config.

Invariants: never reads the clock; never reads ``truth/`` except ``training.oracle_pd`` (an
evaluation column, named ``oracle_*``, never a feature); protected attributes never enter the
feature columns.

May import: ``puhui.errors``, ``puhui.data`` (source catalogue, consent rules), pandas, numpy,
PyYAML — never ``store``, ``services`` or ``cli`` (import-linter contract).
"""
