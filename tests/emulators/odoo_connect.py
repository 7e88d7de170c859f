"""Connect an Odoo company to an emulator: the one way the addon's tests, the benchmark and the
demo (setup/demo_connect.py) create their ``qxs.connection``.

The connection is made as if the administrator had completed "Connect" at the provider: custom
environment on the emulator's base URL, the emulator's client id and secret and webhook key,
tokens the emulator issued, state connected, the remote company (realm / tenant) it answered.

Nothing here imports Odoo (``env`` is only used), so that the emulators stay importable by the
pytest suite without it. An emulator running in another process (``python -m tests.emulators``,
as setup/run.sh starts them) is reached through :class:`RemoteEmulator`.
"""

import json
import urllib.request

# The revenue code of a line whose product has none: QuickBooks' seeded "Services" item, Xero's
# "200" (Sales) account.
DEFAULT_REVENUE_CODE = {"qbo": "Services", "xero": "200"}
DEFAULT_INCOME_ACCOUNT = "Sales of Product Income"  # QuickBooks' seeded income account


def connect_company(
    env,
    company,
    emulator,
    *,
    provider=None,
    name=None,
    default_revenue_code=None,
    default_income_account=DEFAULT_INCOME_ACCOUNT,
    payment_journal=None,
    connection=None,
    **values,
):
    """Connect ``company`` to ``emulator`` (an emulator of this process, or a
    :class:`RemoteEmulator`) and return the connected ``qxs.connection``.

    :param provider: 'qbo' or 'xero' (default: the emulator's)
    :param name: the connection's name (default: "<company> emulator")
    :param default_revenue_code: default: :data:`DEFAULT_REVENUE_CODE` of the provider
    :param payment_journal: the journal of the payments registered from the provider; default:
        the company's first bank journal; ``False`` for none
    :param connection: an existing connection to set up again instead of creating one
    :param values: more field values, written with the tokens and the connected state
    """
    provider = provider or emulator.name
    config = emulator.config
    tokens = emulator.issue_tokens()
    if payment_journal is None:
        payment_journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
    vals = {
        "name": name or f"{company.name} emulator",
        "company_id": company.id,
        "provider": provider,
        "environment": "custom",
        "custom_base_url": emulator.base_url,
        "client_id": config["client_id"],
        "client_secret": config["client_secret"],
        "webhook_key": config.get("webhook_verifier_token") or config.get("webhook_key"),
        "default_income_account": default_income_account,
        "default_revenue_code": DEFAULT_REVENUE_CODE[provider]
        if default_revenue_code is None
        else default_revenue_code,
        "payment_journal_id": payment_journal.id if payment_journal else False,
    }
    if connection:
        connection.write(vals)
    else:
        connection = env["qxs.connection"].create(vals)
    connection.write(
        connection._token_values(tokens)
        | {
            "state": "connected",
            "remote_org_id": tokens.get("realm_id") or tokens.get("tenant_id"),
        }
        | values
    )
    return connection


class RemoteEmulator:
    """An emulator running in another process, known by the JSON line of URLs it printed
    (``{"provider": ..., "base": ..., "admin": ...}``): what :func:`connect_company` needs of
    it, through its admin API."""

    def __init__(self, urls, timeout=10):
        self.name = urls["provider"]
        self.base_url = urls["base"]
        self.admin_url = urls["admin"]
        self.timeout = timeout
        self.config = self._admin("GET", "config")

    def issue_tokens(self):
        """Tokens as after a completed consent (the emulator's ``issue_tokens()``)."""
        return self._admin("POST", "tokens", {})

    def _admin(self, method, action, data=None):
        request = urllib.request.Request(
            f"{self.admin_url}/{action}",
            data=None if data is None else json.dumps(data).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            return json.loads(answer.read())
