import contextlib
import json
import logging
from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.sql import constraint_definition, drop_constraint

from .. import const
from ..adapters import Settings, adapter_class
from ..exceptions import SyncError

_logger = logging.getLogger(__name__)

SECRET = "base.group_system"
# The unique constraint of the first version (active rows included): dropped by init().
OLD_UNIQUE_CONSTRAINT = "qxs_connection_company_provider_uniq"


class QxsConnection(models.Model):
    """One company's link to one QuickBooks Online company or Xero organisation.

    The connection owns the OAuth tokens: it alone refreshes them, under a row lock, and stores
    every rotated refresh token in its own transaction at once (QuickBooks rotates refresh tokens,
    Xero's are single-use).
    """

    _name = "qxs.connection"
    _description = "QuickBooks Online / Xero connection"
    _inherit = [
        "mail.thread",
        "qxs.oauth.mixin",
        "qxs.mapping.mixin",
        "qxs.document.options",
        "qxs.customer.options",
    ]
    _order = "company_id, provider"

    name = fields.Char(required=True, default=lambda self: _("Accounting connection"))
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    provider = fields.Selection(const.PROVIDERS, required=True, default="qbo", tracking=True)
    environment = fields.Selection(const.ENVIRONMENTS, required=True, default="production")
    custom_base_url = fields.Char(
        string="Custom base URL",
        help="Base URL of a QuickBooks or Xero compatible API, e.g. the project's local emulator.",
    )
    state = fields.Selection(
        [
            ("draft", "Not connected"),
            ("connected", "Connected"),
            ("reconnect", "Reconnect needed"),
            ("disconnected", "Disconnected"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    # App credentials and tokens: Settings administrators only, never copied.
    client_id = fields.Char(groups=SECRET, copy=False)
    client_secret = fields.Char(groups=SECRET, copy=False)
    access_token = fields.Char(groups=SECRET, copy=False, readonly=True)
    refresh_token = fields.Char(groups=SECRET, copy=False, readonly=True)
    token_expiry = fields.Datetime(groups=SECRET, copy=False, readonly=True)
    webhook_key = fields.Char(
        string="Webhook key",
        groups=SECRET,
        copy=False,
        help="QuickBooks: the app's webhook verifier token. Xero: the webhook signing key.",
    )
    # The pending OAuth consent: a random nonce, spent by the callback, and when it was issued.
    oauth_nonce = fields.Char(groups=SECRET, copy=False, readonly=True)
    oauth_state_date = fields.Datetime(groups=SECRET, copy=False, readonly=True)
    xero_scope_set = fields.Selection(
        const.XERO_SCOPE_SETS, string="Xero scopes", default="granular", required=True
    )
    remote_org_id = fields.Char(
        string="Company / tenant ID",
        copy=False,
        readonly=True,
        help="QuickBooks realm ID or " "Xero tenant ID of the connected company.",
    )
    remote_org_name = fields.Char(string="Connected company", copy=False, readonly=True)
    tenant_ids = fields.One2many("qxs.connection.tenant", "connection_id", string="Organisations")
    last_error = fields.Text(readonly=True, copy=False)

    # Mapping and options: one field per provider meaning (see the form). QuickBooks: the
    # Income account missing items are created under, and the item of lines without revenue
    # code; Xero: the revenue account of lines without revenue code (no items).
    default_income_account = fields.Char(
        string="Income account of new items",
        help="QuickBooks: name of the Income account under which missing Service items are "
        "created. Xero: not used (each line's revenue code is the account code).",
    )
    remote_record_ids = fields.One2many(
        "qxs.remote.record", "connection_id", string="Reference data of the provider"
    )
    remote_account_ids = fields.One2many(
        "qxs.remote.record",
        "connection_id",
        string="Accounts of the chart",
        domain=[("kind", "=", "account")],
    )
    default_revenue_code = fields.Char(
        string="Default revenue code",
        help="The revenue code of invoice lines whose product and income account have none. "
        "QuickBooks: an Item name (or SKU). Xero: the code of a revenue account.",
    )
    payment_journal_id = fields.Many2one(
        "account.journal",
        string="Payments journal",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        help="Payments received in QuickBooks or Xero are registered in Odoo in this journal.",
    )
    send_payments = fields.Boolean(
        default=True,
        help="Payments registered in Odoo (and credit notes applied) against sent invoices are "
        "sent to QuickBooks or Xero; unreconciling or cancelling them removes them there.",
    )
    void_on_cancel = fields.Boolean(
        string="Void when cancelled",
        default=True,
        help="Cancelling a synced invoice in Odoo voids it in QuickBooks or Xero.",
    )
    sync_status_back = fields.Boolean(
        string="Bring statuses back",
        default=True,
        help="Paid, voided and deleted statuses in QuickBooks or Xero update Odoo.",
    )
    qbo_tax_style = fields.Selection(
        const.QBO_TAX_STYLES,
        string="QuickBooks tax style",
        default="us",
        required=True,
        help="US companies send TAX or NON on each line and one sales tax code per invoice; "
        "other countries send the tax code on each line.",
    )
    last_poll_date = fields.Datetime(readonly=True, copy=False)
    rate_day_remaining = fields.Integer(
        string="Calls left today", readonly=True, copy=False, help="Xero's daily call budget."
    )
    rate_minute_remaining = fields.Integer(string="Calls left this minute", readonly=True)
    sync_record_count = fields.Integer(compute="_compute_sync_record_count")
    redirect_uri = fields.Char(compute="_compute_redirect_uri")

    _sql_constraints = [
        (
            # One active connection per company and provider; archived ones are kept, as many
            # as needed ("archive it and create a new one"): a partial unique index on the
            # active rows, as an exclusion constraint so that Odoo shows its message.
            "company_provider_active_uniq",
            "EXCLUDE USING btree (company_id WITH =, provider WITH =) WHERE (active)",
            "A company has one active connection per provider: archive the current one first.",
        ),
    ]

    def init(self):
        res = super().init()
        if constraint_definition(self.env.cr, self._table, OLD_UNIQUE_CONSTRAINT):
            drop_constraint(self.env.cr, self._table, OLD_UNIQUE_CONSTRAINT)
        return res

    @api.constrains("environment", "custom_base_url")
    def _check_custom_base_url(self):
        for conn in self:
            if conn.environment != "custom":
                continue
            url = urlsplit(conn.custom_base_url or "")
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValidationError(_("The custom base URL must look like https://host[:port]."))
            if url.scheme == "http" and not conn._is_loopback():
                raise ValidationError(
                    _("Plain http is only allowed for a local emulator (127.0.0.1 or localhost).")
                )

    def write(self, vals):
        moved = self.browse()
        if "remote_org_id" in vals:
            moved = self.filtered(
                lambda c: (c.remote_org_id or False) != (vals["remote_org_id"] or False)
            )
        sent = moved._sent_count() if moved else 0
        if sent:
            raise UserError(
                _(
                    "%(count)s documents were already sent to %(org)s through this connection: "
                    "switching it to another company or organisation would detach them. Archive "
                    "this connection and create a new one for the other organisation.",
                    count=sent,
                    org=moved[:1].remote_org_name or moved[:1].remote_org_id,
                )
            )
        res = super().write(vals)
        if moved:
            # Customer bindings hold another company's / organisation's ids: forget them, the
            # customers are looked up (or created) again in the one now used.
            self.env["qxs.binding"].sudo().search([("connection_id", "in", moved.ids)]).unlink()
        return res

    def _sent_count(self):
        """How many records of these connections are linked to a remote object."""
        return (
            self.env["qxs.sync.record"]
            .sudo()
            .search_count([("connection_id", "in", self.ids), ("remote_id", "!=", False)])
        )

    def _compute_sync_record_count(self):
        data = self.env["qxs.sync.record"]._read_group(
            [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
        )
        counts = {conn.id: count for conn, count in data}
        for conn in self:
            conn.sync_record_count = counts.get(conn.id, 0)

    def _compute_redirect_uri(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for conn in self:
            conn.redirect_uri = base.rstrip("/") + "/qbo_xero_sync/oauth/callback"

    # ------------------------------------------------------------------ helpers
    def _check_admin(self):
        """Connecting, disconnecting and other calls made on a user's request change what the
        provider and Odoo hold: Settings administrators only, checked before any call (so that
        nothing happens remotely that Odoo could not record)."""
        if not self.env.is_system():
            raise AccessError(
                _(
                    "Only a Settings administrator can connect, disconnect, re-read or "
                    "otherwise operate the QuickBooks / Xero connection. Ask one to do it."
                )
            )
        self.check_access("write")

    def _is_loopback(self):
        host = urlsplit(self.custom_base_url or "").hostname or ""
        return self.environment == "custom" and host in ("127.0.0.1", "localhost", "::1")

    def _adapter_class(self):
        """The adapter class of this connection. Other addons may choose a subclass (e.g. the
        COGS addon's, which also sends journals)."""
        self.ensure_one()
        return adapter_class(self.provider)

    def _settings(self):
        """The plain values an adapter knows of this connection (read once, as superuser)."""
        conn = self.sudo()
        return Settings(
            provider=conn.provider,
            environment=conn.environment,
            custom_base_url=conn.custom_base_url or "",
            client_id=conn.client_id or "",
            client_secret=conn.client_secret or "",
            webhook_key=conn.webhook_key or "",
            org_id=conn.remote_org_id or "",
            xero_scope_set=conn.xero_scope_set,
            qbo_tax_style=conn.qbo_tax_style,
            default_income_account=(conn.default_income_account or "").strip(),
            request_salt=self.env["ir.config_parameter"].sudo().get_param("database.uuid", ""),
            label=conn.display_name,
            lang=self.env.lang or "",
        )

    def _adapter(self):
        """The provider adapter of this connection (the one place that builds adapters): it
        gets plain settings, a function that gives a valid access token, the remote items
        already known and the reference data kept from earlier runs."""
        self.ensure_one()
        items = self.env["qxs.binding"].sudo()._known(self, "item")
        adapter = self._adapter_class()(
            self._settings(), access_token=self._access_token, items=items
        )
        # The reference data an earlier run read (qxs_connection_cache.py): not read again.
        adapter.seed_reference(self._qxs_reference_cache())
        return adapter

    def _store_limits(self, limits):
        """Show the provider's remaining call budget on the connection, written in its own
        transaction: the sending one may be older than a token refresh committed meanwhile
        (a serialization failure)."""
        if not limits or "day_remaining" not in limits:
            return
        with self._independent_env() as env:
            env["qxs.connection"].browse(self.id).write(
                {
                    "rate_day_remaining": limits["day_remaining"],
                    "rate_minute_remaining": limits.get("minute_remaining", 0),
                }
            )

    @api.model
    def _for_company(self, company):
        return self.search(
            [("company_id", "=", company.id), ("state", "in", ("connected", "reconnect"))],
            limit=1,
        )

    def action_connect(self):
        self.ensure_one()
        self._check_admin()
        conn = self.sudo()
        if not (conn.client_id and conn.client_secret):
            raise UserError(_("Set the app's client ID and client secret before connecting."))
        url = self._adapter().authorize_url(self._oauth_state(), self.redirect_uri)
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _finish_oauth(self, code, params):
        """Called by the OAuth controller with the provider's code: store tokens and company,
        mirror the provider's reference data (its home currency must be the company's).
        Returns the URL the browser goes to next: the mapping wizard."""
        self.ensure_one()
        self._check_admin()
        adapter = self._adapter()
        tokens = adapter.exchange_code(code, params, self.redirect_uri)
        # Another organisation than the one documents were sent to: a guided choice, the
        # new organisation and its tokens waiting for it (qxs_connection_org_change.py).
        landing = self._hold_org_change(tokens, params)
        if landing:
            return landing
        vals = {**self._token_values(tokens), "state": "connected", "last_error": False}
        if tokens.get("org_id"):
            vals["remote_org_id"] = tokens["org_id"]
        self.sudo().write(vals)
        orgs = adapter.list_organisations(params)
        self.tenant_ids.unlink()
        self.env["qxs.connection.tenant"].create(
            [{"connection_id": self.id, "remote_id": o["id"], "name": o["name"]} for o in orgs]
        )
        if orgs and (len(orgs) == 1 or self.remote_org_id not in [o["id"] for o in orgs]):
            self.write({"remote_org_id": orgs[0]["id"], "remote_org_name": orgs[0]["name"]})
        # The reference data (and the home currency) of the organisation now used: a home
        # currency other than the company's refuses the connection. The tokens of that
        # organisation are revoked, and the caller's error rolls back what was written here
        # (tokens, state, organisations): nothing of it is stored.
        data = self._adapter().read_reference_data()
        try:
            self._check_home_currency(data.get("home_currency"))
        except UserError:
            with contextlib.suppress(SyncError):
                adapter.revoke(tokens.get("refresh_token") or tokens.get("access_token"))
            raise
        self.env["qxs.remote.record"]._replace_mirror(self, data)
        self.message_post(body=_("Connected to %(org)s.", org=self.remote_org_name or "?"))
        self._resume_queue()
        return self._mapping_wizard_url()

    def _resume_queue(self):
        """Documents that waited for the connection are sent now."""
        waiting = (
            self.env["qxs.sync.record"]
            .sudo()
            .search([("connection_id", "in", self.ids), ("state", "=", "pending")])
        )
        waiting.write({"next_attempt": False})
        self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()

    def action_disconnect(self):
        self._check_admin()
        for conn in self:
            with contextlib.suppress(SyncError):
                conn._adapter().revoke(conn.sudo().refresh_token or conn.sudo().access_token)
            conn.sudo().write(
                {
                    "access_token": False,
                    "refresh_token": False,
                    "token_expiry": False,
                    "state": "disconnected",
                }
            )
            conn.message_post(body=_("Disconnected."))

    def _running_crons(self, xmlids):
        """The crons among ``xmlids`` that are running now. Odoo's cron runner holds a row lock
        on its ``ir_cron`` row while the job runs (``_acquire_one_job``: FOR NO KEY UPDATE SKIP
        LOCKED); a row that a new cursor cannot lock is one being run. The new cursor is rolled
        back at once: no lock is kept, and this transaction's snapshot is not involved."""
        crons = (
            self.env["ir.cron"]
            .sudo()
            .browse(
                [c.id for c in (self.env.ref(x, raise_if_not_found=False) for x in xmlids) if c]
            )
        )
        if not crons:
            return crons
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT id FROM ir_cron WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED",
                [tuple(crons.ids)],
            )
            free = {row[0] for row in cr.fetchall()}
            cr.rollback()
        return crons.filtered(lambda c: c.id not in free)

    def action_sync_now(self):
        """Ask the sync cron to run now (it runs outside this transaction); refused while an
        automatic run of the send or poll cron is going."""
        self._check_admin()
        running = self._running_crons(
            ["qbo_xero_sync.ir_cron_qxs_sync", "qbo_xero_sync.ir_cron_qxs_poll"]
        )
        if running:
            raise UserError(
                _(
                    "An automatic run is going (%(crons)s): documents are being sent or statuses "
                    "read right now. Wait for it to finish (usually a few minutes), then click "
                    "Sync now again if something is still pending.",
                    crons=", ".join(running.mapped("cron_name")),
                )
            )
        self.env.ref("qbo_xero_sync.ir_cron_qxs_sync")._trigger()
        self.env.ref("qbo_xero_sync.ir_cron_qxs_poll")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": _("Synchronisation started."), "type": "info"},
        }

    def action_reread_statuses(self):
        """Read the status of every synced document again (e.g. after an outage longer than
        the provider keeps its changes); the sync cron does it in the background."""
        self._check_admin()
        count = 0
        for conn in self:
            count += self.env["qxs.sync.record"]._enqueue_reread(conn) or 0
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": _(
                    "%(count)s documents will be read again from %(provider)s in the "
                    "background; their statuses and payments are updated as they are read.",
                    count=count,
                    provider=", ".join(
                        dict(const.PROVIDERS)[p] for p in dict.fromkeys(self.mapped("provider"))
                    ),
                ),
                "type": "info",
            },
        }

    def action_open_sync_records(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "qbo_xero_sync.action_qxs_sync_record"
        )
        action["domain"] = [("connection_id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------ webhooks
    @api.model
    def _handle_webhook(self, provider, raw, headers):
        """Verify a webhook against every connection of the provider; enqueue reads of the
        documents it names. Returns False when no connection's key verifies the signature."""
        conns = self.sudo().search([("provider", "=", provider), ("webhook_key", "!=", False)])
        verified = conns.filtered(lambda c: c._adapter().verify_webhook(raw, headers))
        if not verified:
            return False
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            return True  # signed but unreadable: nothing to do
        by_org = verified[:1]._adapter().parse_webhook(payload)
        for conn in verified:
            keys = by_org.get(conn.remote_org_id) or set()
            documents = {(kind, rid) for kind, rid in keys if kind != "other"}
            pulled = self.env["qxs.sync.record"]._enqueue_pull(conn, documents) if documents else []
            if len(pulled) < len(keys):
                # Another kind of entity (e.g. a payment) or no synced document of that kind
                # and id: polling finds what changed. Not otherwise: a poll racing the pull
                # would register the same payment concurrently (serialization failure).
                self.env.ref("qbo_xero_sync.ir_cron_qxs_poll")._trigger()
        return True

    def _notify_admins(self, body):
        """A note on the connection that reaches its company's Settings administrators."""
        self.ensure_one()
        admins = self.env.ref("base.group_system").users.filtered(
            lambda u: self.company_id in u.company_ids
        )
        self.message_post(
            body=body, partner_ids=admins.partner_id.ids, subtype_xmlid="mail.mt_note"
        )

    def _notify_reconnect(self, message):
        self._notify_admins(
            _("Reconnect needed: %(msg)s. Open the connection and click Reconnect.", msg=message)
        )
