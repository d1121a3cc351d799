"""Locales: which ones are configured, each one's fallback chain, and choosing a translation.

A localized type keeps one entry per locale; the entries that translate each other share a
``translation_group``. Reading with ``locale=fr`` delivers, per group, the first translation
that exists along fr's chain (``fr``, then its fallbacks); each delivered entry names its own
``locale``, so a client sees where a fallback was used. ``locale=*`` delivers every translation.
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from cms.content.models import Entry
from cms.core.errors import parameter_error

#: a BCP 47 language tag as CMSs use them: en, pt-BR, zh-Hant, zh-Hant-TW
LOCALE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}\Z")
ALL = "*"


@dataclass(frozen=True)
class Locales:
    """The configured locales (default first) and the fallback chain of each."""

    default: str
    chains: dict  # locale -> (locale, fallback, ...)

    @property
    def codes(self):
        return tuple(self.chains)

    def chain(self, locale):
        return self.chains[locale]

    def check(self, locale, name="locale"):
        """Return ``locale`` if it is configured, else raise 400 naming the configured ones."""
        if not isinstance(locale, str) or locale not in self.chains:
            raise parameter_error(name, f"{str(locale)[:40]!r} is not a configured locale; use one of: "
                                  f"{', '.join(self.codes)}.")
        return locale


def locales_from_settings(settings):
    """Return the Locales of the settings; raise RuntimeError on a bad code or chain."""
    default = settings["DEFAULT_LOCALE"]
    codes = list(dict.fromkeys([default, *settings["LOCALES"]]))
    for code in codes:
        if not isinstance(code, str) or not LOCALE_CODE.match(code):
            raise RuntimeError(f"LOCALES: {code!r} is not a locale code such as en, fr or pt-BR.")
    fallbacks = settings["LOCALE_FALLBACKS"]
    if not isinstance(fallbacks, dict):
        raise RuntimeError("LOCALE_FALLBACKS must map a locale to the list of locales to fall back to.")
    chains = {}
    for code in codes:
        if code in fallbacks:
            chain = fallbacks[code]
            if not isinstance(chain, list) or not all(isinstance(item, str) for item in chain):
                raise RuntimeError(f"LOCALE_FALLBACKS[{code!r}] must be a list of locale codes.")
        else:
            chain = [] if code == default else [default]
        unknown = [item for item in chain if item not in codes]
        if unknown:
            raise RuntimeError(f"LOCALE_FALLBACKS[{code!r}] names locales that are not configured: "
                               f"{', '.join(unknown)} (add them to LOCALES).")
        chains[code] = tuple(dict.fromkeys([code, *chain]))
    stray = sorted(set(fallbacks) - set(codes))
    if stray:
        raise RuntimeError(f"LOCALE_FALLBACKS has chains for locales that are not configured: {', '.join(stray)}.")
    return Locales(default, chains)


def current_locales():
    return current_app.extensions["folio.locales"]


def requested_chain(locale):
    """Return what a ``locale`` parameter asks for: None (not given), ALL, or a configured locale's chain."""
    if locale is None or locale == ALL:
        return locale
    locales = current_locales()
    return locales.chain(locales.check(locale))


def best_translation(entry, chain, published):
    """SQL condition: ``entry`` is the first translation of its group found along ``chain``.

    A translation further down the chain qualifies only when no earlier locale of the chain has
    one (a published one, when reading published content). The unique index on
    (translation_group, locale) makes each test a single index probe.
    """
    if len(chain) == 1:
        return entry.locale == chain[0]
    other = aliased(Entry)
    alternatives = []
    for rank, locale in enumerate(chain):
        condition = entry.locale == locale
        if rank:
            earlier = sa.select(other.id).where(other.translation_group == entry.translation_group,
                                                other.locale.in_(chain[:rank]))
            if published:
                earlier = earlier.where(other.published_data.is_not(None))
            condition = sa.and_(condition, ~earlier.exists())
        alternatives.append(condition)
    return sa.or_(*alternatives)


def pick(entries, chain):
    """Return the entry of ``entries`` (one translation group) that comes first along ``chain``."""
    ranked = [(chain.index(entry.locale), entry) for entry in entries if entry.locale in chain]
    return min(ranked, key=lambda item: item[0])[1] if ranked else None
