from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestBannerTour(HttpCase):
    """In a real browser: the failure banner on the invoice form and its retry button."""

    def test_failure_banner_and_retry(self):
        env = self.env
        company = env.company
        connection = env["qxs.connection"].create(
            {
                "name": "QuickBooks",
                "company_id": company.id,
                "provider": "qbo",
                "environment": "custom",
                "custom_base_url": "http://127.0.0.1:9",
            }
        )
        connection.write({"state": "connected", "remote_org_id": "1"})
        partner = env["res.partner"].create({"name": "Banner Customer"})
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    (0, 0, {"name": "Consulting", "quantity": 1, "price_unit": 10})
                ],
            }
        )
        invoice.action_post()
        record = invoice._qxs_document_record()
        record.write(
            {
                "state": "error",
                "last_error": "QuickBooks error 6240: Duplicate Name Exists Error: The name "
                "supplied already exists.",
            }
        )
        self.start_tour(f"/odoo/account.move/{invoice.id}", "qxs_banner_tour", login="admin")
        self.assertEqual(record.state, "pending")
