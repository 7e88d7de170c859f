"""QuickBooks states coming back: reads, change data capture, webhooks, web pages."""

from datetime import datetime, timedelta, timezone

from ... import const
from ...exceptions import GONE, RETRY, SyncError
from ..base import Changes, Outcome, RemoteState
from ..i18n import _
from .client import fault_text, utc
from .documents import ENTITY

KIND = {"Invoice": "invoice", "CreditMemo": "credit_note", "Payment": "other"}


class QboStatusMixin:
    """read_states, fetch_changes, remote_url and the webhooks."""

    @staticmethod
    def _status(obj):
        """(status, amount applied: payments and credits) of an Invoice or CreditMemo object."""
        if obj.get("status") == "Deleted":
            return "deleted", 0.0
        total = float(obj.get("TotalAmt") or 0.0)
        open_amount = float(obj.get("Balance", obj.get("RemainingCredit", total)) or 0.0)
        if (obj.get("PrivateNote") or "").startswith("Voided"):
            return "voided", 0.0
        paid = round(total - open_amount, 2)
        if total and open_amount <= 0.0:
            return "paid", paid
        return ("partial" if paid > 0 else "open"), paid

    def _credits_and_dates(self, objects, payments):
        """({invoice Id: credit applied}, {invoice Id: date of the last cash payment}, {Ids of
        the voided payments}) from the payments that the invoices of ``objects`` link (those
        missing from ``payments``, {Id: Payment}, are read). Applying a credit memo is a
        Payment linking both documents, often of amount 0: its credit goes to the invoices in
        order."""
        payments = dict(payments or {})
        linked = {
            str(link.get("TxnId"))
            for entity, obj in objects
            if entity == "Invoice"
            for link in obj.get("LinkedTxn") or []
            if link.get("TxnType") == "Payment"
        }
        if linked - set(payments):
            # Every linked one (a payment voided there leaves the invoice unpaid but linked).
            for pay in self._query_in("Payment", "Id", linked - set(payments)):
                payments[pay["Id"]] = pay
        credits, dates = {}, {}
        for pay in payments.values():
            lines = [
                ((li.get("LinkedTxn") or [{}])[0], float(li.get("Amount") or 0.0))
                for li in pay.get("Line") or []
            ]
            credit = sum(amount for link, amount in lines if link.get("TxnType") == "CreditMemo")
            for link, amount in lines:
                if link.get("TxnType") != "Invoice":
                    continue
                txn = str(link.get("TxnId"))
                part = min(credit, amount)
                credit -= part
                credits[txn] = credits.get(txn, 0.0) + part
                if amount - part > 0.005:
                    dates[txn] = max(dates.get(txn) or "", pay.get("TxnDate") or "") or None
        voided = {pid for pid, pay in payments.items() if self._status(pay)[0] == "voided"}
        return credits, dates, voided

    def _remote_states(self, objects, payments=None):
        """RemoteStates of ``objects`` ([(entity, Invoice or CreditMemo object)]), cash told
        apart from credit memos applied (see _credits_and_dates)."""
        credits, dates, voided = self._credits_and_dates(objects, payments)
        states = []
        for entity, obj in objects:
            status, applied = self._status(obj)
            links = [
                str(link.get("TxnId"))
                for link in obj.get("LinkedTxn") or []
                if link.get("TxnType") == "Payment"
            ]
            if entity == "CreditMemo":
                credited = applied  # used by invoices (or refunded): never cash received
            else:
                credited = round(min(credits.get(obj["Id"], 0.0), applied), 2)
            states.append(
                RemoteState(
                    remote_id=obj["Id"],
                    status=status,
                    kind=KIND[entity],
                    amount_paid=round(applied - credited, 2),
                    amount_credited=credited,
                    total=float(obj.get("TotalAmt") or 0.0),
                    sync_token=obj.get("SyncToken"),
                    remote_number=obj.get("DocNumber"),
                    payment_date=dates.get(obj["Id"]) if entity == "Invoice" else None,
                    payment_ids=tuple(links) if entity == "Invoice" else None,
                    voided_payment_ids=tuple(pid for pid in links if pid in voided),
                )
            )
        return states

    def read_states(self, jobs):
        outcome, objects = Outcome(), []
        for job in jobs:
            entity = ENTITY[job.kind]
            try:
                objects.append(
                    (job, entity, self._get(f"{entity.lower()}/{job.remote_id}")[entity])
                )
            except SyncError as exc:
                outcome.results[job.key] = (
                    RemoteState(remote_id=job.remote_id, status="deleted", kind=job.kind)
                    if exc.kind == GONE
                    else exc
                )
        try:
            states = self._remote_states([(entity, obj) for _j, entity, obj in objects])
        except SyncError as exc:
            states = [exc] * len(objects)
        outcome.results.update(
            {job.key: state for (job, _e, _o), state in zip(objects, states, strict=True)}
        )
        return outcome

    # ------------------------------------------------------------------ change data capture
    def _cdc(self, entities, since):
        """({entity: [objects]}, QuickBooks' time of the answer) of one batch request holding
        one ``CDCQuery`` per entity (IntuitRestServiceDef.xsd, BatchItemRequest). Each item is
        a change data capture of its own, with its own cap of 1,000 objects: a poll of 1,000
        paid invoices (1,000 invoices and 1,000 payments) is one request, where one ``GET
        /cdc`` of every entity holds 1,000 objects in all. A refused item or a request that
        failed raises, as a ``GET /cdc`` would: the poll reads the same changes next time."""
        changed_since = since.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")
        bids = {f"cdc{n}": entity for n, entity in enumerate(entities)}
        items = [
            {"bId": bid, "CDCQuery": {"Entities": entity, "ChangedSince": changed_since}}
            for bid, entity in bids.items()
        ]
        # No request id: a read must never be answered from a replay of an earlier one.
        with self.operation("change data capture (batch)"):
            res = self._request("POST", "batch", body={"BatchItemRequest": items})
        answers = {answer.get("bId"): answer for answer in res.get("BatchItemResponse", [])}
        found = {}
        for bid, entity in bids.items():
            answer = answers.get(bid) or {}
            if answer.get("Fault"):
                err = (answer["Fault"].get("Error") or [{}])[0]
                raise self._fault(
                    int(err.get("code") or 0),
                    fault_text(err.get("Message", ""), err.get("Detail")),
                    own=False,
                )
            if "CDCResponse" not in answer:
                raise SyncError(
                    _(
                        "QuickBooks left out the changes of %(entity)s from its answer.",
                        entity=entity,
                    ),
                    kind=RETRY,
                )
            # One CDCResponse per item (the XSD); a list is read alike (GET /cdc's shape).
            blocks = answer["CDCResponse"]
            found[entity] = [
                obj
                for block in (blocks if isinstance(blocks, list) else [blocks])
                for query in block.get("QueryResponse") or []
                for obj in query.get(entity, [])
            ]
        return found, utc(res.get("time")) or datetime.now(timezone.utc).replace(tzinfo=None)

    def _cdc_window(self, since):
        """(since, note): ``since`` moved to the oldest change QuickBooks keeps, with a note for
        the administrators when changes were lost that way."""
        oldest = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(
            days=const.QBO_CDC_MAX_DAYS, minutes=-5
        )
        if since >= oldest:
            return since, None
        note = _(
            "QuickBooks keeps changes for %(days)s days only: what changed there between "
            "%(since)s and %(oldest)s (UTC) could not be read. An administrator can read "
            "every document's status again with “Re-read all statuses” on the connection.",
            days=const.QBO_CDC_MAX_DAYS,
            since=since.replace(microsecond=0),
            oldest=oldest.replace(microsecond=0),
        )
        return oldest, note

    def fetch_changes(self, since):
        """Change data capture of invoices, credit memos and payments: one request (a batch of
        one CDC query per entity, see _cdc). An entity's answer of 1,000 objects may have been
        cut (QuickBooks does not say so): the watermark then stops at its last change and the
        next poll reads the rest."""
        entities = [*ENTITY.values(), "Payment"]
        since, note = self._cdc_window(since)
        found, server_time = self._cdc(entities, since)
        # A minute of overlap (applying a state twice changes nothing), on QuickBooks' clock.
        watermark = server_time - timedelta(minutes=1)
        for objs in found.values():
            if len(objs) >= const.QBO_CDC_MAX_OBJECTS:
                # A full list: the next poll starts at its last change and reads the rest.
                last = max(
                    (utc((o.get("MetaData") or {}).get("LastUpdatedTime")) for o in objs),
                    key=lambda moment: moment or datetime.min,
                )
                watermark = min(watermark, last or since)
        payments = {p["Id"]: p for p in found["Payment"] if p.get("status") != "Deleted"}
        states = self._remote_states(
            [(entity, obj) for entity in ENTITY.values() for obj in found[entity]], payments
        )
        return Changes(states, watermark, note)

    def remote_url(self, kind, remote_id):
        if not remote_id or kind not in ENTITY:
            return False
        return self._app_url(ENTITY[kind].lower(), remote_id)

    def _app_url(self, page, remote_id):
        """The QuickBooks web page of a transaction (``page``: "invoice", "creditmemo"...)."""
        if self.settings.environment == "custom":
            return f"{self.settings.custom_base_url.rstrip('/')}/app/{page}?txnId={remote_id}"
        return f"{const.QBO_APP_URLS[self.settings.environment]}/{page}?txnId={remote_id}"

    # ------------------------------------------------------------------ webhooks
    signature_header = "intuit-signature"

    def parse_webhook(self, payload):
        """{realm id: {(kind, entity id)}} from a legacy or CloudEvents notification."""
        kinds = {name.lower(): kind for name, kind in KIND.items()}
        out = {}
        if isinstance(payload, dict):
            for note in payload.get("eventNotifications", []):
                for ent in note.get("dataChangeEvent", {}).get("entities", []):
                    kind = kinds.get((ent.get("name") or "").lower())
                    if kind and ent.get("id"):
                        out.setdefault(note.get("realmId"), set()).add((kind, str(ent["id"])))
        elif isinstance(payload, list):  # CloudEvents: type "qbo.<entity>.<operation>.v1"
            for event in payload:
                entity = (event.get("type") or "").split(".")[1:2]
                kind = kinds.get(entity[0].lower()) if entity else None
                if kind and event.get("intuitentityid"):
                    out.setdefault(event.get("intuitaccountid"), set()).add(
                        (kind, str(event["intuitentityid"]))
                    )
        return out
