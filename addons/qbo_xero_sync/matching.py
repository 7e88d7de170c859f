"""The one scoring function of the mapping wizard: how well an Odoo record (an income
account, a sale tax, a payment term, a bank journal) matches one record of the provider's
reference data. Pure: plain values in, an integer 0-100 out; no Odoo, no provider."""

import difflib
import re

from . import const


def normalize(text):
    """Lower case, accents and punctuation kept out of the comparison, spaces collapsed."""
    return re.sub(r"[\W_]+", " ", str(text or "").casefold()).strip()


def similarity(left, right):
    """Name similarity 0.0-1.0 (difflib's ratio of the normalized names)."""
    left, right = normalize(left), normalize(right)
    if not left or not right:
        return 0.0
    return difflib.SequenceMatcher(None, left, right).ratio()


def match_score(
    name,
    remote_name,
    *,
    code=None,
    remote_code=None,
    rate=None,
    remote_rate=None,
    remote_type=None,
    allowed_types=None,
    rate_must_match=True,
):
    """Score (0-100) of proposing the remote record for the Odoo one; 0 is never proposed.

    - an incompatible type (``remote_type`` not in ``allowed_types``, when given) scores 0,
      e.g. an expense account for revenue or a non-bank account for a bank journal;
    - rates (taxes) that differ score 0; equal rates count for half of the score; with
      ``rate_must_match`` False (a term's due days), differing ones only leave that half out;
    - the same code scores 100, the same name ``MAPPING_SCORE_SAME_NAME``; otherwise the
      name similarity (difflib) scales the rest.
    """
    if allowed_types is not None and remote_type not in allowed_types:
        return 0
    rated = rate is not None and remote_rate is not None
    if rated and abs(float(rate) - float(remote_rate)) > const.MAPPING_RATE_TOLERANCE:
        if rate_must_match:
            return 0
        rated = False
    if code and remote_code and normalize(code) == normalize(remote_code):
        return 100
    if normalize(name) and normalize(name) in (normalize(remote_name), normalize(remote_code)):
        return const.MAPPING_SCORE_SAME_NAME
    best = max(similarity(name, remote_name), similarity(name, remote_code))
    if rated:
        return round(50 + 40 * best)
    return round(const.MAPPING_SCORE_SIMILAR_MAX * best)


def best_matches(scores, minimum=None):
    """A one-to-one assignment from ``scores`` ({(odoo key, remote key): score}): the highest
    scores first, each Odoo key and each remote key used once, scores below ``minimum``
    (default ``MAPPING_MIN_SCORE``) left out. Returns {odoo key: (remote key, score)}."""
    minimum = const.MAPPING_MIN_SCORE if minimum is None else minimum
    chosen, used = {}, set()
    for (odoo_key, remote_key), score in sorted(
        scores.items(), key=lambda item: (-item[1], str(item[0]))
    ):
        if score < minimum or odoo_key in chosen or remote_key in used:
            continue
        chosen[odoo_key] = (remote_key, score)
        used.add(remote_key)
    return chosen


def best_each(scores, minimum=None):
    """Like :func:`best_matches`, but a remote key may serve several Odoo keys (many Odoo
    accounts may share one revenue code, several taxes one tax code)."""
    minimum = const.MAPPING_MIN_SCORE if minimum is None else minimum
    chosen = {}
    for (odoo_key, remote_key), score in sorted(
        scores.items(), key=lambda item: (-item[1], str(item[0]))
    ):
        if score >= minimum and odoo_key not in chosen:
            chosen[odoo_key] = (remote_key, score)
    return chosen
