"""Fake residents: names, mobile numbers and ID-card numbers that look real and are not.

Every function takes the caller's seeded `random.Random`, so a seed reproduces the data.
"""

import itertools
from datetime import date

from demo.rand import DemoRandom

# Common surnames, Jiangxi ones (熊, 万, 涂, 邹, 饶) weighted up; the weights are rough.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹熊万涂饶龚喻聂甘游黎"
)
_SURNAME_CUM_WEIGHTS = tuple(
    itertools.accumulate(
        8 if s in "王李张刘陈" else 5 if s in "熊万涂胡邓罗黄杨吴" else 2 if s in "周徐孙朱郭何高林" else 1
        for s in _SURNAMES
    )
)
_MALE = "伟强军勇磊涛斌明杰鹏辉华平刚峰建国志飞超波俊文龙海林亮凯东成宇浩然晨阳"
_FEMALE = "芳娟敏静丽艳娜霞燕玲萍红梅兰英琴秀慧婷雪颖倩晶洁琳佳欣怡婉"
# Prefixes of mainland mobile numbers in use (China Mobile, Unicom, Telecom).
_MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 147 150 151 152 153 155 156 157 158 159 166 "
    "170 171 172 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
).split()
# Birthplace codes of ID numbers: the demo counties and some neighbours in Jiangxi.
_BIRTHPLACES = ("360102", "360103", "360104", "360111", "360112", "360121", "360123", "360124", "362201", "360902")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

STREETS = (
    "中山路",
    "象山南路",
    "孺子路",
    "系马桩",
    "抚河北路",
    "洪都中大道",
    "井冈山大道",
    "迎宾大道",
    "昌南大道",
    "莲塘北大道",
    "站前西路",
    "解放西路",
    "丁公路",
    "桃花路",
    "广场南路",
)


def person_name(rng: DemoRandom, *, female: bool) -> str:
    surname = rng.weighted(_SURNAMES, _SURNAME_CUM_WEIGHTS)
    pool = _FEMALE if female else _MALE
    given = rng.choice(pool) if rng.random() < 0.35 else rng.choice(pool) + rng.choice(_MALE + _FEMALE)
    return surname + given


def mobile_number(rng: DemoRandom) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def id_check_digit(first17: str) -> str:
    """GB 11643-1999: the ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number(rng: DemoRandom, *, birth: date, female: bool, birthplace: str = "") -> str:
    """A GB 11643 number: birthplace, birth date, sequence (odd for men, even for women), check character."""
    if not birthplace or rng.random() < 0.3:
        birthplace = rng.choice(_BIRTHPLACES)
    sequence = rng.randrange(500) * 2 + (0 if female else 1)
    first17 = f"{birthplace}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)


def is_valid_id_number(value: str) -> bool:
    return len(value) == 18 and value[:17].isdigit() and id_check_digit(value[:17]) == value[17]
