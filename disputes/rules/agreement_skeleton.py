"""参照起草: an agreement's structure without its people, sums, dates and places. Pure functions.

A past agreement (调解协议书) is a good pattern for a new one: its clauses, their order,
how payment is split and by when. `skeleton` keeps all that and puts placeholders where the
past case's particulars stood:

| found                                                        | becomes                 |
| ------------------------------------------------------------ | ----------------------- |
| an applicant's / respondent's / third party's name, or its   | 〔甲方〕〔乙方〕〔丙方〕 |
| surname with 某 (张某, 张某某)                               | (〔甲方二〕 for the     |
|                                                              | second applicant …)     |
| a phone number (mobile or landline)                          | 〔电话〕                |
| an ID-card number (18 characters)                            | 〔身份证号〕            |
| any other run of 7 or more digits (bank account, card)       | 〔账号〕                |
| a sum: digits or Chinese numerals with 元/万元/块, ￥/¥ 123  | 〔金额〕                |
| a date: 2024年3月5日, 2024年3月, 3月5日, 2024-03-05,        | 〔日期〕                |
| 2024/3/5, 二〇二四年三月五日                                  |                         |
| a known address or place (the parties', where it happened,   | 〔地址〕 / 〔地点〕     |
| the area's names), and a house number (12号, 3栋2单元)       |                         |

Short numbers that shape the agreement (分3期, 每月, 第2条) stay. Names of people who were
not parties (a guarantor named only in the text) cannot be found by pattern; the staff
pages show a skeleton only with the other case's own values masked on top.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ROLE_PLACEHOLDERS = {"applicant": "甲方", "respondent": "乙方", "third_party": "丙方"}
ORDINALS = "一二三四五六七八九十"

PHONE = "〔电话〕"
ID_NUMBER = "〔身份证号〕"
ACCOUNT = "〔账号〕"
AMOUNT = "〔金额〕"
DATE = "〔日期〕"
ADDRESS = "〔地址〕"
PLACE = "〔地点〕"

_CN_NUM = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
_DIGIT = r"[0-9０-９]"
_ID = re.compile(rf"(?<!{_DIGIT}){_DIGIT}{{17}}[0-9０-９Xx](?!{_DIGIT})")
_MOBILE = re.compile(rf"(?<!{_DIGIT})(?:\+?86[- ]?)?1[3-9]{_DIGIT}(?:[- ]?{_DIGIT}{{4}}){{2}}(?!{_DIGIT})")
_LANDLINE = re.compile(rf"(?<!{_DIGIT})0{_DIGIT}{{2,3}}-{_DIGIT}{{7,8}}(?!{_DIGIT})")
_LONG_NUMBER = re.compile(rf"(?<!{_DIGIT}){_DIGIT}(?:[ -]?{_DIGIT}){{6,}}(?!{_DIGIT})")
_NUMBER = rf"(?:{_DIGIT}+(?:[,，]{_DIGIT}{{3}})*(?:\.{_DIGIT}+)?|[{_CN_NUM}]+(?:点[{_CN_NUM}]+)?)"
_AMOUNT = re.compile(
    rf"(?:人民币)?(?:[￥¥]\s*{_DIGIT}+(?:[,，]{_DIGIT}{{3}})*(?:\.{_DIGIT}+)?(?:\s*元)?"
    rf"|{_NUMBER}\s*(?:万|千|百)?(?:余|多)?\s*(?:元整|元|块钱|块))"
)
_YEAR = rf"(?:{_DIGIT}{{4}}|[〇零一二三四五六七八九]{{4}})年"
_MONTH = r"(?:[0-9０-９]{1,2}|十[一二]?|[一二三四五六七八九])月"
_DAY = r"(?:[0-9０-９]{1,2}|[一二]?十[一二三四五六七八九]?|三十[一]?|[一二三四五六七八九])[日号]"
_DATE = re.compile(
    rf"{_YEAR}{_MONTH}(?:{_DAY})?"
    rf"|{_MONTH}{_DAY}"
    rf"|(?<!{_DIGIT}){_DIGIT}{{4}}[-/.]{_DIGIT}{{1,2}}[-/.]{_DIGIT}{{1,2}}(?!{_DIGIT})"
)
_HOUSE_NUMBER = re.compile(
    rf"(?:(?<=[路街巷弄道村组里]){_DIGIT}+号|{_DIGIT}+(?:号楼|栋|幢|单元))(?:{_DIGIT}+(?:栋|幢|单元|室|号))*"
)

# A Chinese input method's full-width digits (１３８…) are digits like any other.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_PLACE_RUN = re.compile(r"(〔地点〕|〔地址〕)(?:〔地点〕|〔地址〕)+")
_ROLE_TWICE = re.compile(r"(甲方|乙方|丙方)(〔\1[一二三四五六七八九十0-9]*〕)")


@dataclass(frozen=True)
class Person:
    """A party of the past case: role and the values to take out."""

    role: str
    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""


def role_placeholders(people: Sequence[Person]) -> dict[str, str]:
    """Each party's name → its placeholder: 〔甲方〕 for the first applicant, 〔甲方二〕 for the second …"""
    seen: dict[str, int] = {}
    found: dict[str, str] = {}
    for person in people:
        if not person.name or person.name in found:
            continue
        base = ROLE_PLACEHOLDERS.get(person.role, "丙方")
        n = seen.get(base, 0)
        seen[base] = n + 1
        suffix = "" if n == 0 else (ORDINALS[n] if n < len(ORDINALS) else str(n + 1))
        found[person.name] = f"〔{base}{suffix}〕"
    return found


def _replace_known(text: str, values: dict[str, str]) -> str:
    """Replace every known value, longest first so that 欧阳娜娜 goes before 欧阳."""
    values = {k: v for k, v in values.items() if k}
    if not values:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda m: values[m.group(0)], text)


def skeleton(
    text: str,
    *,
    people: Sequence[Person] = (),
    places: Iterable[str] = (),
) -> str:
    """`text` with the table's particulars replaced by placeholders (module docstring)."""
    if not text:
        return ""
    text = text.translate(_FULL_WIDTH_DIGITS)
    names = role_placeholders(people)
    known: dict[str, str] = {}
    for person in people:
        if person.phone and len(person.phone) >= 5:
            known[person.phone] = PHONE
        if person.id_number and len(person.id_number) >= 5:
            known[person.id_number] = ID_NUMBER
        if person.address and len(person.address) >= 4:
            known[person.address] = ADDRESS
    for place in places:
        if place and len(place) >= 2:
            known.setdefault(place, PLACE)
    # Addresses and numbers first: a name may sit inside an address ("张家村").
    text = _replace_known(text, known)
    text = _ID.sub(ID_NUMBER, text)
    text = _MOBILE.sub(PHONE, text)
    text = _LANDLINE.sub(PHONE, text)
    text = _DATE.sub(DATE, text)
    text = _LONG_NUMBER.sub(ACCOUNT, text)
    text = _AMOUNT.sub(AMOUNT, text)
    text = _HOUSE_NUMBER.sub(ADDRESS, text)
    # Names, then "张某" / "张某某" for a party written that way.
    by_name = dict(names)
    for name, placeholder in names.items():
        if len(name) >= 2:
            by_name.setdefault(name[0] + "某某", placeholder)
            by_name.setdefault(name[0] + "某", placeholder)
    text = _replace_known(text, {k: v for k, v in by_name.items() if len(k) >= 2})
    # "乙方李四" reads "〔乙方〕", not "乙方〔乙方〕".
    text = _ROLE_TWICE.sub(r"\2", text)
    # "南浦街道船山社区" is one place, not two.
    return _PLACE_RUN.sub(r"\1", text)
