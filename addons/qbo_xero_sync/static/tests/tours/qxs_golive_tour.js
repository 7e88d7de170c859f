/** @odoo-module */

import { registry } from "@web/core/registry";

// Go-live, in three acts (the background work runs between them, as the crons would):
// 1. from the connection just connected, export a range of history and see its progress;
// 2. a document that failed shows on the dashboard (counts, top error, export progress);
// 3. on the invoice: the banner (the test checks the activity); once fixed, reset to draft and
//    post again.
registry.category("web_tour.tours").add("qxs_golive_export_tour", {
    steps: () => [
        {
            content: "The connection offers the historical export",
            trigger: ".o_form_view button[name='action_open_export_wizard']",
            run: "click",
        },
        {
            content: "The wizard counts the documents before anything starts",
            trigger: ".modal .o_field_widget[name='document_count']:contains('3')",
        },
        {
            content: "Start the export",
            trigger: ".modal-footer button[name='action_start']",
            run: "click",
        },
        {
            content: "The run shows its progress",
            trigger: "body:not(:has(.modal)) .o_form_view .o_field_widget[name='progress']",
        },
        {
            content: "...and that it is running",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Running')",
        },
    ],
});

registry.category("web_tour.tours").add("qxs_golive_dashboard_tour", {
    steps: () => [
        {
            content: "The card counts the failed document",
            trigger: ".o_kanban_record:contains('1 Errors')",
        },
        {
            content: "...shows the export's progress",
            trigger: ".o_kanban_record div[name='export_progress'] .o_progressbar",
        },
        {
            content: "...and the top error reason; open its documents",
            trigger: ".o_kanban_record button:contains('has no tax code')",
            run: "click",
        },
        {
            content: "The queue lists the failed document",
            trigger: ".o_list_view .o_data_row:contains('Error')",
        },
    ],
});

registry.category("web_tour.tours").add("qxs_golive_fix_tour", {
    steps: () => [
        {
            content: "The banner carries the reason",
            trigger: ".alert-danger:contains('has no tax code')",
        },
        {
            content: "Reset to draft (the tax code was fixed meanwhile)",
            trigger: ".o_form_view button[name='button_draft']",
            run: "click",
        },
        {
            content: "Post again",
            trigger: ".o_form_view button[name='action_post']",
            run: "click",
        },
        {
            content: "Posted, queued to be sent",
            trigger: ".o_field_widget[name='qxs_sync_state']:contains('Pending')",
        },
    ],
});
