# The mixins first: the models that inherit them are built after them.
from . import qxs_customer_options, qxs_document_options, qxs_mapping_mixin  # noqa: I001
from . import qxs_date_range_mixin
from . import qxs_oauth_mixin, qxs_status_back, qxs_sync_jobs, qxs_sync_outcome
from . import qxs_sync_queue
from . import (
    account_account,
    account_journal,
    account_move,
    account_move_document_options,
    account_move_payment,
    account_move_refund,
    account_payment_term,
    account_partial_reconcile,
    account_tax,
    crm_team,
    product_template,
    qxs_binding,
    qxs_connection,
    qxs_connection_tenant,
    qxs_remote_record,
    qxs_send_attempt,
    qxs_sync_record,
    res_company,
    res_config_settings,
    res_partner,
)

# Extends qxs.sync.record: after it.
from . import qxs_remote_credit
from . import qxs_connection_trial, qxs_sync_record_trial

# Extend qxs.connection: the dashboard and the change of organisation.
from . import qxs_connection_dashboard, qxs_connection_org_change
from . import res_config_settings_schedule
from . import qxs_export_run, qxs_sync_record_export, qxs_connection_export
from . import qxs_connection_alerts, qxs_sync_log, account_move_sync_log

# Daily summaries per sales channel (issue 16).
from . import qxs_daily_summary, qxs_daily_summary_record, account_move_daily_summary
from . import qxs_daily_summary_deposit
from . import qxs_connection_cache
