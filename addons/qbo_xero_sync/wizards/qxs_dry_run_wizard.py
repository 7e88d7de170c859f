from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .. import const
from ..exceptions import SyncError
from ..models.account_move import SYNCED_TYPES


class QxsDryRunWizard(models.TransientModel):
    """Dry run: what the send cron would do with each document, and what would fail, WITHOUT
    any write to the provider.

    The jobs are built by the engine itself (``qxs.sync.record._jobs(strict=True)``: the same
    refusals as a real send), on the pending records of the connection, or, for a date range,
    on records created in a savepoint that is rolled back. Their references are then checked
    against the mirror of the provider's reference data (``qxs.remote.record``), which may be
    read once first (a read, never a write)."""

    _name = "qxs.dry.run.wizard"
    _description = "QuickBooks / Xero dry run"

    connection_id = fields.Many2one(
        "qxs.connection",
        required=True,
        ondelete="cascade",
        default=lambda self: self._default_connection(),
    )
    provider = fields.Selection(related="connection_id.provider")
    scope = fields.Selection(const.DRY_RUN_SCOPES, required=True, default="pending")
    date_from = fields.Date(string="From")
    date_to = fields.Date(string="To")
    reload_reference = fields.Boolean(
        string="Read the reference data first",
        compute="_compute_reload_reference",
        store=True,
        readonly=False,
        help="Read the accounts, tax codes, terms, classes and tracking options of the provider "
        "again before the checks (a read: nothing is written to the provider).",
    )
    line_ids = fields.One2many("qxs.dry.run.line", "wizard_id", string="Results")
    done = fields.Boolean(readonly=True)
    create_count = fields.Integer(compute="_compute_counts")
    update_count = fields.Integer(compute="_compute_counts")
    fail_count = fields.Integer(compute="_compute_counts")
    nothing_count = fields.Integer(compute="_compute_counts")

    @api.model
    def _default_connection(self):
        if self.env.context.get("active_model") == "qxs.connection":
            return self.env.context.get("active_id")
        return self.env["qxs.connection"].sudo()._for_company(self.env.company)[:1].id

    @api.depends("connection_id")
    def _compute_reload_reference(self):
        for wizard in self:
            wizard.reload_reference = not wizard.connection_id.sudo().remote_reload_date

    @api.depends("line_ids.verdict")
    def _compute_counts(self):
        for wizard in self:
            verdicts = wizard.line_ids.mapped("verdict")
            wizard.create_count = verdicts.count("create")
            wizard.update_count = verdicts.count("update")
            wizard.fail_count = verdicts.count("fail")
            wizard.nothing_count = verdicts.count("nothing")

    # ------------------------------------------------------------------ actions
    def _check_dry_run_access(self):
        if not (self.env.is_system() or self.env.user.has_group("account.group_account_manager")):
            raise AccessError(
                self.env._(
                    "Only accountants and Settings administrators can run a dry run of the "
                    "QuickBooks / Xero sync."
                )
            )

    def action_run(self):
        """Build the results (one line per document) and show them."""
        self.ensure_one()
        self._check_dry_run_access()
        if self.scope == "dates" and not (self.date_from and self.date_to):
            raise UserError(self.env._("Set the first and last day of the documents to check."))
        conn = self.connection_id.sudo()
        if self.reload_reference:
            try:
                data = conn._adapter().read_reference_data()
            except SyncError as exc:
                raise UserError(exc.message) from exc
            self.env["qxs.remote.record"]._replace_mirror(conn, data)
        rows = self._simulate(conn)
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [
                    fields.Command.create({"sequence": n, **row}) for n, row in enumerate(rows)
                ],
                "done": True,
                "reload_reference": False,
            }
        )
        return self.action_open_results()

    def action_open_results(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dry run: %s", self.connection_id.display_name),
            "res_model": "qxs.dry.run.line",
            "view_mode": "list,form",
            "domain": [("wizard_id", "=", self.id)],
            "context": {"create": False, "search_default_group_verdict": 1},
        }

    # ------------------------------------------------------------------ the simulation
    def _simulate(self, conn):
        """Plain values of the result lines. Every record written meanwhile (the records of a
        date range's documents that have none) is rolled back."""
        Record = self.env["qxs.sync.record"].sudo().with_company(conn.company_id)
        mirror = self._mirror(conn)
        savepoint = self.env.cr.savepoint()
        try:
            return [self._row(rec, conn, mirror) for rec in self._records(conn, Record)]
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()

    def _records(self, conn, Record):
        """The document records to check: the pending ones of the connection, or one per
        posted document of the date range (created here when it has none)."""
        base = [("connection_id", "=", conn.id), ("purpose", "=", "document")]
        if self.scope == "pending":
            # The writes held (pushes and voids); reads write nothing remotely.
            held = [("state", "=", "pending"), ("action", "in", list(const.TRIAL_HELD_ACTIONS))]
            return Record.search(base + held, order="id")
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "=", conn.company_id.id),
                    ("move_type", "in", list(SYNCED_TYPES)),
                    ("state", "=", "posted"),
                    ("invoice_date", ">=", self.date_from),
                    ("invoice_date", "<=", self.date_to),
                ],
                order="invoice_date, name, id",
            )
        )
        existing = Record.search(base + [("res_model", "=", "account.move")])
        by_move = {rec.res_id: rec for rec in existing}
        records = Record.browse()
        for move in moves:
            rec = by_move.get(move.id) or Record.create(
                {
                    "connection_id": conn.id,
                    "purpose": "document",
                    "res_model": "account.move",
                    "res_id": move.id,
                    "move_id": move.id,
                    "state": "pending",
                    "action": "push",
                }
            )
            records |= rec
        return records

    def _row(self, rec, conn, mirror):
        move = rec.move_id
        row = {
            "move_id": move.id,
            "number": move.name,
            "customer": move.partner_id.display_name,
            "date": move.invoice_date,
            "currency_id": move.currency_id.id,
            "amount_total": move.amount_total,
            "verdict": "nothing",
            "reason": False,
            "note": False,
        }
        if rec.state not in ("pending", "error") or rec.action == "pull":
            row["note"] = rec.skip_reason or False
            return row
        strict = rec.action == "push"
        try:
            jobs, refused = rec._jobs(strict=strict)
        except SyncError as exc:
            jobs, refused = [], {rec.id: exc}
        if rec.id in refused:
            row.update(verdict="fail", reason=refused[rec.id].message)
            return row
        job = jobs[0]
        problems, notes = self._check_references(conn, job, mirror) if strict else ([], [])
        if rec.action == "void":
            row["verdict"] = "void"
            if not job.remote_id:
                notes.append(
                    self.env._(
                        "Not sent yet: it is looked up by number, and marked cancelled before "
                        "it was sent when it is not found."
                    )
                )
        else:
            row["verdict"] = "update" if job.remote_id else "create"
        if problems:
            row.update(verdict="fail", reason="\n".join(dict.fromkeys(problems)))
        row["note"] = "\n".join(dict.fromkeys(notes)) or False
        return row

    # ------------------------------------------------------------------ the mirror
    def _mirror(self, conn):
        """{kind: records} of the connection's mirror of the provider's reference data."""
        records = self.env["qxs.remote.record"].sudo().search([("connection_id", "=", conn.id)])
        mirror = {kind: records.browse() for kind, _label in const.REMOTE_RECORD_KINDS}
        for record in records:
            mirror[record.kind] |= record
        return mirror

    def _check_references(self, conn, job, mirror):
        """(problems, notes) of a job's references checked against the mirror, with the
        adapters' messages."""
        values = job.values or {}
        notes = self._customer_notes(conn, job)
        if not any(mirror[kind] for kind, _label in const.REMOTE_RECORD_KINDS):
            notes.append(
                self.env._(
                    "The reference data of the provider was never read: accounts, tax codes "
                    "and terms were not checked. Run again with “Read the reference data "
                    "first”."
                )
            )
            return [], notes
        check = self._check_qbo if conn.provider == "qbo" else self._check_xero
        problems = check(conn, values, mirror, notes)
        problems += self._currency_problems(conn, values, mirror)
        return problems, notes

    def _customer_notes(self, conn, job):
        partner = (job.values or {}).get("partner") or {}
        if not partner.get("id") or job.customer_id:
            return []
        name = partner.get("name") or ""
        if conn._qxs_creates_customers():
            return [
                self.env._(
                    "Customer “%s” is not linked yet: it is looked up by name and created if "
                    "missing.",
                    name,
                )
            ]
        return [
            self.env._(
                "Customer “%s” is not linked and customers are never created: the send fails "
                "unless the provider has a customer of that name. Link it on the match screen.",
                name,
            )
        ]

    def _currency_problems(self, conn, values, mirror):
        currency = values.get("currency")
        codes = set(mirror["currency"].mapped("code"))
        if not currency or not codes or currency in codes:
            return []
        return [
            self.env._(
                "%(provider)s has no currency %(currency)s: add it there (and reload the "
                "reference data), then retry.",
                provider=dict(const.PROVIDERS)[conn.provider],
                currency=currency,
            )
        ]

    def _check_qbo(self, conn, values, mirror, notes):
        _ = self.env._
        accounts = {r.code: r for r in mirror["account"]}
        tax_names = {r.code.lower() for r in mirror["tax"]} | set(mirror["tax"].mapped("remote_id"))
        classes = {r.code.lower() for r in mirror["class"]}
        locations = {r.code.lower() for r in mirror["location"]}
        lines = values.get("lines") or []
        items = self._qbo_items(conn, [line["revenue_code"] for line in lines], mirror)
        problems = []
        for line in lines:
            code = line["revenue_code"]
            if isinstance(items.get(code), SyncError):
                problems.append(items[code].message)
            elif code not in items:
                problems += self._qbo_item_problems(conn, code, accounts, notes)
            for tax in line["tax_codes"]:
                if tax.upper() not in const.QBO_US_PSEUDO_TAX_CODES and (
                    tax.lower() not in tax_names and tax not in tax_names
                ):
                    problems.append(
                        _("QuickBooks has no tax code “%s”: fix the tax code on the Odoo tax.", tax)
                    )
            name = line.get("class_name")
            if name and name.lower() not in classes:
                problems.append(self._qbo_class_problem(name))
        if values.get("class_name") and values["class_name"].lower() not in classes:
            problems.append(self._qbo_class_problem(values["class_name"]))
        location = values.get("location")
        if location and location.lower() not in locations:
            problems.append(
                _(
                    "QuickBooks has no active location “%(name)s”: create it in QuickBooks "
                    "(Settings > All lists > Locations), or change the location source on the "
                    "connection (Documents tab), then retry.",
                    name=location,
                )
            )
        term = values.get("term")
        if term and term not in set(mirror["term"].mapped("code")):
            problems.append(
                _(
                    "QuickBooks has no term “%(term)s”: create it in QuickBooks (Settings > "
                    "Account and settings > Sales > Terms) with exactly that spelling, or set "
                    "“QuickBooks term” on the Odoo payment term to the name of an existing "
                    "QuickBooks term, then retry.",
                    term=term,
                )
            )
        return problems

    def _qbo_class_problem(self, name):
        return self.env._(
            "QuickBooks has no active class “%(name)s”: create it in QuickBooks (Settings > "
            "All lists > Classes), or change the class source on the connection (Documents "
            "tab), then retry.",
            name=name,
        )

    def _qbo_items(self, conn, codes, mirror):
        """{revenue code: item id | SyncError} of the codes QuickBooks has an item for: linked
        before, else looked up by SKU, then by name (queries only, once per run, with the
        adapter's own rules: an item must be sold, and no inventory item while COGS journals
        are exported). A code missing here would be created."""
        cache = mirror.setdefault("items", {})
        if "adapter" not in cache:
            adapter = conn._adapter()
            adapter.refuse_inventory_items = conn._qxs_exports_cogs()
            cache["adapter"] = adapter
            cache["found"] = dict(self.env["qxs.binding"].sudo()._known(conn, "item"))
            cache["looked_up"] = set()
        adapter, found = cache["adapter"], cache["found"]
        todo = set(codes) - set(found) - cache["looked_up"]
        todo = {code for code in todo if not adapter._bad_item_name(code)}
        if todo:
            cache["looked_up"] |= todo
            try:
                for item in adapter._query_in("Item", "Sku", todo, select="*, Sku"):
                    found.setdefault(item.get("Sku"), adapter._usable_item(item))
                for item in adapter._query_in("Item", "Name", todo - set(found)):
                    found.setdefault(item["Name"], adapter._usable_item(item))
            except SyncError as exc:
                raise UserError(exc.message) from exc
        return found

    def _qbo_item_problems(self, conn, code, accounts, notes):
        """An item QuickBooks lacks is created: under the Income account of its name, else
        under the default income account."""
        _ = self.env._
        if any(ch in code for ch in const.QBO_FORBIDDEN_NAME_CHARS) or (
            len(code) > const.QBO_NAME_MAX
        ):
            return [
                _(
                    "Revenue code “%s” cannot be a QuickBooks item name: it must have at most "
                    "100 characters and no ':' or '\\'. Change the product's revenue code.",
                    code,
                )
            ]
        named = accounts.get(code)
        if named and named.account_type == "Income":
            notes.append(
                _(
                    "Item “%(item)s” would be created under the account of the same name.",
                    item=code,
                )
            )
            return []
        income = (conn.default_income_account or "").strip()
        account = accounts.get(income)
        if not income:
            reason = _(
                "Set the default revenue account (a QuickBooks Income account) in "
                "Settings > Accounting > QuickBooks / Xero, so that missing items "
                "can be created."
            )
        elif not account:
            reason = _(
                "QuickBooks has no account named “%s”: fix the default revenue "
                "account in the settings.",
                income,
            )
        elif account.account_type != "Income":
            reason = _(
                "QuickBooks account “%(n)s” is of type %(t)s, not Income: pick an "
                "Income account as default revenue account.",
                n=income,
                t=account.account_type,
            )
        else:
            notes.append(
                _(
                    "Item “%(item)s” would be created under “%(account)s”.",
                    item=code,
                    account=income,
                )
            )
            return []
        return [
            _(
                "QuickBooks has no item “%(code)s” and it cannot be created: %(reason)s",
                code=code,
                reason=reason,
            )
        ]

    def _check_xero(self, conn, values, mirror, notes):
        _ = self.env._
        accounts = {r.code: r for r in mirror["account"]}
        taxes = set(mirror["tax"].mapped("code"))
        options = {(r.category or "", r.code.lower()) for r in mirror["tracking"]}
        problems = []
        for line in values.get("lines") or []:
            code = line["revenue_code"]
            account = accounts.get(code)
            if not account:
                problems.append(
                    _(
                        "Revenue code %s is not an account code in Xero: set the "
                        "product's revenue code to a Xero revenue account code.",
                        code,
                    )
                )
            elif account.account_type not in const.XERO_REVENUE_TYPES:
                problems.append(
                    _(
                        "Xero account %(c)s is of type %(t)s, not a revenue type: "
                        "use the code of a revenue account.",
                        c=code,
                        t=account.account_type,
                    )
                )
            tax_codes = line["tax_codes"]
            if len(tax_codes) > 1:
                problems.append(
                    _("A Xero line takes one tax rate; a line has %s.", ", ".join(tax_codes))
                )
            for tax_type in tax_codes:
                if tax_type not in taxes:
                    problems.append(
                        _(
                            "Tax type %s does not exist in Xero: fix the tax code on the Odoo "
                            "tax.",
                            tax_type,
                        )
                    )
            for tracking in line.get("tracking") or []:
                key = (tracking["category"], tracking["option"].lower())
                if key not in options:
                    problems.append(
                        _(
                            "Xero has no active tracking option “%(option)s” in category "
                            "“%(category)s”: add it in Xero (Settings > Tracking categories), "
                            "then reload the reference data and retry.",
                            option=tracking["option"],
                            category=tracking["category"],
                        )
                    )
        return problems
