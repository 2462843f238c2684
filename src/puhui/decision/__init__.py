"""Decision 自动审批: the 310 decision engine and its versioned, validated policy.

Owns the eligibility rules, the score cut-off, limit sizing, risk-based pricing and the
repayment methods offered, the decision with its trace and plain-Chinese reasons, and the
policy file with the rules of the trade it must obey (internet line cap, APR disclosure,
judicial ceiling). Pure: no SQL, HTTP or clock; a stored decision replays bit for bit.
May import: ``money``, ``schedule``, ``products``, ``errors``.
"""

from puhui.decision.engine import (
    Applicant,
    Application,
    Check,
    Decision,
    Offer,
    ScoreOutcome,
    decide,
)
from puhui.decision.policy import Policy, PolicyInvalid, load_policy, policy_from_text

__all__ = [
    "Applicant",
    "Application",
    "Check",
    "Decision",
    "Offer",
    "Policy",
    "PolicyInvalid",
    "ScoreOutcome",
    "decide",
    "load_policy",
    "policy_from_text",
]
