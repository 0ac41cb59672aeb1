"""The name book: names from routing's `list_names`, kept for the TTL, codes when routing cannot answer."""

from __future__ import annotations

import threading

from libs.contracts.directory import DirectoryNames, NamedEntry
from libs.platform import expiring
from services.notify.domain import names
from services.notify.domain.names import NOT_SET, NameBook

THANH_SEN = NamedEntry(code="18073", name_vi="Phường Thành Sen", name_en="Thành Sen Ward")
UBND = NamedEntry(
    code="UBND_18073", name_vi="UBND Phường Thành Sen", name_en="People's Committee of Thành Sen Ward"
)


class Routing:
    """Answers `list_names` from a list of answers (None: routing could not answer), counting the calls."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def __call__(self):
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer.model_dump(mode="json") if isinstance(answer, DirectoryNames) else answer


def directory(version: int = 1, **lists) -> DirectoryNames:
    return DirectoryNames(version=version, **lists)


def test_names_in_both_languages_and_codes_for_anything_unknown():
    book = NameBook(ttl_s=300)
    book.refresh(Routing(directory(agencies=[UBND], units=[THANH_SEN])))
    assert book.agency("UBND_18073") == {
        "vi": "UBND Phường Thành Sen",
        "en": "People's Committee of Thành Sen Ward",
    }
    assert book.ward("18073") == {"vi": "Phường Thành Sen", "en": "Thành Sen Ward"}
    assert book.agency("SO_XD") == "SO_XD" and book.ward("18070") == "18070" and book.category("X") == "X"
    assert book.ward(None) == NOT_SET and book.agency("") == NOT_SET


def test_routing_is_asked_once_per_ttl(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(expiring.time, "monotonic", lambda: clock[0])
    routing, book = Routing(directory(units=[THANH_SEN])), NameBook(ttl_s=300)
    for _ in range(5):
        book.refresh(routing)
    assert routing.calls == 1
    clock[0] += 301
    book.refresh(routing)
    assert routing.calls == 2


def test_when_routing_cannot_answer_codes_are_shown_and_it_is_asked_again_soon(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(expiring.time, "monotonic", lambda: clock[0])
    routing, book = Routing(None, directory(units=[THANH_SEN])), NameBook(ttl_s=300)
    book.refresh(routing)
    book.refresh(routing)
    assert routing.calls == 1 and book.ward("18073") == "18073"
    clock[0] += names.RETRY_S + 0.1  # not a whole TTL with codes in every message
    book.refresh(routing)
    assert routing.calls == 2 and book.ward("18073") == {"vi": "Phường Thành Sen", "en": "Thành Sen Ward"}


def test_names_once_known_outlive_an_unreachable_or_unseeded_routing(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(expiring.time, "monotonic", lambda: clock[0])
    routing = Routing(directory(agencies=[UBND]), None, directory(version=0), {"version": "x"})
    book = NameBook(ttl_s=1)
    for _ in range(4):
        book.refresh(routing)
        clock[0] += 20
        assert book.agency("UBND_18073")["vi"] == "UBND Phường Thành Sen"
    assert routing.calls == 4


def test_before_the_first_answer_a_second_reader_waits_for_the_question_in_flight_not_for_codes():
    """Two messages rendered at once right after a start (the agency's webhook and e-mail): the second reader
    must not send codes because the first is still asking routing."""
    asked, answer_now = threading.Event(), threading.Event()
    calls = []

    def slow_routing():
        calls.append(1)
        asked.set()
        answer_now.wait(5)
        return directory(units=[THANH_SEN]).model_dump(mode="json")

    book, seen = NameBook(ttl_s=300), []
    first = threading.Thread(target=book.refresh, args=(slow_routing,))
    first.start()
    assert asked.wait(5)

    def second_reader():
        book.refresh(slow_routing)
        seen.append(book.ward("18073"))

    second = threading.Thread(target=second_reader)
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the answer, not rendering codes
    answer_now.set()
    first.join(5), second.join(5)
    assert seen == [{"vi": "Phường Thành Sen", "en": "Thành Sen Ward"}] and len(calls) == 1


def test_once_names_are_known_readers_do_not_wait_for_a_refresh(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(expiring.time, "monotonic", lambda: clock[0])
    book = NameBook(ttl_s=300)
    book.refresh(Routing(directory(units=[THANH_SEN])))
    clock[0] += 301
    asked, answer_now = threading.Event(), threading.Event()

    def slow_routing():
        asked.set()
        answer_now.wait(5)
        return None

    refreshing = threading.Thread(target=book.refresh, args=(slow_routing,))
    refreshing.start()
    assert asked.wait(5)
    book.refresh(slow_routing)  # returns at once: the names there are serve
    assert book.ward("18073")["vi"] == "Phường Thành Sen"
    answer_now.set()
    refreshing.join(5)
