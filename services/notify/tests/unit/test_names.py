"""The name book: names from routing's `list_names`, kept for the TTL, codes when routing cannot answer."""
from __future__ import annotations

from libs.contracts.directory import DirectoryNames, NamedEntry
from services.notify import names
from services.notify.names import NOT_SET, NameBook

THANH_SEN = NamedEntry(code="18073", name_vi="Phường Thành Sen", name_en="Thành Sen Ward")
UBND = NamedEntry(code="UBND_18073", name_vi="UBND Phường Thành Sen", name_en="People's Committee of Thành Sen Ward")


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
    assert book.agency("UBND_18073") == {"vi": "UBND Phường Thành Sen", "en": "People's Committee of Thành Sen Ward"}
    assert book.ward("18073") == {"vi": "Phường Thành Sen", "en": "Thành Sen Ward"}
    assert book.agency("SO_XD") == "SO_XD" and book.ward("18070") == "18070" and book.category("X") == "X"
    assert book.ward(None) == NOT_SET and book.agency("") == NOT_SET


def test_routing_is_asked_once_per_ttl(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(names.time, "monotonic", lambda: clock[0])
    routing, book = Routing(directory(units=[THANH_SEN])), NameBook(ttl_s=300)
    for _ in range(5):
        book.refresh(routing)
    assert routing.calls == 1
    clock[0] += 301
    book.refresh(routing)
    assert routing.calls == 2


def test_when_routing_cannot_answer_codes_are_shown_and_it_is_asked_again_soon(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(names.time, "monotonic", lambda: clock[0])
    routing, book = Routing(None, directory(units=[THANH_SEN])), NameBook(ttl_s=300)
    book.refresh(routing)
    book.refresh(routing)
    assert routing.calls == 1 and book.ward("18073") == "18073"
    clock[0] += names.RETRY_S + 0.1  # not a whole TTL with codes in every message
    book.refresh(routing)
    assert routing.calls == 2 and book.ward("18073") == {"vi": "Phường Thành Sen", "en": "Thành Sen Ward"}


def test_names_once_known_outlive_an_unreachable_or_unseeded_routing(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(names.time, "monotonic", lambda: clock[0])
    routing = Routing(directory(agencies=[UBND]), None, directory(version=0), {"version": "x"})
    book = NameBook(ttl_s=1)
    for _ in range(4):
        book.refresh(routing)
        clock[0] += 20
        assert book.agency("UBND_18073")["vi"] == "UBND Phường Thành Sen"
    assert routing.calls == 4
