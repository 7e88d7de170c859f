"""A randomized, model-based campaign against the sync engine, reproducible from a seed.

Used by ``test_campaign.py`` (one test class per provider) and by ``bash setup/bench.sh
--campaign N``. The campaign

1. **generates** a sequence of actions from a seeded :class:`random.Random` (``generate``): Odoo
   actions done by real users (a billing user, an accountant), provider actions done in the
   emulator (what a QuickBooks / Xero user does there), injected faults, runs of the crons and
   webhooks, and *quiet points*. Actions are plain data (dicts) that name documents by a key
   (``"d12"``: the document created by step 12), never by record, so that any subsequence can
   be replayed from a clean state; an action whose document does not exist (or can't take it)
   is a no-op;
2. **executes** them (:class:`Campaign`) against the real engine: a real Odoo company connected
   over real HTTP to the in-process emulator, real SDKs;
3. at every quiet point, drives the queue until nothing is due (send cron + poll cron, records
   made due, the emulator's clock moved past rate-limit windows) and **checks invariants**
   (``Campaign.check``), as an accountant would;
4. on a violation, **shrinks** the sequence (``ddmin``: delta debugging, each replay from a clean
   state inside a rolled-back savepoint, the emulator reset and seeded, fresh tokens) and reports
   the seed, the number of steps and the reduced sequence, one action per line.

The actions are in ``campaign_actions.py`` (Odoo and provider users), the invariants in
``campaign_checks.py``; this module generates, runs (faults, crons, quiet points) and shrinks.

Choices (each also stated where it is made):

* Odoo payments are sent: every customer's invoices get them (``odoo_pay`` one invoice,
  ``odoo_pay_multi`` one payment for several invoices of a customer, full or partial, by the
  action's user: billing or accountant), ``unreconcile`` (accountant), ``cancel_payment``
  (reset to draft, cancel), ``repost_payment`` (reset to draft, post, reconcile again),
  ``apply_credit`` (a credit note's open credit added to an invoice) and the provider user's
  ``remote_unpay`` (a payment deleted, or voided in QuickBooks: theirs or one sent from Odoo).
  ``refund`` is replaced by the refund actions of ``campaign_refunds.py`` (``odoo_refund``,
  ``odoo_over_refund``; QuickBooks: ``auto_credit``, ``remote_void_repost``), whose docstring
  states their choices and invariants.
  Faults target payment pushes too (``target="payment"``). A QuickBooks payment is deleted or
  *voided* remotely (amounts zeroed, still listed on the invoice); one sent from Odoo is then
  "Deleted remotely" (remote status "voided"), left out with the documents it allocates.
* Daily summaries (``campaign_summaries.py``, whose docstring states its choices): about a
  third of the invoices are posted in a summary channel, which ``channel`` switches between
  Individual and Daily summary (payments kept in Odoo or one deposit per day); the summaries'
  invariants are checked at every quiet point.
* Odoo gives a cancelled payment's number (its entry deleted) to the next payment: a remote
  payment claimed by a record (its remote id) is never counted under another record of the
  same number (``check_payments``).
* A document in state "error" with a message, "skipped" with a reason, or "remote_deleted"
  (the documented "Deleted remotely" state, which says to post it again) is an acceptable
  outcome; a document pending after a quiet point is not (except while its connection waits for
  an administrator to reconnect, which is itself reported as a violation: the campaign never
  revokes a token, so a reconnect can only come from a transient fault).
* QuickBooks deletes credit memos instead of voiding them: a cancelled credit note must be gone
  (deleted) or voided remotely; both count as "not live".
* QuickBooks computes US sales tax on the document total: the QuickBooks company rounds taxes
  globally (as the benchmark does) so that totals agree to the cent; a total difference the
  product flags itself (``total_mismatch``, the banner) of at most 5 cents is tolerated.
* The receivable invariant compares, per customer and at every quiet point, the customer's open
  receivable: in Odoo the residuals of its posted receivable lines (invoices, credit notes,
  payments, unapplied credit), in the provider the open balances of the live remote documents
  minus the unapplied cash of payments (``Campaign.check_receivable``). Left out on both sides,
  counted and printed: documents not clean (in error with a message, skipped with a reason,
  deleted remotely), payment records not clean (the same states, or waiting with the message
  "Waits for ... to be sent first" for a document in error) with the documents they allocate,
  and the unapplied cash of an Odoo payment that the provider does not have by design (nothing
  allocated: removed remotely; Xero: a payment pays one invoice, only allocations are sent).
* A synced payment is on the provider once under its number (QuickBooks: one Payment; Xero: one
  Payment per invoice); a removed one is gone (``duplicate_payment``,
  ``payment_not_live_remotely``).
* Two workers are not run at once here (a TransactionCase has one cursor; real concurrent
  workers are tests/test_concurrency.py): ``sync_one`` is a cron run that stops after one
  group, ``lost_commit`` a worker that died after the provider applied its writes.
* Xero deletes only DRAFT or SUBMITTED documents: ``remote_delete`` of a sent (AUTHORISED)
  Xero document is refused by the emulator, a no-op.
* Cash the addon registered for a document voided remotely since is left out of the
  receivable (counted): QuickBooks keeps it as unapplied credit, its emulator does not model it.
* ``remote_allocate`` applies a credit note to an invoice of the same customer only (the
  providers' screens offer only those; QuickBooks refuses others, the Xero emulator does not
  check it): otherwise a no-op.
* Remote cash is what the campaign's provider-side payments put there (its own ledger, per
  document): a QuickBooks payment of TotalAmt 0 that applies a credit memo to an invoice, or a
  Xero allocation, is not cash.
"""

import json
import logging
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone

from odoo.exceptions import UserError, ValidationError

from .campaign_actions import CampaignActions
from .campaign_checks import CampaignChecks, Violation
from .campaign_refunds import REFUND_OPERATIONS, CampaignRefunds, refund_action, refund_summary
from .campaign_summaries import TEAM_SHARE, CampaignSummaries, channel_action, summaries_summary
from .common import lost_commit

_logger = logging.getLogger(__name__)

QUIET_ROUNDS = 10  # cron rounds at a quiet point before "never settles"
TRACE = bool(os.environ.get("QXS_CAMPAIGN_TRACE"))
SPECIAL = ("no-op", "refused")  # counters of the stats that are not operations


def emit(text):
    """The campaign's report, on the standard output (the test log keeps it as is)."""
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------- generation
# (operation, weight); "quiet" is inserted every few steps, not drawn.
OPERATIONS = {
    "post": 16,
    "repost": 6,
    "credit": 8,
    "odoo_pay": 7,  # one invoice, in full or in part
    "odoo_pay_multi": 3,  # one payment for several invoices of a customer
    "unreconcile": 2,
    "cancel_payment": 2,
    "repost_payment": 2,  # reset to draft, post again, reconcile again
    "apply_credit": 2,  # a credit note's open credit applied to another invoice
    "refund": 0,  # replaced by odoo_refund (campaign_refunds.py)
    "odoo_refund": 5,  # cash paid back on a credit note, in full or in part
    "odoo_over_refund": 1,  # more than the credit note's open amount: refused, nothing sent
    "auto_credit": 1,  # QuickBooks: "Automatically apply credits" turned on or off
    "remote_void_repost": 2,  # QuickBooks: voided there, reposted in Odoo
    "cancel": 3,
    "bad_mapping": 1,  # restored 1 to 4 steps later
    "remote_pay": 9,
    "remote_unpay": 3,  # a payment deleted (or voided, QuickBooks) by the provider's user
    "remote_void": 2,
    "remote_delete": 2,
    "remote_allocate": 3,
    "remote_touch": 2,
    "fault": 10,
    "lost_commit": 3,
    "sync": 9,
    "sync_one": 3,
    "poll": 6,
    "webhook": 4,
    "edit_customer": 3,  # a linked customer's name, e-mail or street changed in Odoo
    "channel": 2,  # the summary channel: Individual / Daily summary, payments kept / deposit
}
FAULTS = ("429", "5xx", "timeout", "drop_after_write", "expired_token")
CUSTOMERS = 3


def generate(rng, steps, provider):
    """A list of ``steps`` actions (plain dicts), from the seeded ``rng`` only.

    A small abstract model (which documents were created, of which customer and kind) keeps the
    choices sensible; it never looks at Odoo or the emulator, so the same seed gives the same
    sequence whatever the product does."""
    invoices, credits, payments = [], [], []
    customer_of = {}  # document key -> customer index
    bad = {}  # product index -> step at which its mapping is restored
    actions = []
    next_quiet = rng.randint(6, 14)
    ops = list(OPERATIONS)
    weights = [OPERATIONS[o] for o in ops]
    for step in range(steps):
        key = f"d{step}"
        if step == steps - 1 or step == next_quiet:
            actions.append({"op": "quiet"})
            next_quiet = step + rng.randint(6, 14)
            continue
        if provider == "qbo" and step in (steps // 3, 2 * steps // 3):
            # "Automatically apply credits" on for the middle third (campaign_refunds.py).
            actions.append({"op": "auto_credit", "on": step == steps // 3})
            continue
        due = [product for product, at in sorted(bad.items()) if at <= step]
        if due:
            del bad[due[0]]
            actions.append({"op": "restore_mapping", "product": due[0]})
            continue
        op = rng.choices(ops, weights)[0]
        user = rng.choice(("billing", "accountant"))
        fraction = 1.0 if rng.random() < 0.5 else round(rng.uniform(0.1, 0.9), 2)
        if op == "post" or not invoices:
            partner = rng.randrange(CUSTOMERS)
            lines = [
                [rng.randrange(2), rng.randint(1, 3), round(rng.uniform(5, 400), 2)]
                for _i in range(rng.randint(1, 3))
            ]
            action = {"op": "post", "key": key, "partner": partner, "lines": lines, "user": user}
            if rng.random() < TEAM_SHARE:  # the summary channel's (campaign_summaries.py)
                action.update(team=1, day=rng.randrange(3))
            actions.append(action)
            invoices.append(key)
            customer_of[key] = partner
        elif op == "repost":
            doc = rng.choice(invoices + credits)
            price = round(rng.uniform(5, 400), 2)
            actions.append({"op": "repost", "doc": doc, "price": price, "user": user})
        elif op == "credit":
            doc = rng.choice(invoices)
            fraction = 1.0 if rng.random() < 0.4 else round(rng.uniform(0.1, 0.9), 2)
            actions.append(
                {"op": "credit", "key": key, "doc": doc, "fraction": fraction, "user": user}
            )
            credits.append(key)
            customer_of[key] = customer_of[doc]
        elif op == "odoo_pay":
            doc = rng.choice(invoices)
            actions.append(
                {"op": "odoo_pay", "key": key, "doc": doc, "fraction": fraction, "user": user}
            )
            payments.append(key)
        elif op == "odoo_pay_multi":
            customer = customer_of[rng.choice(invoices)]
            mine = [k for k in invoices if customer_of[k] == customer]
            docs = sorted(rng.sample(mine, min(len(mine), rng.randint(2, 3))))
            actions.append(
                {
                    "op": "odoo_pay_multi",
                    "key": key,
                    "docs": docs,
                    "fraction": fraction,
                    "user": user,
                }
            )
            payments.append(key)
        elif op in ("unreconcile", "cancel_payment", "repost_payment") and payments:
            action = {"op": op, "payment": rng.choice(payments)}
            if op != "unreconcile":
                action["user"] = user
            actions.append(action)
        elif op == "apply_credit" and credits:
            credit = rng.choice(credits)
            mine = [k for k in invoices if customer_of[k] == customer_of[credit]]
            actions.append(
                {"op": "apply_credit", "credit": credit, "doc": rng.choice(mine), "user": user}
            )
        elif op == "cancel":
            actions.append({"op": "cancel", "doc": rng.choice(invoices + credits)})
        elif op == "bad_mapping":
            product = rng.randrange(2)
            bad[product] = step + rng.randint(1, 4)
            actions.append({"op": "bad_mapping", "product": product})
        elif op == "remote_pay":
            actions.append({"op": "remote_pay", "doc": rng.choice(invoices), "fraction": fraction})
        elif op == "remote_unpay":
            # QuickBooks: deleted or voided (Xero deletes payments only).
            how = rng.choice(("delete", "void")) if provider == "qbo" else "delete"
            actions.append(
                {"op": op, "doc": rng.choice(invoices), "pick": rng.randrange(4), "how": how}
            )
        elif op in ("remote_void", "remote_delete", "webhook"):
            actions.append({"op": op, "doc": rng.choice(invoices + credits)})
        elif op == "remote_touch" and provider == "qbo":
            actions.append({"op": "remote_touch", "doc": rng.choice(invoices + credits)})
        elif op == "remote_allocate" and credits:
            actions.append(
                {
                    "op": "remote_allocate",
                    "credit": rng.choice(credits),
                    "doc": rng.choice(invoices),
                    "fraction": fraction,
                }
            )
        elif op == "fault":
            kind = rng.choice(FAULTS)
            targets = ("write", "payment") if kind == "drop_after_write" else FAULT_TARGETS
            actions.append(
                {
                    "op": "fault",
                    "kind": kind,
                    "target": rng.choice(targets),
                    "count": rng.randint(1, 2),
                    "status": rng.choice((500, 502, 503, 504)) if kind == "5xx" else 429,
                    "run": rng.choice(("sync", "sync", "poll")),
                }
            )
        elif op in ("lost_commit", "sync", "sync_one", "poll"):
            actions.append({"op": op})
        elif op == "edit_customer":
            field = rng.choice(("name", "email", "street"))
            actions.append(
                {
                    "op": op,
                    "partner": rng.randrange(CUSTOMERS),
                    "field": field,
                    "n": step,
                    "user": user,
                }
            )
        elif op == "channel":
            actions.append(channel_action(rng))
        elif op in REFUND_OPERATIONS:
            made = refund_action(rng, op, provider, key, user, invoices, credits, payments)
            actions.append(made or {"op": "sync"})
        else:  # an operation that needs what does not exist yet: run the send cron
            actions.append({"op": "sync"})
    return actions


FAULT_TARGETS = ("write", "read", "any", "payment")


def fmt(action):
    """One line per action (``op key=json ...``); :func:`parse` reads it back."""
    args = " ".join(
        f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in action.items() if k != "op"
    )
    return f"{action['op']} {args}".strip()


def parse(text):
    """The actions of a reduced sequence as printed by :func:`fmt` (``QXS_CAMPAIGN_REPLAY``)."""
    actions = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        action = {"op": words[0]}
        for word in words[1:]:
            key, _sep, value = word.partition("=")
            action[key] = json.loads(value)
        actions.append(action)
    return actions


# ---------------------------------------------------------------------- shrinking
def ddmin(seq, fails, deadline):
    """Zeller's delta debugging: a 1-minimal subsequence of ``seq`` for which ``fails(sub)``
    holds (as far as the ``deadline``, a time.monotonic() value, allows)."""
    n = 2
    while len(seq) >= 2 and time.monotonic() < deadline:
        size = math.ceil(len(seq) / n)
        chunks = [seq[i : i + size] for i in range(0, len(seq), size)]
        for chunk in chunks:
            if time.monotonic() >= deadline:
                return seq
            if len(chunks) > 2 and fails(chunk):  # with 2 chunks, a complement is a chunk
                seq, n = chunk, 2
                break
        else:
            for index in range(len(chunks)):
                if time.monotonic() >= deadline:
                    return seq
                rest = [a for j, c in enumerate(chunks) if j != index for a in c]
                if fails(rest):
                    seq, n = rest, max(n - 1, 2)
                    break
            else:
                if n >= len(seq):
                    break
                n = min(len(seq), 2 * n)
    return seq


REFERENCES = ("doc", "credit", "payment")  # arguments naming what an earlier action created
LIST_REFERENCES = ("docs",)  # arguments naming several: a no-op when none of them exists


def prune(seq):
    """``seq`` without the actions that name a document or payment no action of ``seq``
    creates: such an action is a no-op by construction (see ``Campaign.move``)."""
    created, kept = set(), []
    for action in seq:
        if any(ref in action and action[ref] not in created for ref in REFERENCES):
            continue
        if any(ref in action and not set(action[ref]) & created for ref in LIST_REFERENCES):
            continue
        if "key" in action:
            created.add(action["key"])
        kept.append(action)
    return kept


# ---------------------------------------------------------------------- execution
class Campaign(CampaignActions, CampaignChecks, CampaignRefunds, CampaignSummaries):
    """Executes actions against a ``QxsCase`` test (its env, emulator, connection, products)."""

    def __init__(self, case):
        self.case = case
        self.env = case.env
        self.provider = case.provider
        self.emulator = case.emulator
        self.connection = case.connection
        self.partners = case.campaign_partners
        self.products = case.product_a + case.product_b
        self.codes = [case.revenue_code_a, case.revenue_code_b]
        self.bad_code = "Bad:Code" if self.provider == "qbo" else "999"
        self.users = {"billing": case.billing_user, "accountant": case.accountant_user}
        self.cash_journal = case.company_data["default_journal_cash"]
        self.config = dict(self.emulator.config)
        self.totals = Counter()  # over every run (including replays): faults, actions
        self.errors = Counter()  # sync errors seen at quiet points (the product's messages)
        self.reset_model()

    # ------------------------------------------------------------------ state
    def reset_model(self):
        self.docs = {}  # key -> account.move id
        self.payments = {}  # key -> account.payment id
        self.remote_cash = defaultdict(float)  # doc key -> cash paid in the provider
        self.user_payments = {}  # remote payment id -> (doc key, amount): the provider user's
        self.over_refunds = {}  # key -> account.payment id of an odoo_over_refund
        self.violations = []
        self.snapshot = None  # remote_index() while checking
        self.armed = []  # (kind, count, Fault) injected and not yet disarmed
        self.stats = Counter()
        self.seconds = Counter()  # time spent per operation
        self.applied = []  # per action run: did it change anything
        self.step = 0

    def clean_state(self):
        """The emulator reset and seeded, fresh tokens (as QxsCase.setUp), the model emptied."""
        self.emulator.reset()
        self.emulator.config.clear()
        self.emulator.config.update(self.config)
        self.emulator.seed()
        self.connection.sudo().write(
            self.connection._token_values(self.emulator.issue_tokens()) | {"state": "connected"}
        )
        self.reset_model()

    def run(self, actions, stop_on=None):
        """Execute ``actions`` then a final quiet point; return the violations (a list).
        ``stop_on``: stop at the first violation of that name (shrinking)."""
        for index, action in enumerate(actions):
            self.step = index
            self.stats[action["op"]] += 1
            self.totals["actions"] += 1
            started = time.perf_counter()
            try:
                applied = getattr(self, "do_" + action["op"])(action)
            except Violation as exc:
                exc.step = index
                self.violations.append(exc)
                applied = True
            self.seconds[action["op"]] += time.perf_counter() - started
            if not applied:
                self.stats["no-op"] += 1
            self.applied.append(bool(applied))
            if TRACE:
                self.trace(index, action, applied)
            if stop_on and any(v.name == stop_on for v in self.violations):
                return self.violations
        if not actions or actions[-1]["op"] != "quiet":
            self.step = len(actions)
            self.do_quiet({"op": "quiet"})
        return self.violations

    def trace(self, index, action, applied):
        """QXS_CAMPAIGN_TRACE=1: the sync records and remote documents after each action."""
        self.env.invalidate_all()
        emit(f"  [{index}] {fmt(action)}{'' if applied else '  (no-op)'}")
        for key, move_id in self.docs.items():
            move = self.env["account.move"].browse(move_id)
            rec = move._qxs_document_record()
            remote = [
                f"{self.remote_id(o)}:{'live' if self.is_live(o) else 'dead'}:"
                f"{self.remote_total(o):.2f}/{self.remote_open(o):.2f}"
                for o in self.remote_docs(move, live_only=False)
            ]
            emit(
                f"      {key} {move.name} {move.state} {move.payment_state} "
                f"res={move.amount_residual:.2f} | rec {rec.state}/{rec.action} "
                f"{rec.remote_id} {rec.remote_status} paid={rec.remote_paid_amount} "
                f"err={(rec.last_error or '')[:120]!r} | remote {remote}"
            )
        for rec in (
            self.env["qxs.sync.record"]
            .sudo()
            .search([("connection_id", "=", self.connection.id), ("purpose", "=", "payment")])
        ):
            values = rec.payment_values or {}
            emit(
                f"      payment {values.get('number')} ({values.get('kind')}) rec "
                f"{rec.state}/{rec.action} {rec.remote_id} {rec.remote_status} "
                f"err={(rec.last_error or '')[:100]!r}"
            )
        for violation in self.violations:
            emit(f"      violation: {violation}")

    def violate(self, name, detail):
        self.violations.append(Violation(name, detail, self.step))

    # ------------------------------------------------------------------ helpers
    def move(self, key):
        move_id = self.docs.get(key)
        move = self.env["account.move"].browse(move_id) if move_id else None
        return move if move and move.exists() else None

    def as_user(self, action, records):
        return records.with_user(self.users[action.get("user") or "accountant"])

    def attempt(self, func):
        """Run a user action in a savepoint: refused by Odoo (UserError...), it changes nothing
        and the action is a no-op."""
        try:
            with self.env.cr.savepoint():
                func()
        except (UserError, ValidationError) as exc:
            self.stats["refused"] += 1
            _logger.debug("campaign: refused: %s", exc)
            return False
        finally:
            self.env.invalidate_all()
        return True

    def cron(self, label, func):
        """A cron run: an exception is a violation (the run's work is rolled back)."""
        try:
            with self.env.cr.savepoint():
                func()
        except Exception as exc:  # any exception of a cron is what we look for
            _logger.info("campaign: %s raised", label, exc_info=True)
            self.violate("cron_raised", f"{label} raised {exc!r}")
        finally:
            self.env.invalidate_all()
        return True

    def sync(self, limit=None):
        model = self.env["qxs.sync.record"]
        return self.cron(
            "send cron", (lambda: model._cron_sync(limit=limit)) if limit else model._cron_sync
        )

    def poll(self):
        return self.cron("poll cron", self.env["qxs.sync.record"]._cron_poll)

    # -- the remote side
    @property
    def remote_kinds(self):
        if self.provider == "qbo":
            return {"out_invoice": "Invoice", "out_refund": "CreditMemo"}
        return {"out_invoice": "Invoices", "out_refund": "CreditNotes"}

    def remote_index(self):
        """{(move type, number): [remote documents]}: one copy of the provider's state."""
        index = defaultdict(list)
        for move_type, kind in self.remote_kinds.items():
            field = {"Invoices": "InvoiceNumber", "CreditNotes": "CreditNoteNumber"}.get(
                kind, "DocNumber"
            )
            for obj in self.emulator.objects(kind):
                index[(move_type, obj.get(field))].append(obj)
        return index

    def remote_docs(self, move, live_only=True):
        """The provider's documents numbered like ``move`` (of its kind)."""
        index = self.snapshot if self.snapshot is not None else self.remote_index()
        docs = index.get((move.move_type, move.name), [])
        return [d for d in docs if self.is_live(d)] if live_only else docs

    def is_live(self, obj):
        if self.provider == "qbo":
            return not (obj.get("PrivateNote") or "").startswith("Voided")
        return obj.get("Status") not in ("VOIDED", "DELETED")

    def remote_id(self, obj):
        if self.provider == "qbo":
            return obj["Id"]
        return obj.get("InvoiceID") or obj.get("CreditNoteID")

    def remote_total(self, obj):
        return float(obj["TotalAmt"] if self.provider == "qbo" else obj["Total"])

    def remote_open(self, obj):
        if self.provider == "qbo":
            return float(obj.get("Balance", 0.0))
        return float(obj.get("AmountDue", obj.get("RemainingCredit", 0.0)) or 0.0)

    # ------------------------------------------------------------------ faults and runs
    def fault_path(self, target):
        if self.provider == "qbo":
            return {
                "write": ("/batch|/invoice$|/creditmemo$", "POST"),
                # The poll's change data capture goes in a batch request (POST).
                "read": ("/query|/cdc|/batch$|/invoice/|/creditmemo/", None),
                "any": ("/v3/", None),
                # Payments and refunds go in batches, or in plain requests (one or two).
                "payment": ("/batch|/payment|/refundreceipt$", "POST"),
            }[target]
        return {
            "write": ("/Invoices|/CreditNotes|/Contacts|/Allocations", None),
            "read": ("/api.xro/", "GET"),
            "any": ("/api.xro/", None),
            "payment": ("/Payments|/Allocations", None),
        }[target]

    def do_fault(self, action):
        kind = action["kind"]
        path, method = self.fault_path(action["target"])
        if kind == "drop_after_write":
            method = None if self.provider == "xero" else "POST"
            if self.provider == "xero":
                path = "/Invoices$|/CreditNotes$|/Allocations$"
                if action["target"] == "payment":
                    path = "/Payments(/[^/]+)?$|/Allocations$"
        emu_kind = {"429": "status", "5xx": "status"}.get(kind, kind)
        fault = self.emulator.add_fault(
            emu_kind,
            path=path,
            method=method,
            count=action["count"],
            status=action["status"] if kind in ("429", "5xx") else 500,
        )
        # Armed until it has hit or the next quiet point is over (then disarmed).
        self.armed.append((kind, action["count"], fault))
        self.totals[f"fault {kind} injected"] += action["count"]
        if action["run"] == "poll":
            self.poll()
        else:
            self.sync()
        return True

    def disarm(self):
        with self.emulator.lock:
            for kind, count, fault in self.armed:
                self.totals[f"fault {kind} hit"] += count - max(fault.count, 0)
                if fault in self.emulator.faults:
                    self.emulator.faults.remove(fault)
        self.armed = []

    def do_lost_commit(self, action):
        """The send cron runs, the provider applies its writes, then Odoo's transaction is lost
        (the worker died before its commit). What the addon commits in transactions of its own
        (the token rotation, the marks of send attempts) is kept, as a crash keeps it."""
        writes = self.emulator.count(method="POST") + self.emulator.count(method="PUT")
        with lost_commit(self.env, self.connection):
            try:
                self.env["qxs.sync.record"]._cron_sync()
            except Exception as exc:
                self.violate("cron_raised", f"send cron (lost commit) raised {exc!r}")
        self.totals["fault lost_commit injected"] += 1
        after = self.emulator.count(method="POST") + self.emulator.count(method="PUT")
        self.totals["fault lost_commit hit"] += int(after > writes)
        return True

    def do_sync(self, action):
        return self.sync()

    def do_sync_one(self, action):
        """A cron run that stops after one group (a worker that ends its run early)."""
        return self.sync(limit=1)

    def do_poll(self, action):
        return self.poll()

    def do_webhook(self, action):
        """The provider notifies a change of a document; the signed body is handed to the
        addon's webhook entry point (what its HTTP controller calls), then the send cron
        reads the document."""
        move = self.move(action["doc"])
        if not move:
            return False
        rec = move._qxs_document_record()
        objs = self.remote_docs(move, live_only=False)
        remote_id = (objs and self.remote_id(objs[-1])) or rec.remote_id
        if not remote_id:
            return False
        stamp = datetime.fromtimestamp(self.emulator.clock.now(), timezone.utc).isoformat()
        if self.provider == "qbo":
            name = self.remote_kinds[move.move_type]
            payload = {
                "eventNotifications": [
                    {
                        "realmId": self.emulator.config["realm_id"],
                        "dataChangeEvent": {
                            "entities": [
                                {
                                    "name": name,
                                    "id": remote_id,
                                    "operation": "Update",
                                    "lastUpdated": stamp,
                                }
                            ]
                        },
                    }
                ]
            }
            key, header = self.emulator.config["webhook_verifier_token"], "intuit-signature"
        else:
            category = "CREDITNOTE" if move.move_type == "out_refund" else "INVOICE"
            payload = {
                "events": [
                    {
                        "resourceUrl": f"{self.emulator.base_url}/api.xro/2.0/x/{remote_id}",
                        "resourceId": remote_id,
                        "eventDateUtc": stamp,
                        "eventType": "UPDATE",
                        "eventCategory": category,
                        "tenantId": self.emulator._tenant_id(),
                        "tenantType": "ORGANISATION",
                    }
                ],
                "firstEventSequence": 1,
                "lastEventSequence": 1,
                "entropy": "CAMPAIGN",
            }
            key, header = self.emulator.config["webhook_key"], "x-xero-signature"
        raw = json.dumps(payload).encode()
        headers = {header: self.emulator.sign(key, raw)}

        def deliver():
            if not self.env["qxs.connection"].sudo()._handle_webhook(self.provider, raw, headers):
                raise AssertionError("a correctly signed webhook was refused")

        self.cron("webhook", deliver)
        return self.sync()

    # ------------------------------------------------------------------ quiet points
    def pending(self):
        """Records still due (a payment that waits for its documents is not: see
        ``waiting_payment``)."""
        recs = (
            self.env["qxs.sync.record"]
            .sudo()
            .search([("state", "=", "pending"), ("connection_id", "=", self.connection.id)])
        )
        return recs.filtered(lambda r: not self.waiting_payment(r))

    def waiting_payment(self, rec):
        """A payment record that waits (with its message) for a document that is not sent and
        will not be sent by the queue alone (in error or pending without remote id)."""
        if rec.purpose != "payment" or rec.state != "pending" or rec.attempts or not rec.last_error:
            return False
        docs = rec.allocation_move_ids
        if rec.payment_move_id.move_type == "out_refund":
            docs |= rec.payment_move_id
        for doc in docs:
            doc_rec = doc._qxs_document_record()
            if doc_rec.state in ("error", "pending") and not doc_rec.remote_id:
                return True
        return False

    def do_quiet(self, action):
        """Run the crons until nothing is due, then check every invariant."""
        self.totals["quiet points"] += 1
        for round_ in range(QUIET_ROUNDS):
            # Past the per-minute windows; after a few rounds past Xero's daily one too (not
            # for QuickBooks: its change data capture refuses to look back over 30 days).
            slow = round_ >= 4 and self.provider == "xero"
            self.emulator.clock.advance(86400 if slow else 61)
            self.case.make_due()
            self.sync()
            conn = self.connection.sudo()
            watermark = conn.last_poll_date
            self.poll()
            conn.invalidate_recordset()
            polled = conn.last_poll_date != watermark  # a poll that failed leaves it alone
            self.sync()
            conn.invalidate_recordset()
            if conn.state == "reconnect":
                # The campaign never revokes a token: only a transient fault led here.
                self.violate(
                    "reconnect_needed",
                    f"the connection asks to be reconnected: {conn.last_error}",
                )
                # The administrator connects again; the waiting documents go at once.
                conn.write(
                    conn._token_values(self.emulator.issue_tokens()) | {"state": "connected"}
                )
                conn._resume_queue()
                continue
            if polled and not self.pending():
                break
        else:
            self.disarm()
            left = self.pending()
            self.violate(
                "never_settles",
                f"no successful poll ({polled=}), or {len(left)} record(s) still pending, "
                f"after {QUIET_ROUNDS} rounds: "
                + "; ".join(
                    f"{r.display_name} ({r.action}, attempts {r.attempts}): {r.last_error}"
                    for r in left[:5]
                ),
            )
        self.disarm()
        self.check()
        return True


# ---------------------------------------------------------------------- the test's entry point
def run_campaign(case):
    """Generate, run, check, shrink; print the summary; fail the test on any violation."""
    seed = os.environ.get("QXS_CAMPAIGN_SEED") or case.campaign_default_seed
    seed = random.SystemRandom().randrange(10**9) if seed == "random" else int(seed)
    steps = int(os.environ.get("QXS_CAMPAIGN_STEPS") or case.campaign_default_steps)
    shrink_seconds = float(os.environ.get("QXS_CAMPAIGN_SHRINK_SECONDS") or 240)
    header = f"campaign {case.provider}: seed={seed} steps={steps}"
    emit(f"{header} (reproduce: QXS_CAMPAIGN_SEED={seed} QXS_CAMPAIGN_STEPS={steps})")
    _logger.info(header)
    actions = generate(random.Random(seed), steps, case.provider)
    if os.environ.get("QXS_CAMPAIGN_REPLAY"):  # a file with a (reduced) sequence to replay
        with open(os.environ["QXS_CAMPAIGN_REPLAY"], encoding="utf-8") as replay_file:
            actions = parse(replay_file.read())
        steps = len(actions)
        shrink_seconds = 0
    campaign = Campaign(case)
    cr = case.env.cr
    start = time.monotonic()
    origin = cr.savepoint()

    def replay(seq, stop_on=None):
        origin.rollback()
        case.env.invalidate_all()
        campaign.clean_state()
        return campaign.run(seq, stop_on=stop_on)

    violations = list(replay(actions))
    exported = campaign.exported_payments()
    applied = list(campaign.applied)
    stats = Counter(campaign.stats)
    seconds = Counter(campaign.seconds)
    totals = Counter(campaign.totals)
    run_time = time.monotonic() - start
    first = {}
    for violation in violations:
        first.setdefault(violation.name, violation)
    for name, violation in first.items():  # at once, before shrinking (which takes long)
        emit(f"found {name} at step {violation.step}: {violation.detail}")
    reports = []
    shrink_deadline = time.monotonic() + shrink_seconds
    for index, (name, violation) in enumerate(first.items()):
        prefix = actions[: (violation.step or 0) + 1]
        share = (shrink_deadline - time.monotonic()) / max(len(first) - index, 1)

        deadline = time.monotonic() + max(share, 0)
        tried = {}

        def fails(seq, name=name, tried=tried):
            seq = prune(seq)
            signature = json.dumps(seq, sort_keys=True)
            if signature not in tried:
                tried[signature] = any(v.name == name for v in replay(seq, stop_on=name))
            return tried[signature]

        # First without the actions that changed nothing in the run (one replay), then ddmin.
        useful = [a for a, done in zip(prefix, applied) if done or a["op"] == "quiet"]
        if len(useful) < len(prefix) and fails(useful):
            prefix = prune(useful)
        reduced = prune(ddmin(prune(prefix), fails, deadline))
        confirm = [v for v in replay(reduced, stop_on=name) if v.name == name]
        detail = confirm[0].detail if confirm else violation.detail
        reports.append(
            f"VIOLATION {name} (provider {case.provider}, seed {seed}, {steps} steps, first at "
            f"step {violation.step}; reduced to {len(reduced)} actions"
            f"{'' if confirm else ', NOT reproduced by the reduction'}):\n  {detail}\n"
            "  reduced sequence:\n" + "\n".join(f"    {fmt(a)}" for a in reduced)
        )
    origin.rollback()
    origin.close(rollback=False)
    case.env.invalidate_all()
    faults = ", ".join(
        f"{kind}={totals[f'fault {kind} injected']}/{totals[f'fault {kind} hit']}"
        for kind in (*FAULTS, "lost_commit")
    )
    counts = Counter(v.name for v in violations)
    summary = (
        f"CAMPAIGN SUMMARY provider={case.provider} seed={seed} steps={steps} "
        f"time={run_time:.1f}s (+{time.monotonic() - start - run_time:.1f}s shrinking) "
        f"quiet_points={totals['quiet points']} "
        f"receivable_checks={totals['receivable evaluated']} (documents compared "
        f"{totals['documents compared']}, left out {totals['documents left out']}) "
        f"linked_customers_compared={totals['customers compared']} "
        f"no-ops={stats['no-op']} refused={stats['refused']} "
        f"faults(injected/hit)=[{faults}] violations={len(violations)} "
        f"{dict(counts) if counts else ''}\n"
        f"  actions: {dict(sorted((k, v) for k, v in stats.items() if k not in SPECIAL))}"
    )
    left = {k[18:]: v for k, v in totals.items() if k.startswith("payments left out ")}
    summary += (
        f"\n  payments: registered in Odoo {totals['odoo payments registered']}, exported "
        f"{exported}, records compared at quiet points {totals['payments compared']}, left "
        f"out {left}, unapplied Odoo cash left out {totals['unapplied Odoo cash left out']}, "
        f"payments sent from Odoo removed remotely "
        f"{totals['remote removals of payments sent from Odoo']}"
    )
    summary += refund_summary(totals, exported)
    summary += summaries_summary(totals)
    unclean = {k[8:]: v for k, v in totals.items() if k.startswith("unclean ")}
    summary += f"\n  documents not comparable at quiet points (state/sync/live): {unclean}"
    summary += "\n  seconds per operation: " + ", ".join(
        f"{op} {sec:.1f}" for op, sec in seconds.most_common()
    )
    summary += "\n  sync errors seen at quiet points: " + "; ".join(
        f"{n} x {text!r}" for text, n in campaign.errors.most_common(8)
    )
    emit(summary)
    _logger.info(summary)
    for report in reports:
        emit(report)
    if reports:
        case.fail(
            f"{len(violations)} invariant violation(s) in the {case.provider} campaign, seed "
            f"{seed}, {steps} steps:\n\n" + "\n\n".join(reports)
        )
