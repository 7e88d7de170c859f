from odoo.tests import tagged

from .common import CogsScenarios, QxsCogsCase


@tagged("post_install", "-at_install")
class TestCogsXero(CogsScenarios, QxsCogsCase):
    """The same scenarios against Xero: manual journals on account codes 310 (Cost of Goods
    Sold, Direct Costs) and 630 (Inventory)."""

    provider = "xero"
    default_revenue_code = "200"
    revenue_code_a = "200"
    revenue_code_b = "260"
    tax_code = "OUTPUT"
    cogs_code = "310"
    stock_code = "630"
    fault_path = "ManualJournals"
    void_status = "voided"

    def live_journals(self):
        return [
            {
                "id": mj["ManualJournalID"],
                "date": self._xero_date(mj["Date"]),
                "narration": mj.get("Narration") or "",
                "lines": sorted(
                    (
                        "Debit" if li["LineAmount"] > 0 else "Credit",
                        li["AccountCode"],
                        abs(li["LineAmount"]),
                    )
                    for li in mj["JournalLines"]
                ),
            }
            for mj in self.emulator.objects("ManualJournals")
            if mj["Status"] == "POSTED"
        ]

    @staticmethod
    def _xero_date(value):
        from tests.emulators.xero import to_datetime

        return to_datetime(value).date()
