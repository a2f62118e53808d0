"""The demo city as plain data: 南昌市 with three of its counties, their streets and townships.

Codes follow the national scheme (GB/T 2260 + the statistics bureau's township
codes): county 6 digits, township +3 (街道 0xx, 镇 1xx, 乡 2xx), village +3
(社区 0xx, 村 2xx), grid +3. Township and county names are real; community and
village names are plausible, not a survey. Populations are rounded and only
need to look right on a dashboard: the other districts of the city (东湖区,
青山湖区, 新建区, 红谷滩区, 进贤县, 安义县) are not modelled, so the city total
is larger than the sum of its modelled children.
"""

from dataclasses import dataclass, field

from disputes.rules.enums import Colour
from grids.models import DepartmentKind, Role

K = DepartmentKind


@dataclass(frozen=True)
class Village:
    name: str
    name_en: str

    @property
    def is_community(self) -> bool:
        return self.name.endswith("社区")


@dataclass(frozen=True)
class Township:
    code: str  # the three digits after the county code
    name: str
    name_en: str
    population: int
    villages: tuple[Village, ...]

    @property
    def short(self) -> str:
        """南浦 for 南浦街道: police stations are named this way."""
        for suffix in ("街道", "镇", "乡"):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name


@dataclass(frozen=True)
class County:
    code: str
    name: str
    name_en: str
    townships: tuple[Township, ...]
    # Department names that do not follow the "{county}{suffix}" pattern.
    natural_resources: str
    traffic_police: str

    @property
    def population(self) -> int:
        return sum(t.population for t in self.townships)


def _v(*pairs: str) -> tuple[Village, ...]:
    return tuple(Village(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2))


CITY_CODE = "360100"
CITY_NAME = "南昌市"
CITY_NAME_EN = "Nanchang"
CITY_POPULATION = 6_500_000

COUNTIES: tuple[County, ...] = (
    County(
        "360103",
        "西湖区",
        "Xihu District",
        (
            Township(
                "001",
                "南浦街道",
                "Nanpu Subdistrict",
                42_000,
                _v("船山社区", "Chuanshan", "孺子亭社区", "Ruziting", "中山西路社区", "Zhongshan Xilu"),
            ),
            Township(
                "002",
                "朝阳洲街道",
                "Chaoyangzhou Subdistrict",
                60_000,
                _v("朝阳社区", "Chaoyang", "抚河社区", "Fuhe", "朝农社区", "Chaonong", "西站社区", "Xizhan"),
            ),
            Township(
                "003",
                "广润门街道",
                "Guangrunmen Subdistrict",
                30_000,
                _v("翠花街社区", "Cuihuajie", "棉花市社区", "Mianhuashi"),
            ),
            Township(
                "004",
                "十字街街道",
                "Shizijie Subdistrict",
                35_000,
                _v("十字街社区", "Shizijie", "环湖社区", "Huanhu", "松柏巷社区", "Songbaixiang"),
            ),
            Township(
                "005",
                "系马桩街道",
                "Ximazhuang Subdistrict",
                38_000,
                _v("系马桩社区", "Ximazhuang", "铁街社区", "Tiejie"),
            ),
            Township(
                "006",
                "绳金塔街道",
                "Shengjinta Subdistrict",
                45_000,
                _v("绳金塔社区", "Shengjinta", "进外社区", "Jinwai", "谢家村社区", "Xiejiacun"),
            ),
            Township(
                "007",
                "桃源街道",
                "Taoyuan Subdistrict",
                70_000,
                _v("桃源社区", "Taoyuan", "洪城社区", "Hongcheng", "三眼井社区", "Sanyanjing", "桃花社区", "Taohua"),
            ),
            Township(
                "008",
                "丁公路街道",
                "Dinggonglu Subdistrict",
                55_000,
                _v("丁公路社区", "Dinggonglu", "南站社区", "Nanzhan", "抚生路社区", "Fushenglu"),
            ),
            Township(
                "009",
                "西湖街道",
                "Xihu Subdistrict",
                50_000,
                _v("西湖社区", "Xihu", "孺子路社区", "Ruzilu", "筷子巷社区", "Kuaizixiang"),
            ),
            Township(
                "100",
                "桃花镇",
                "Taohua Town",
                105_000,
                _v("沙井社区", "Shajing", "碟子湖社区", "Diezihu", "桃花村", "Taohua", "联盟村", "Lianmeng"),
            ),
        ),
        natural_resources="南昌市自然资源和规划局西湖分局",
        traffic_police="南昌市公安局交通管理局西湖大队",
    ),
    County(
        "360104",
        "青云谱区",
        "Qingyunpu District",
        (
            Township(
                "001",
                "洪都街道",
                "Hongdu Subdistrict",
                75_000,
                _v("洪都社区", "Hongdu", "洪都新村社区", "Hongdu Xincun", "洪都北社区", "Hongdubei"),
            ),
            Township(
                "002",
                "京山街道",
                "Jingshan Subdistrict",
                60_000,
                _v("京山社区", "Jingshan", "老街社区", "Laojie", "京东社区", "Jingdong"),
            ),
            Township(
                "003", "岱山街道", "Daishan Subdistrict", 55_000, _v("岱山社区", "Daishan", "东方社区", "Dongfang")
            ),
            Township(
                "004",
                "徐家坊街道",
                "Xujiafang Subdistrict",
                45_000,
                _v("徐家坊社区", "Xujiafang", "青云社区", "Qingyun", "长胜社区", "Changsheng"),
            ),
            Township(
                "005",
                "三家店街道",
                "Sanjiadian Subdistrict",
                65_000,
                _v("三家店社区", "Sanjiadian", "广州路社区", "Guangzhoulu", "江纺社区", "Jiangfang"),
            ),
            Township(
                "100",
                "青云谱镇",
                "Qingyunpu Town",
                70_000,
                _v("梅湖社区", "Meihu", "施尧村", "Shiyao", "新谱村", "Xinpu", "昌南村", "Changnan"),
            ),
        ),
        natural_resources="南昌市自然资源和规划局青云谱分局",
        traffic_police="南昌市公安局交通管理局青云谱大队",
    ),
    County(
        "360121",
        "南昌县",
        "Nanchang County",
        (
            Township(
                "100",
                "莲塘镇",
                "Liantang Town",
                260_000,
                _v("莲塘社区", "Liantang", "澄湖社区", "Chenghu", "东新村", "Dongxin", "莲西村", "Lianxi"),
            ),
            Township(
                "101",
                "向塘镇",
                "Xiangtang Town",
                110_000,
                _v("向塘社区", "Xiangtang", "剑霞村", "Jianxia", "高田村", "Gaotian"),
            ),
            Township(
                "102",
                "三江镇",
                "Sanjiang Town",
                60_000,
                _v("三江社区", "Sanjiang", "前后万村", "Qianhouwan", "徐罗村", "Xuluo"),
            ),
            Township("103", "塘南镇", "Tangnan Town", 50_000, _v("塘南社区", "Tangnan", "肖坊村", "Xiaofang")),
            Township(
                "104", "幽兰镇", "Youlan Town", 65_000, _v("幽兰社区", "Youlan", "东山村", "Dongshan", "涂村", "Tucun")
            ),
            Township("105", "蒋巷镇", "Jiangxiang Town", 45_000, _v("蒋巷社区", "Jiangxiang", "柏岗村", "Baigang")),
            Township(
                "106",
                "武阳镇",
                "Wuyang Town",
                55_000,
                _v("武阳社区", "Wuyang", "下王村", "Xiawang", "上寺村", "Shangsi"),
            ),
            Township(
                "107",
                "冈上镇",
                "Gangshang Town",
                60_000,
                _v("冈上社区", "Gangshang", "月池村", "Yuechi", "西滩村", "Xitan"),
            ),
            Township("108", "广福镇", "Guangfu Town", 50_000, _v("广福社区", "Guangfu", "北山村", "Beishan")),
            Township("200", "八一乡", "Bayi Township", 35_000, _v("八一村", "Bayi", "罗渡村", "Luodu")),
            Township(
                "201",
                "黄马乡",
                "Huangma Township",
                40_000,
                _v("黄马社区", "Huangma", "白马村", "Baima", "凤凰村", "Fenghuang"),
            ),
            Township("202", "泾口乡", "Jingkou Township", 50_000, _v("泾口社区", "Jingkou", "辕门村", "Yuanmen")),
            Township(
                "203",
                "南新乡",
                "Nanxin Township",
                30_000,
                _v("南新村", "Nanxin", "楼前村", "Louqian", "东联村", "Donglian"),
            ),
            Township("204", "塔城乡", "Tacheng Township", 40_000, _v("塔城村", "Tacheng", "东游村", "Dongyou")),
        ),
        natural_resources="南昌县自然资源局",
        traffic_police="南昌县公安局交通管理大队",
    ),
)

GRID_ORDINALS = ("第一网格", "第二网格", "第三网格")
# Deterministic, uneven shares so villages and grids do not all look alike.
SHARE_PATTERN = (1.0, 0.8, 1.25, 0.9, 1.1, 0.7)


def split_population(total: int, parts: int, offset: int = 0) -> list[int]:
    """Split `total` into `parts` uneven shares that sum to exactly `total`."""
    weights = [SHARE_PATTERN[(offset + i) % len(SHARE_PATTERN)] for i in range(parts)]
    shares = [int(total * w / sum(weights)) for w in weights]
    shares[0] += total - sum(shares)
    return shares


def grids_per_village(village_population: int) -> int:
    return 3 if village_population >= 15_000 else 2


# --- Categories -----------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    name_en: str
    base_colour: int
    sort_order: int
    # Relative share of cases: neighbour and family rows are the bulk of the work.
    weight: float


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("family", "家庭婚姻情感纠纷", "Family, marriage and relationships", Colour.WHITE, 10, 20),
    CategorySpec("neighbour", "邻里纠纷", "Neighbours", Colour.WHITE, 20, 22),
    CategorySpec("daily_life", "生活纠纷", "Daily life", Colour.WHITE, 30, 9),
    CategorySpec("debt", "经济债务纠纷", "Economic and debt", Colour.WHITE, 40, 10),
    CategorySpec("labour", "劳资欠薪纠纷", "Labour and unpaid wages", Colour.YELLOW, 50, 8),
    CategorySpec("property", "物业纠纷", "Property management", Colour.WHITE, 60, 7),
    CategorySpec("medical", "医患纠纷", "Medical", Colour.YELLOW, 70, 2),
    CategorySpec("land", "土地纠纷", "Land", Colour.YELLOW, 80, 4),
    CategorySpec("traffic", "交通事故纠纷", "Traffic accidents", Colour.WHITE, 90, 6),
    CategorySpec("consumer", "消费纠纷", "Consumer", Colour.WHITE, 100, 6),
    CategorySpec("market", "专业市场纠纷", "Market trade", Colour.WHITE, 110, 2.5),
    CategorySpec("ip", "知识产权纠纷", "Intellectual property", Colour.WHITE, 120, 0.5),
    CategorySpec("new_economy", "新业态劳动者纠纷", "New-economy workers", Colour.WHITE, 130, 3),
)


# --- Departments ------------------------------------------------------------------------
# `key` is a short pinyin tag; with the area code it names the department's handler
# account (e.g. tjwyh360103001), a natural key that makes re-seeding idempotent.


@dataclass(frozen=True)
class DepartmentSpec:
    key: str
    kind: str
    name: str  # a format string: {city}, {county}, {township}, {short}
    name_en: str


CITY_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "zzzx",
        K.GOVERNANCE_CENTRE,
        "南昌市社会治理综合服务中心（矛调中心）",
        "Nanchang Social Governance Centre (dispute mediation centre)",
    ),
    DepartmentSpec(
        "tjwyh",
        K.MEDIATION_COMMITTEE,
        "南昌市矛调中心人民调解委员会",
        "People's Mediation Committee of the Nanchang Mediation Centre",
    ),
    DepartmentSpec("xfj", K.PETITIONS_BUREAU, "南昌市信访局", "Nanchang Petitions Bureau"),
    DepartmentSpec(
        "fy", K.COURT, "南昌市中级人民法院诉前调解中心", "Nanchang Intermediate Court, pre-litigation mediation"
    ),
    DepartmentSpec(
        "rsj",
        K.LABOUR,
        "南昌市人力资源和社会保障局劳动保障监察支队",
        "Nanchang Labour Inspection (Human Resources and Social Security)",
    ),
    DepartmentSpec("zjj", K.HOUSING, "南昌市住房和城乡建设局", "Nanchang Housing and Urban-Rural Development Bureau"),
    DepartmentSpec("scjg", K.MARKET_SUPERVISION, "南昌市市场监督管理局", "Nanchang Market Supervision Bureau"),
    DepartmentSpec(
        "zrzy", K.NATURAL_RESOURCES, "南昌市自然资源和规划局", "Nanchang Natural Resources and Planning Bureau"
    ),
    DepartmentSpec("wjw", K.HEALTH, "南昌市卫生健康委员会", "Nanchang Health Commission"),
    DepartmentSpec(
        "ytw", K.MEDIATION_COMMITTEE, "南昌市医疗纠纷人民调解委员会", "Nanchang Medical Dispute Mediation Committee"
    ),
    DepartmentSpec("fl", K.WOMENS_FEDERATION, "南昌市妇女联合会", "Nanchang Women's Federation"),
    DepartmentSpec("jj", K.TRAFFIC_POLICE, "南昌市公安局交通管理局", "Nanchang Traffic Police"),
)

COUNTY_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("zzzx", K.GOVERNANCE_CENTRE, "{county}社会治理综合服务中心", "{county_en} Social Governance Centre"),
    DepartmentSpec("xfj", K.PETITIONS_BUREAU, "{county}信访局", "{county_en} Petitions Bureau"),
    DepartmentSpec("fy", K.COURT, "{county}人民法院诉前调解中心", "{county_en} Court, pre-litigation mediation"),
    DepartmentSpec("rsj", K.LABOUR, "{county}人力资源和社会保障局劳动保障监察大队", "{county_en} Labour Inspection"),
    DepartmentSpec("zjj", K.HOUSING, "{county}住房和城乡建设局", "{county_en} Housing Bureau"),
    DepartmentSpec("scjg", K.MARKET_SUPERVISION, "{county}市场监督管理局", "{county_en} Market Supervision Bureau"),
    DepartmentSpec("zrzy", K.NATURAL_RESOURCES, "{natural_resources}", "{county_en} Natural Resources Office"),
    DepartmentSpec("wjw", K.HEALTH, "{county}卫生健康委员会", "{county_en} Health Commission"),
    DepartmentSpec("fl", K.WOMENS_FEDERATION, "{county}妇女联合会", "{county_en} Women's Federation"),
    DepartmentSpec("jj", K.TRAFFIC_POLICE, "{traffic_police}", "{county_en} Traffic Police Brigade"),
)

TOWNSHIP_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "tjwyh", K.MEDIATION_COMMITTEE, "{township}人民调解委员会", "{township_en} People's Mediation Committee"
    ),
    DepartmentSpec("sfs", K.JUDICIAL_OFFICE, "{township}司法所", "{township_en} Judicial Office"),
    DepartmentSpec("pcs", K.POLICE_STATION, "{short}派出所", "{short_en} Police Station"),
    DepartmentSpec("zzzx", K.GOVERNANCE_CENTRE, "{township}综治中心", "{township_en} Governance Centre"),
)

# 一市一室一队: a mediation room in the big wholesale markets, serving the whole county.
MARKET_ROOMS: dict[str, DepartmentSpec] = {
    "360103": DepartmentSpec(
        "sctjs", K.MARKET_MEDIATION_ROOM, "洪城大市场人民调解室", "Hongcheng Market Mediation Room"
    ),
    "360121": DepartmentSpec(
        "sctjs", K.MARKET_MEDIATION_ROOM, "昌南农产品批发市场人民调解室", "Changnan Wholesale Market Mediation Room"
    ),
}


# --- The diversion list (分流清单) -------------------------------------------------------
# category → (lead department key, assisting department keys), where a key names a
# department of the rule's own level ("county:fl" reaches up one level for townships,
# "city:ytw" up to the city). The nearest rule up the tree wins, so the city rows
# cover every category everywhere and the lower rows refine them.


@dataclass(frozen=True)
class RuleSpec:
    lead: str
    assisting: tuple[str, ...] = field(default=())


CITY_RULES: dict[str, RuleSpec] = {
    "family": RuleSpec("fl", ("tjwyh",)),
    "neighbour": RuleSpec("tjwyh"),
    "daily_life": RuleSpec("tjwyh"),
    "debt": RuleSpec("fy"),
    "labour": RuleSpec("rsj", ("fy",)),
    "property": RuleSpec("zjj"),
    "medical": RuleSpec("wjw", ("ytw",)),
    "land": RuleSpec("zrzy"),
    "traffic": RuleSpec("jj", ("fy",)),
    "consumer": RuleSpec("scjg"),
    "market": RuleSpec("scjg"),
    "ip": RuleSpec("fy"),
    "new_economy": RuleSpec("rsj", ("tjwyh",)),
}

COUNTY_RULES: dict[str, RuleSpec] = {
    "debt": RuleSpec("fy"),
    "labour": RuleSpec("rsj", ("fy",)),
    "property": RuleSpec("zjj"),
    "medical": RuleSpec("wjw", ("city:ytw",)),
    "land": RuleSpec("zrzy"),
    "traffic": RuleSpec("jj", ("fy",)),
    "consumer": RuleSpec("scjg"),
    "market": RuleSpec("scjg"),
    "new_economy": RuleSpec("rsj"),
}
# Counties with a market mediation room send market cases there first.
COUNTY_MARKET_RULE = RuleSpec("sctjs", ("scjg",))

TOWNSHIP_RULES: dict[str, RuleSpec] = {
    "neighbour": RuleSpec("tjwyh"),
    "family": RuleSpec("tjwyh", ("county:fl",)),
    "daily_life": RuleSpec("tjwyh"),
}


# --- Logins ------------------------------------------------------------------------------

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed on screen; the command refuses to run without DEBUG  # nosec B105


@dataclass(frozen=True)
class LoginSpec:
    username: str
    role: str
    display_name: str
    area_code: str
    # (area code, department key) of the department, or None.
    department: tuple[str, str] | None
    specialties: tuple[str, ...] = ()
    is_superuser: bool = False


LOGINS: tuple[LoginSpec, ...] = (
    LoginSpec("tiaojie", Role.MEDIATOR, "熊建华", "360103001", ("360103001", "tjwyh"), ("neighbour", "family")),
    LoginSpec("tiaojie2", Role.MEDIATOR, "万秀英", "360104001", ("360104001", "tjwyh"), ("neighbour", "daily_life")),
    LoginSpec("tiaojie3", Role.MEDIATOR, "胡国平", "360121100", ("360121100", "tjwyh"), ("land", "family")),
    LoginSpec("tiaojie4", Role.MEDIATOR, "涂志明", CITY_CODE, (CITY_CODE, "ytw"), ("medical",)),
    LoginSpec("bumen", Role.DEPARTMENT_STAFF, "刘芳", "360103", ("360103", "rsj"), ("labour",)),
    LoginSpec("paidan", Role.DISPATCHER, "邓丽", CITY_CODE, (CITY_CODE, "zzzx")),
    LoginSpec("huifang", Role.CALLBACK_CALLER, "李娟", CITY_CODE, (CITY_CODE, "zzzx")),
    LoginSpec("zhuguan", Role.SUPERVISOR, "陈志强", CITY_CODE, (CITY_CODE, "zzzx")),
    LoginSpec("zhuguan_xihu", Role.SUPERVISOR, "罗文斌", "360103", ("360103", "zzzx")),
    LoginSpec("admin", Role.ADMIN, "系统管理员", CITY_CODE, None, is_superuser=True),
)
