/** @odoo-module */

import { registry } from "@web/core/registry";

// The invoice form shows a failed sync with the provider's own message, what to do, and the
// sync status next to the journal; the list shows the Sync column.
registry.category("web_tour.tours").add("qxs_banner_tour", {
    steps: () => [
        {
            content: "The red banner carries the provider's message",
            trigger: ".alert-danger:contains('Duplicate Name Exists Error')",
        },
        {
            content: "...and says how to retry",
            trigger: ".alert-danger:contains('reset to draft and post again')",
        },
        {
            content: "The sync status is shown under the journal",
            trigger: ".o_field_widget[name='qxs_sync_state']:contains('Error')",
        },
        {
            content: "Send it again from the banner",
            trigger: ".alert-danger button[name='action_qxs_retry']",
            run: "click",
        },
        {
            content: "The document is back in the queue",
            trigger: ".o_field_widget[name='qxs_sync_state']:contains('Pending')",
        },
    ],
});
