"""Filling reading times: count the words of the source fields, divide by the words per minute.

Works on the values a client sent, by field name (what ``folio_before_entry_change`` receives on
create and update), at every level: fields inside components and blocks are filled from their
own siblings.
"""

import html
import math
import re

import nh3
from flask import current_app

from cms.content.fields.richtext import render_markdown

DEFAULT_WPM = 200
_WORD = re.compile(r"[^\W_]+(?:['’\-.][^\W_]+)*")


def words_per_minute():
    """READING_TIME_WPM (default 200); ValueError when it is not a positive whole number."""
    value = current_app.config.get("READING_TIME_WPM", DEFAULT_WPM)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"READING_TIME_WPM must be a whole number of words per minute, not {value!r}")
    return value


def count_words(text):
    return len(_WORD.findall(text))


def plain_text(value, field_type):
    """The readable text of one source value ("" for what is not text; validation reports that)."""
    if field_type == "richtext":
        if isinstance(value, dict):  # the delivered {"markdown", "html"} form, sent back
            value = value.get("markdown")
        if not isinstance(value, str):
            return ""
        return html.unescape(nh3.clean(render_markdown(value), tags=set()))  # words, not markup or link targets
    return value if isinstance(value, str) else ""


def minutes(words, wpm):
    return math.ceil(words / wpm)


def fill_reading_times(definitions, values, wpm=None):
    """Set every reading_time field in ``values`` (a dict by field name) from its sources, in place."""
    if not isinstance(values, dict):
        return
    timed = [d for d in definitions if d["type"] == "reading_time"]
    for definition in timed:  # first: a client's value never survives, even if counting fails below
        values.pop(definition["name"], None)
    if timed:
        wpm = wpm or words_per_minute()
        types = {d["name"]: d["type"] for d in definitions}
        for definition in timed:
            words = sum(count_words(plain_text(values.get(name), types.get(name))) for name in definition["sources"])
            values[definition["name"]] = minutes(words, wpm)
    for definition in definitions:
        value = values.get(definition["name"])
        if definition["type"] == "component" and value is not None:
            for group in value if isinstance(value, list) else [value]:
                fill_reading_times(definition["fields"], group, wpm)
        elif definition["type"] == "blocks" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and item.get("type") in definition["blocks"]:
                    fill_reading_times(definition["blocks"][item["type"]], item.get("value"), wpm)
