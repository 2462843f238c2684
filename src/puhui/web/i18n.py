"""The message catalogue 文案: every string the pages show, in Chinese and English.

One entry per key, both languages side by side, so a string cannot exist in one language only.
Templates call ``t('key')`` (``t('key', n=3)`` fills ``{n}``); Python code never holds UI text.
Chinese is written for a farmer reading on a cheap phone: short sentences, plain words.

To add a string: add ``"area.name": ("中文", "English")`` below and use ``t('area.name')``;
``tests/web/test_i18n.py`` fails if a template uses a key that is missing here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from puhui.errors import PuhuiError

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

CATALOGUE: dict[str, tuple[str, str]] = {
    "app.name": ("普惠信用贷", "Puhui Credit"),
    "lang.switch": ("English", "中文"),
    "list.sep": ("、", ", "),
    # navigation
    "nav.label": ("主菜单", "Main menu"),
    "nav.line": ("额度", "My line"),
    "nav.loans": ("借款", "Loans"),
    "nav.wallet": ("钱包", "Wallet"),
    "nav.notifications": ("消息", "Messages"),
    "nav.logout": ("退出", "Log out"),
    # landing
    "landing.title": ("纯信用贷款", "Pure-credit loans"),
    "landing.headline": (
        "种地、做生意，缺钱就来借",
        "Money for your farm or shop, when you need it",
    ),
    "landing.lead": (
        "给农户和小商户的纯信用贷款：不要抵押，不要担保，手机上就能办。",
        "Pure-credit loans for farmers and small merchants: no collateral, no guarantor, "
        "all on your phone.",
    ),
    "landing.310": (
        "3 分钟申请 · 1 秒审批 · 全程无人工",
        "3-minute application · 1-second approval · no paperwork",
    ),
    "landing.amount": ("额度", "Amount"),
    "landing.amount_range": ("{low} – {high} 元", "{low} – {high} yuan"),
    "landing.terms": ("期限", "Terms"),
    "landing.terms_months": ("{terms} 个月", "{terms} months"),
    "landing.repay": ("还款", "Repayment"),
    "landing.repay_any_time": (
        "随借随还，额度可循环使用",
        "Borrow and repay any time; the line revolves",
    ),
    "landing.no_collateral": ("纯信用：无抵押、无担保", "Pure credit: no collateral, no guarantor"),
    "landing.price_by_credit": (
        "按信用定价，信用越好利率越低",
        "Priced on your credit: better credit, lower rate",
    ),
    "landing.early_no_fee": (
        "提前还款只算到当天的利息，不收手续费",
        "Repay early: interest only to that day, no fee",
    ),
    "landing.register": ("立即注册", "Sign up"),
    "landing.login": ("登录", "Log in"),
    "landing.continue": ("{name}，继续", "Continue as {name}"),
    "landing.window": (
        "没有智能手机？请到村里的合作社服务窗口，信贷员帮您办理。",
        "No smartphone? The cooperative window in your village will help you.",
    ),
    "landing.bye": ("您已安全退出。", "You have logged out."),
    # register and log in
    "register.title": ("注册", "Sign up"),
    "register.why": (
        "只需三项。其余信息经您同意后，从县里已有的数据中获取，不用您再填。",
        "Just three things. Everything else comes, with your consent, from records the county "
        "already keeps.",
    ),
    "register.password_hint": (
        "至少 8 位，要有字母和数字",
        "At least 8 characters, letters and digits",
    ),
    "register.name_hint": ("请填身份证上的名字", "As on your ID card"),
    "register.id_hint": (
        "18 位居民身份证号，只加密保存，页面上只显示前后各 4 位",
        "18-character resident ID; kept only encrypted and shown masked",
    ),
    "register.submit": ("注册并登录", "Sign up and log in"),
    "register.have_account": ("已有账号？", "Already signed up?"),
    "login.title": ("登录", "Log in"),
    "login.submit": ("登录", "Log in"),
    "login.no_account": ("还没有账号？", "No account yet?"),
    "field.phone": ("手机号", "Mobile number"),
    "field.password": ("密码", "Password"),
    "field.name": ("真实姓名", "Real name"),
    "field.id_number": ("身份证号", "ID number"),
    "field.amount": ("借款金额", "Amount to borrow"),
    "field.repay_amount": ("还款金额", "Amount to repay"),
    "field.term": ("借多久", "Term"),
    "field.method": ("还款方式", "Repayment method"),
    # apply and offer (see web/apply.py)
    "apply.title": ("申请额度", "Apply for a credit line"),
    "apply.consent_title": ("我们会用哪些信息", "What information we use"),
    "apply.consent_intro": (
        "经您同意，我们查询以下信息来评估您的额度，不用您提交材料：",
        "With your consent we look up the following to size your line — no papers to bring:",
    ),
    "apply.data_social": ("农村社保缴费记录", "Rural social-insurance contributions"),
    "apply.data_land": ("土地确权登记", "Land-rights registry"),
    "apply.data_subsidy": ("农机和农业补贴记录", "Farm-machinery and farming subsidies"),
    "apply.data_repayment": ("您在本社的存款和还款记录", "Your deposits and repayments with us"),
    "apply.consent_use": (
        "这些信息只用于给您授信和贷后服务；您可以随时撤回同意。",
        "Used only to grant and service your line; you can withdraw consent at any time.",
    ),
    "apply.consent_check": (
        "我同意贷款机构为评估授信使用以上信息",
        "I agree the lender may use the information above to assess my line",
    ),
    "apply.consent_needed": ("请先勾选同意", "Please tick the consent box first"),
    "apply.identity_needed": (
        "在线申请需要实名信息（姓名和身份证号）。请到合作社服务窗口由信贷员帮您办理。",
        "Applying online needs your real name and ID number; the cooperative window can help.",
    ),
    "apply.submit": ("提交申请（约 1 秒出结果）", "Apply (decision in about a second)"),
    "apply.has_line": ("您已获得授信额度，额度 {limit}", "You already have a line of {limit}"),
    "apply.see_offer": ("查看我的额度", "See my line"),
    "offer.title": ("审批结果", "Your decision"),
    "offer.approved": ("恭喜，已获授信", "Approved"),
    "offer.declined": ("很抱歉，暂未通过", "Not approved this time"),
    "offer.automated": (
        "本次审批由系统自动完成，全程无人工干预。",
        "This decision was made automatically, with no person involved.",
    ),
    "offer.score": ("信用评分 {points} 分（{band} 级）", "Credit score {points} (band {band})"),
    "offer.reasons": ("原因", "Why"),
    "offer.codes": ("原因代码", "Reason codes"),
    "offer.review_intro": (
        "如您对结果有异议，可以申请由信贷员人工复核（个人信息保护法第二十四条）。",
        "If you disagree, you may ask for a person to review it (PIPL art. 24).",
    ),
    "offer.review_note": ("补充说明（可不填）", "Anything to add (optional)"),
    "offer.review_submit": ("申请人工复核", "Ask for a human review"),
    "offer.review_sent": (
        "已提交人工复核，信贷员会尽快联系您。",
        "Sent for human review; an officer will contact you.",
    ),
    "offer.granted_by_lender": (
        "额度在有效期内可循环使用，随借随还。",
        "Reusable until it expires; borrow and repay any time.",
    ),
    "offer.to_line": ("查看额度详情", "Line details"),
    "offer.none": ("您还没有申请", "You have not applied yet"),
    # prices (PBoC: APR next to any other rate)
    "price.apr": ("年化利率", "APR"),
    "price.daily": ("日利率", "Daily rate"),
    "price.daily_with_apr": ("{daily}（年化 {apr}）", "{daily} (APR {apr})"),
    # credit line
    "line.title": ("我的额度", "My credit line"),
    "line.hello": ("{name}，您好", "Hello, {name}"),
    "line.available": ("可借额度", "Available"),
    "line.limit": ("总额度", "Limit"),
    "line.methods": ("还款方式", "Repayment methods"),
    "line.expires": ("有效期至", "Valid until"),
    "line.draw": ("去借款", "Borrow"),
    "line.not_drawable": ("这笔额度现在不能借款。", "This line cannot be drawn now."),
    "line.none": ("您还没有额度。", "You have no credit line yet."),
    "line_status.active": ("正常", "Active"),
    "line_status.frozen": ("已冻结", "Frozen"),
    "line_status.closed": ("已关闭", "Closed"),
    "method.equal_installment": ("等额本息（每月还款相同）", "Equal instalments"),
    "method.equal_principal": ("等额本金（每月本金相同）", "Equal principal"),
    "method.interest_first": ("先息后本（到期还本）", "Interest first, principal at maturity"),
    "method.seasonal": ("按季节还本（收获月还本）", "Principal in harvest months"),
    # draw
    "draw.title": ("借款", "Borrow"),
    "draw.available": ("可借 {amount}", "{amount} available"),
    "draw.amount_placeholder": ("例如 5000", "e.g. 5000"),
    "draw.amount_hint": ("最少 {low} 元，最多 {high}", "At least {low} yuan, at most {high}"),
    "draw.months": ("{n} 个月", "{n} months"),
    "draw.submit": ("确认借款", "Confirm and borrow"),
    "draw.to_wallet": ("钱马上到您的钱包。", "The money arrives in your wallet at once."),
    "preview.hint": (
        "填好金额，这里会显示每期还多少和年化利率。",
        "Enter an amount to see each payment and the APR.",
    ),
    "preview.first": ("第一期", "First payment"),
    "preview.total_interest": ("利息合计", "Total interest"),
    "preview.total": ("本息合计", "Total to repay"),
    "preview.rows": ("还款计划（共 {n} 期）", "Schedule ({n} payments)"),
    # wallet and statement
    "wallet.title": ("钱包", "Wallet"),
    "wallet.balance": ("钱包余额", "Wallet balance"),
    "wallet.arrived": ("{amount} 已到账", "{amount} has arrived"),
    "wallet.arrived_detail": (
        "借款 #{id} 已放款到您的钱包。",
        "Loan #{id} was paid into your wallet.",
    ),
    "wallet.see_schedule": ("查看还款计划", "See the schedule"),
    "wallet.explain": (
        "借到的钱放在钱包里；还款时可以从钱包扣。",
        "Borrowed money lands here; repayments can come from here.",
    ),
    "statement.title": ("账单", "Statement"),
    "statement.balance": ("余额 {amount}", "Balance {amount}"),
    "statement.none": ("还没有收支记录。", "No movements yet."),
    "entry.drawdown": ("借款到账", "Loan paid in"),
    "entry.repayment": ("还款", "Repayment"),
    "entry.deposit": ("银行卡转入", "From bank card"),
    "entry.withdraw": ("转出到银行卡", "To bank card"),
    "entry.servicing": ("到期自动扣款", "Automatic payment"),
    # loans and schedules
    "loans.title": ("我的借款", "My loans"),
    "loans.open": ("在借", "Open loans"),
    "loans.none": ("您还没有借款。", "You have no loans."),
    "loans.outstanding_hint": ("右边是剩余本金。", "The right column is principal still owed."),
    "loan.number": ("借款 #{id}", "Loan #{id}"),
    "loan.outstanding": ("剩余本金", "Principal owed"),
    "loan.principal": ("借款金额", "Amount borrowed"),
    "loan.start": ("借款日", "Drawn on"),
    "loan.maturity": ("到期日", "Matures on"),
    "loan.next_due": ("下次还款", "Next payment"),
    "loan.dpd": ("逾期天数", "Days past due"),
    "loan.days": ("{n} 天", "{n} days"),
    "loan.repay": ("还款", "Repay"),
    "loan.repaid": ("还款成功，谢谢！", "Repayment received. Thank you!"),
    "loan_status.active": ("还款中", "Repaying"),
    "loan_status.overdue": ("已逾期", "Overdue"),
    "loan_status.paid_off": ("已结清", "Paid off"),
    "loan_status.written_off": ("已核销", "Written off"),
    "schedule.title": ("还款计划", "Repayment schedule"),
    "schedule.seq": ("期", "No."),
    "schedule.due": ("还款日", "Due"),
    "schedule.payment": ("应还", "Payment"),
    "schedule.interest": ("利息", "Interest"),
    "schedule.nth": ("第 {n} 期", "Payment {n}"),
    "schedule.prepayment": ("提前还款", "Early repayment"),
    "schedule.split": (
        "本金 {principal} + 利息 {interest}",
        "principal {principal} + interest {interest}",
    ),
    "schedule.settled": ("已还清", "Paid"),
    "schedule.overdue": ("已逾期", "Overdue"),
    "schedule.paid": ("已还 {amount}", "{amount} paid"),
    "schedule.unpaid": ("待还", "To pay"),
    # repay
    "repay.title": ("还款", "Repay"),
    "repay.payoff": ("今天全部结清", "Settle in full today"),
    "repay.payoff_note": (
        "提前还款：利息只算到今天，不收任何手续费。",
        "Early repayment: interest only to today, no fee of any kind.",
    ),
    "repay.how_much": ("还多少", "How much"),
    "repay.some": ("还一部分（先还到期的，多的提前还本金）", "Part (dues first, the rest prepays)"),
    "repay.full": ("全部结清 {amount}", "Settle in full: {amount}"),
    "repay.from": ("从哪里扣款", "Pay from"),
    "repay.from_wallet": ("钱包（余额 {amount}）", "Wallet (balance {amount})"),
    "repay.from_card": ("银行卡", "Bank card"),
    "repay.submit": ("确认还款", "Confirm repayment"),
    # notifications
    "notifications.title": ("消息", "Messages"),
    "notifications.none": (
        "暂时没有消息。还款日前 7 天，我们会在这里提醒您。",
        "No messages. We remind you here 7 days before each payment.",
    ),
    "notice.overdue": ("已逾期 {n} 天，请尽快还款", "{n} days overdue — please repay soon"),
    "notice.today": ("今天是还款日", "Payment due today"),
    "notice.soon": ("{n} 天后还款", "Payment due in {n} days"),
    # errors
    "error.title": ("出了点问题", "Something went wrong"),
    "error.code": ("错误代码", "Code"),
    "error.request_id": ("请求编号", "Request id"),
    "error.home": ("回首页", "Home"),
    "error.login": ("去登录", "Log in"),
    "err.csrf": ("页面已过期，请刷新后重试", "This page has expired; reload it and try again"),
    "err.form": (
        "表单填写有误，请检查后重试",
        "The form is incomplete or invalid; please check it",
    ),
    "err.term": ("请选择借款期限", "Choose a term"),
    "err.no_customer": ("该账号没有借款人资料", "This account has no borrower record"),
    # staff
    "role.officer": ("信贷员", "Loan officer"),
    "role.risk": ("风控", "Risk"),
    "role.admin": ("管理员", "Administrator"),
    "role.government": ("政府", "Government"),
    "role.borrower": ("借款人", "Borrower"),
    "staff.nav.book": ("客户与借款", "Borrowers and loans"),
    "staff.nav.inclusion": ("普惠成效", "Inclusion dashboard"),
    "staff.nav.portfolio": ("资产质量", "Portfolio quality"),
    "staff.scope_county": ("范围：{county}", "Scope: {county}"),
    "staff.scope_all": ("范围：全部", "Scope: whole book"),
    "staff.aggregates_only": ("汇总数据，不含个人信息", "Aggregates only, no personal data"),
    "staff.lines": ("授信额度（{n}）", "Credit lines ({n})"),
    "staff.loans": ("借据（{n}，逾期天数从高到低）", "Loans ({n}, most days past due first)"),
    "staff.line": ("额度", "Line"),
    "staff.loan": ("借据", "Loan"),
    "staff.customer": ("客户", "Customer"),
    "staff.status": ("状态", "Status"),
    "staff.outstanding": ("余额", "Outstanding"),
    "staff.class": ("五级分类", "Classification"),
    "staff.township": ("乡镇", "Township"),
    "staff.freeze": ("冻结", "Freeze"),
    "staff.unfreeze": ("解冻", "Unfreeze"),
    "staff.done.freeze": ("额度 #{id} 已冻结。", "Line #{id} is frozen."),
    "staff.done.unfreeze": ("额度 #{id} 已解冻。", "Line #{id} is active again."),
    "staff.watch": ("重点关注（逾期天数最多的借据）", "Watch list (most days past due)"),
    "staff.no_data": ("暂无数据", "No data"),
    "staff.no_overdue": ("没有逾期借据", "No overdue loans"),
    "kpi.customers": ("覆盖客户", "Customers reached"),
    "kpi.lines_active": ("授信户数", "Active lines"),
    "kpi.borrowers_now": ("当前用信户数", "Borrowing now"),
    "kpi.usage": ("用信率", "Share borrowing"),
    "kpi.outstanding": ("贷款余额", "Outstanding"),
    "kpi.npl": ("不良余额 · 不良率", "NPL · NPL ratio"),
    "chart.by_township": ("各乡镇贷款余额", "Outstanding by township"),
    "chart.by_class": ("贷款五级分类", "Loans by classification"),
    "unit.wan": ("万元", "10k yuan"),
    "asset_class.normal": ("正常", "Normal"),
    "asset_class.special_mention": ("关注", "Special mention"),
    "asset_class.substandard": ("次级", "Substandard"),
    "asset_class.doubtful": ("可疑", "Doubtful"),
    "asset_class.loss": ("损失", "Loss"),
}


class Translate(Protocol):
    def __call__(self, key: str, default: str | None = None, **values: object) -> str: ...


def translator(lang: str) -> Translate:
    """``t(key, **values)`` in ``lang``; ``default`` stands in for a key built from data."""
    index = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str, default: str | None = None, **values: object) -> str:
        entry = CATALOGUE.get(key)
        if entry is None:
            if default is None:
                raise KeyError(f"message {key!r} is not in the catalogue (puhui.web.i18n)")
            return default
        text = entry[index]
        return text.format(**values) if values else text

    return t


E = TypeVar("E", bound=PuhuiError)


def error(kind: Callable[[str, str, str], E], code: str, key: str) -> E:
    """A domain-shaped error of ``kind`` whose sentences are catalogue entry ``key``."""
    zh, en = CATALOGUE[key]
    return kind(code, zh, en)
