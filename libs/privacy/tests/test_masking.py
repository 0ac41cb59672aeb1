"""The masking function on a corpus of realistic Vietnamese texts: every marked span masked, nothing else
touched."""

from __future__ import annotations

import re

import pytest

from libs.privacy.masking import REDACTED, contains_personal_data, mask_personal_data

from .corpus import CORPUS

MARKED = re.compile(r"⟦(.*?)⟧")


def unmarked(text: str) -> str:
    return MARKED.sub(lambda m: m[1], text)


def expected(text: str) -> str:
    return MARKED.sub(REDACTED, text)


def test_the_corpus_is_large_and_mixed():
    with_data = [t for t in CORPUS if "⟦" in t]
    assert len(CORPUS) >= 100 and 30 <= len(with_data) <= len(CORPUS) - 50


@pytest.mark.parametrize("text", CORPUS, ids=[f"{i:03d}" for i in range(len(CORPUS))])
def test_masks_exactly_the_marked_spans(text):
    assert mask_personal_data(unmarked(text)) == expected(text)
    assert contains_personal_data(unmarked(text)) == ("⟦" in text)


@pytest.mark.parametrize("text", CORPUS, ids=[f"{i:03d}" for i in range(len(CORPUS))])
def test_masking_twice_changes_nothing_more(text):
    once = mask_personal_data(unmarked(text))
    assert mask_personal_data(once) == once


def test_every_spelling_of_one_mobile_is_masked():
    for spelling in (
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "091 234 5678",
        "+84912345678",
        "+84 912 345 678",
        "(+84) 912 345 678",
        "+84 (0) 912 345 678",
        "84912345678",
        "0084912345678",
        "0084 912 345 678",
        "+84-912-345-678",
        "09 12 34 56 78",
    ):
        assert mask_personal_data(f"Gọi {spelling} nhé") == f"Gọi {REDACTED} nhé", spelling


def test_empty_and_none_pass_through():
    assert mask_personal_data(None) is None and mask_personal_data("") == ""
    assert not contains_personal_data(None)


def test_decomposed_vietnamese_is_normalised_not_damaged():
    decomposed = "Ngõ 34/5 đường Hải Thượng Lãn Ông".encode().decode()
    import unicodedata

    nfd = unicodedata.normalize("NFD", decomposed)
    assert mask_personal_data(nfd) == unicodedata.normalize("NFC", decomposed)


def _phone(rng) -> str:
    """A random Vietnamese mobile or landline in one of the ways people write it."""
    if rng.random() < 0.8:
        digits = rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(8))
        groups = [digits[:3], digits[3:6], digits[6:]]
    else:
        digits = "2" + rng.choice(["39", "4", "8", "38", "36"])
        digits += "".join(rng.choice("0123456789") for _ in range(10 - len(digits)))
        groups = [digits[:3], digits[3:6], digits[6:]] if len(digits) == 10 else [digits]
    sep = rng.choice(["", " ", ".", "-"])
    prefix = rng.choice(["0", "+84 ", "+84", "0084 ", "(+84) ", "84 "])
    if prefix.startswith("0") and len(prefix) == 1:
        return "0" + sep.join(groups)
    return prefix + sep.join(groups)


def _harmless(rng) -> str:
    """A random date, time, amount, plate, house number or kilometre post."""
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2000, 2030)
    return rng.choice(
        [
            f"{d:02d}/{m:02d}/{y}",
            f"{d}.{m}.{y}",
            f"{y}-{m:02d}-{d:02d}",
            f"{rng.randint(0, 23)}h{rng.randint(0, 59):02d}",
            f"{rng.randint(1, 999)}.{rng.randint(0, 999):03d}.{rng.randint(0, 999):03d} đồng",
            f"{rng.randint(1, 999) * 1000000} đồng",
            f"{rng.randint(11, 99)}A-{rng.randint(100, 999)}.{rng.randint(10, 99)}",
            f"{rng.randint(11, 99)}B{rng.randint(1, 9)}-{rng.randint(100, 999)}.{rng.randint(10, 99)}",
            f"số nhà {rng.randint(1, 999)}{rng.choice(['', 'A', 'B'])}, ngõ "
            f"{rng.randint(1, 99)}/{rng.randint(1, 20)}",
            f"Km {rng.randint(0, 999)}+{rng.randint(0, 999):03d}",
            f"{rng.uniform(17.5, 18.9):.6f}, {rng.uniform(105, 106.6):.6f}",
        ]
    )


def test_random_phone_spellings_are_masked_and_random_harmless_numbers_are_not():
    import random

    rng = random.Random(20260516)
    for _ in range(500):
        phone, harmless = _phone(rng), _harmless(rng)
        text = f"Ngày {harmless} có sự việc, gọi {phone} để biết thêm."
        assert mask_personal_data(text) == f"Ngày {harmless} có sự việc, gọi {REDACTED} để biết thêm.", text
