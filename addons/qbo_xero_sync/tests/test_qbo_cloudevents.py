"""QuickBooks webhooks in the CloudEvents format, which replaces the ``eventNotifications``
payload (https://blogs.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure/,
https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks).

Same set-up as the other files (``common.QxsCase``): a real Odoo company, the real SDK, real
HTTP to the in-process emulator, and webhooks posted to Odoo's controller over HTTP.
"""

import json
import uuid
from datetime import datetime, timezone

from odoo.tests import HttpCase, tagged

from .common import QxsCase
from .test_http import HttpHelpers


@tagged("post_install", "-at_install")
class TestQboCloudEvents(HttpHelpers, QxsCase, HttpCase):
    """QuickBooks webhooks in the CloudEvents format, signed like the legacy ones: the named
    invoice is read and its payment registered."""

    def cloud_events(self, *remote_ids, kind="invoice"):
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        return [
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "type": f"qbo.{kind}.updated.v1",
                "time": now,
                "intuitentityid": remote_id,
                "intuitaccountid": self.emulator.config["realm_id"],
                "data": {},
            }
            for remote_id in remote_ids
        ]

    def post_signed(self, payload, key=None):
        body = json.dumps(payload).encode()
        key = key or self.emulator.config["webhook_verifier_token"]
        signature = self.emulator.sign(key, body)
        return self.deliver(
            self.emulator.post_signed, self.webhook_url("qbo"), body, "intuit-signature", signature
        )

    def test_cloudevents_webhook_pulls_the_invoice_and_registers_the_payment(self):
        move = self.invoice(amounts=(100.0,))
        self.sync()
        rec = self.record(move)
        self.assertEqual(rec.state, "synced", rec.last_error)
        self.emulator.pay_invoice(rec.remote_id)
        events = self.cloud_events(rec.remote_id)

        self.assertEqual(self.post_signed(events, key="someone-else"), 401)
        self.assertEqual((rec.state, rec.action), ("synced", "push"), "refused: nothing changes")

        self.assertEqual(self.post_signed(events), 200)
        self.assertEqual((rec.state, rec.action), ("pending", "pull"))
        self.assertEqual(move.payment_state, "not_paid", "nothing is synced inline")
        self.sync()
        self.assertEqual((rec.state, rec.action, rec.remote_status), ("synced", "push", "paid"))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(move._get_reconciled_payments()), 1)
        # The same event delivered again (Intuit retries) registers nothing twice.
        self.assertEqual(self.post_signed(events), 200)
        self.sync()
        self.assertEqual(len(move._get_reconciled_payments()), 1)
