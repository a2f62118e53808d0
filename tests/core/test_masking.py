import pytest

from core.masking import mask_address, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86*******5678"),
        ("0791-8888666", "079*****8666"),  # 12 characters: the long form
        ("88886666", "******66"),  # a landline without area code
        ("12", "12"),
        ("1", "1"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("36010219900101123X", "360*************3X"),
        ("360102199001011234", "360*************34"),
        ("360102900101123", "360**********23"),  # the old 15-digit card
        ("123456", "123*56"),
        ("12345", "*****"),
        ("1", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("李四", "李*"),
        ("欧阳娜娜", "欧***"),
        ("王", "*"),
        ("Alice", "A****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("南昌市西湖区南浦街道船山路12号3栋201室", "南昌市西湖区****"),
        ("船山路12号", "船山路****"),
        ("一二", "一****"),
        ("一", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_address(address, masked):
    assert mask_address(address) == masked


@pytest.mark.parametrize(
    ("mask", "value"),
    [
        (mask_phone, "13812345678"),
        (mask_id_number, "36010219900101123X"),
        (mask_name, "张三丰"),
        (mask_address, "南昌市西湖区南浦街道船山路12号"),
    ],
)
def test_masks_never_return_the_value(mask, value):
    masked = mask(value)
    assert masked != value
    assert "*" in masked
