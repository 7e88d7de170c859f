# Run by setup/run.sh inside `odoo-bin shell`: connects the demo companies to the local
# emulators (whose URLs run.sh passes in QXS_QBO_URLS / QXS_XERO_URLS) and maps the demo data.
# Idempotent: run.sh runs it at every start (the emulators start afresh each time).
# ruff: noqa: F821  (env is given by odoo-bin shell)
import json
import os

from tests.emulators.odoo_connect import RemoteEmulator, connect_company

# Sale tax rates of the emulators' seeded companies -> their tax codes. A sale tax whose rate
# has no code here gets a twin at the emulator's rate, so that totals agree to the cent.
TAX_CODES = {
    "qbo": {8.25: "California", 0.0: "NON"},  # US company: one 8.25 % sales tax
    "xero": {8.25: "OUTPUT", 15.0: "TAX001", 0.0: "NONE"},  # Tax on Sales, State Tax 15 %
}


def map_taxes(company, provider):
    codes = TAX_CODES[provider]
    taxes = env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")]
    )
    for tax in taxes.filtered(lambda t: not t.qxs_tax_code and t.amount_type == "percent"):
        if tax.amount in codes:
            tax.qxs_tax_code = codes[tax.amount]
    if any(t.qxs_tax_code for t in company.account_sale_tax_id):
        return
    # The company's default sale tax has no equivalent: use one at the emulator's rate for the
    # company's products and new invoice lines.
    rate, code = next((r, c) for r, c in codes.items() if r)
    twin = taxes.filtered(lambda t: t.qxs_tax_code == code and t.amount == rate)[:1]
    if not twin:
        twin = env["account.tax"].create(
            {
                "name": f"Sales tax {rate:g}% ({code})",
                "amount": rate,
                "type_tax_use": "sale",
                "company_id": company.id,
                "country_id": (company.account_fiscal_country_id or company.country_id).id,
                "qxs_tax_code": code,
            }
        )
    old = company.account_sale_tax_id
    company.account_sale_tax_id = twin
    products = env["product.template"].with_company(company).search([("taxes_id", "in", old.ids)])
    for product in products:
        product.taxes_id = (product.taxes_id - old) | twin


def connect(company, urls):
    """Connect ``company`` to the emulator that printed ``urls`` (tests/emulators/odoo_connect.py,
    as the tests connect theirs), then map the company's taxes and products to its data."""
    emulator = RemoteEmulator(urls)
    provider = emulator.name
    Connection = env["qxs.connection"].with_company(company)
    conn = Connection.search(
        [("company_id", "=", company.id), ("provider", "=", provider)], limit=1
    )
    if conn:
        # The emulators keep nothing between runs: the customers, items and documents the
        # previous run linked to are gone, so forget those links (documents show Not synced;
        # "Send to QuickBooks / Xero" sends them again).
        stale = env["qxs.sync.record"].search([("connection_id", "=", conn.id)])
        if stale:
            print(f"{company.name}: forgetting {len(stale)} links to the previous emulator run")
            stale.unlink()
    connect_company(
        Connection.env,
        company,
        emulator,
        name=f"{company.name} - local {provider.upper()} emulator",
        connection=conn,
        remote_org_name=f"Emulated {provider}",
        # The emulators start empty at every run: look for changes from now on only.
        last_poll_date=False,
    )
    map_taxes(company, provider)
    # Products (revenue code) for this company: QBO item names, Xero account codes.
    products = env["product.template"].with_company(company).search([("sale_ok", "=", True)])
    for product in products.filtered(lambda p: not p.qxs_revenue_code):
        product.qxs_revenue_code = (
            (product.default_code or product.name)[:30].replace(":", "-")
            if provider == "qbo"
            else "200"
        )
    print(f"{company.name}: connected to the {provider.upper()} emulator at {urls['base']}")


qbo_urls = json.loads(os.environ["QXS_QBO_URLS"])
xero_urls = json.loads(os.environ["QXS_XERO_URLS"])
main = env.ref("base.main_company")
connect(main, qbo_urls)

xero_company = env["res.company"].search([("name", "=", "Demo Xero Company")], limit=1)
if not xero_company:
    xero_company = env["res.company"].create(
        {
            "name": "Demo Xero Company",
            "currency_id": main.currency_id.id,
            "country_id": main.country_id.id,
        }
    )
    env["account.chart.template"].try_loading("generic_coa", xero_company, install_demo=False)
# The person who logs in (admin), not the shell's superuser, must be able to switch to it.
env.ref("base.user_admin").company_ids |= xero_company
connect(xero_company, xero_urls)
env.cr.commit()
