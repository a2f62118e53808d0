"""Masking of personal data for people who do not work the case."""


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678; shorter numbers keep only their last two digits."""
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def mask_id_number(value: str | None) -> str:
    """Chinese resident ID (18 chars) -> first 3 and last 2 kept: 360***********123X style."""
    if not value:
        return ""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_name(name: str | None) -> str:
    """张三丰 -> 张**; keeps the family name only."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def mask_address(address: str | None) -> str:
    """Keeps the first six characters (district, street) and hides the rest."""
    if not address:
        return ""
    keep = min(6, len(address) // 2)
    return address[:keep] + "****"
