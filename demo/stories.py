"""What the demo cases say: description templates per category, and the stock phrases of a timeline.

Placeholders: {a} applicant, {b} respondent, {amount} (formatted yuan), {n} people,
{months}, {years}, {year}, {place}. A template that mentions {amount} gives the case
an amount at stake; {n} gives it a head count.
"""

# (lowest, highest) yuan at stake, per category; per worker for wage arrears.
AMOUNTS: dict[str, tuple[int, int]] = {
    "family": (5_000, 300_000),
    "daily_life": (300, 20_000),
    "debt": (5_000, 600_000),
    "labour": (3_000, 25_000),
    "property": (600, 30_000),
    "medical": (10_000, 600_000),
    "land": (8_000, 300_000),
    "traffic": (2_000, 250_000),
    "consumer": (300, 80_000),
    "market": (2_000, 300_000),
    "ip": (10_000, 800_000),
    "new_economy": (1_000, 40_000),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "family": (
        "{a}与丈夫{b}因家庭琐事及子女教育问题长期争吵，{a}提出离婚，双方对财产分割和孩子抚养权存在分歧，请求调解。",
        "{a}反映其子{b}长期不履行赡养义务，{a}年老多病、生活困难，请求协调赡养费。",
        "{a}与{b}恋爱期间共同出资购车，分手后就车辆归属及{amount}借款发生纠纷。",
        "{a}与弟弟{b}因父母遗留房屋的继承和拆迁补偿款{amount}分配产生矛盾，多次发生争吵。",
    ),
    "neighbour": (
        "{a}反映楼上住户{b}装修期间噪音扰民，且导致其家中卫生间天花板漏水，双方协商未果。",
        "{a}与邻居{b}因宅基地边界及排水沟问题发生争执，曾互相推搡。",
        "{a}反映邻居{b}在楼道堆放杂物、饲养宠物犬扰民，多次沟通无果。",
        "{a}与{b}因相邻建房遮挡采光、通风发生纠纷。",
        "{a}反映邻居{b}在公共区域私搭乱建，影响通行，双方多次发生口角。",
    ),
    "daily_life": (
        "{a}反映{b}经营的餐馆油烟及噪音影响其正常生活，要求整改。",
        "{a}停放在小区内的电动车被{b}驾车刮蹭，双方就维修费用{amount}协商不成。",
        "{a}与{b}因共用停车位的使用问题多次发生口角。",
        "{a}反映{b}饲养的犬只咬伤其孩子，要求赔偿医药费{amount}。",
    ),
    "debt": (
        "{a}于{year}年借给{b}人民币{amount}，约定{months}个月内归还，到期后{b}以各种理由拖欠不还。",
        "{a}为{b}承建厂房，工程完工后尚有工程款{amount}未结清。",
        "{a}与合伙人{b}散伙后，就合伙期间的债权债务{amount}分担发生争议。",
    ),
    "labour": (
        "{a}等{n}名工人在{b}承包的工地务工，{b}拖欠{n}名工人工资共计{amount}，多次讨要未果。",
        "{a}在{b}经营的公司工作{years}年，公司未签订劳动合同、未缴纳社保，现解除劳动关系，双方就经济补偿{amount}发生争议。",
        "{a}在{b}的厂里上班时受伤，双方就工伤赔偿{amount}协商未果。",
        "{a}等{n}名员工反映{b}经营的企业停产，拖欠{months}个月工资共计{amount}。",
    ),
    "property": (
        "{a}等业主反映小区物业公司（负责人{b}）服务不到位、电梯经常故障，部分业主拒交物业费，物业公司催缴{amount}。",
        "{a}反映物业公司未经业主同意将公共绿地改为收费停车位，与物业经理{b}发生争执。",
        "{a}家中地下室被淹，认为系物业（负责人{b}）排水设施维护不到位所致，要求赔偿{amount}。",
    ),
    "medical": (
        "{a}的父亲在医院手术后出现并发症，{a}认为医院存在过错，要求赔偿{amount}，院方（代表{b}）不予认可。",
        "{a}在{b}开办的诊所输液后出现过敏反应，双方就医疗费用和赔偿{amount}发生纠纷。",
    ),
    "land": (
        "{a}与同村村民{b}因承包地边界不清、互相侵占发生纠纷。",
        "{a}反映村小组分配征地补偿款{amount}时未将其户内人员计算在内，与组长{b}发生争执。",
        "{a}与{b}因山林及宅基地权属争议多年未决。",
    ),
    "traffic": (
        "{a}驾驶电动车在{place}附近与{b}驾驶的小轿车发生碰撞，{a}受伤住院，双方就赔偿{amount}协商未果。",
        "{a}停放的车辆被{b}倒车撞损，双方对维修费用{amount}有争议。",
        "{a}骑自行车被{b}驾驶的货车刮倒致骨折，保险公司理赔金额与{a}的诉求{amount}相差较大。",
    ),
    "consumer": (
        "{a}与{b}经营的装修公司签订装修合同，支付{amount}后工程质量不合格且逾期未完工，要求退款。",
        "{a}在{b}的门店办理预付卡{amount}后店铺关门，要求退还余额。",
        "{a}在{b}处购买的二手车隐瞒了事故记录，要求退车并赔偿{amount}。",
    ),
    "market": (
        "{a}在专业市场向商户{b}批发的一批货物存在质量问题，双方就货款{amount}结算发生纠纷。",
        "{a}与市场商户{b}因摊位转租及押金{amount}退还问题发生争执。",
        "商户{a}与{b}因货款{amount}结算问题在市场内发生争吵。",
    ),
    "ip": (
        "{a}的原创设计图案被{b}经营的网店擅自使用，要求停止侵权并赔偿{amount}。",
        "{a}公司的注册商标被{b}仿冒使用，双方就侵权赔偿{amount}进行协商。",
    ),
    "new_economy": (
        "外卖骑手{a}在送餐途中受伤，与配送站点负责人{b}就医疗费和误工费{amount}发生纠纷。",
        "网约车司机{a}被平台合作公司（负责人{b}）扣除押金{amount}，认为扣款无依据。",
        "快递员{a}反映站点负责人{b}拖欠其{months}个月派件费共{amount}。",
    ),
}
FALLBACK_TEMPLATES = ("{a}与{b}发生纠纷，双方协商未果，请求调解。",)

# Sentences that make `disputes.rules.triage` raise a case: each threat contains one of
# its default keywords (violence, self-harm, weapon). The plain templates above contain
# none, so an ordinary case stays at its category's colour.
THREATS = (
    "{b}扬言要与{a}“同归于尽”。",
    "{b}扬言要报复{a}一家。",
    "{a}情绪激动，称要“弄死”对方。",
    "{a}情绪低落，多次表示“不想活了”。",
    "{a}扬言如果得不到解决就去跳楼。",
    "争吵中{b}手持菜刀威胁{a}。",
    "{b}曾拿铁锹追打{a}。",
)
GROUP_SENTENCE = "涉及{n}人，部分人员情绪激动。"
VULNERABLE_SENTENCE = "当事人中有{vulnerable}，需重点关注。"
VULNERABLE = (
    ("独居老人", "is_elderly"),
    ("未成年子女", "is_minor"),
    ("残疾人", "is_disabled"),
    ("孕妇", "is_pregnant"),
)

RETURN_REASONS = (
    "不属于本单位职责范围，请重新分派。",
    "当事人住所不在本辖区，建议转辖区调委会。",
    "案情涉及刑事，需公安机关处理，退回重新研判。",
    "分派信息有误，请核实后重新派单。",
)
TRANSFER_REASONS = (
    "当事人同意由法院诉前调解，移交法院。",
    "涉及劳动保障监察职责，转交人社部门。",
    "需司法所牵头组织联合调解。",
    "属于辖区综治中心统筹事项，转交处理。",
)
WITHDRAW_REASONS = (
    "双方已自行和解，申请人撤回申请。",
    "申请人表示不再需要调解。",
    "申请人已向法院起诉，撤回调解申请。",
    "联系不上申请人，经核实申请人放弃。",
)
REOPEN_REASONS = (
    "回访时当事人表示对方未按协议履行，不满意。",
    "当事人对调解结果不满意，要求重新调解。",
    "当事人反映问题没有得到实际解决。",
)
REPORT_TEXTS: dict[str, tuple[str, ...]] = {
    "agreement": (
        "经调解，双方自愿达成调解协议，当场履行完毕。",
        "经多次调解，双方达成调解协议，约定分期履行。",
        "双方达成和解并签订人民调解协议书。",
    ),
    "resolved_otherwise": (
        "经释法明理，申请人表示理解，纠纷已化解。",
        "协调相关部门解决了申请人的实际困难，纠纷化解。",
    ),
    "litigation": ("双方分歧较大，调解不成，已引导当事人通过诉讼解决。", "调解不成，已移送法院诉调对接。"),
    "police": ("发现涉嫌违法犯罪线索，已移交公安机关处理。",),
    "withdrawn": ("调解过程中申请人撤回申请。",),
}
CLOSE_TEXTS = {
    "satisfied": "回访当事人，表示满意。",
    "basically_satisfied": "回访当事人，表示基本满意。",
    "unreachable": "回访期限内多次联系不上当事人，按规定办结。",
    "supervisor": "经核实纠纷已化解，予以办结。",
}
SESSION_PLACES = ("人民调解室", "综治中心调解室", "当事人家中", "村（居）委会会议室", "司法所调解室", "现场")


def format_amount(yuan: int) -> str:
    """12000 → 1.2万元, 3800 → 3800元: how amounts are written in case reports."""
    if yuan >= 10_000:
        text = f"{yuan / 10_000:.1f}".removesuffix(".0")
        return f"{text}万元"
    return f"{yuan}元"
