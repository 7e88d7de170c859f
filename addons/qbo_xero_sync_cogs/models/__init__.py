from . import account_move, crm_team, qxs_connection, qxs_sync_record, res_config_settings
