"""The text signals of triage: the words and patterns that say what a resident's description tells.

Pure. `read_signals` reads a text (through rules/reading.py, which judges each mention: negated, a
joke, a story, a settled past) and returns, per rule, the words it counted and the words it set
aside. The word lists are the defaults of the admin-editable lists (TriageKeyword); the patterns
(who hit whom, a threat to "you", people going together to a door) are code, since they are how
Chinese says these things rather than a centre's choice of words.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from disputes.rules import reading
from disputes.rules.enums import Colour

# fmt: off
# Defaults for the admin-editable word lists (TriageKeyword rows of a kind replace that kind's list).
# Each list holds the words and synonyms a resident or an operator uses for one signal; a listed word
# counts unless a negation comes just before it or its clause is a joke, a story or a settled past
# (rules/reading.py), and unless it sits inside one of the kind's BENIGN words (炸鸡 for 炸).
DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    # 扬言: harm threatened to a person or their home, with any words.
    "violence": (
        "杀了", "杀人", "杀他", "杀你", "杀死", "砍死", "砍人", "砍他", "砍了他", "弄死", "打死", "捅死",
        "捅了他", "捅他", "同归于尽", "报复", "灭门", "放火", "烧了他", "烧他家", "炸了他", "炸死", "炸掉",
        "废了他", "打断他的腿", "要他的命", "要了他的命", "偿命", "跟他拼命", "和他拼命", "跟他拼了",
        "和他拼了", "拼了这条命", "老命不要", "鱼死网破", "不得安宁", "见血", "出人命", "弄残", "打残",
        "让他好看", "有他好看", "给他点颜色", "找人收拾", "收拾他", "收拾他们", "找人打", "叫人打",
        "砸了他家", "砸他家", "砸烂", "泼汽油", "一把火", "别怪我不客气", "后果自负", "走着瞧",
        "做鬼也不放过", "不会放过", "绝不放过", "跟他没完", "血债血偿", "以命抵命", "扬言", "情绪失控",
        "情绪极端", "砍", "捅", "弄我", "弄死我", "砍我", "打断", "横着出去", "看着点", "走路小心", "你等着",
        "等着瞧", "你死我活", "这事没完", "没完没了地闹",
        "砸了", "砸店", "砸摊", "砸车", "泼油漆", "红油漆", "吓唬", "恐吓", "威胁", "放话", "坐过牢", "扔下去",
        "焊死", "知道我孩子在哪", "知道你孩子在哪", "不怕再进去",
        "知道你家在哪", "知道我家在哪", "找人弄", "教训他", "教训教训", "招呼招呼", "让你好看", "不得好死",
        "要你命", "跟你拼了", "一起死", "大家一起死",
        "别怪我", "做出什么事", "不保证我会", "怎么弄他", "怎么收拾他", "让我碰到", "命不要了", "这条命", "就干",
        "干他", "干一架", "敢拦", "拼命",
    ),
    # Self-harm and despair, said or hinted (走投无路、没有活路).
    "self_harm": (
        "自杀", "跳楼", "跳河", "跳江", "跳湖", "跳井", "喝农药", "喝了药", "要喝药", "服毒", "吞药",
        "安眠药", "上吊", "卧轨", "割腕", "不想活", "活不下去", "活不成", "没法活", "没活路", "没有活路",
        "走投无路", "绝路", "寻死", "轻生", "一死了之", "死了算了", "不如死了", "死给他看", "死给你们看",
        "死在他家", "死在你们", "撞死在", "结束生命", "了结自己", "逼死", "以死相逼", "活着没意思", "跳下去",
        "一了百了", "死的心", "活着没啥意思", "撑不下去", "去死",
        "寻短见", "想不开", "不活了", "死在这",
        "怎么活", "爬上塔吊", "塔吊上",
    ),
    # Counted only in a clause that also handles, brings or threatens with it (WEAPON_ACTIONS).
    "weapon": (
        "刀", "斧头", "斧子", "枪", "汽油", "炸药", "农药", "棍棒", "棍子", "铁锹", "锄头", "钢管", "铁棍",
        "木棍", "砖头", "硫酸", "镰刀", "匕首", "榔头", "锤子", "铁锤", "家伙", "电棍", "警棍", "酒瓶", "钢筋",
        "扳手", "煤气", "皮带", "衣架", "拐杖",
        "方向盘锁", "开水",
    ),
    # 家暴、虐待、遗弃, however plainly told; and any hitting by a family member (FAMILY_WORDS).
    "domestic_violence": (
        "家暴", "家庭暴力", "虐待", "遗弃", "赶出家门", "赶出门", "锁在家", "关在屋", "不给饭吃",
        "不给吃饭", "打老婆", "打媳妇", "打妻子", "打老公", "打孩子", "打小孩", "打老人", "打父亲",
        "打母亲", "打我妈", "打我爸", "打婆婆", "打儿媳", "扔到门外", "扔出门", "锁在门外", "不让进门", "不让进家",
        "饿晕", "饿着", "不给吃", "住猪圈", "猪圈", "丢在家", "丢在老房", "扔在老家", "没人照顾", "无人照料",
        "没人送饭", "丢下不管",
        "关在杂物间", "关起来", "抽孩子", "青一块紫一块",
        "不给她饭", "不给他饭", "不给老人饭", "猪栏", "牛棚", "锁在屋", "锁在房", "关在家", "青的紫的",
    ),
    # 聚众、静坐、集体上访、冲击单位: a collective action under way or announced; people being brought.
    "gathering": (
        "聚众", "静坐", "集体上访", "越级上访", "进京上访", "去北京上访", "上访", "拉横幅", "拉条幅",
        "打横幅", "举牌", "堵门", "堵路", "堵大门", "堵公司", "堵工地", "围堵", "冲击", "闹事", "围攻",
        "集体去", "一起去政府", "去政府闹", "到政府门口", "政府门口", "找媒体", "找记者", "对峙", "去堵", "围住",
        "堵着", "不给说法不走", "不解决不走", "坐着不走",
        "不走了", "抬着人", "抬尸", "停尸", "一起送到", "上门闹", "来我家闹", "到我家要", "来我家要",
        "到我家闹",
    ),
    # Violence already done between the parties: hitting, fighting, an injury.
    "injury": (
        "打伤", "砍伤", "捅伤", "刺伤", "打破头", "打破了头", "头破血流", "鼻青脸肿", "打骨折", "打进医院",
        "打得住院", "打住院", "被打", "挨打", "打了我", "打我", "打了他", "打他", "打她", "打人", "动手",
        "殴打", "拳打脚踢", "扇耳光", "扇了我", "打耳光", "掐脖子", "揪头发", "推搡", "推倒", "打架",
        "斗殴", "踹了", "踢了我", "打得", "砸我", "砸了我", "砸他", "砸伤", "砸在", "抡", "敲了", "一拳", "一巴掌",
        "一耳光", "踢了一脚", "踹了一脚",
        "扭打", "厮打", "打起来", "动起手", "按在地上", "推下", "推了她", "推了我", "推了他", "推了一把", "掐",
        "抽我", "抽他", "缝了", "缝针", "流血", "出血", "耳膜穿孔", "脑震荡", "淤青", "青紫",
        "踹", "扣在", "被抢", "抢了我", "牙打掉", "牙被打掉", "打了一", "打成", "打的", "揍",
    ),
    # The same complaint made many times, to several offices, without result (yellow).
    "repeat_complaint": (
        "多次反映", "反映多次", "反映了多次", "反映过多次", "反映了好多次", "反映好几次", "反映了好几次",
        "反映了很多次", "多次投诉", "投诉多次", "投诉了好几次", "投诉了很多次", "投诉好多次", "反复投诉",
        "反复反映", "找过好多次", "找了好多次", "找了很多次", "找了好几次", "跑了好几趟", "跑了很多趟",
        "跑断腿", "一直没人管", "没人管", "没人理", "都不管", "不管不问", "推来推去", "踢皮球", "推诿",
        "互相推", "没有结果", "没结果", "没有下文", "石沉大海", "不了了之", "拖了好几年",
        "拖了几年", "打了无数次", "打了好多次", "上访过", "上访了", "信访过", "反映无果", "投诉无果",
        "至今没解决", "至今未解决", "一直没解决", "一直没有解决", "都没解决", "都没有解决", "还是没解决",
        "久拖不决", "问题依旧", "一拖再拖", "还是老样子", "还是不行", "没回音", "没有回音", "没处理", "没人处理",
        "不归他们管", "不归自己管", "不归我们管", "都说不归",
        "来来回回", "来回跑", "折腾了", "反悔", "每次都说", "一直说在",
    ),
    # Negation words: a listed word just after one of these is not a signal (我们不会打人).
    "negation": reading.DEFAULT_NEGATIONS,
}

# Longer words that contain a listed word without meaning it (in code: they are how Chinese is
# written, not a centre's judgement). A listed word inside one of them is not read at all.
BENIGN: dict[str, tuple[str, ...]] = {
    "violence": (
        "杀价", "砍价", "杀毒", "秒杀", "报复性", "打死也不", "打死不", "打死都不", "放火烧荒", "办砸了", "搞砸了",
        "弄砸了", "安全威胁", "构成威胁", "威胁安全", "威胁到安全",
    ),
    "self_harm": ("跳楼价", "跳楼甩卖", "跳楼大甩卖", "农药残留"),
    "weapon": (
        "刀削面", "刀郎", "开刀", "刀口", "刀具店", "菜刀钱", "枪手", "水枪", "玩具枪", "农药残留", "打农药",
        "喷农药", "买农药", "卖农药", "汽油费", "汽油钱", "加汽油", "砖头房", "锤子手机", "这家伙", "那家伙",
        "个家伙", "老家伙", "小家伙", "煤气费", "煤气罐钱", "皮带厂",
    ),
    "domestic_violence": ("打孩子的主意", "打老人的主意"),
    "gathering": ("上访过", "上访了", "冲击钻", "冲击波", "举牌照", "堵在路上", "堵在车里"),
    "injury": (
        "打我电话", "打了我电话", "打我手机", "打他电话", "打她电话", "打人家电话", "打我的电话",
        "动手术", "动手脚", "被打扰", "被打折", "打他们电话", "打得过", "打得起", "打得通", "打得开",
        "打我们电话", "打人家", "打他的电话", "打成一片", "掐断", "掐掉", "打的士", "打的去", "打的回", "敲了门",
        "敲了半天门", "推下来的",
    ),
    "repeat_complaint": (),
}
# 打 is also call, work, sue, play: a hitting word followed closely by one of these is not hitting.
NOT_AFTER: dict[str, tuple[str, ...]] = {
    # 砍树, 砍价, 捅破, 打断了他的话: cutting, bargaining, piercing, interrupting.
    "violence": ("树", "柴", "竹", "价", "伐", "木", "草", "枝", "破", "娄子", "马蜂窝", "话", "说话"),
    "injury": (
        "电话", "手机", "招呼", "官司", "工", "款", "钱", "扫", "印", "卡", "针", "疫苗", "牌", "麻将", "游戏", "听",
        "110", "12345", "条", "欠条",
    ),
    "domestic_violence": ("电话", "手机", "招呼", "官司", "工", "钱"),
}
# A weapon counts only beside an act with it or a threat (拿着刀, 扬言要泼汽油).
WEAPON_ACTIONS = (
    "拿", "提", "持", "举", "挥", "带", "掏", "扛", "拎", "抄起", "操起", "亮出", "威胁", "扬言",
    "砍", "捅", "泼", "点火", "点燃", "喝", "砸", "追", "冲", "堵", "守在", "藏", "准备", "拿着", "吓",
)
# Family members: hitting told about one of them is domestic violence.
FAMILY_WORDS = (
    "娘", "爹", "奶奶", "爷爷", "外婆", "姥姥",
    "老公", "丈夫", "老婆", "妻子", "媳妇", "男人", "前夫", "前妻", "对象", "男朋友", "女朋友", "公公",
    "婆婆", "儿子", "女儿", "儿媳", "女婿", "父亲", "母亲", "爸", "妈", "继父", "继母", "后妈", "哥",
    "弟", "姐", "妹", "家里人", "孩子", "小孩", "老人",
)
NEGLECT = ("就不管了", "没吃上", "没饭吃", "没人管她", "没人管他", "扔下不管", "没人照看")
# Bringing people (叫上村里人一起去): a verb of gathering, then people, toward a door or an office.
BRING_PEOPLE = re.compile(
    r"(叫上|喊上|带上|叫来|喊来|带着|召集|组织|发动|找来|拉上|约上|叫|喊|带)"
    r"[^，。！？]{0,6}?"
    r"(村里人|全村|全村人|村民|工友|老乡|兄弟|亲戚|家族|一帮人|一群人|一伙人|一大帮|好多人|很多人|几十|上百|大家|所有人|一家老小)"
    r"[^，。！？]{0,10}?"
    r"(去|到|来|上|堵|围|闹|找)"
)
# Offices a resident names as already asked or involved; three or more different ones is 多头反映 or a
# dispute that needs several departments. Longer names first: 市场监管局 is one office, not two.
OFFICES = (
    "村委会", "居委会", "社区", "镇政府", "镇里", "镇上", "乡政府", "乡里", "村里", "区里", "县里", "市里", "街道",
    "派出所", "公安", "交警", "信访局", "信访办", "劳动局", "人社局", "人社", "劳动监察", "法院", "司法所",
    "市场监管", "工商", "住建局", "住建", "城管", "消防", "12345", "12315", "110", "市长热线", "县政府", "区政府",
    "市政府", "综治中心", "物业", "妇联", "消协", "保险公司", "平台", "客服", "卫健委", "知识产权局",
    "市场管理处", "路政", "环保局", "自然资源局", "国土所", "教育局", "学校",
)
SEVERAL_OFFICES_WORDS = (
    "各说各的", "各管各的", "好几家", "三家都", "几个部门", "多个部门", "好几个部门", "三方", "几方", "几家单位",
    "各部门",
)
# 被村干部的儿子打了一耳光, 把护士打了: someone hit someone, with the people between.
ASSAULT = re.compile(
    r"被[^，。！？]{1,8}?(打|砸|踹|推|抽|砍|捅|掐|揍)(了|伤|倒|得|成|破|断|进|一|$)"
    r"|把[^，。！？]{1,6}?(打|揍|砸|踹|抽)(了|伤|倒|得|成|破|断|进)"
    r"|把[^，。！？]{1,6}?推(倒|下|伤)"
)
# 去卫健委门口, 到政府闹, 一起去乡政府坐着: going to an office to press the demand there.
GOVERNMENT_DOOR = re.compile(
    r"(去|到|上|进)[^，。！？]{0,6}(政府|信访|卫健委|市委|县委|区委|省里|北京|人大|纪委)[^，。！？]{0,4}"
    r"(门口|闹|坐|静坐|讨说法|要说法|上访|拉横幅|不走|堵)"
    r"|(一起|集体|大家|全村|我们都)[^，。！？]{0,4}(去|到|上)[^，。！？]{0,6}(政府|信访|北京|省里|市里|县里|区里|镇里)"
)
# 12345打了四回, 找了七次, 调过好几回; 反映了两年, 吵了三年: asked again and again, or for long.
_N = r"(\d+|[一二两三四五六七八九十几数好多无]+)"
FREQUENCY = re.compile(
    r"(找|反映|投诉|申诉|举报|打|去|跑|调|调解|报警|问|协商|催)(了|过)?[^，。！？]{0,2}?" + _N + r"(次|回|趟|遍)"
)
DURATION = re.compile(
    r"(反映|投诉|找|吵|闹|拖|折腾|协商|调|上访|申诉|催)(了|过)?(快|近|将近|整整)?" + _N + r"?(个)?(年|半年|月)"
)
# Threats told without the listed words: to "you", to a limb, to the home, veiled (我记住了, 出门小心点).
VEILED_THREAT = re.compile(
    r"(让|叫|要)(你|他|她|你们|他们)[^，。！？]{0,8}(滚|好看|后悔|好过|出不去|躺着|站不起来|吃不了兜着走|见不到|付出代价|没好果子)"
    # Told by the one threatened: 他说再敢去敲门就让我好看 (not 让我很后悔, a regret).
    r"|(让|叫|要)(我|我们)[^，。！？]{0,8}(好看|出不去|躺着|站不起来|吃不了兜着走|付出代价|没好果子)"
    r"|(弄|搞|整|打|砍|捅|咬|撞|掐|毒|烧)(死|残|废)(你|他|她|我|你们|他们|我们|人)"
    r"|(手|腿|胳膊|脚)[^，。！？]{0,3}(卸|废|剁|打断|打折)|(卸|剁)(了|掉)?(你|他|她)"
    r"|(知道|记住|记得)[^，。！？]{0,3}(你|你家|你住|你们)[^，。！？]{0,8}(在哪|哪里|几栋|住哪|地址|学校|工作室|单位|门口)"
    r"|(知道|记得)[^，。！？,]{0,3}(他|她)[^，。！？,]{0,4}(几点|哪条路|下班|上学|放学)|(路上|门口)等着(他|她|你)"
    r"|小心你(家|的|们)|我记住了|记住你了|(出门|走路|晚上|路上|以后)[^，。！？]{0,4}小心|小心(点|着点|你的)"
    r"|找(我|你|他|她|我们|你们|他们)[^，。！？]{0,3}(算账|拼命)|别逼我|逼急了|(灌|倒|泼)[^，。！？]{0,4}(水泥|油漆|粪|硫酸)"
    r"|放狗咬|没了[^，。！？]{0,4}(说不准|保不准|不好说)|把我围|围着我"
)
# Despair without the listed words: 活着还有什么意思, 不想再拖累家里人.
DESPAIR = re.compile(
    r"活着[^，。！？]{0,6}(意思|意义|没劲|干嘛|干什么|有什么用|有啥用|盼头)|拖累|一睡不醒|跟着(他|她)去|去陪(他|她)"
    r"|活够了|没(有)?盼头|熬不下去|解脱|遗书|交代后事"
)
# Blows told by their count or fist: 给了我两拳, 挥拳, 掐住脖子.
BLOWS = re.compile(
    r"(给了|打了|挥了|挨了|捶了)[^，。！？]{0,4}(拳|巴掌|耳光|一脚|几脚|两脚)|挥拳|拳头|掐住|勒住|卡住(我|他|她)?的?脖子"
)
# People going together to a door or a site to press a demand, or stopping work together.
GOING_TOGETHER = re.compile(
    r"(都|全部|统统|一起|大家|我们|全族|族里|号人|全村|一帮|一伙)[^，。！？]{0,10}(去|到|来|过来|堵|围|坐)[^，。！？]{0,10}"
    r"(门口|大门|总部|公司|厂|工地|政府|管委会|卫生院|医院|他家|沙场|现场|办公室|店)"
    r"|(去|要|准备|把他|把他们|把老板)[^，。！？]{0,8}(门|大门|路)[^，。！？]{0,2}堵(了|住|上)"
    r"|天天去(他|她|他们)家|(去|到)(他|她|他们)家门口(坐|堵|闹|守)|罢工|停工|不出车|集体停|棺材|花圈|统统过来|都叫过来|号人"
)
# Patterns whose match starts with who acts, so that a negation may stand inside it.
SUBJECT_FIRST = (BRING_PEOPLE, GOVERNMENT_DOOR, GOING_TOGETHER, ASSAULT)
# A child, an old or disabled person told as harmed or left in need (咬了我孙子, 瘫在床上的老人没水).
# A child merely mentioned (孩子上学经过这里) is not: the harm must be in the same sentence.
VULNERABLE_PEOPLE = re.compile(
    r"孩子|娃|孙子|孙女|外孙|小孩|儿童|婴儿|新生儿|宝宝|老人|老太|老头|瘫|残疾|脑瘫|智障|孕妇|怀孕|[七八九]十(多)?岁|[七八九]十[一二三四五六七八九]"
)
AT_STAKE = re.compile(
    r"咬|伤|缝|病|咳嗽|住院|发烧|下不了(楼|床)|出不了门|没水|没电|停水|停电|瘫在床|吓得|不敢(去|出门|上学)|危险|差点|砸在|"
    r"没人管|没人照顾|超标|中毒|过敏"
)
TIMES_FOR_REPEAT = 3
MONTHS_FOR_REPEAT = 6
# Injuries told without the act (缝了八针, 流血): from an accident or treatment in these categories,
# counted only beside an act of violence there.
ACCIDENT_CATEGORIES = frozenset({"traffic", "medical"})
CONSEQUENCES = ("缝了", "缝针", "流血", "出血", "耳膜穿孔", "脑震荡", "淤青", "青紫", "打的")
# fmt: on


# The text signals: (word-list kind, rule name, colour).
TEXT_SIGNALS: tuple[tuple[str, str, int], ...] = (
    ("violence", "threat_violence", Colour.RED),
    ("self_harm", "threat_self_harm", Colour.RED),
    ("weapon", "weapon", Colour.RED),
    ("domestic_violence", "domestic_violence", Colour.RED),
    ("gathering", "collective_action", Colour.RED),
    ("injury", "injury_caused", Colour.RED),
    ("repeat_complaint", "repeat_complaint", Colour.YELLOW),
)
# Read by code patterns rather than a word list (OFFICES, SEVERAL_OFFICES_WORDS).
PATTERN_SIGNALS: tuple[tuple[str, int], ...] = (
    ("several_departments", Colour.YELLOW),
    ("vulnerable_at_stake", Colour.YELLOW),
)
OFFICES_FOR_REPEAT = 3


@dataclass(frozen=True)
class Reading:
    """What the text says: per rule, the words counted and the words discounted (with why)."""

    counted: dict[str, list[str]]
    discounted: list[dict[str, Any]]


def read_signals(text: str, keywords: Mapping[str, Iterable[str]], facts_category: str = "") -> Reading:
    negations = tuple(keywords.get("negation", reading.DEFAULT_NEGATIONS))
    counted: dict[str, list[str]] = {}
    discounted: list[dict[str, Any]] = []
    hits: dict[str, list[reading.Mention]] = {}
    for kind, _rule, _colour in TEXT_SIGNALS:
        mentions = reading.find_mentions(text, keywords.get(kind, ()), negations=negations, benign=BENIGN.get(kind, ()))
        mentions = [m for m in mentions if not _followed_by(m, NOT_AFTER.get(kind, ()))]
        hits[kind] = mentions
    # A weapon counts beside an act with it or a threat in the same clause.
    hits["weapon"] = [
        m
        for m in hits["weapon"]
        if any(a in m.clause for a in WEAPON_ACTIONS)
        or any(v.clause == m.clause for v in hits["violence"] + hits["self_harm"])
    ]
    # Hitting told about a family member is domestic violence.
    family_hits = [m for m in hits["injury"] if any(f in m.clause for f in FAMILY_WORDS)]
    # Neglect told about a family member or an old person: left alone, not fed (送回老屋就不管了).
    family_hits += [
        reading.Mention(word, clause)
        for clause in reading.clauses(text)
        for word in NEGLECT
        if word in clause and any(f in text for f in FAMILY_WORDS)
    ]
    hits["domestic_violence"] = hits["domestic_violence"] + family_hits
    hits["injury"] = [m for m in hits["injury"] if m not in family_hits]
    for kind, rule, _colour in TEXT_SIGNALS:
        for m in hits[kind]:
            if m.discounted:
                discounted.append({"word": m.word, "why": m.discounted})
            else:
                counted.setdefault(rule, [])
                if m.word not in counted[rule]:
                    counted[rule].append(m.word)
    for clause in reading.clauses(text):
        for pattern, rule in (
            (BRING_PEOPLE, "collective_action"),
            (GOVERNMENT_DOOR, "collective_action"),
            (GOING_TOGETHER, "collective_action"),
            (ASSAULT, "injury_caused"),
            (BLOWS, "injury_caused"),
            (VEILED_THREAT, "threat_violence"),
            (DESPAIR, "threat_self_harm"),
        ):
            match = pattern.search(clause)
            if rule == "threat_violence" and match and match.group(0).startswith("小心") and "你" not in clause:
                continue
            if not match or _followed_by(reading.Mention(match.group(0), clause), NOT_AFTER["injury"]):
                continue
            judged = reading.find_mentions(clause, [match.group(0)], negations=negations)
            why = judged[0].discounted if judged else ""
            # 我们不会一起去政府: the subject comes first, so a negation can sit inside the match.
            if not why and pattern in SUBJECT_FIRST and reading.negated_within(match.group(0), negations):
                why = "negated"
            if why:
                discounted.append({"word": match.group(0), "why": why})
                continue
            if rule == "injury_caused" and any(f in clause for f in FAMILY_WORDS):
                rule = "domestic_violence"
            # A pattern over words a list already counted (砍死我 over 砍死) says nothing more.
            if not any(w in match.group(0) or match.group(0) in w for w in counted.get(rule, [])):
                _count(counted, rule, match.group(0))
        for match in FREQUENCY.finditer(clause):
            said = match.group(3)
            times = 3 if said in ("好", "多", "无", "几", "数", "好几", "无数", "好多") else reading.to_number(said)
            if (times or 0) >= TIMES_FOR_REPEAT and not reading.find_mentions(
                clause, [match.group(0)], negations=negations
            )[0].discounted:
                _count(counted, "repeat_complaint", match.group(0))
        for match in DURATION.finditer(clause):
            unit, number = match.group(6), match.group(4)
            months = 6 if unit == "半年" else (reading.to_number(number) if number else None)
            if months is not None and unit == "年":
                months *= 12
            if months is not None and months >= MONTHS_FOR_REPEAT:
                _count(counted, "repeat_complaint", match.group(0))
    # Injuries told without the act count in an accident or treatment only beside an act.
    if facts_category in ACCIDENT_CATEGORIES and "injury_caused" in counted:
        acts = [w for w in counted["injury_caused"] if w not in CONSEQUENCES]
        if acts:
            counted["injury_caused"] = counted["injury_caused"]
        else:
            del counted["injury_caused"]
    for sentence in re.split(r"[。！？!?；;\n]+", text):
        person, harm = VULNERABLE_PEOPLE.search(sentence), AT_STAKE.search(sentence)
        if person and harm and not reading.negated_within(sentence[harm.start() - 2 : harm.end()], negations):
            _count(counted, "vulnerable_at_stake", f"{person.group(0)}…{harm.group(0)}")
    offices = _offices_named(re.sub(r"小区|社区里|校区|园区|景区", "#", text))
    if len(offices) >= OFFICES_FOR_REPEAT or any(w in text for w in SEVERAL_OFFICES_WORDS):
        counted["several_departments"] = offices or [w for w in SEVERAL_OFFICES_WORDS if w in text]
    return Reading(counted, discounted)


def _count(counted: dict[str, list[str]], rule: str, words: str) -> None:
    counted.setdefault(rule, [])
    if words not in counted[rule]:
        counted[rule].append(words)


def _offices_named(text: str) -> list[str]:
    """The different offices named, a longer name taking its shorter parts (市场监管所 is one office)."""
    named: list[str] = []
    for office in sorted(OFFICES, key=len, reverse=True):
        if office in text and not any(office in longer for longer in named):
            named.append(office)
    return sorted(named)


def _followed_by(mention: reading.Mention, words: tuple[str, ...]) -> bool:
    if not words:
        return False
    at = mention.clause.find(mention.word)
    after = mention.clause[at + len(mention.word) : at + len(mention.word) + 5]
    return any(w in after for w in words)
