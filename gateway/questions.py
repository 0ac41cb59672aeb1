"""A category's extra questions for the native API: the Open311 attribute catalogue (`open311/attributes.py`)
is the one definition; `/v1/categories` shows it in both languages and `POST /v1/reports` checks answers
against it with the same validator as Open311's `POST requests`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from libs.contracts.errors import ErrorCode

from .open311.attributes import Attribute, attributes_for
from .open311.errors import Open311Error
from .open311.services import GROUP_OF, GROUPS, validate_attributes
from .problems import ApiError

NATIVE = frozenset({"priority"})  # a field of SubmitReport itself in the native API, not a question


def questions_for(category: Mapping[str, Any]) -> tuple[Attribute, ...]:
    """The category's questions, without those the native API has as fields of its own."""
    return tuple(a for a in attributes_for(dict(category)) if a.code not in NATIVE)


def question_view(attribute: Attribute, order: int) -> dict[str, Any]:
    """One question with its Vietnamese and English texts (the shape of `CategoryQuestion`)."""
    dd = attribute.datatype_description or (None, None)
    return {
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "variable": attribute.variable,
        "order": order,
        "description_vi": attribute.description[0],
        "description_en": attribute.description[1],
        "datatype_description_vi": dd[0],
        "datatype_description_en": dd[1],
        "values": [{"key": k, "name_vi": vi, "name_en": en} for k, vi, en in attribute.values],
    }


def category_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """Routing's category row plus its group and its questions."""
    group_vi, group_en = GROUPS[GROUP_OF.get(row["code"], "KHAC")]
    questions = [question_view(a, order) for order, a in enumerate(questions_for(row), start=1)]
    return {**row, "group_vi": group_vi, "group_en": group_en, "questions": questions}


def checked_answers(category: Mapping[str, Any], answers: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """Answers checked and normalised against the category's questions; may raise ApiError (422 naming each
    field).

    Unknown codes are ignored, as in Open311 (clients may add their own); normalised numbers and dates come
    back as strings, the type of `SubmitReport.attributes`."""
    questions = questions_for(category)
    missing = [q.code for q in questions if q.variable and q.required and not answers.get(q.code)]
    if missing:
        raise _invalid(
            [
                {"field": f"attributes.{code}", "message": "required for this category", "type": "missing"}
                for code in missing
            ]
        )
    kept = {k: v for k, v in answers.items() if k not in NATIVE}
    try:
        checked = validate_attributes(questions, kept)
    except Open311Error as exc:
        raise _invalid(
            [
                {
                    "field": f"attributes.{getattr(exc, 'attribute', '')}".rstrip("."),
                    "message": getattr(exc, "why", exc.description),
                    "type": "invalid",
                }
            ]
        ) from None
    other = {k: v for k, v in answers.items() if k not in checked and k not in {q.code for q in questions}}
    return {**other, **{k: (v if isinstance(v, list) else str(v)) for k, v in checked.items()}}


def _invalid(errors: list[dict]) -> ApiError:
    return ApiError(ErrorCode.VALIDATION_FAILED, "the category's questions are not answered right", errors)
