{
    "name": "QuickBooks Online & Xero Sync: Cost of Goods Sold",
    "summary": "Export cost of goods sold to QuickBooks Online or Xero as daily journals",
    "version": "18.0.1.0.1",
    "category": "Accounting/Accounting",
    "author": "qbo_xero_sync contributors",
    "website": "https://github.com/qbo-xero-sync/qbo_xero_sync",
    "license": "LGPL-3",
    "depends": ["qbo_xero_sync", "sale", "sale_stock", "stock_account"],
    "external_dependencies": {
        "python": ["python-quickbooks", "intuit-oauth", "xero-python", "requests"],
    },
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/crm_team_views.xml",
        "views/qxs_connection_views.xml",
        "views/qxs_sync_record_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "wizard/qxs_cogs_wizard_views.xml",
        "views/menus.xml",
    ],
}
