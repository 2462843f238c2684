"""Chinese personal and village names for simulated people (vectorised, seeded).

Surnames follow their rough frequency in Shandong; villages are often named after a founding
clan (王家庄, 李家峪), and many of their households carry that surname, so a village's
dominant surname is drawn first and about 40 % of its people share it. Given names are one
or two characters from pools typical of rural northern China for each gender. Names are
fiction: any match with a real person is chance.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SURNAMES = "王张李刘陈杨赵孙徐马朱胡郭何高林罗郑梁谢宋唐韩曹许邓冯吕孔崔魏田任姜范贾石于董袁"
#: Relative frequency of each surname above (Shandong leans on 王 张 李 刘).
SURNAME_WEIGHTS = np.array(
    [
        *(10.0, 8.5, 8.0, 7.0, 3.5, 3.0, 3.0, 3.0, 2.5, 2.5, 2.0, 1.6, 1.6, 1.4, 1.5, 1.2),
        *(1.0, 1.0, 0.9, 1.0, 1.1, 0.8, 1.0, 1.2, 1.0, 0.7, 0.9, 0.8, 1.2, 0.9, 1.0, 1.3),
        *(0.9, 1.0, 0.9, 0.8, 0.9, 1.2, 1.1, 0.7),
    ]
)
MALE_CHARS = "建国明军伟强磊涛勇刚平东海峰成志华庆福德林文兴春生祥宝胜广金保山"
FEMALE_CHARS = "秀英桂兰玉凤珍芳丽霞红梅华敏静燕艳娟芬翠云莲荣琴萍雪春美秀花菊"
VILLAGE_SUFFIXES = ("家庄", "庄", "家峪", "官庄", "家洼", "家寨", "家楼", "家沟")
ETHNICITIES: tuple[str, ...] = ("汉族", "回族", "满族")
ETHNICITY_SHARES: tuple[float, ...] = (0.995, 0.004, 0.001)
CLAN_SHARE = 0.4


def _pick(gen: np.random.Generator, pool: str, size: int) -> pa.Array:
    chars = pa.array(list(pool), type=pa.string())
    return chars.take(pa.array(gen.integers(0, len(pool), size)))


def _surname_index(gen: np.random.Generator, size: int) -> np.ndarray:
    return gen.choice(len(SURNAMES), size=size, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())


def clan_surname(clan: np.ndarray) -> np.ndarray:
    """A village's dominant surname index from its clan draw (frequency-weighted)."""
    cum = np.cumsum(SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    return np.minimum(np.searchsorted(cum, (clan % 100_000) / 100_000), len(SURNAMES) - 1)


def village_names(clan: np.ndarray) -> list[str]:
    """``王家庄村``-style names, one per village, from each village's clan draw."""
    surname = clan_surname(clan)
    suffix = (clan // 100_000) % len(VILLAGE_SUFFIXES)
    return [f"{SURNAMES[s]}{VILLAGE_SUFFIXES[x]}村" for s, x in zip(surname, suffix, strict=True)]


def make_names(gen: np.random.Generator, male: np.ndarray, village_clan: np.ndarray) -> pa.Array:
    """A name per person: clan or common surname, then one or two gendered characters."""
    n = male.size
    surname = np.where(
        gen.random(n) < CLAN_SHARE, clan_surname(village_clan), _surname_index(gen, n)
    )
    surnames = pa.array(list(SURNAMES), type=pa.string()).take(pa.array(surname))
    first_m, second_m = _pick(gen, MALE_CHARS, n), _pick(gen, MALE_CHARS, n)
    first_f, second_f = _pick(gen, FEMALE_CHARS, n), _pick(gen, FEMALE_CHARS, n)
    is_male = pa.array(male)
    first = pc.if_else(is_male, first_m, first_f)
    two_chars = pa.array(gen.random(n) < 0.75)
    second = pc.if_else(two_chars, pc.if_else(is_male, second_m, second_f), pa.scalar(""))
    return pc.binary_join_element_wise(surnames, first, second, "")
