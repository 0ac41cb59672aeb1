"""Message templates (Vietnamese first, English available): subject, plain-text body and SMS per message.

The wording lives in `templates/vi.toml` and `templates/en.toml`, editable by translators.

SMS: Vietnamese with diacritics needs UCS-2, only 70 characters per segment, so a short notice would cost
2-3 segments. As is common practice for Vietnamese transactional SMS, every SMS is folded to ASCII
("Phản ánh đã được tiếp nhận" → "Phan anh da duoc tiep nhan") and must fit one 160-character GSM-7 segment;
free-text fields (note, reason, names) are shortened with "..." when needed. E-mails keep full diacritics.
Citizen e-mails end with a per-case unsubscribe line (`{unsubscribe_url}`); SMS has no room for it.
"""

from __future__ import annotations

import re
import string
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEMPLATE_DIR = Path(__file__).with_name("templates")
AGENCY_TEMPLATES = (
    "agency_case_routed",
    "agency_case_updated",
    "agency_case_due_soon",
    "agency_case_overdue",
)
CITIZEN_TEMPLATES = (
    "case_accepted",
    "info_requested",
    "case_routed",
    "agency_progress",
    "result_published",
    "rating_request",
    "rating_reminder",
    "reopen_approved",
    "reopen_refused",
    "case_rejected",
)
# Never rendered into an agency message, whatever the caller passes (sealed identity).
REPORTER_FIELDS = frozenset(
    {
        "reporter",
        "reporter_name",
        "reporter_phone",
        "reporter_email",
        "reporter_id",
        "reporter_address",
        "account_id",
        "device_id",
        "name",
        "phone",
        "email",
        "address",
        "tracking_token",
    }
)
# Shortened, in this order, when an SMS is too long; codes and links are never cut.
SHRINKABLE = ("note", "reason", "result_summary", "agency_name", "category_name", "ward_name")
SMS_MAX = 160
URGENT_TAG = {"vi": "[KHẨN] ", "en": "[URGENT] "}
# GSM 03.38 basic set; the extension characters below cost two septets each.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")
_PUNCTUATION = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})


class TemplateError(Exception):
    """Unknown template, missing value, or a message that cannot be made to fit."""


@dataclass(frozen=True)
class RenderedMessage:
    """One message ready for a channel."""

    template: str
    language: str
    subject: str
    text: str
    sms: str  # ASCII/GSM-7, at most 160 characters: one segment
    body: str = ""  # the text without the e-mail footer (in-app inbox)


def pick_language(preferred: str | None) -> str:
    """'vi' or 'en' from a preference such as 'en-US'; anything else falls back to Vietnamese."""
    code = (preferred or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def fold_vietnamese(text: str) -> str:
    """Vietnamese without diacritics ('Đề nghị' → 'De nghi'); other text passes unchanged where ASCII."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def gsm7_length(text: str) -> int | None:
    """Septets the text needs in GSM-7, or None when a character is not in the GSM alphabet."""
    total = 0
    for char in text:
        if char in GSM7_BASIC:
            total += 1
        elif char in GSM7_EXTENDED:
            total += 2
        else:
            return None
    return total


def sms_segments(text: str) -> int:
    """Segments an SMS costs: GSM-7 160/153 per part, else UCS-2 70/67 per part."""
    septets = gsm7_length(text)
    if septets is not None:
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def to_gsm7(text: str) -> str:
    """Fold to ASCII, map typographic punctuation, replace anything still outside GSM-7 with '?'."""
    text = fold_vietnamese(text).translate(_PUNCTUATION)
    text = re.sub(r"\s+", " ", text)  # a note's line breaks waste characters in an SMS
    return "".join(c if gsm7_length(c) is not None else "?" for c in text)


@cache
def _catalogue(language: str) -> dict:
    """The parsed TOML of one language (cached); may raise OSError or TOMLDecodeError on a bad install."""
    with (TEMPLATE_DIR / f"{language}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _fields(*texts: str) -> set[str]:
    """Placeholder names used in template texts; only plain names are allowed (no attributes, no indexes)."""
    names: set[str] = set()
    for text in texts:
        for _, name, spec, conv in string.Formatter().parse(text):
            if name is None:
                continue
            if not name.isidentifier() or spec or conv:
                raise TemplateError(f"placeholder {{{name}}} must be a plain field name")
            names.add(name)
    return names


def _parts(template: str, language: str) -> tuple[str, str, str]:
    """(subject, full body with footer, sms) source texts of one template."""
    cat = _catalogue(language)
    if template not in AGENCY_TEMPLATES + CITIZEN_TEMPLATES or template not in cat:
        raise TemplateError(f"unknown template {template!r}")
    entry = cat[template]
    footer = cat["_footer"]["agency" if template in AGENCY_TEMPLATES else "citizen"]
    return entry["subject"], entry["text"].rstrip("\n") + "\n\n" + footer, entry["sms"]


def _body_source(template: str, language: str) -> str:
    """The body text of a template without its footer."""
    return _catalogue(language)[template]["text"].rstrip("\n")


def required_fields(template: str, language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Values the caller must supply (besides the language defaults and the derived `urgent_tag`)."""
    names = _fields(*_parts(template, language))
    return frozenset(names - set(_catalogue(language)["_defaults"]) - {"urgent_tag"})


def _format_value(value: object, language: str) -> str:
    """A value as text: {'vi':..,'en':..} picks the language; datetimes show in Vietnam time."""
    if isinstance(value, Mapping):
        value = value.get(language) or value.get(DEFAULT_LANGUAGE)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TemplateError("datetimes given to templates must be timezone-aware")
        local = value.astimezone(LOCAL_TZ)
        return local.strftime("%H:%M ngày %d/%m/%Y" if language == "vi" else "%H:%M, %d %b %Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y" if language == "vi" else "%d %b %Y")
    if value is None:
        return ""
    # Control characters (other than line breaks) have no business in a message and can break headers.
    return "".join(c for c in str(value) if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()


def _values(template: str, language: str, given: Mapping[str, object]) -> dict[str, str]:
    """Defaults, derived fields and the caller's values as text; reporter data dropped for agencies."""
    values: dict[str, str] = dict(_catalogue(language)["_defaults"])
    for key, raw in given.items():
        if template in AGENCY_TEMPLATES and key in REPORTER_FIELDS:
            continue
        values[key] = _format_value(raw, language)
    priority = getattr(given.get("priority"), "value", given.get("priority"))  # enum or plain code
    values["urgent_tag"] = URGENT_TAG[language] if priority == "KHAN" else ""
    return values


def _fill(text: str, values: Mapping[str, str]) -> str:
    """Fill placeholders; raises TemplateError naming the first missing or empty value."""
    missing = sorted(n for n in _fields(text) if not values.get(n) and n != "urgent_tag")
    if missing:
        raise TemplateError(f"missing values: {', '.join(missing)}")
    return text.format_map(values)


def _fit_sms(source: str, values: Mapping[str, str]) -> str:
    """The SMS in GSM-7 within 160 characters, shortening free-text fields; may raise TemplateError."""
    gsm = {k: to_gsm7(v) for k, v in values.items()}
    shrinkable = [n for n in SHRINKABLE if n in _fields(source)]
    while True:
        text = to_gsm7(_fill(source, gsm)).strip()
        over = (gsm7_length(text) or 0) - SMS_MAX
        if over <= 0:
            return text
        name = next((n for n in shrinkable if len(gsm[n]) > 3), None)
        if name is None:  # only codes and links left: the configured URLs are too long for one SMS
            raise TemplateError("SMS does not fit 160 characters even with free text shortened")
        keep = max(0, len(gsm[name]) - over - 3)  # strictly shorter each round, so the loop ends
        gsm[name] = gsm[name][:keep].rstrip() + "..."


def render(template: str, language: str | None, values: Mapping[str, object]) -> RenderedMessage:
    """Render one message in the chosen language; may raise TemplateError (unknown template, missing
    value)."""
    lang = pick_language(language)
    subject_src, text_src, sms_src = _parts(template, lang)
    filled = _values(template, lang, values)
    subject = " ".join(_fill(subject_src, filled).split())  # one line: a newline would break the header
    return RenderedMessage(
        template=template,
        language=lang,
        subject=subject,
        text=_fill(text_src, filled),
        sms=_fit_sms(sms_src, filled),
        body=_fill(_body_source(template, lang), filled),
    )


def check_catalogue() -> None:
    """Startup check: every template in every language, same fields across languages, no reporter fields."""
    for template in AGENCY_TEMPLATES + CITIZEN_TEMPLATES:
        fields = {lang: required_fields(template, lang) for lang in LANGUAGES}
        if len({frozenset(f) for f in fields.values()}) != 1:
            raise TemplateError(f"{template}: languages use different fields {fields}")
        if template in AGENCY_TEMPLATES and fields[DEFAULT_LANGUAGE] & REPORTER_FIELDS:
            raise TemplateError(f"{template}: agency template uses reporter fields")
