"""The firm-profile contract, declared once.

Everything that reads firms (the CSV and Parquet readers, the DataFrame path, the pydantic
:class:`~alignscore.FirmProfile`, the rules' type checks, the synthetic generator) is driven by
the :data:`COLUMNS` table below, so the ways in can never drift apart. The contract itself is
``docs/firm-profile.md``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "COLUMNS",
    "CONTEXT_COLUMNS",
    "LABEL_COLUMNS",
    "OWNERSHIPS",
    "PROFILE_COLUMNS",
    "PROVINCES",
    "PROVINCE_ALIASES",
    "SECTORS",
    "VENUES",
    "Column",
    "Kind",
    "column",
]


class Kind(StrEnum):
    """How a column's cells are parsed."""

    TEXT = "text"
    CATEGORY = "category"
    FRACTION = "fraction"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"


SECTORS: tuple[str, ...] = (
    # hard tech and state priorities
    "semiconductors", "semiconductor_equipment", "ai", "industrial_software",
    "enterprise_software", "cloud_computing", "computing_hardware", "big_data", "cybersecurity",
    "telecom_equipment", "robotics", "industrial_automation", "iot", "advanced_manufacturing",
    "new_materials", "clean_energy", "batteries", "electric_vehicles", "biotech",
    "aerospace_defense", "quantum_computing",
    # consumer internet ("soft tech")
    "e_commerce", "social_media", "online_gaming", "online_education", "consumer_fintech",
    "ride_hailing", "food_delivery", "live_streaming", "short_video", "online_media",
    "search_advertising", "online_recruitment", "logistics_platform", "cryptocurrency",
    # other
    "consumer_electronics", "home_appliances", "data_centers", "real_estate",
    "traditional_manufacturing", "other",
)  # fmt: skip

OWNERSHIPS: tuple[str, ...] = ("central_soe", "local_soe", "state_invested", "private")

VENUES: tuple[str, ...] = (
    "star", "bse", "chinext", "sse_main", "szse_main", "hkex", "us", "unlisted", "other",
)  # fmt: skip

PROVINCES: tuple[str, ...] = (
    "Anhui", "Beijing", "Chongqing", "Fujian", "Gansu", "Guangdong", "Guangxi", "Guizhou",
    "Hainan", "Hebei", "Heilongjiang", "Henan", "Hubei", "Hunan", "Inner Mongolia", "Jiangsu",
    "Jiangxi", "Jilin", "Liaoning", "Ningxia", "Qinghai", "Shaanxi", "Shandong", "Shanghai",
    "Shanxi", "Sichuan", "Tianjin", "Tibet", "Xinjiang", "Yunnan", "Zhejiang",
    "Hong Kong", "Macau", "overseas",
)  # fmt: skip

_PROVINCE_ZH = {
    "安徽": "Anhui", "北京": "Beijing", "重庆": "Chongqing", "福建": "Fujian", "甘肃": "Gansu",
    "广东": "Guangdong", "广西": "Guangxi", "贵州": "Guizhou", "海南": "Hainan", "河北": "Hebei",
    "黑龙江": "Heilongjiang", "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan",
    "内蒙古": "Inner Mongolia", "江苏": "Jiangsu", "江西": "Jiangxi", "吉林": "Jilin",
    "辽宁": "Liaoning", "宁夏": "Ningxia", "青海": "Qinghai", "陕西": "Shaanxi", "山东": "Shandong",
    "上海": "Shanghai", "山西": "Shanxi", "四川": "Sichuan", "天津": "Tianjin", "西藏": "Tibet",
    "新疆": "Xinjiang", "云南": "Yunnan", "浙江": "Zhejiang", "香港": "Hong Kong", "澳门": "Macau",
    "澳門": "Macau", "海外": "overseas", "境外": "overseas",
}  # fmt: skip
_PROVINCE_FULL = {
    "广西壮族自治区": "Guangxi", "内蒙古自治区": "Inner Mongolia", "宁夏回族自治区": "Ningxia",
    "新疆维吾尔自治区": "Xinjiang", "西藏自治区": "Tibet", "香港特别行政区": "Hong Kong",
    "澳门特别行政区": "Macau",
}  # fmt: skip
#: Chinese names of the provinces (广东, 广东省, 北京市, 广西壮族自治区) -> the contract's pinyin.
PROVINCE_ALIASES: dict[str, str] = {
    **_PROVINCE_ZH,
    **{zh + suffix: py for zh, py in _PROVINCE_ZH.items() for suffix in ("省", "市", "自治区")},
    **_PROVINCE_FULL,
}

#: Longest text accepted in a cell (a firm name, a ticker, a label's evidence line).
MAX_TEXT_LENGTH = 1000


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    ``minimum``/``maximum`` bound numbers (inclusive); a ``maximum`` of ``None`` on
    ``founded_year`` is filled with the current year when parsing. ``percent`` says whether
    ``35%`` is read as 0.35. ``actionable`` marks the inputs a firm can change, for levers.
    """

    name: str
    kind: Kind
    meaning: str
    vocabulary: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    percent: bool = False
    required: bool = False
    actionable: bool = False
    #: other spellings accepted for a category value (e.g. Chinese province names)
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def expected(self) -> str:
        """What a valid cell looks like, in words, for error messages."""
        if self.kind is Kind.CATEGORY:
            return "one of " + ", ".join(self.vocabulary)
        if self.kind is Kind.BOOLEAN:
            return "true/false, yes/no or 1/0"
        if self.kind is Kind.FRACTION:
            return "a fraction from 0 to 1 (or a percentage such as 35%)"
        if self.kind is Kind.DATE:
            return "a date as YYYY-MM-DD"
        if self.kind is Kind.TEXT:
            return "non-empty text" if self.required else "text"
        low = "0" if self.minimum == 0 else f"{self.minimum:g}"
        high = f" to {self.upper_bound():g}" if self.upper_bound() is not None else " or more"
        noun = "a whole number" if self.kind is Kind.INTEGER else "a number"
        return f"{noun} from {low}{high}" if self.minimum is not None else noun

    def upper_bound(self) -> float | None:
        if self.name == "founded_year":
            return float(_dt.date.today().year)
        return self.maximum


def _c(name: str, kind: Kind, meaning: str, **kw: object) -> Column:
    # kw are Column's optional fields, each checked where the table below is written
    return Column(name, kind, meaning, **kw)  # type: ignore[arg-type]


PROFILE_COLUMNS: tuple[Column, ...] = (
    _c("name", Kind.TEXT, "firm name as the user knows it", required=True),
    _c("ticker", Kind.TEXT, "exchange code, if listed"),
    _c("sector", Kind.CATEGORY, "the firm's main line of business", vocabulary=SECTORS),
    _c("overseas_revenue_share", Kind.FRACTION, "share of revenue earned outside mainland China",
       minimum=0.0, maximum=1.0, percent=True, actionable=True),
    _c("government_revenue_share", Kind.FRACTION,
       "share of revenue from government bodies and state-owned enterprises",
       minimum=0.0, maximum=1.0, percent=True, actionable=True),
    _c("little_giant", Kind.BOOLEAN, "on MIIT's national-level Little Giant list", actionable=True),
    _c("ownership", Kind.CATEGORY, "who controls the firm", vocabulary=OWNERSHIPS),
    _c("listing_venue", Kind.CATEGORY, "where its main listing is", vocabulary=VENUES,
       actionable=True),
    _c("hq_province", Kind.CATEGORY,
       "province-level region of headquarters, in pinyin (Chinese names such as 广东 accepted)",
       vocabulary=PROVINCES, aliases=tuple(PROVINCE_ALIASES.items())),
    _c("rd_intensity", Kind.NUMBER, "R&D spending / revenue", minimum=0.0, percent=True,
       actionable=True),
    _c("sm_intensity", Kind.NUMBER, "selling and marketing spending / revenue", minimum=0.0,
       percent=True, actionable=True),
    _c("consumer_mau_m", Kind.NUMBER, "monthly active consumer users, in millions", minimum=0.0),
    _c("personal_data_intensive", Kind.BOOLEAN,
       "the core business collects consumers' personal data at scale"),
    _c("us_restricted", Kind.BOOLEAN, "on a US restriction list (Entity List, NS-CMIC, 1260H)"),
    _c("state_project", Kind.BOOLEAN,
       "contractor on a major national or state project, or designated supplier", actionable=True),
    _c("founded_year", Kind.INTEGER, "year founded", minimum=1800.0),
    _c("revenue_cny_bn", Kind.NUMBER, "latest annual revenue, billions of yuan", minimum=0.0),
    _c("employees", Kind.INTEGER, "head count", minimum=0.0),
)  # fmt: skip

#: Read whenever present: the date a row describes (rules' effective windows use it per row).
CONTEXT_COLUMNS: tuple[Column, ...] = (
    _c("as_of", Kind.DATE, "the date the profile describes (YYYY-MM-DD)"),
)

#: Present in labelled data only (training and evaluation).
LABEL_COLUMNS: tuple[Column, ...] = (
    _c("favoured", Kind.BOOLEAN, "1 = the state's stance in the period was supportive"),
    _c("label_evidence", Kind.TEXT, "the documented event behind the label"),
)

COLUMNS: tuple[Column, ...] = PROFILE_COLUMNS + CONTEXT_COLUMNS + LABEL_COLUMNS
_BY_NAME = {c.name: c for c in COLUMNS}


def column(name: str) -> Column:
    """The declaration of column ``name`` (``KeyError`` if the contract has none)."""
    return _BY_NAME[name]
