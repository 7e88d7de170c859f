# Run by setup/run.sh inside `odoo-bin shell`: connects the demo companies to the local
# emulators (whose URLs run.sh passes in QXS_QBO_URLS / QXS_XERO_URLS) and maps the demo data.
# Idempotent: run.sh runs it at every start. The emulators run as sandboxes that keep their
# company between runs (a state file each): a connection whose tokens the emulator still honours
# is kept with its links; only what is not connected is connected.
# The functions take their environment from the records they are given, so that the tests import
# this file by path (addons/qbo_xero_sync_cogs/tests/test_demo_connect.py) and call them; the
# demo itself runs only where odoo-bin shell gives ``env``.
# ruff: noqa: F821  (env is given by odoo-bin shell)
import json
import os

from odoo.addons.qbo_xero_sync.exceptions import RETRY, SyncError

from tests.emulators.odoo_connect import RemoteEmulator, connect_company

# Sale tax rates of the emulators' seeded companies -> their tax codes. A sale tax whose rate
# has no code here gets a twin at the emulator's rate, so that totals agree to the cent.
TAX_CODES = {
    "qbo": {8.25: "California", 0.0: "NON"},  # US company: one 8.25 % sales tax
    "xero": {8.25: "OUTPUT", 15.0: "TAX001", 0.0: "NONE"},  # Tax on Sales, State Tax 15 %
}
# The COGS addon's accounts (cost of goods sold, inventory asset) in the emulators' seeded charts:
# QuickBooks account names, Xero account codes (310 Cost of Goods Sold, 630 Inventory).
COGS_ACCOUNTS = {
    "qbo": ("Cost of Goods Sold", "Inventory Asset"),
    "xero": ("310", "630"),
}


def tax_group(tax, rate):
    """A tax group of its own for the demo's tax at ``rate`` ("Tax 8.25%"), so that invoices
    show its amount under its rate (the company's first group, e.g. "Tax 15%", otherwise): a copy
    of the tax's current group (its tax accounts), made once per company."""
    name = f"Tax {rate:g}%"
    Group = tax.env["account.tax.group"]
    group = Group.search(
        [("company_id", "=", tax.company_id.id), ("name", "=", name)], order="id", limit=1
    )
    if not group:
        group = tax.tax_group_id.copy({"name": name, "company_id": tax.company_id.id})
    if tax.tax_group_id != group:
        tax.tax_group_id = group
    return group


def map_taxes(company, provider):
    env = company.env
    codes = TAX_CODES[provider]
    taxes = env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")]
    )
    for tax in taxes.filtered(lambda t: not t.qxs_tax_code and t.amount_type == "percent"):
        if tax.amount in codes:
            tax.qxs_tax_code = codes[tax.amount]
    rate, code = next((r, c) for r, c in codes.items() if r)
    twin_name = f"Sales tax {rate:g}% ({code})"
    for made in taxes.filtered(lambda t: t.name == twin_name):
        tax_group(made, rate)  # made by an earlier run of this script
    if any(t.qxs_tax_code for t in company.account_sale_tax_id):
        return
    # The company's default sale tax has no equivalent: use one at the emulator's rate for the
    # company's products and new invoice lines, in a tax group of its own.
    twin = taxes.filtered(lambda t: t.qxs_tax_code == code and t.amount == rate)[:1]
    if not twin:
        twin = env["account.tax"].create(
            {
                "name": twin_name,
                "amount": rate,
                "type_tax_use": "sale",
                "company_id": company.id,
                "country_id": (company.account_fiscal_country_id or company.country_id).id,
                "qxs_tax_code": code,
            }
        )
    tax_group(twin, rate)
    old = company.account_sale_tax_id
    company.account_sale_tax_id = twin
    products = env["product.template"].with_company(company).search([("taxes_id", "in", old.ids)])
    for product in products:
        product.taxes_id = (product.taxes_id - old) | twin


def map_cogs(conn):
    """Map the COGS addon's accounts of ``conn`` to the emulator's seeded chart (when the COGS
    addon is installed); a mapping set by hand is kept."""
    if "cogs_account_code" not in conn._fields:
        return
    cogs, stock = COGS_ACCOUNTS[conn.provider]
    vals = {}
    if not conn.cogs_account_code:
        vals["cogs_account_code"] = cogs
    if not conn.inventory_account_code:
        vals["inventory_account_code"] = stock
    if vals:
        conn.write(vals)


def ensure_warehouse(company):
    """A warehouse for ``company`` (Odoo makes one for a new company only in tests): sales are
    delivered from it, and their COGS watched."""
    Warehouse = company.env["stock.warehouse"].sudo()
    warehouse = Warehouse.search([("company_id", "=", company.id)], limit=1)
    if not warehouse:
        warehouse = Warehouse.with_context(active_test=False).search(
            [("company_id", "=", company.id)], limit=1
        )
        if warehouse:
            warehouse.active = True
        else:
            warehouse = Warehouse.create({"name": company.name, "company_id": company.id})
    return warehouse


def copy_costs(source, target):
    """Give ``target``'s storable products the cost they have in ``source`` (a product's cost is
    per company, zero in a new one: its COGS would be zero, and no journal sent). A cost set in
    ``target`` is kept."""
    Product = target.env["product.product"].sudo()
    products = Product.search(
        [("is_storable", "=", True), ("company_id", "in", (False, target.id))]
    )
    for product in products:
        cost = product.with_company(source).standard_price
        if cost and not product.with_company(target).standard_price:
            product.with_company(target).standard_price = cost


def still_connected(conn, emulator):
    """True when ``conn`` is connected to ``emulator``'s company and the emulator still honours
    its refresh token (a sandbox kept from the previous run); the tokens are then refreshed."""
    config = emulator.config
    remote_org = config.get("realm_id") or config["tenants"][0]["tenantId"]
    if (
        conn.state != "connected"
        or conn.environment != "custom"
        or conn.client_id != config["client_id"]
        or conn.remote_org_id != remote_org
        or not conn.refresh_token
    ):
        return False
    if conn.custom_base_url != emulator.base_url:  # another port this time
        conn.custom_base_url = emulator.base_url
    try:
        tokens = conn._adapter_class()(conn._settings()).refresh_tokens(conn.refresh_token)
    except SyncError as exc:
        if exc.kind == RETRY:  # the emulator failed to answer: no reason to drop the links
            raise
        return False
    conn.write(conn._token_values(tokens))
    return True


def connect(company, urls):
    """Connect ``company`` to the emulator that printed ``urls`` (tests/emulators/odoo_connect.py,
    as the tests connect theirs), unless it is still connected to it; then map the company's
    taxes and products to its data."""
    env = company.env
    emulator = RemoteEmulator(urls)
    provider = emulator.name
    Connection = env["qxs.connection"].with_company(company)
    conn = Connection.search(
        [("company_id", "=", company.id), ("provider", "=", provider)], limit=1
    )
    if conn and still_connected(conn, emulator):
        print(f"{company.name}: still connected to the {provider.upper()} emulator (links kept)")
    else:
        if conn:
            # The emulator does not know this connection (a new sandbox): the customers, items
            # and documents the previous run linked to are gone, so forget those links
            # (documents show Not synced; "Send to QuickBooks / Xero" sends them again).
            stale = env["qxs.sync.record"].search([("connection_id", "=", conn.id)])
            if stale:
                print(f"{company.name}: forgetting {len(stale)} links to a previous emulator")
                stale.unlink()
            env["qxs.binding"].search([("connection_id", "=", conn.id)]).unlink()
        connect_company(
            Connection.env,
            company,
            emulator,
            name=f"{company.name} - local {provider.upper()} emulator",
            connection=conn,
            remote_org_name=f"Emulated {provider}",
            # A new sandbox: look for changes from now on only.
            last_poll_date=False,
        )
        print(f"{company.name}: connected to the {provider.upper()} emulator at {urls['base']}")
    map_taxes(company, provider)
    map_cogs(conn or Connection.search([("company_id", "=", company.id)], limit=1))
    # Products (revenue code) for this company: QBO item names, Xero account codes.
    products = env["product.template"].with_company(company).search([("sale_ok", "=", True)])
    for product in products.filtered(lambda p: not p.qxs_revenue_code):
        product.qxs_revenue_code = (
            (product.default_code or product.name)[:30].replace(":", "-")
            if provider == "qbo"
            else "200"
        )


def main(env):
    """The demo: the main company on the QuickBooks emulator, "Demo Xero Company" (with a
    warehouse) on the Xero one."""
    qbo_urls = json.loads(os.environ["QXS_QBO_URLS"])
    xero_urls = json.loads(os.environ["QXS_XERO_URLS"])
    main_company = env.ref("base.main_company")
    connect(main_company, qbo_urls)

    xero_company = env["res.company"].search([("name", "=", "Demo Xero Company")], limit=1)
    if not xero_company:
        xero_company = env["res.company"].create(
            {
                "name": "Demo Xero Company",
                "currency_id": main_company.currency_id.id,
                "country_id": main_company.country_id.id,
            }
        )
        env["account.chart.template"].try_loading("generic_coa", xero_company, install_demo=False)
    # The person who logs in (admin), not the shell's superuser, must be able to switch to it.
    env.ref("base.user_admin").company_ids |= xero_company
    ensure_warehouse(xero_company)
    copy_costs(main_company, xero_company)
    connect(xero_company, xero_urls)
    env.cr.commit()


if "env" in globals():  # run by odoo-bin shell (setup/run.sh), not imported
    main(env)
