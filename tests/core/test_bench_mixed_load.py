"""bench/mixed_load.py without a server: the mix, the requests it builds and the figures it reports."""

import json
import random
from collections import Counter

from bench import mixed_load as m
from bench.submit import Payloads


def world() -> m.World:
    mediator = m.Staff(
        "tiaojie", "sessionid=s1; csrftoken=t1", csrf="t1", scopes=["mine", "department"], cases=["A1", "B2"]
    )
    mediator.own_cases = ["A1"]
    supervisor = m.Staff("zhuguan", "sessionid=s2", drill_codes=["360103", "360104"])
    caller = m.Staff("huifang", "sessionid=s3")
    w = m.World(
        mediators=[mediator],
        supervisors=[supervisor],
        callers=[caller],
        payloads=Payloads(categories=["family"], grids=["360103001001001"], seed=1),
    )
    w.submitted.append(("CASE123", "13800000000"))
    return w


def test_the_mix_is_a_hundred_and_reads_outweigh_writes():
    assert sum(m.WEIGHTS.values()) == 100
    writes = m.WEIGHTS["resident_submit"] + m.WEIGHTS["mediator_note"]
    assert writes == 10
    assert min(m.WEIGHTS.values()) >= 4  # enough samples for each endpoint's p99


def test_every_endpoint_builds_a_request_of_its_kind():
    w, rnd = world(), random.Random(3)
    seen = {}
    for name in m.WEIGHTS:
        (method, path, body, headers, ok), submission = m.make_request(name, w, rnd)
        seen[name] = (method, path)
        if method == "POST":
            assert headers["Content-Type"] == "application/json"
            json.loads(body)
        if name.startswith(("mediator_", "supervisor_", "callback_")):
            assert headers["Cookie"].startswith("sessionid=")
        assert ok and all(200 <= status < 300 for status in ok)
        assert (submission is not None) == (name == "resident_submit")
    assert seen["resident_submit"] == ("POST", "/api/v1/public/cases/")
    assert seen["resident_track"] == ("POST", "/api/v1/public/track/")
    assert seen["mediator_case_page"][1] in ("/work/case/A1/", "/work/case/B2/")
    assert seen["mediator_note"] == ("POST", "/api/v1/cases/A1/notes/")  # on one of their own cases
    assert seen["supervisor_drilldown"][1] in ("/work/dashboard/360103/", "/work/dashboard/360104/")
    _, _, body, headers, _ = m.make_request("mediator_note", w, rnd)[0]
    assert headers["X-CSRFToken"] == "t1"
    _, _, body, _, _ = m.make_request("resident_track", w, rnd)[0]
    assert json.loads(body) == {"tracking_number": "CASE123", "phone": "13800000000"}


def test_submissions_have_distinct_phones():
    w, rnd = world(), random.Random(0)
    phones = [m.make_request("resident_submit", w, rnd)[1]["applicant"]["phone"] for _ in range(50)]
    assert len(set(phones)) == 50


def test_the_weights_drive_the_choice():
    names, cumulative, total = list(m.WEIGHTS), [], 0
    for name in names:
        total += m.WEIGHTS[name]
        cumulative.append(total)
    counts = Counter(random.Random(7).choices(names, cum_weights=cumulative, k=20_000))
    for name, weight in m.WEIGHTS.items():
        assert abs(counts[name] / 20_000 - weight / 100) < 0.01, name


def test_endpoint_figures_and_the_slowest_window():
    e = m.Endpoint("x")
    for ms in range(1, 101):
        e.record(200, ms / 1000, ok=True)
    e.record(500, 0.5, ok=False, detail="boom")
    figures = e.figures()
    assert figures["count"] == 101
    assert figures["errors"] == 1
    assert (figures["p50_ms"], figures["p95_ms"], figures["p99_ms"]) == (50.0, 95.0, 99.0)
    assert figures["statuses"] == {200: 100, 500: 1}
    # 10 requests a second for 20 s, then 2 a second for 10 s: the slowest 10-second window is 2/s.
    completions = [i / 10 for i in range(200)] + [20 + i / 2 for i in range(20)]
    assert m.lowest_window(completions, 0.0, 30.0) == 2.0
    assert m.lowest_window(completions, 0.0, 5.0) == 0.0  # shorter than one window


def test_csrf_token_is_read_from_the_cookie_header():
    assert m.csrf_of("csrftoken=abc; sessionid=x") == "abc"
    assert m.csrf_of("sessionid=x; csrftoken=def") == "def"
    assert m.csrf_of("sessionid=x") == ""
