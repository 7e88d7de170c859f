"""How alike an Odoo customer or revenue code and a remote customer or item are (the match
screen's one scoring function; plain values only)."""

import difflib


def _norm(text):
    return " ".join((text or "").casefold().split())


def match_score(odoo, remote):
    """A percentage (0-100): 100 when the code (billing account / revenue code against the
    remote account number, SKU or code) or the e-mail is the same, else the similarity of the
    names. ``odoo`` and ``remote`` are dicts with "name", "email" and "code"."""
    code = _norm(odoo.get("code"))
    if code and code in (_norm(remote.get("code")), _norm(remote.get("name"))):
        return 100
    email = _norm(odoo.get("email"))
    if email and email == _norm(remote.get("email")):
        return 100
    a, b = _norm(odoo.get("name")), _norm(remote.get("name"))
    if not a or not b:
        return 0
    return round(difflib.SequenceMatcher(None, a, b).ratio() * 100)


def best_matches(odoo_records, remote_records):
    """{odoo key: (remote key, score)} of each Odoo record's best remote candidate.
    ``odoo_records`` and ``remote_records``: {key: {"name", "email", "code"}}."""
    result = {}
    for key, odoo in odoo_records.items():
        best, best_score = None, -1
        for rkey, remote in remote_records.items():
            score = match_score(odoo, remote)
            if score > best_score:
                best, best_score = rkey, score
        if best is not None:
            result[key] = (best, best_score)
    return result
