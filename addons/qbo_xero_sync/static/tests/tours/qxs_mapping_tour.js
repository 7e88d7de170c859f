/** @odoo-module */

import { registry } from "@web/core/registry";

// The connection's mapping wizard: opened from the connection form, each step says what is
// still unmapped, the proposals carry a score, Apply writes them.
registry.category("web_tour.tours").add("qxs_mapping_tour", {
    steps: () => [
        {
            content: "Open the mapping wizard from the connection",
            trigger: "button[name='action_open_mapping_wizard']",
            run: "click",
        },
        {
            content: "The first step: the default revenue account, and what is still unmapped",
            trigger: ".modal .o_field_widget[name='unmapped_default']",
        },
        {
            content: "Go to the sale taxes",
            trigger: ".modal a.nav-link:contains('Sale taxes')",
            run: "click",
        },
        {
            content: "The 8.25 % sale tax is proposed QuickBooks' California tax code",
            trigger:
                ".modal .o_field_widget[name='tax_line_ids'] .o_data_row:contains('Sales tax 8.25%'):contains('California')",
        },
        {
            content: "...with its match score",
            trigger:
                ".modal .o_field_widget[name='tax_line_ids'] .o_data_row:contains('Sales tax 8.25%') .o_field_widget[name='score']",
        },
        {
            content: "Go to the bank journals",
            trigger: ".modal a.nav-link:contains('Bank journals')",
            run: "click",
        },
        {
            content: "The step says which journals are still unmapped",
            trigger: ".modal .o_field_widget[name='unmapped_journal']:contains('Still unmapped')",
        },
        {
            content: "Apply",
            trigger: ".modal-footer button[name='action_apply']",
            run: "click",
        },
        {
            content: "Back on the connection, the wizard closed",
            trigger: "body:not(:has(.modal)) .o_form_view button[name='action_open_mapping_wizard']",
        },
    ],
});

// Where the OAuth callback lands: the wizard of the connection just connected.
registry.category("web_tour.tours").add("qxs_mapping_landing_tour", {
    steps: () => [
        {
            content: "The wizard is open, on its first step",
            trigger: ".o_field_widget[name='unmapped_default']",
        },
        {
            content: "Go to the sale taxes",
            trigger: "a.nav-link:contains('Sale taxes')",
            run: "click",
        },
        {
            content: "The proposal is there",
            trigger:
                ".o_field_widget[name='tax_line_ids'] .o_data_row:contains('Sales tax 8.25%'):contains('California')",
        },
        {
            content: "Apply",
            trigger: "button[name='action_apply']",
            run: "click",
        },
        {
            content: "The wizard is gone",
            trigger: "body:not(:has(button[name='action_apply']))",
        },
    ],
});
