"""Letter numbers under concurrency: staff issuing letters at the same moment never share a number (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from core.actors import Actor
from petitions import services
from petitions.models import PetitionLetter, PetitionLetterCounter
from petitions.rules import LetterKind

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_letters_issued_at_once_get_distinct_consecutive_numbers(register, clerk, departments, bureau):
    actor = Actor.for_user(clerk)
    # Separate petitions, so the only shared row is the office's counter (created by the race itself).
    petitions = []
    for i in range(THREADS):
        petition = register(petitioners=[{"name": f"信访人{i}", "phone": f"1370000000{i}"}], matter=f"第{i}件事项" * 10)
        petitions.append(
            services.petition_decide(
                petition=petition, actor=actor, decision="accept", handling_department=departments["a"]
            )
        )
    assert not PetitionLetterCounter.objects.exists()
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def issue(petition):
        try:
            barrier.wait(10)
            kind = LetterKind.ASSIGNMENT if petition.pk % 2 else LetterKind.REMINDER
            if kind == LetterKind.REMINDER:
                petition.leader_name = "李副区长"
                petition.save(update_fields=["leader_name"])
            services.petition_issue_letter(petition=petition, actor=actor, kind=kind)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(p,)) for p in petitions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    numbers = sorted(PetitionLetter.objects.filter(office=bureau).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    assert PetitionLetterCounter.objects.get(office=bureau).last_number == THREADS
    assert {p.letters.count() for p in petitions} == {1}


def test_numbers_continue_from_the_counter_on_any_database(register, clerk, departments, bureau):
    actor = Actor.for_user(clerk)
    petition = services.petition_decide(
        petition=register(), actor=actor, decision="accept", handling_department=departments["a"]
    )
    numbers = [
        services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.ASSIGNMENT).number
        for _ in range(3)
    ]
    assert numbers == [1, 2, 3]
