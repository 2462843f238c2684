"""The message catalogue: every key a template uses exists, in both languages, alike."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from puhui.loans import AssetClass, LineStatus, LoanStatus
from puhui.schedule import Method
from puhui.web import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"
KEY = re.compile(r"""t\(\s*'([a-z0-9_.]+)'\s*[,)]""")
TUPLE_KEY = re.compile(r"""'((?:nav|staff\.nav)\.[a-z_]+)'""")


def template_keys() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys |= set(KEY.findall(text)) | set(TUPLE_KEY.findall(text))
    return keys


def test_every_template_key_is_in_the_catalogue():
    keys = template_keys()
    assert len(keys) > 100
    assert sorted(keys - set(i18n.CATALOGUE)) == []


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("line_status", [s.value for s in LineStatus]),
        ("loan_status", [s.value for s in LoanStatus]),
        ("asset_class", [c.value for c in AssetClass]),
        ("method", [m.value for m in Method]),
        ("role", ["borrower", "officer", "risk", "admin", "government"]),
        ("entry", ["drawdown", "repayment", "deposit", "withdraw", "servicing"]),
    ],
)
def test_every_domain_value_has_a_label(prefix, values):
    assert [v for v in values if f"{prefix}.{v}" not in i18n.CATALOGUE] == []


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_are_filled_and_take_the_same_values():
    for key, (zh, en) in i18n.CATALOGUE.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_english_text_has_no_chinese_except_the_switch():
    han = re.compile(r"[\u4e00-\u9fff]")
    offenders = [k for k, (_, en) in i18n.CATALOGUE.items() if han.search(en)]
    assert offenders == ["lang.switch"]


def test_translator_fills_values_and_refuses_unknown_keys():
    t = i18n.translator("en")
    assert t("loan.number", id=7) == "Loan #7"
    assert i18n.translator("zh")("loan.number", id=7) == "借款 #7"
    assert t("entry.unknown_kind", default="unknown_kind") == "unknown_kind"
    with pytest.raises(KeyError):
        t("no.such.key")
