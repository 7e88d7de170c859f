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
    return round(difflib.SequenceMatcher(None, b, a, autojunk=False).ratio() * 100)


def best_matches(odoo_records, remote_records):
    """{odoo key: (remote key, score)} of each Odoo record's best remote candidate (the same
    as :func:`match_score` pair by pair; exact codes and e-mails are looked up, and a name
    that cannot beat the best score so far is skipped by difflib's quick upper bounds).
    ``odoo_records`` and ``remote_records``: {key: {"name", "email", "code"}}."""
    by_exact = {}
    for rkey, remote in remote_records.items():
        for value in (remote.get("code"), remote.get("name")):
            by_exact.setdefault(("code", _norm(value)), rkey)
        by_exact.setdefault(("email", _norm(remote.get("email"))), rkey)
    names = [(rkey, _norm(remote.get("name"))) for rkey, remote in remote_records.items()]
    result = {}
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for key, odoo in odoo_records.items():
        code, email = _norm(odoo.get("code")), _norm(odoo.get("email"))
        exact = (code and by_exact.get(("code", code))) or (
            email and by_exact.get(("email", email))
        )
        if exact:
            result[key] = (exact, 100)
            continue
        name = _norm(odoo.get("name"))
        best, best_ratio = None, -1.0
        matcher.set_seq2(name)
        for rkey, remote_name in names:
            if not name or not remote_name:
                ratio = 0.0
            else:
                matcher.set_seq1(remote_name)
                if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
                    continue
                ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = rkey, ratio
        if best is not None:
            result[key] = (best, round(best_ratio * 100))
    return result
