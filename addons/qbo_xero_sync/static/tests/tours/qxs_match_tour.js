/** @odoo-module */

import { registry } from "@web/core/registry";

// The match screen: candidates read from the provider beside the Odoo customers, with their
// score; link one, hide what is linked, create in Odoo a remote customer that Odoo lacks.
registry.category("web_tour.tours").add("qxs_match_tour", {
    steps: () => [
        {
            content: "Read the candidates from the provider",
            trigger: "button.o_qxs_load",
            run: "click",
        },
        {
            content: "The Odoo customer is shown beside its remote candidate, with its score",
            trigger:
                ".o_field_widget[name='line_ids'] .o_data_row:contains('Cool Cars Tour'):contains('Cool Cars')",
        },
        {
            content: "Link them",
            trigger: ".o_data_row:contains('Cool Cars Tour') button.o_qxs_link",
            run: "click",
        },
        {
            content: "The row is linked: it can be unlinked",
            trigger: ".o_data_row:contains('Cool Cars Tour') button.o_qxs_unlink",
        },
        {
            content: "Hide what is linked",
            trigger: ".o_field_widget[name='hide_matched'] input",
            run: "click",
        },
        {
            content: "The linked row is hidden",
            trigger:
                ".o_field_widget[name='open_line_ids']:not(:contains('Cool Cars Tour')):contains('Windsurf')",
        },
        {
            content: "Create in Odoo a remote customer that Odoo lacks",
            trigger: ".o_data_row:contains('Windsurf') button.o_qxs_import",
            run: "click",
        },
        {
            content: "Created and linked: hidden too",
            trigger: ".o_field_widget[name='open_line_ids']:not(:contains('Windsurf'))",
        },
    ],
});
