{
    "name": "QuickBooks Online & Xero Sync: Cost of Goods Sold",
    "summary": "Export cost of goods sold to QuickBooks Online or Xero as daily journals",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "qbo_xero_sync contributors",
    "website": "https://github.com/qbo-xero-sync/qbo_xero_sync",
    "license": "LGPL-3",
    "depends": ["qbo_xero_sync", "sale", "sale_stock", "stock_account"],
    "external_dependencies": {
        "python": ["quickbooks", "intuitlib", "xero_python", "requests"],
    },
    "data": [
        "views/crm_team_views.xml",
    ],
    "installable": True,
    "application": False,
}
