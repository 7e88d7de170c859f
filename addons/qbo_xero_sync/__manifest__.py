# "qxs" in the names of this addon's models, fields and methods stands for QuickBooks/Xero sync.
{
    "name": "QuickBooks Online & Xero Sync",
    "summary": "Send posted customer invoices and credit notes to QuickBooks Online or Xero, "
    "and bring their paid, voided and deleted statuses back",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "author": "qbo_xero_sync contributors",
    "website": "https://github.com/qbo-xero-sync/qbo_xero_sync",
    "license": "LGPL-3",
    "depends": ["account", "sale", "mail"],
    "external_dependencies": {
        "python": ["python-quickbooks", "intuit-oauth", "xero-python", "requests"],
    },
    "data": [
        "security/qbo_xero_sync_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/qxs_connection_views.xml",
        "views/qxs_sync_record_views.xml",
        "views/qxs_binding_views.xml",
        "views/account_move_views.xml",
        "views/account_journal_views.xml",
        "views/product_template_views.xml",
        "views/res_partner_views.xml",
        "views/account_tax_views.xml",
        "views/account_payment_term_views.xml",
        "views/crm_team_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
        "views/qxs_match_wizard_views.xml",
        "views/qxs_customer_options_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["qbo_xero_sync/static/tests/tours/*.js"],
    },
}
