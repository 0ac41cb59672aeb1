"""The one masking function: phone numbers, e-mail addresses and identity numbers in free text.

Everything a citizen types (descriptions, addresses, answers to the operator, rating comments) and every note
the public reads pass through `mask_personal_data` before they reach anyone but the operations centre and the
text's author. It finds:

- phone numbers in Vietnamese formats: mobiles `0[35789]x xxx xxxx` (and the retired `01[2689]…` 11-digit
  ones),
  landlines `02xx xxx xxxx` (11 digits), written with spaces, dots, hyphens or brackets, with `+84`, `84`,
  `0084`
  or `(+84)` instead of the leading 0, with or without a `(0)` after the country code;
- e-mail addresses;
- identity numbers: the 12-digit citizen identity card (CCCD, always starting with 0 and a province code) and
  the
  9-digit identity card (CMND), unless the 9 digits read as an amount (dotted thousands, a currency after
  them,
  or ending in 000 without an identity word before them).

Numbers are read as tokens (digits with the separators `.`, `-`, `(`, `)`) that stand a single space apart, so
a house number, a date (`12/05/2026`, `12.05.2026`), a time, a plate (`38A-123.45`), a coordinate or an amount
(`150.000.000 đồng`) is never taken for a phone number, and a phone number next to another number is still
found."""

from __future__ import annotations

import re
import unicodedata

REDACTED = "[đã ẩn]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}", re.UNICODE)
# A piece of a written number: digits, perhaps with '+', '(' before and ')' after ("(+84)", "(024)", "(0)").
_PIECE = re.compile(r"\(?\+?\d+\)?")
# What may stand between two pieces of one written number.
_JOIN = re.compile(r"[ \t\u00a0]{1,2}|[ \t]?[.\-][ \t]?")
_MOBILE = re.compile(r"0[35789]\d{8}|01[2689]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_CCCD = re.compile(r"0(?:0[1-9]|[1-8]\d|9[0-6])\d{9}")  # 0 + province code 01..96 + 9 digits
_CURRENCY_AFTER = re.compile(
    r"[ \t]*(?:đồng|vnđ|vnd|₫|triệu|tỷ|nghìn|ngàn|usd|\$|(?:đ|k|tr)(?![\w]))", re.IGNORECASE
)
_ID_WORD_BEFORE = re.compile(
    r"(?:cmnd|cccd|cmt|căn cước|chứng minh|định danh|giấy tờ|hộ chiếu)\W{0,12}"
    r"(?:số\W{0,3})?$",
    re.IGNORECASE,
)
MAX_PIECES = 6  # a written number has at most this many groups ("+84 (0) 91 234 56 78")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def national_phone(text: str) -> str:
    """A phone number's digits in national form: +84 / 84 / 0084 (and a following '(0)') become a leading 0;
    another country's number is '' (`+1 555…`), anything else its digits."""
    digits = _digits(text)
    international = text.lstrip("(").startswith("+") or digits.startswith("00")
    if digits.startswith("0084"):
        digits = digits[4:]
    elif digits.startswith("84") and (international or len(digits) in (11, 12)):
        digits = digits[2:]
    elif international:
        return ""  # another country's number: not ours to judge
    else:
        return digits
    return digits if digits.startswith("0") else "0" + digits


def _is_phone(written: str) -> bool:
    national = national_phone(written)
    return bool(_MOBILE.fullmatch(national) or _LANDLINE.fullmatch(national))


def _is_identity(written: str, before: str) -> bool:
    """A CCCD (12 digits) in any grouping, or a CMND (9 digits) that does not read as an amount or a
    decimal."""
    digits = _digits(written)
    if "+" in written:
        return False
    if len(digits) == 12:
        return bool(_CCCD.fullmatch(digits))
    if len(digits) != 9:
        return False
    if _ID_WORD_BEFORE.search(before):
        return True
    plain = re.fullmatch(r"\d{9}|\d{3}[ \t]\d{3}[ \t]\d{3}", written) is not None  # not 1.234.567 nor 18.34
    return plain and not digits.endswith("000")


def _groups(text: str) -> list[list[re.Match]]:
    """Pieces of numbers, grouped when only spaces, a dot or a hyphen separate them."""
    groups: list[list[re.Match]] = []
    for piece in _PIECE.finditer(text):
        last = groups[-1][-1] if groups else None
        if last is not None and _JOIN.fullmatch(text[last.end() : piece.start()]):
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return groups


def _found(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] (whole pieces) is a phone or identity number (an amount never is)."""
    if _CURRENCY_AFTER.match(text, end):
        return False
    written = text[start:end]
    return _is_phone(written) or _is_identity(written, text[max(0, start - 40) : start])


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every phone or identity number: the longest run of pieces that forms one, left to
    right."""
    spans: list[tuple[int, int]] = []
    for pieces in _groups(text):
        i = 0
        while i < len(pieces):
            last = min(len(pieces), i + MAX_PIECES) - 1
            j = next(
                (j for j in range(last, i - 1, -1) if _found(text, pieces[i].start(), pieces[j].end())), None
            )
            if j is None:
                i += 1
                continue
            spans.append(_unbracketed(text, pieces[i].start(), pieces[j].end()))
            i = j + 1
    return spans


def _unbracketed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without an opening or closing bracket that belongs to the sentence, not to the number."""
    written = text[start:end]
    around = (
        written.startswith("(") and written.endswith(")") and written.count("(") == written.count(")") == 1
    )
    if around or (written.startswith("(") and ")" not in written):
        start += 1
    if around or (written.endswith(")") and "(" not in written):
        end -= 1
    return start, end


def mask_personal_data(text: str | None) -> str | None:
    """The text with every phone number, e-mail address and identity number replaced by `REDACTED`."""
    if not text:
        return text
    text = _EMAIL.sub(REDACTED, unicodedata.normalize("NFC", text))
    out, last = [], 0
    for start, end in _spans(text):
        out += [text[last:start], REDACTED]
        last = end
    return "".join(out + [text[last:]])


def contains_personal_data(text: str | None) -> bool:
    """Whether masking would change the text."""
    if not text:
        return False
    return mask_personal_data(text) != unicodedata.normalize("NFC", text)


__all__ = ["REDACTED", "contains_personal_data", "mask_personal_data", "national_phone"]
