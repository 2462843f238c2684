"""Ledger domain: entries balance; the hash chain names any edit, removal or reordering."""

from dataclasses import replace
from datetime import date

import pytest

from puhui.errors import InvariantViolation, ValidationError
from puhui.ledger import (
    GENESIS_HASH,
    AccountKind,
    Leg,
    StoredEntry,
    account_code,
    chain_hash,
    make_entry,
    verify_chain,
)

DAY = date(2026, 1, 15)


def test_entry_balances_and_drops_zero_legs():
    entry = make_entry(
        "k1",
        "drawdown",
        DAY,
        [Leg("loan_principal:1", "wallet:1", 500), Leg("settlement", "wallet:1", 0)],
    )
    assert len(entry.legs) == 1
    assert sum(entry.net_by_account().values()) == 0


@pytest.mark.parametrize(
    "leg",
    [Leg("wallet:1", "wallet:1", 5), Leg("settlement", "wallet:1", -5)],
)
def test_bad_legs_are_refused(leg):
    with pytest.raises(InvariantViolation):
        make_entry("k", "x", DAY, [leg])


def test_unknown_account_and_empty_key_are_refused():
    with pytest.raises(ValidationError):
        make_entry("k", "x", DAY, [Leg("cash_box", "wallet:1", 5)])
    with pytest.raises(ValidationError):
        make_entry("", "x", DAY, [Leg("settlement", "wallet:1", 5)])


def test_account_codes():
    assert account_code(AccountKind.WALLET, 7) == "wallet:7"
    assert account_code(AccountKind.INTEREST_INCOME) == "interest_income"
    with pytest.raises(ValidationError):
        account_code(AccountKind.WALLET)


def _chain(n: int) -> list[StoredEntry]:
    out, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        legs = [(1, 2, seq * 100)]
        digest = chain_hash(prev, seq, f"k{seq}", "test", DAY, "", legs)
        out.append(StoredEntry(seq, f"k{seq}", "test", DAY, "", legs, prev, digest))
        prev = digest
    return out


def test_intact_chain_has_no_problems():
    chain = _chain(5)
    assert list(verify_chain(chain, head=(5, chain[-1].hash))) == []


def test_edited_amount_is_named():
    chain = _chain(5)
    chain[2] = replace(chain[2], legs=[(1, 2, 999)])
    problems = list(verify_chain(chain))
    assert problems[0].seq == 3
    assert "edited" in problems[0].reason


def test_removed_entry_is_named():
    chain = _chain(5)
    del chain[1]
    problems = list(verify_chain(chain))
    assert problems[0].seq == 3
    assert "missing" in problems[0].reason


def test_reordered_entries_are_named():
    chain = _chain(5)
    chain[1], chain[2] = chain[2], chain[1]
    problems = list(verify_chain(chain))
    assert {p.seq for p in problems} >= {3}


def test_truncated_tail_is_detected_by_the_head():
    chain = _chain(5)
    problems = list(verify_chain(chain[:3], head=(5, chain[-1].hash)))
    assert problems
    assert "cut off" in problems[-1].reason
