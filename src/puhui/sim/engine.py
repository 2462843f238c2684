"""Run a simulation: generate the county, step it month by month, hand rows to a sink.

The order of a run is fixed (it is part of reproducibility): people → government files and
registers → prices and disasters → grant at launch → for each month: economy, behaviour,
lending, platform and e-commerce, truth. Each step draws from its own named random stream
(``timeline.rng``), so a seed fixes every number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from puhui.sim import lending
from puhui.sim.behaviour import month_choices
from puhui.sim.config import SimConfig
from puhui.sim.county import OCCUPATIONS
from puhui.sim.economy import initial_state, make_world, step_economy
from puhui.sim.government import government_tables, register_tables
from puhui.sim.lending import METHODS, REPAYMENT_KINDS, LoanBook, MonthRows, open_book
from puhui.sim.output import ParquetSink, Sink, publish, staging_dir, write_manifest
from puhui.sim.platform import _fen, initial_platform, platform_month
from puhui.sim.policy import grant_lines, product_terms
from puhui.sim.population import Population, generate_population
from puhui.sim.schemas import labels, table
from puhui.sim.timeline import Timeline, make_timeline, rng

#: Progress callback: (stage label, steps done, steps in total).
Progress = Callable[[str, int, int], None]
SETUP_STEPS = 3


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run produced (also written to ``manifest.json``)."""

    county: str
    people: int
    months: int
    seed: int
    start: str
    product_code: str
    granted: int
    draws: int

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    """Default progress callback: ignore."""


def run(config: SimConfig, sink: Sink, progress: Progress = _no_progress) -> RunSummary:
    """Simulate ``config`` and write every table to ``sink`` (closed at the end)."""
    total = SETUP_STEPS + config.months
    timeline = make_timeline(config.start, config.months)
    pop = generate_population(config)
    progress("people 人口", 1, total)
    gov, facts = government_tables(pop, config, timeline)
    registers, shop_id = register_tables(pop, config)
    for name, chunk in {**gov, **registers}.items():
        sink.write(name, chunk)
    world = make_world(pop, config, timeline)
    sink.write("government/disaster_notices", world.notices)
    progress("government 政府数据", 2, total)

    params = config.params
    terms = product_terms(config.product_code, len(params.term_shares))
    grant = grant_lines(pop, facts, terms, config)
    prefers = rng(config.seed, "lending-preferences").random(pop.n) < params.interest_first_share
    book, launch_lines = open_book(grant, terms, params, timeline, prefers)
    sink.write("lender/lines", _lines_table(pop, terms.code, [launch_lines]))
    progress("grant 授信", 3, total)

    economy = initial_state(pop, world, config.seed)
    platform = initial_platform(pop, world.expected_month_yuan, rng(config.seed, "platform-0"))
    draws = 0
    for t in range(config.months):
        economy, flows = step_economy(pop, world, economy, config, timeline, t)
        choices = month_choices(pop, flows, params, book, int(timeline.month[t]))
        rows = lending.step(book, t, choices, rng(config.seed, f"lending-{t}"))
        platform, tables = platform_month(
            pop,
            flows,
            platform,
            book.defaulted,
            shop_id,
            timeline,
            t,
            rng(config.seed, f"platform-{t}"),
        )
        for name, chunk in tables.items():
            sink.write(name, chunk)
        draws += _write_lender_month(sink, pop, book, rows, terms.code)
        sink.write(
            "truth/monthly",
            table(
                "truth/monthly",
                {
                    "id_number": pop.id_number,
                    "month": np.full(pop.n, timeline.first_day[t]),
                    "pd_month": choices.pd,
                    "in_default": book.defaulted,
                    "true_income_fen": _fen(flows.income_yuan),
                },
            ),
        )
        progress(f"month 月 {t + 1}/{config.months}", SETUP_STEPS + t + 1, total)

    sink.write("truth/persons", _truth_persons(pop, book, timeline))
    sink.close()
    return RunSummary(
        county=config.county.key,
        people=config.people,
        months=config.months,
        seed=config.seed,
        start=config.start.isoformat(),
        product_code=terms.code,
        granted=int(grant.granted.sum()),
        draws=draws,
    )


def generate(
    config: SimConfig, out: Path, *, overwrite: bool = False, progress: Progress = _no_progress
) -> RunSummary:
    """Write a run's partner folders under ``out`` atomically (see ``output.publish``)."""
    staging = staging_dir(out, overwrite=overwrite)
    sink = ParquetSink(staging)
    summary = run(config, sink, progress)
    write_manifest(staging, summary.as_dict(), sink.rows)
    publish(staging, out)
    return summary


def _lines_table(pop: Population, product_code: str, chunks: list[dict]) -> pa.Table:
    cols = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    renewal = cols.pop("renewal_of")
    person = cols.pop("person")
    return table(
        "lender/lines",
        {
            **cols,
            "id_number": pop.id_number.take(pa.array(person)),
            "product_code": labels([product_code], np.zeros(person.size, dtype=np.int64)),
            "renewal_of": pa.array(renewal, mask=renewal < 0),
        },
    )


def _write_lender_month(
    sink: Sink, pop: Population, book: LoanBook, rows: MonthRows, product_code: str
) -> int:
    if rows.lines:
        sink.write("lender/lines", _lines_table(pop, product_code, rows.lines))
    draws = {k: v for k, v in rows.draws.items() if k != "person"}
    sink.write("lender/draws", table("lender/draws", draws))
    pay = {k: np.concatenate([c[k] for c in rows.repayments]) for k in rows.repayments[0]}
    order = np.lexsort((pay["kind"], pay["draw_id"], pay["repay_date"]))
    pay = {k: v[order] for k, v in pay.items()}
    pay["kind"] = labels(REPAYMENT_KINDS, pay["kind"])
    sink.write("lender/repayments", table("lender/repayments", pay))
    status = {k: v for k, v in rows.status.items() if k != "person"}
    sink.write("lender/monthly_status", table("lender/monthly_status", status))
    return int(draws["draw_id"].size)


def _truth_persons(pop: Population, book: LoanBook, timeline: Timeline) -> pa.Table:
    default_t = book.default_t
    return table(
        "truth/persons",
        {
            "id_number": pop.id_number,
            "user_id": pa.array(pop.user_id, mask=~pop.has_account),
            "occupation": labels(OCCUPATIONS, pop.occupation),
            "ability": pop.ability,
            "willingness": pop.willingness,
            "need": pop.need,
            "digital_share": pop.digital_share,
            "circle_id": pop.circle,
            "granted": book.granted,
            "default_month": pa.array(
                timeline.first_day[np.maximum(default_t, 0)].astype(np.int32),
                type=pa.date32(),
                mask=default_t < 0,
            ),
        },
    )


__all__ = ["METHODS", "Progress", "RunSummary", "generate", "run"]
