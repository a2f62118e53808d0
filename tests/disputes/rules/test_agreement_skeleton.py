"""参照起草: an agreement's particulars become placeholders, its structure stays (disputes.rules.agreement_skeleton)."""

import pytest

from disputes.rules.agreement_skeleton import Person, role_placeholders, skeleton

PEOPLE = (
    Person("applicant", "张三", "13812345678", "360102199001011234", "南昌市西湖区船山路12号302室"),
    Person("respondent", "李四", "13900001111"),
    Person("applicant", "欧阳娜娜"),
    Person("third_party", "王五"),
)
PLACES = ("船山社区", "南浦街道")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names by role, the second applicant numbered, a longer name before a shorter one
        ("张三与李四达成如下协议", "〔甲方〕与〔乙方〕达成如下协议"),
        ("欧阳娜娜同意", "〔甲方二〕同意"),
        ("王五作为担保人", "〔丙方〕作为担保人"),
        ("乙方李四确认", "〔乙方〕确认"),
        ("张某、李某某到场", "〔甲方〕、〔乙方〕到场"),
        # sums, in figures, in Chinese, with ￥
        ("支付人民币12,000元", "支付〔金额〕"),
        ("赔偿1.2万元", "赔偿〔金额〕"),
        ("赔偿五千元整", "赔偿〔金额〕"),
        ("退还押金￥3000", "退还押金〔金额〕"),
        ("补偿两万块钱", "补偿〔金额〕"),
        # dates
        ("于2024年3月5日前付清", "于〔日期〕前付清"),
        ("2024年12月底前", "〔日期〕底前"),
        ("三月五日前", "〔日期〕前"),
        ("二〇二四年三月五日签订", "〔日期〕签订"),
        ("2024-05-01前", "〔日期〕前"),
        # phones, ID numbers, accounts
        ("联系电话13812345678", "联系电话〔电话〕"),
        ("电话138-1234-5678", "电话〔电话〕"),
        ("座机0791-88881234", "座机〔电话〕"),
        ("身份证号360102199001011234", "身份证号〔身份证号〕"),
        ("转入账户6222021234567890123", "转入账户〔账号〕"),
        ("电话１３８１２３４５６７８", "电话〔电话〕"),
        # addresses and places
        ("住南昌市西湖区船山路12号302室", "住〔地址〕"),
        ("在南浦街道船山社区调解室", "在〔地点〕调解室"),
        ("送至解放路88号", "送至解放路〔地址〕"),
        ("3栋2单元", "〔地址〕"),
        # structure stays
        ("分3期支付，每期于每月15日前", "分3期支付，每期于每月15日前"),
        ("第2条 双方不再追究", "第2条 双方不再追究"),
        ("一、双方自愿和解；二、互不追究", "一、双方自愿和解；二、互不追究"),
        ("", ""),
    ],
)
def test_skeleton(text, expected):
    assert skeleton(text, people=PEOPLE, places=PLACES) == expected


def test_role_placeholders_number_each_role():
    assert role_placeholders(
        [Person("applicant", "甲"), Person("applicant", "乙"), Person("applicant", "丙"), Person("respondent", "丁")]
    ) == {"甲": "〔甲方〕", "乙": "〔甲方二〕", "丙": "〔甲方三〕", "丁": "〔乙方〕"}


def test_without_known_people_the_patterns_still_apply():
    assert skeleton("某某于2024年1月1日前支付3000元，电话13812345678") == "某某于〔日期〕前支付〔金额〕，电话〔电话〕"
