# Run by setup/run.sh inside `odoo-bin shell`: connects the demo companies to the local
# emulators (whose URLs run.sh passes in QXS_QBO_URLS / QXS_XERO_URLS) and maps the demo data.
# ruff: noqa: F821  (env is given by odoo-bin shell)
import json
import os

import requests


def connect(company, provider, urls, client_id, client_secret, org_key):
    tokens = requests.post(urls["admin"] + "/tokens", json={}, timeout=10).json()
    Connection = env["qxs.connection"].with_company(company)
    conn = Connection.search([("company_id", "=", company.id), ("provider", "=", provider)],
                             limit=1)
    vals = {
        "name": f"{company.name} - local {provider.upper()} emulator",
        "company_id": company.id,
        "provider": provider,
        "environment": "custom",
        "custom_base_url": urls["base"],
        "client_id": client_id,
        "client_secret": client_secret,
        "webhook_key": "qbo-verifier-token" if provider == "qbo" else "xero-webhook-key",
        "default_income_account": "Sales of Product Income",
        "payment_journal_id": env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1).id,
    }
    conn = conn or Connection.create(vals)
    conn.write(vals)
    conn.write(conn._qxs_token_values(tokens) | {"state": "connected",
                                                 "remote_org_id": tokens[org_key],
                                                 "remote_org_name": f"Emulated {provider}"})
    # Map the demo data: sale taxes, products (revenue code) for this company.
    taxes = env["account.tax"].search([("company_id", "=", company.id),
                                       ("type_tax_use", "=", "sale")])
    for tax in taxes.filtered(lambda t: not t.qxs_tax_code):
        tax.qxs_tax_code = "TAX" if provider == "qbo" else ("OUTPUT" if tax.amount else "NONE")
    products = env["product.template"].with_company(company).search([("sale_ok", "=", True)])
    for product in products.filtered(lambda p: not p.qxs_revenue_code):
        product.qxs_revenue_code = (product.default_code or product.name)[:30] \
            if provider == "qbo" else "200"
    print(f"{company.name}: connected to the {provider.upper()} emulator at {urls['base']}")


qbo_urls = json.loads(os.environ["QXS_QBO_URLS"])
xero_urls = json.loads(os.environ["QXS_XERO_URLS"])
main = env.ref("base.main_company")
connect(main, "qbo", qbo_urls, "qbo-client-id", "qbo-client-secret", "realm_id")

xero_company = env["res.company"].search([("name", "=", "Demo Xero Company")], limit=1)
if not xero_company:
    xero_company = env["res.company"].create({"name": "Demo Xero Company",
                                              "currency_id": main.currency_id.id,
                                              "country_id": main.country_id.id})
    env["account.chart.template"].try_loading("generic_coa", xero_company, install_demo=False)
    env.user.company_ids |= xero_company
connect(xero_company, "xero", xero_urls, "xero-client-id", "xero-client-secret", "tenant_id")
env.cr.commit()
