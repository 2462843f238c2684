"""The feature catalogue 特征目录: every feature's name, source partner, window and meaning.

The names are a contract with the scoring engine and the 310 decision (stable; a change bumps
:data:`FEATURE_VERSION`). ``docs/features.md`` documents each one (a test checks every name
appears there). Units are in the names (``_yuan``, ``_mu``, ``_months``, ``_days``); amounts
are floats in yuan here because a feature vector is a model input, not money.

``monotone`` is the obvious direction of risk, in the scoring engine's terms: ``increasing``
means a larger value never lowers the probability of default (more overdue history → more
risk). ``fill`` is the value for a person with no such facts at all (a count of zero events);
``None`` leaves it missing (no data is not the same as zero).

Protected attributes (gender, ethnicity) are never features; they and the other fairness
groups are returned beside the features (:data:`GROUP_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from puhui.data.sources import Partner

FEATURE_VERSION = "2026.2"
#: Columns returned beside the features for fairness reports — never model inputs.
GROUP_COLUMNS: tuple[str, ...] = ("gender", "ethnicity", "age_band", "township")
#: Of those, the protected attributes in the scoring engine's sense.
PROTECTED_COLUMNS: tuple[str, ...] = ("gender", "ethnicity")


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    partner: Partner
    window: str
    label_zh: str
    monotone: str = "none"
    fill: float | None = None


_P, _G, _E, _L = Partner.PLATFORM, Partner.GOVERNMENT, Partner.ECOMMERCE, Partner.LENDER


def _inflow() -> list[FeatureSpec]:
    specs = []
    for months in (3, 6, 12):
        specs += [
            FeatureSpec(
                f"inflow_mean_{months}m_yuan", _P, f"{months} months", f"近{months}月月均收入"
            ),
            FeatureSpec(f"inflow_cv_{months}m", _P, f"{months} months", f"近{months}月收入波动"),
            FeatureSpec(f"inflow_trend_{months}m", _P, f"{months} months", f"近{months}月收入趋势"),
        ]
    return specs


FEATURES: tuple[FeatureSpec, ...] = (
    # payment platform 支付平台
    *_inflow(),
    FeatureSpec("inflow_seasonality_12m", _P, "12 months", "收入季节性强度"),
    FeatureSpec("inflow_drop_3m_vs_12m", _P, "3 / 12 months", "近3月收入相对近12月"),
    FeatureSpec("outflow_to_inflow_6m", _P, "6 months", "支出收入比"),
    FeatureSpec("balance_end_mean_3m_yuan", _P, "3 months", "月末余额均值"),
    FeatureSpec("bill_late_share_12m", _P, "12 months", "生活缴费逾期占比", "increasing"),
    FeatureSpec("bill_payments_12m", _P, "12 months", "生活缴费笔数"),
    FeatureSpec("login_days_mean_3m", _P, "3 months", "月均登录天数"),
    FeatureSpec(
        "login_days_1m_vs_12m", _P, "1 / 12 months", "上月登录天数相对近12月", "decreasing"
    ),
    FeatureSpec("platform_account_months", _P, "since opening", "账户开立月数"),
    FeatureSpec("device_changes_12m", _P, "12 months", "换机次数", "increasing", 0.0),
    # social graph 社交关系 (platform transfers; contacts' status from the lender)
    FeatureSpec("contacts_12m", _P, "12 months", "转账联系人数"),
    FeatureSpec(
        "contacts_overdue_share",
        _P,
        "12 months / last month-end",
        "联系人当前逾期占比",
        "increasing",
    ),
    FeatureSpec(
        "contacts_90dpd_share",
        _P,
        "12 months / last month-end",
        "联系人逾期90天以上占比",
        "increasing",
    ),
    # county government 政府数据
    FeatureSpec("age_years", _G, "as of", "年龄"),
    FeatureSpec("household_size", _G, "registry", "家庭人口"),
    FeatureSpec("education_level", _G, "registry", "受教育程度（0 小学…3 大专以上）"),
    FeatureSpec(
        "pension_months_5y", _G, "5 calendar years", "近5年养老保险缴费月数", "decreasing", 0.0
    ),
    FeatureSpec(
        "pension_continuity_5y", _G, "5 calendar years", "近5年缴费连续性", "decreasing", 0.0
    ),
    FeatureSpec("pension_streak_years", _G, "all years", "连续缴费年数", "decreasing", 0.0),
    FeatureSpec("pension_grade_yuan", _G, "latest year", "缴费档次（元/年）"),
    FeatureSpec("land_area_mu", _G, "registered before", "确权土地面积（亩）", fill=0.0),
    FeatureSpec("land_plots", _G, "registered before", "地块数", fill=0.0),
    FeatureSpec("land_share_wheat_maize", _G, "registered before", "小麦玉米面积占比"),
    FeatureSpec("land_share_vegetables", _G, "registered before", "蔬菜面积占比"),
    FeatureSpec("land_share_fruit", _G, "registered before", "果园面积占比"),
    FeatureSpec("land_share_peanut", _G, "registered before", "花生面积占比"),
    FeatureSpec("subsidy_land_12m_yuan", _G, "12 months", "近12月耕地地力补贴", fill=0.0),
    FeatureSpec("machinery_subsidies", _G, "all before", "农机购置补贴次数", fill=0.0),
    FeatureSpec("machinery_subsidy_yuan", _G, "all before", "农机购置补贴金额", fill=0.0),
    FeatureSpec("disaster_notices_6m", _G, "6 months", "本乡镇近6月灾情通报数", "increasing", 0.0),
    FeatureSpec(
        "disaster_severity_6m",
        _G,
        "6 months",
        "本乡镇近6月最高灾情等级（4=Ⅰ级）",
        "increasing",
        0.0,
    ),
    # e-commerce 电商
    FeatureSpec("has_shop", _E, "opened before", "是否开店", fill=0.0),
    FeatureSpec("shop_age_months", _E, "since opening", "开店月数"),
    FeatureSpec("shop_sales_mean_3m_yuan", _E, "3 months", "近3月月均销售额"),
    FeatureSpec("shop_sales_mean_12m_yuan", _E, "12 months", "近12月月均销售额"),
    FeatureSpec("shop_sales_trend_12m", _E, "12 months", "销售趋势"),
    FeatureSpec("shop_refund_rate_6m", _E, "6 months", "退款率", "increasing"),
    FeatureSpec("shop_rating_6m", _E, "6 months", "店铺评分"),
    # on-platform repayment history 本平台借还记录
    FeatureSpec("lender_line_months", _L, "since first line", "首次授信至今月数"),
    FeatureSpec("draws_count", _L, "all before", "累计支用笔数", fill=0.0),
    FeatureSpec("draws_12m", _L, "12 months", "近12月支用笔数", fill=0.0),
    FeatureSpec("max_dpd_ever", _L, "all month-ends before", "历史最大逾期天数", "increasing", 0.0),
    FeatureSpec(
        "max_dpd_12m", _L, "12 months of month-ends", "近12月最大逾期天数", "increasing", 0.0
    ),
    FeatureSpec(
        "months_past_due_12m", _L, "12 months of month-ends", "近12月逾期月数", "increasing", 0.0
    ),
    FeatureSpec("dpd_now", _L, "last month-end", "当前逾期天数", "increasing", 0.0),
    FeatureSpec("outstanding_principal_yuan", _L, "last month-end", "当前贷款余额", fill=0.0),
    FeatureSpec("late_repayments", _L, "all before", "逾期还款次数", "increasing", 0.0),
    FeatureSpec("prepayments", _L, "all before", "提前还款次数", fill=0.0),
    FeatureSpec("since_last_repayment_days", _L, "all before", "距上次还款天数"),
    FeatureSpec("penalty_paid_yuan", _L, "all before", "已付罚息", "increasing", 0.0),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in FEATURES}
