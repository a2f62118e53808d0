"""Reading a resident's words: clauses, negation, discounted mentions, and the numbers in the text.

Pure and total: every function here takes any string (empty, 5,000 characters, emoji,
mixed scripts) and answers; none raises. The triage rules (rules/triage.py) use it to
decide whether a listed word is a signal, and to read head counts and amounts written
as residents write them (三十来人, 五十余万, 上百户, 两万多块, 1.5万).
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import cn2an

# A clause ends at sentence or clause punctuation; a word in one clause says nothing about the next.
_CLAUSE_END = re.compile(r"[。！？!?；;，,\n\r…~～]+")

# Negation: a cue shortly before a word turns it off (我们不会打人, 从来没想过自杀, 并没有拿刀)…
NEGATION_WINDOW = 4
DEFAULT_NEGATIONS: tuple[str, ...] = (
    "不",
    "没",
    "未",
    "别",
    "莫",
    "勿",
    "从未",
    "并非",
    "绝不",
    "决不",
    "不会",
    "不要",
    "不想",
    "不敢",
    "没有",
    "没想过",
)
# …unless the cue is part of a word that does not negate (不停地打, 没少打, 别人, 未成年, 不得不),
_NOT_NEGATIONS = (
    "大不了",
    "不下来",
    "没了",
    "不知道",
    "不知",
    "不想回",
    "不停",
    "不断",
    "不少",
    "不住",
    "不久",
    "不仅",
    "不光",
    "不但",
    "不管",
    "不顾",
    "不得不",
    "不能不",
    "不分",
    "不让",
    "不给",
    "不还",
    "不付",
    "不听",
    "不服",
    "不满",
    "不依",
    "不肯",
    "不然",
    "不行",
    "没少",
    "没完",
    "没钱",
    "没法",
    "没办法",
    "没人",
    "没有人",
    "没路",
    "别人",
    "别的",
    "别家",
    "别处",
    "未成年",
    "未果",
    "不如",
)
# …or a condition or consequence separates them: 不给钱就砍死他 is a threat, not a negation.
_CONNECTIVES = ("就", "才", "便", "再", "否则", "不然", "只能", "只好")

# A mention in a clause that tells a joke, a story or a settled past is not a signal.
DISCOUNT_MARKERS: dict[str, tuple[str, ...]] = {
    "joke": ("开玩笑", "玩笑话", "说着玩", "气话", "都笑了", "笑着说"),
    "story": ("电视", "电影", "新闻", "小说", "游戏里", "短视频", "网上看到", "听说别的"),
}
# 吵得我想跳楼, 气得要死: a feeling told by its strength, not an intention.
_FIGURE_OF_SPEECH = re.compile(r"(吵|烦|气|急|累|忙|热|冷|饿|闷|馋|笑|困|疼)得[^，。！？]{0,3}(想|要|快)")
# 开玩笑说“……”: what is inside the quotes is the joke, over however many clauses.
_JOKED_QUOTE = re.compile(r"(?:开玩笑|笑着|说着玩)[^“\"]{0,6}[“\"]([^”\"]*)[”\"]")
# The resident laughing at their own words (哈哈哈) marks the whole text as not meant.
_LAUGHTER = ("哈哈", "hhh", "233", "😂", "🤣", "😄", "😆")
# fmt: off
_PAST_MARKERS = (
    "以前", "去年", "前年", "年前", "曾经", "过一次", "小时候", "那时候", "当年", "几年前", "多年前", "早年",
)
# fmt: on
# fmt: off
_SETTLED_MARKERS = (
    "再也没有", "再没有过", "调解结了", "调解好了", "和好", "已经和解", "已和解", "已经解决", "早就解决", "已调解",
    "已经调解", "化解了", "没事了", "不计较",
)
# fmt: on


def normalise(text: str | None) -> str:
    """Full-width characters folded (ＡＢ１２ → AB12), thousands separators dropped, runs of spaces made one."""
    if not text:
        return ""
    try:
        folded = unicodedata.normalize("NFKC", str(text))
    except (TypeError, ValueError):
        folded = str(text)
    folded = re.sub(r"(?<=\d),(?=\d{3})", "", folded)  # 12,800 is one number, not two clauses
    return re.sub(r"[ \t\u3000]+", " ", folded)


def clauses(text: str) -> list[str]:
    """The clauses of a text, in order, non-empty."""
    return [c for c in _CLAUSE_END.split(normalise(text)) if c.strip()]


def _cue_before(clause: str, start: int, negations: Iterable[str]) -> bool:
    window_start = max(0, start - NEGATION_WINDOW - 2)
    before = clause[window_start:start]
    for cue in sorted(set(negations), key=len, reverse=True):
        if not cue:
            continue
        pos = before.rfind(cue)
        while pos != -1:
            absolute = window_start + pos
            gap = clause[absolute + len(cue) : start]
            if (
                len(gap) <= NEGATION_WINDOW
                and not _cue_is_not_negation(clause, absolute)
                and not any(c in gap for c in _CONNECTIVES)
            ):
                return True
            pos = before.rfind(cue, 0, pos)
    return False


def _cue_is_not_negation(clause: str, at: int) -> bool:
    for word in _NOT_NEGATIONS:
        # The non-negating word may start at the cue or a character before it (得不 in 不得不).
        for offset in range(0, 2):
            begin = at - offset
            if begin >= 0 and clause.startswith(word, begin):
                return True
    return False


def negated_within(span: str, negations: Iterable[str] = DEFAULT_NEGATIONS) -> bool:
    """Whether a negation word stands inside the span (我们不会一起去): not one that does not negate."""
    for cue in negations:
        if not cue:
            continue
        at = span.find(cue)
        while at != -1:
            if not _cue_is_not_negation(span, at):
                return True
            at = span.find(cue, at + 1)
    return False


@dataclass(frozen=True)
class Mention:
    """One listed word found in the text: the word, its clause, and why it does not count (or "")."""

    word: str
    clause: str
    discounted: str = ""  # "", "negated", "joke", "story", "past_settled"


def find_mentions(
    text: str,
    words: Iterable[str],
    *,
    negations: Iterable[str] = DEFAULT_NEGATIONS,
    benign: Iterable[str] = (),
) -> list[Mention]:
    """Every listed word in the text, each judged: counted, or discounted with the reason.

    `benign` are longer words that contain a listed one without meaning it (炸鸡 for 炸, 开刀
    for 刀): a listed word inside one of them is not a mention at all.
    """
    text = normalise(text)
    words = sorted({w for w in words if w}, key=len, reverse=True)
    benign = tuple(b for b in benign if b)
    negations = tuple(negations)
    settled = any(m in text for m in _SETTLED_MARKERS)
    joked = [q for q in _JOKED_QUOTE.findall(text) if q]
    laughing = any(m in text for m in _LAUGHTER)
    found: list[Mention] = []
    for sentence, clause in _clauses_with_sentences(text):
        taken: list[tuple[int, int]] = []
        for word in words:
            start = clause.find(word)
            while start != -1:
                end = start + len(word)
                inside_taken = any(a <= start and end <= b for a, b in taken)
                if not inside_taken and not _inside_benign(clause, start, end, benign):
                    taken.append((start, end))
                    why = _discount(clause, start, negations, settled, sentence)
                    if not why and (laughing or any(clause.strip("“”\"'「」 ") in q for q in joked)):
                        why = "joke"
                    found.append(Mention(word, clause, why))
                start = clause.find(word, start + 1)
    return found


def _inside_benign(clause: str, start: int, end: int, benign: tuple[str, ...]) -> bool:
    for b in benign:
        pos = clause.find(b)
        while pos != -1:
            if pos <= start and end <= pos + len(b):
                return True
            pos = clause.find(b, pos + 1)
    return False


_SENTENCE_END = re.compile(r"[。！？!?；;\n\r]+")
# A clause told as now (又, 这次, 今天) is not part of a settled past, whatever its sentence says.
_NOW_MARKERS = (
    "又",
    "现在",
    "这次",
    "这回",
    "这礼拜",
    "这周",
    "今天",
    "昨天",
    "最近",
    "这几天",
    "刚才",
    "今早",
    "今晚",
)


@lru_cache(maxsize=32)
def _clauses_with_sentences(text: str) -> tuple[tuple[str, str], ...]:
    """Each clause with its sentence; cached, since every signal's word list reads the same text."""
    return tuple((sentence, clause) for sentence in _SENTENCE_END.split(text) for clause in clauses(sentence))


def _discount(clause: str, start: int, negations: tuple[str, ...], settled: bool, sentence: str = "") -> str:
    if _cue_before(clause, start, negations):
        return "negated"
    if _FIGURE_OF_SPEECH.search(clause[:start]):
        return "figure_of_speech"
    for reason, markers in DISCOUNT_MARKERS.items():
        if any(m in clause for m in markers):
            return reason
    told_now = any(m in clause for m in _NOW_MARKERS)
    if settled and not told_now and any(m in (sentence or clause) for m in _PAST_MARKERS):
        return "past_settled"
    return ""


# --- Numbers ---------------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
_NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_DIGITS}几数]+)"
# Approximations and their lower bounds: 上百 100, 近百 90, 成百上千 100, 数十/几十 20, 十几 11.
_APPROX_WHOLE = {
    "上百": 100,
    "近百": 90,
    "百余": 100,
    "成百上千": 100,
    "上千": 1000,
    "近千": 900,
    "千余": 1000,
    "上万": 10000,
    "好几十": 20,
    "几十": 20,
    "数十": 20,
    "几百": 200,
    "数百": 200,
    "几千": 2000,
    "数千": 2000,
    "十几": 11,
    "十多": 11,
    "十来": 10,
    "好几": 3,
    "几": 2,
}
_APPROX_WORDS = "|".join(sorted(_APPROX_WHOLE, key=len, reverse=True))
_QUANTITY = rf"(?:{_APPROX_WORDS}|{_NUM})(?:多|余|来|几)?(?:{_NUM})?"

# Head counts: a quantity, an optional measure word, then people (人, 户, 名 工人, 位 村民…).
_PEOPLE_NOUN = (
    r"(?:个|名|位)?(?:多|余)?(?:人|户|名|位|家|个工人|工人|农民工|工友|村民|业主|员工|职工|骑手|师傅|商户|老人|学生)"
)
_PEOPLE = re.compile(rf"({_QUANTITY}){_PEOPLE_NOUN}")
# Amounts: a quantity then 元, 块 or 万 (and 万 is not followed by a non-money unit).
_MONEY = re.compile(
    rf"(?:￥|¥|人民币)?({_QUANTITY})(多|余)?(万元|万块|万|[wW](?![a-zA-Z])|元|块钱|块)(?![人户名位平亩斤吨米公里年个家口])"
)
# 我们五个在同一家平台接单的: "we, N of us" is a head count whatever noun follows.
_WE_COUNT = re.compile(rf"我们(?:这|那)?({_QUANTITY})(?:个|名|位|家|户|人)")
_YEN_ONLY = re.compile(r"[￥¥]\s*(\d+(?:,\d{3})*(?:\.\d+)?)")

# A figure counts only in a clause about the dispute; a clause that only describes (小区有三百户,
# 房子价值一百万) does not. Stake: what is owed, lost, claimed; involvement: who is affected.
STAKE_WORDS = (
    "欠",
    "拖欠",
    "借",
    "还",
    "赔",
    "损失",
    "要求",
    "讨",
    "工资",
    "工钱",
    "货款",
    "退",
    "骗",
    "押金",
    "费用",
    "补偿",
    "不给",
    "没给",
    "没付",
    "结算",
    "支付",
    "索要",
    "扣",
    "罚",
    "涉及",
    "标的",
    "赖账",
    "垫付",
    "租金",
    "医药费",
    "医疗费",
    "首付",
    "定金",
    "订金",
    "彩礼",
)
# fmt: off
_DESCRIPTIVE = (
    "价值", "值", "一套", "一平", "买的", "买了", "量", "流水", "营业额", "房价", "市值", "年收入", "月收入",
    "工资是", "月薪",
    "年薪", "总价", "原价", "售价", "花了",
)
# fmt: on
INVOLVEMENT_WORDS = (
    "我们",
    "大家",
    "一起",
    "都",
    "共",
    "一共",
    "联名",
    "集体",
    "受害",
    "受影响",
    "被骗",
    "欠",
    "拖欠",
    "讨薪",
    "工资",
    "工钱",
    "涉及",
    "全体",
    "所有",
    "没拿到",
    "没领到",
    "要去",
    "准备",
    "围",
    "堵",
    "聚",
    "到我家",
    "来我家",
    "对峙",
)


_EXISTENTIAL = ("有", "住着", "住了", "约有", "共有")
_PLACES = ("小区", "村", "单元", "楼", "厂", "公司", "社区", "镇", "全村", "栋")
# Without an involvement word, a head count still counts in a clause that says something was done to them.
_AFFECTED = re.compile(r"被|受|遭|损|占|淹|坏|污染|骗|欠|没拿|没领|没结|讨|闹|告|要钱|堵|围|对峙|到我家|来我家|去")


@dataclass(frozen=True)
class Figure:
    """A number read from the text: its value (the lower bound of an approximation) and the words."""

    value: Decimal
    words: str


def to_number(words: str) -> Decimal | None:
    """三万多 → 30000, 五十余 → 50, 十几 → 11, 上百 → 100, 1.5万 → 15000, 3万5 → 35000; None if unreadable."""
    try:
        return _to_number(words)
    except (ValueError, TypeError, InvalidOperation, ArithmeticError, KeyError, IndexError, AttributeError):
        return None


def _to_number(words: str) -> Decimal | None:
    w = normalise(words).replace(",", "").strip()
    if not w:
        return None
    # Strip trailing approximations (三万多 → 三万, 五十余 → 五十, 三十来 → 三十).
    w = re.sub(r"[多余来]+$", "", w)
    w = re.sub(r"(?<=[十百千万])[多余来]", "", w)
    for whole, value in sorted(_APPROX_WHOLE.items(), key=lambda kv: -len(kv[0])):
        if w == whole:
            return Decimal(value)
        if w.startswith(whole):
            rest = w[len(whole) :]
            multiplier = {"万": 10000, "千": 1000, "百": 100, "十": 10}.get(rest)
            if multiplier:
                return Decimal(value * multiplier)
            break
    # 五六户, 三四十人, 七八万: a range of two neighbouring digits counts as the smaller.
    w = re.sub(r"([一二三四五六七八九])[一二三四五六七八九](?=[十百千万]|$)", r"\1", w)
    # 几/数 inside a number read as its smallest sense (二十几 → 二十二 is too much: 二十).
    w = re.sub(r"(?<=[十])[几数]", "", w)
    w = w.replace("几", "二").replace("数", "二")
    if not w:
        return None
    try:
        value = cn2an.cn2an(w, "smart")
    except Exception:  # noqa: BLE001 - the library raises bare ValueError and others for unreadable input
        return None
    number = Decimal(str(value))
    if number < 0 or number > Decimal("1e15"):
        return None
    return number


def read_head_counts(text: str) -> list[Figure]:
    """Head counts of the people involved (我们三十来个工人, 上百户村民的地被占了, 我们五个), not the
    size of a place (小区有三百户, 我们村八百多人) unless something is said to happen to them."""
    found: list[Figure] = []
    for clause in clauses(text):
        involved = any(w in clause for w in INVOLVEMENT_WORDS)
        for match in _PEOPLE.finditer(clause):
            before = clause[max(0, match.start() - 3) : match.start()]
            after = clause[match.end() :]
            describes_place = before.endswith(_PLACES) or (
                any(before.endswith(w) for w in _EXISTENTIAL) and not before.endswith("还有")
            )
            if describes_place and not _AFFECTED.search(after):
                continue
            if not involved and not describes_place and not _AFFECTED.search(clause):
                continue
            value = to_number(match.group(1))
            if value is not None and 1 <= value <= 1_000_000:
                found.append(Figure(value, match.group(0)))
        for match in _WE_COUNT.finditer(clause):
            value = to_number(match.group(1))
            if value is not None and 2 <= value <= 1_000_000:
                found.append(Figure(value, match.group(0)))
    return found


def read_amounts(text: str) -> list[Figure]:
    """Amounts in the text (欠了三万多元, 赔五十余万, 15w, ¥12,800), except in a clause that only
    describes a value or an income (房子价值一百万, 我月薪五千元)."""
    found: list[Figure] = []
    for clause in clauses(text):
        if any(w in clause for w in _DESCRIPTIVE):
            continue
        for match in _MONEY.finditer(clause):
            value = to_number(match.group(1))
            if value is None:
                continue
            if match.group(3)[0] in "万wW":
                value *= 10000
            if Decimal(0) < value < Decimal("1e12"):
                found.append(Figure(value, match.group(0)))
        for match in _YEN_ONLY.finditer(clause):
            value = to_number(match.group(1).replace(",", ""))
            if value is not None and Decimal(0) < value < Decimal("1e12"):
                found.append(Figure(value, match.group(0)))
    return found


def largest(figures: list[Figure]) -> Figure | None:
    return max(figures, key=lambda f: f.value) if figures else None
