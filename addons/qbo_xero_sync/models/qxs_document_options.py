from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .. import const


class QxsDocumentOptions(models.AbstractModel):
    """What a connection puts on the documents it sends, besides their lines and amounts:
    QuickBooks' class and location, Xero's tracking categories, where the reference goes and
    which date is the ship date (the "Documents" page of the connection)."""

    _name = "qxs.document.options"
    _description = "QuickBooks Online / Xero document options"

    class_source = fields.Selection(
        const.DOCUMENT_VALUE_SOURCES,
        string="Class from",
        default="none",
        required=True,
        help="QuickBooks class (ClassRef) of each document, per line or per document as "
        "QuickBooks' company settings say (Advanced > Categories > Track classes): the name of "
        "the sales team, the warehouse of the sales order, or the analytic account of the line. "
        "A class of that name must exist in QuickBooks. Left blank when QuickBooks does not "
        "track classes.",
    )
    location_source = fields.Selection(
        const.DOCUMENT_VALUE_SOURCES,
        string="Location from",
        default="none",
        required=True,
        help="QuickBooks location (DepartmentRef) of each document: the name of the sales team, "
        "the warehouse of the sales order, or the document's main analytic account. A location "
        "of that name must exist in QuickBooks. Left blank when QuickBooks does not track "
        "locations.",
    )
    tracking1_category = fields.Char(
        string="Tracking category 1",
        help="The name of a Xero tracking category (Accounting > Advanced > Tracking "
        "categories), e.g. Region. Each line gets the option named by the source below.",
    )
    tracking1_source = fields.Selection(
        const.DOCUMENT_VALUE_SOURCES, string="Option 1 from", default="none", required=True
    )
    tracking2_category = fields.Char(
        string="Tracking category 2", help="A second Xero tracking category (Xero takes two)."
    )
    tracking2_source = fields.Selection(
        const.DOCUMENT_VALUE_SOURCES, string="Option 2 from", default="none", required=True
    )
    reference_on_statement = fields.Boolean(
        string="Export reference to invoice statement",
        default=True,
        help="QuickBooks: the document's reference goes to both the message on statement "
        "(PrivateNote: not shown to the customer, searchable) and the message on invoice "
        "(CustomerMemo: shown to the customer, not searchable). Off: to the message on invoice "
        "only. Xero always has it as the document's Reference.",
    )
    use_shipment_date = fields.Boolean(
        string="Use actual shipment date when available",
        default=True,
        help="QuickBooks ShipDate of an invoice: the date its delivery was done (when the "
        "Inventory app is installed), else the delivery date promised on the sales order. Off: "
        "the promised delivery date only.",
    )

    @api.constrains(
        "class_source",
        "location_source",
        "tracking1_category",
        "tracking1_source",
        "tracking2_category",
        "tracking2_source",
    )
    def _check_document_options(self):
        has_warehouse = "warehouse_id" in self.env["sale.order"]._fields
        for options in self:
            sources = [options.class_source, options.location_source]
            sources += [options.tracking1_source, options.tracking2_source]
            if "warehouse" in sources and not has_warehouse:
                raise ValidationError(
                    _(
                        "The warehouse of a sales order is known once the Sales and Inventory "
                        "apps are both installed (module sale_stock): install them, or pick "
                        "another source."
                    )
                )
            names = []
            for category, source in options._tracking_pairs():
                if source != "none" and not category:
                    raise ValidationError(
                        _(
                            "Name the Xero tracking category whose option comes from "
                            "“%(origin)s”, or set its source to None.",
                            origin=dict(const.DOCUMENT_VALUE_SOURCES)[source],
                        )
                    )
                if category and category.lower() in names:
                    raise ValidationError(
                        _(
                            "Tracking category “%(category)s” is named twice: a Xero line "
                            "takes each category once.",
                            category=category,
                        )
                    )
                names.append((category or "").lower())

    def _tracking_pairs(self):
        """[(category name, source)] of the two Xero tracking settings (names stripped)."""
        self.ensure_one()
        return [
            ((self.tracking1_category or "").strip(), self.tracking1_source),
            ((self.tracking2_category or "").strip(), self.tracking2_source),
        ]

    @api.model
    def _set_default_term_names(self):
        """Give Odoo's standard payment terms the name of QuickBooks' standard terms where they
        have none, once per database (at install, or at the first update that brings it)."""
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(const.DEFAULT_TERM_NAMES_PARAM):
            return
        params.set_param(const.DEFAULT_TERM_NAMES_PARAM, "1")
        for xml_id, name in const.QBO_DEFAULT_TERM_NAMES.items():
            term = self.env.ref(xml_id, raise_if_not_found=False)
            if term and not term.qxs_term_name:
                term.qxs_term_name = name
