"""County simulator 县域模拟器: a seeded digital twin of a rural county and its lender.

Owns: the generative model of a county (people, land, crops, prices, disasters, kin circles,
income and spending), the files each partner would deliver (government, payment platform,
e-commerce), the lending under the default product and grant policy (lines, draws,
repayments, delinquency, defaults), the ground truth (monthly PD per person), calibration to
the seed figures, and a dated behaviour-event stream. ``docs/simulator.md`` explains the model;
``docs/data-sources.md`` is the contract of every file written.

Invariants
- Reproducible: a seed fixes every number; the same seed gives byte-identical files
  (named random streams, fixed Parquet writer settings, no timestamps anywhere).
- Never reads the clock; dates come from the run's start month.
- Money in files is integer fen (``*_fen``); rates are ``rate_annual_e8``; never floats.
- Every identity number is valid (GB 11643) and unique in a run; user ids are unique.
- ``truth/`` is for evaluation only; nothing else is derived from it after the fact, and the
  event stream never includes it.
- Lateness for want of cash cures within two months; only a default reaches 90+ days past
  due, so the truth PD is exactly the hazard of the event behind the 90+ label.

May import: ``puhui.errors``, ``puhui.money``, ``puhui.schedule``, ``puhui.products``,
``puhui.idcard``, numpy, pandas, pyarrow, the standard library — never store/api/web/cli.

Entry points: :func:`make_config` → :func:`generate` (write a run folder) or :func:`run` (into
any :class:`~puhui.sim.output.Sink`); :func:`measure` / :func:`report` for calibration;
:func:`behaviour_events` for the event stream.
"""

from puhui.sim.calibration import TARGETS, measure, report
from puhui.sim.config import DisasterSpec, ModelParams, SimConfig, make_config
from puhui.sim.engine import RunSummary, generate, run
from puhui.sim.events import behaviour_events, read_run
from puhui.sim.output import MemorySink, ParquetSink
from puhui.sim.schemas import SCHEMAS

__all__ = [
    "SCHEMAS",
    "TARGETS",
    "DisasterSpec",
    "MemorySink",
    "ModelParams",
    "ParquetSink",
    "RunSummary",
    "SimConfig",
    "behaviour_events",
    "generate",
    "make_config",
    "measure",
    "read_run",
    "report",
    "run",
]
