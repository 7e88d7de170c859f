from . import (
    account_move,
    account_tax,
    crm_team,
    product_template,
    qxs_binding,
    qxs_connection,
    qxs_connection_tenant,
    qxs_remote_account,
    qxs_sync_record,
    res_company,
    res_config_settings,
    res_partner,
)
