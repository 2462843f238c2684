"""Counties the simulator knows: townships, farming calendar, where people come from.

A county is configuration, not data: township names are the real divisions of the county
(so generated files look familiar to a local risk manager), but population shares, crop
mixes and disaster exposure are illustrative values, not official statistics. Township codes
are synthetic 9-digit codes under the county's real 6-digit administrative code.

Crop calendars follow Shandong practice: winter wheat sown in October and harvested in June,
summer maize sown in June and harvested in late September–October (sold October to January),
greenhouse vegetables 大棚蔬菜 selling mostly in winter and spring, orchard fruit (peach,
apple) in July–October, peanut in September.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from puhui.errors import ValidationError

#: Land uses registered in the land-rights registry (plot crop codes).
CROPS: tuple[str, ...] = ("wheat_maize", "vegetables", "fruit", "peanut")
#: Main occupation of a household (truth only; partners see its traces, never the label).
OCCUPATIONS: tuple[str, ...] = ("grain", "vegetable", "fruit", "livestock", "wage", "merchant")

#: Gross sales value per mu per year at price index 1 (yuan).
CROP_VALUE_YUAN_PER_MU = np.array([2100.0, 12000.0, 5000.0, 1800.0])
#: Share of a crop's yearly sales falling in each calendar month (rows: CROPS; cols: Jan–Dec).
CROP_SALES_CALENDAR = np.array(
    [
        [0.05, 0.0, 0.0, 0.0, 0.0, 0.45, 0.05, 0.0, 0.0, 0.30, 0.10, 0.05],  # wheat Jun, maize Oct+
        [0.12, 0.12, 0.12, 0.10, 0.08, 0.05, 0.03, 0.02, 0.04, 0.08, 0.10, 0.14],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.15, 0.30, 0.30, 0.20, 0.05, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.70, 0.30, 0.0, 0.0],
    ]
)
#: Input costs (seed, fertiliser, film) as a share of gross value, and their months.
CROP_INPUT_SHARE = np.array([0.40, 0.35, 0.30, 0.40])
CROP_INPUT_CALENDAR = np.array(
    [
        [0.0, 0.0, 0.20, 0.0, 0.0, 0.25, 0.10, 0.0, 0.0, 0.45, 0.0, 0.0],  # maize Jun, wheat Oct
        [0.10, 0.05, 0.05, 0.05, 0.0, 0.0, 0.05, 0.30, 0.20, 0.10, 0.05, 0.05],
        [0.0, 0.0, 0.40, 0.20, 0.0, 0.20, 0.0, 0.0, 0.0, 0.0, 0.20, 0.0],
        [0.0, 0.0, 0.0, 0.60, 0.40, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ]
)
#: Logit shift of the monthly wish to borrow, by occupation (rows) and month (cols): inputs
#: are bought before sowing (grain: June and October), greenhouses are set up in August,
#: orchards fertilised in spring, shops stock up for Double Eleven and the Spring Festival.
DEMAND_SEASON_LOGIT = np.array(
    [
        [-0.3, -0.4, 0.3, 0.0, -0.2, 0.5, -0.2, -0.3, 0.3, 0.7, -0.2, -0.4],
        [0.0, 0.1, 0.0, -0.2, -0.4, -0.4, 0.0, 0.7, 0.5, 0.1, -0.2, -0.2],
        [-0.2, 0.2, 0.6, 0.4, -0.1, 0.2, -0.2, -0.4, -0.3, -0.2, 0.2, -0.2],
        [0.2, -0.2, 0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.2, 0.3],
        [-0.1, 0.4, 0.1, 0.0, -0.2, -0.2, 0.0, 0.3, 0.3, -0.1, -0.2, -0.2],
        [0.2, -0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.3, 0.6, 0.2, 0.4],
    ]
)


@dataclass(frozen=True, slots=True)
class Township:
    """One township 乡镇/街道 and what grows there."""

    code: str
    name_zh: str
    population_weight: float
    #: Share of cultivated land by crop, in :data:`CROPS` order.
    crop_mix: tuple[float, float, float, float]
    #: Relative exposure to drought (spring) and flood (July–August), 1 = county average.
    drought_exposure: float
    flood_exposure: float


@dataclass(frozen=True, slots=True)
class County:
    """A county the simulator can generate."""

    key: str
    name_zh: str
    region_code: str
    townships: tuple[Township, ...]
    #: Where residents' identity numbers were issued when not in the county itself
    #: (marriage migration from neighbouring counties and provinces), with shares.
    other_region_codes: tuple[tuple[str, float], ...]
    #: Share of residents whose number was issued in the county.
    local_share: float


def _township(
    seq: int,
    name: str,
    weight: float,
    mix: tuple[float, float, float, float],
    dry: float,
    wet: float,
) -> Township:
    return Township(f"370982{seq:03d}", name, weight, mix, dry, wet)


XINTAI = County(
    key="xintai",
    name_zh="山东省新泰市",
    region_code="370982",
    townships=(
        _township(1, "青云街道", 0.05, (0.60, 0.25, 0.05, 0.10), 0.8, 1.0),
        _township(2, "新汶街道", 0.04, (0.60, 0.20, 0.10, 0.10), 0.8, 1.0),
        _township(3, "新甫街道", 0.04, (0.55, 0.30, 0.05, 0.10), 0.8, 1.0),
        _township(101, "东都镇", 0.06, (0.70, 0.10, 0.10, 0.10), 1.0, 1.2),
        _township(102, "小协镇", 0.05, (0.65, 0.10, 0.15, 0.10), 1.1, 1.0),
        _township(103, "翟镇", 0.05, (0.70, 0.15, 0.05, 0.10), 1.0, 1.1),
        _township(104, "泉沟镇", 0.05, (0.65, 0.20, 0.05, 0.10), 1.0, 1.0),
        _township(105, "羊流镇", 0.06, (0.70, 0.10, 0.10, 0.10), 1.1, 1.0),
        _township(106, "果都镇", 0.05, (0.40, 0.10, 0.40, 0.10), 1.0, 0.9),
        _township(107, "西张庄镇", 0.05, (0.75, 0.10, 0.05, 0.10), 1.0, 1.0),
        _township(108, "天宝镇", 0.05, (0.55, 0.10, 0.25, 0.10), 1.2, 0.8),
        _township(109, "楼德镇", 0.06, (0.75, 0.15, 0.00, 0.10), 0.9, 1.4),
        _township(110, "禹村镇", 0.05, (0.75, 0.10, 0.05, 0.10), 0.9, 1.3),
        _township(111, "宫里镇", 0.05, (0.50, 0.10, 0.30, 0.10), 1.2, 0.8),
        _township(112, "谷里镇", 0.05, (0.55, 0.10, 0.25, 0.10), 1.2, 0.8),
        _township(113, "石莱镇", 0.05, (0.60, 0.10, 0.20, 0.10), 1.1, 0.9),
        _township(114, "放城镇", 0.05, (0.70, 0.10, 0.10, 0.10), 1.0, 1.1),
        _township(115, "刘杜镇", 0.05, (0.65, 0.20, 0.05, 0.10), 1.0, 1.0),
        _township(116, "汶南镇", 0.06, (0.70, 0.15, 0.05, 0.10), 0.9, 1.3),
        _township(117, "龙廷镇", 0.03, (0.45, 0.10, 0.35, 0.10), 1.3, 0.8),
    ),
    other_region_codes=(
        ("370902", 0.20),  # 泰安市泰山区
        ("370911", 0.20),  # 泰安市岱岳区
        ("370921", 0.12),  # 宁阳县
        ("370983", 0.12),  # 肥城市
        ("371321", 0.12),  # 临沂市沂南县
        ("371202", 0.08),  # 济南市莱芜区
        ("410522", 0.08),  # 河南省安阳县
        ("320382", 0.08),  # 江苏省邳州市
    ),
    local_share=0.93,
)

COUNTIES: dict[str, County] = {XINTAI.key: XINTAI}


def get_county(key: str) -> County:
    """The county called ``key``; ``SIM_COUNTY_UNKNOWN`` if the simulator does not know it."""
    county = COUNTIES.get(key.strip().lower())
    if county is None:
        raise ValidationError(
            "SIM_COUNTY_UNKNOWN",
            f"未知的县：{key!r}；可选：{', '.join(sorted(COUNTIES))}",
            f"unknown county {key!r}; known counties: {', '.join(sorted(COUNTIES))}",
        )
    return county
