"""Reads and writes of the QuickBooks adapter, on top of the request entry point
(``client.QboClientMixin._request``): queries (one, several ``IN`` queries, read ahead in a
batch), single writes with their request ids, and batches (a batch of one or two items goes as
plain requests)."""

from ... import const
from ...exceptions import RETRY, SyncError
from .client import batch_operation, fault_text, quote


class QboCallsMixin:
    # ------------------------------------------------------------------ reads and writes
    def _get(self, path, params=None):
        return self._request("GET", path, params=params)

    def _query(self, sql):
        if sql in self._prefetched:
            return self._prefetched.pop(sql)
        res = self._request("POST", "query", body=sql, content_type="application/text")
        return res.get("QueryResponse", {})

    @staticmethod
    def _in_queries(entity, field, values, select="*", where=""):
        """The query texts of :meth:`_query_in` (one per 100 values)."""
        values = sorted({v for v in values if v})
        return [
            f"SELECT {select} FROM {entity} WHERE {field} IN "
            f"({', '.join(quote(v) for v in values[i : i + 100])}){where} MAXRESULTS 1000"
            for i in range(0, len(values), 100)
        ]

    def _query_in(self, entity, field, values, select="*", where=""):
        """Objects whose ``field`` is one of ``values`` (one query per 100 values, all sent in
        one batch request when there are several); ``where`` adds conditions (" AND ...")."""
        queries = self._in_queries(entity, field, values, select, where)
        if len(queries) > 1:
            self._prefetch(queries)
        found = []
        for sql in queries:
            found += self._query(sql).get(entity, [])
        return found

    def _prefetch(self, queries):
        """Read ``queries`` ahead, 30 to a batch request (QuickBooks batches take queries):
        the next :meth:`_query` of each text is answered from here, once. A query the batch
        refused is sent again on its own (its error shows there); a request that failed as a
        whole for a passing reason (throttled, 5xx, time-out) raises, as a query would."""
        todo = list(dict.fromkeys(q for q in queries if q not in self._prefetched))
        if len(todo) < 2:
            return  # one query costs one request either way
        for start in range(0, len(todo), const.QBO_BATCH_SIZE):
            chunk = todo[start : start + const.QBO_BATCH_SIZE]
            items = [{"bId": f"q{n}", "Query": sql} for n, sql in enumerate(chunk)]
            # No request id: a read must never be answered from QuickBooks' replay of an
            # earlier identical one (it would hide what was created since).
            for bid, answer in self._batch(items, "look-ups", replay=False).items():
                if isinstance(answer, SyncError) and answer.kind == RETRY:
                    raise answer
                if not isinstance(answer, SyncError):
                    self._prefetched[chunk[int(bid[1:])]] = answer.get("QueryResponse", {})

    def _write(self, entity, job, operation, body, params=None):
        """POST one object with the request id of (job, operation, body); returns the answer."""
        return self._request(
            "POST",
            entity.lower(),
            body=body,
            params=params,
            request_id=self.request_key(job, operation, body),
        )

    def _write_current(self, entity, job, remote_id, operation, changes=None, current=None):
        """Read the object's SyncToken (unless ``current`` is the object just read), then write
        it: ``operation`` "update" (with ``changes``), "void" or "delete". Returns (the object
        read, the object written)."""
        if current is None:
            current = self._get(f"{entity.lower()}/{remote_id}")[entity]
        body = {**(changes or {}), "Id": remote_id, "SyncToken": current["SyncToken"]}
        params = None if operation == "update" else {"operation": operation}
        res = self._write(entity, job, operation, body, params)
        return current, res.get(entity, {})

    def _batch(self, items, label, salt="", replay=True):
        """POST one batch (≤ 30 items) with a request id made of its content: a retry of the
        same batch is answered from QuickBooks' replay, never written twice (``replay``
        False: no request id, for reads). Returns {bId: object dict | SyncError}.

        Up to ``const.QBO_PLAIN_ITEMS`` items go as plain requests instead, one per item:
        QuickBooks allows 40 batch requests a minute but 500 requests, so the lone document
        of a steady flow of postings must not spend the scarcer budget."""
        if len(items) <= const.QBO_PLAIN_ITEMS:
            return {item["bId"]: self._plain(item, label, salt, replay) for item in items}
        key = self.request_key(None, label, [items, salt], 36) if replay else None
        try:
            with self.operation(batch_operation(items, label)):
                res = self._request(
                    "POST", "batch", body={"BatchItemRequest": items}, request_id=key
                )
        except SyncError as exc:
            return {item["bId"]: exc for item in items}
        out = {}
        operations = {item["bId"]: item.get("operation") for item in items}
        for answer in res.get("BatchItemResponse", []):
            fault = answer.get("Fault")
            if not fault:
                out[answer["bId"]] = answer
                continue
            err = (fault.get("Error") or [{}])[0]
            # A 610 is the written object's own only when it existed (not a create).
            out[answer["bId"]] = self._fault(
                int(err.get("code") or 0),
                fault_text(err.get("Message", ""), err.get("Detail")),
                own=operations.get(answer["bId"]) != "create",
            )
        return out

    def _plain(self, item, label, salt="", replay=True):
        """One batch item sent as a request of its own; its answer shaped as a batch item's
        ({entity: object} or {"QueryResponse": ...}), or the SyncError."""
        try:
            if "Query" in item:
                return self._request(
                    "POST", "query", body=item["Query"], content_type="application/text"
                )
            entity = next(key for key in item if key not in ("bId", "operation"))
            operation = item.get("operation") or "create"
            return self._request(
                "POST",
                entity.lower(),
                body=item[entity],
                params=None if operation in ("create", "update") else {"operation": operation},
                request_id=self.request_key(None, label, [[item], salt], 50) if replay else None,
            )
        except SyncError as exc:
            return exc
