"""The benches' pure parts: ab's report, percentiles, the open-loop schedule, the search and the verdict."""

from __future__ import annotations

import asyncio
import math

import pytest

from bench import ab, arrivals, http11
from bench.hardware import percentile
from bench.reads import ratio, table

AB_REPORT = """\
Server Software:        uvicorn
Document Path:          /v1/reports
Document Length:        117000 bytes

Concurrency Level:      32
Time taken for tests:   8.001 seconds
Complete requests:      300
Failed requests:        41
   (Connect: 0, Receive: 2, Length: 38, Exceptions: 1)
Non-2xx responses:      5
Keep-Alive requests:    0
Total transferred:      35166000 bytes
HTML transferred:       35100000 bytes
Requests per second:    37.50 [#/sec] (mean)
Time per request:       853.333 [ms] (mean)

Percentage of the requests served within a certain time (ms)
  50%    766
  66%    800
  95%   1050
  99%   1108
 100%   1350 (longest request)
"""


def test_ab_report_is_read():
    r = ab.parse(AB_REPORT)
    assert (r.complete, r.rps, r.p50_ms, r.p99_ms, r.max_ms, r.seconds) == (300, 37.5, 766, 1108, 1350, 8.001)
    assert r.bytes_per_response == 117000 and r.keep_alive == 0


def test_ab_length_failures_are_not_errors():
    """Pages whose length varies (times, counts) are "Length" failures for ab; errors are the rest +
    non-2xx."""
    assert ab.parse(AB_REPORT).errors == 5 + 2 + 1


def test_ab_clean_report_has_no_errors():
    clean = AB_REPORT.replace(
        "Failed requests:        41\n   (Connect: 0, Receive: 2, Length: 38, Exceptions: 1)\n",
        "Failed requests:        0\n",
    ).replace("Non-2xx responses:      5\n", "")
    assert ab.parse(clean).errors == 0


def test_not_an_ab_report_is_refused():
    with pytest.raises(ValueError):
        ab.parse("apr_socket_recv: Connection refused (111)")


@pytest.mark.parametrize("p, expected", [(50, 50), (95, 95), (99, 99), (100, 100), (0, 1)])
def test_nearest_rank_percentile(p, expected):
    assert percentile([float(v) for v in range(1, 101)], p) == expected


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 99))
    assert arrivals.Summary.of([]).n == 0 and math.isnan(arrivals.Summary.of([]).max)


def test_summary_sorts_its_values():
    s = arrivals.Summary.of([30.0, 10.0, 20.0])
    assert (s.n, s.p50, s.max) == (3, 20.0, 30.0)


@pytest.mark.parametrize(
    "rate, duration, count, last",
    [(35, 20, 700, 699 / 35), (100, 2, 200, 1.99), (2.5, 1, 3, 0.8), (10, 0.05, 1, 0.0)],
)
def test_schedule_is_a_fixed_arrival_rate(rate, duration, count, last):
    due = arrivals.schedule(rate, duration)
    assert len(due) == count and due[0] == 0.0 and due[-1] == pytest.approx(last)
    gaps = {round(b - a, 9) for a, b in zip(due, due[1:])}
    assert gaps <= {round(1 / rate, 9)}


@pytest.mark.parametrize("rate, duration", [(0, 10), (10, 0), (-1, 5)])
def test_schedule_of_nothing(rate, duration):
    assert arrivals.schedule(rate, duration) == []


@pytest.mark.parametrize(
    "passed, failed, expected",
    [
        ([35, 100], [], 150),  # above every pass: 1.5x the best
        ([35, 100, 150], [], 225),
        ([35, 100], [150], 125),  # between the best pass and the lowest failure above it
        ([35, 100, 125], [150], 138),
        ([35, 100, 140], [150], None),  # within 10 % of the pass: found
        ([35], [100], 68),
        ([], [35, 100], 18),  # nothing passes: half the lowest failure
        ([], [5], None),  # within 5 reports/s of nothing
        ([100], [50], 150),  # a failure below the best pass does not bound the search
    ],
)
def test_search_for_the_highest_sustained_rate(passed, failed, expected):
    assert arrivals.next_rate(passed, failed) == expected


def step(**kw) -> arrivals.Step:
    s = arrivals.Step("urgent", 100, 10, sent=1000, send_seconds=10.0)
    s.routed = arrivals.Summary.of([1000.0] * 1000)
    for k, v in kw.items():
        setattr(s, k, v)
    return s


@pytest.mark.parametrize(
    "change, sustained",
    [
        ({}, True),
        ({"routed": arrivals.Summary.of([6000.0] * 1000)}, False),  # routed p99 over 5 s
        ({"routed": arrivals.Summary.of([1000.0] * 999)}, False),  # one report never routed
        ({"errors": {"submit HTTP 503": 1}}, False),
        ({"send_seconds": 12.0}, False),  # the client fell behind: 83/s, not 100
        ({"sent": 0, "routed": arrivals.Summary.of([])}, False),
    ],
)
def test_what_counts_as_sustained(change, sustained):
    assert step(**change).sustained() is sustained


def test_highest_sustained_step():
    slow = step(routed=arrivals.Summary.of([9000.0] * 1000))
    slow.rate = 150
    assert arrivals.highest_sustained([step(), slow]).rate == 100
    assert arrivals.highest_sustained([slow]) is None


def test_read_table_gives_each_path_its_ratio_to_health():
    health = ab.AbResult(1000, 2000.0, 7, 10, 12, 0, 15, 0, 8.0)
    page = ab.AbResult(400, 50.0, 700, 1100, 1200, 0, 117000, 0, 8.0)
    rows = table({"/health": health, "/v1/reports": page})
    assert rows[2].endswith("| 100.0 % |") and rows[3].endswith("| 2.5 % |") and "117,000" in rows[3]
    assert ratio(1, 0) == "n/a"


def test_http11_request_on_the_wire():
    wire = http11.request_bytes(
        "POST", "/v1/reports", "127.0.0.1:8000", b'{"a":1}', {"Idempotency-Key": "k1"}
    )
    head, body = wire.split(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /v1/reports HTTP/1.1",
        b"Host: 127.0.0.1:8000",
        b"Connection: keep-alive",
        b"Content-Type: application/json",
        b"Content-Length: 7",
        b"Idempotency-Key: k1",
    ]
    assert body == b'{"a":1}'
    assert http11.request_bytes("GET", "/ready", "h", None, {}).endswith(b"Connection: keep-alive\r\n\r\n")


def read(raw: bytes):
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await http11.read_answer(reader)

    return run_apart(go)


def run_apart(coroutine_function):
    """asyncio.run in an OS thread of its own: the browser tests before these (sync Playwright) leave an event
    loop marked running in the main thread, where asyncio.run refuses to start."""
    from eventlet.patcher import original

    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coroutine_function())
        except BaseException as exc:  # noqa: BLE001 (re-raised in the test's thread)
            box["error"] = exc

    thread = original("threading").Thread(target=target)
    thread.start()
    thread.join(30)
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_http11_answer_with_a_length():
    answer, reusable = read(
        b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n"
        b'{"id":"r1"}HTTP/1.1 200 OK'
    )  # the next answer's bytes stay in the stream
    assert (answer.status_code, answer.json(), reusable) == (201, {"id": "r1"}, True)


def test_http11_chunked_answer_and_connection_close():
    answer, reusable = read(
        b"HTTP/1.1 504 Gateway Timeout\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"4\r\nslow\r\n7;x=y\r\n answer\r\n0\r\n\r\n"
    )
    assert (answer.status_code, answer.text, reusable) == (504, "slow answer", False)


def test_http11_closed_connection_is_an_incomplete_read():
    with pytest.raises(asyncio.IncompleteReadError):
        read(b"")
