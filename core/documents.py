"""公文编号: document numbers as GB/T 9704 writes them (机关代字〔2026〕12号), unique per office, kind and year."""

from django.db import transaction

from core.models import DocumentCounter


def document_numbers_next(*, issuer: str, kind: str, year: int, count: int = 1) -> list[int]:
    """The next `count` numbers of this issuer's documents of `kind` in `year`, in order.

    Locks the counter row (created on first use), so two offices' or two
    transactions' numbers never collide; call inside the transaction that stores
    the documents, so a rolled-back one gives its numbers back.
    """
    if count < 1:
        return []
    with transaction.atomic():
        DocumentCounter.objects.get_or_create(issuer=issuer, kind=kind, year=year)
        counter = DocumentCounter.objects.select_for_update().get(issuer=issuer, kind=kind, year=year)
        first = counter.last_number + 1
        counter.last_number += count
        counter.save(update_fields=["last_number"])
    return list(range(first, first + count))


def document_number_text(*, code: str, year: int, number: int) -> str:
    """西湖矛调督〔2026〕12号: the office's code, the year in 〔〕, the number, 号 (no 第, no leading zeros)."""
    return f"{code}〔{year}〕{number}号"
