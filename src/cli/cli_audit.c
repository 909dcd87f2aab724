/* salesvault audit verify: recompute every hash chain (AUD-4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "db/db.h"
#include "directory/tenant.h"

static const char help[] =
    "Usage: salesvault audit verify [--tenant SLUG] [--data DIR] [--json]\n"
    "\n"
    "Recompute the hash chain of the platform stream and of every tenant's\n"
    "stream (or only --tenant's) and name the first event that was changed,\n"
    "deleted, inserted or reordered, or report a chain rewritten without the\n"
    "platform key (its signed head does not verify).\n"
    "Exit status 0: all intact; 1: broken.\n";

struct stream {
    char id[40];
    char label[40];
};

struct verify_ctx {
    const char *only_slug;
    struct stream *streams;
    size_t n, cap;
    json_t *report;
    bool all_ok;
    bool found;
};

static void
add_stream(struct verify_ctx *v, const char *id, const char *label)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->streams = realloc(v->streams, v->cap * sizeof *v->streams);
        if (v->streams == NULL)
            sv_abort_at(__FILE__, __LINE__, "out of memory");
    }
    snprintf(v->streams[v->n].id, sizeof v->streams[v->n].id, "%s", id);
    snprintf(v->streams[v->n].label, sizeof v->streams[v->n].label, "%s",
             label);
    v->n++;
}

static void
tenant_row(void *cls, const struct sv_tenant *t)
{
    struct verify_ctx *v = cls;
    if (v->only_slug == NULL || strcmp(v->only_slug, t->slug) == 0) {
        add_stream(v, t->id, t->slug);
        v->found = true;
    }
}

static enum sv_err
verify_tx(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *v = cls;
    enum sv_err rc;

    v->n = 0;
    v->found = false;
    v->all_ok = true;
    json_array_clear(v->report);
    if (v->only_slug == NULL)
        add_stream(v, SV_AUDIT_PLATFORM, SV_AUDIT_PLATFORM);
    rc = sv_tenant_list(c, tenant_row, v);
    if (rc != SV_OK)
        return rc;
    if (v->only_slug != NULL && !v->found)
        return SV_E_NOT_FOUND;
    for (size_t i = 0; i < v->n; i++) {
        struct sv_audit_verdict vd;
        rc = sv_audit_verify_stream(c, v->streams[i].id, &vd);
        if (rc != SV_OK)
            return rc;
        json_t *s = json_pack(
            "{s:s, s:s, s:b, s:I}", "stream", v->streams[i].label, "stream_id",
            v->streams[i].id, "ok", vd.ok, "events", (json_int_t)vd.events);
        if (!vd.ok) {
            v->all_ok = false;
            json_object_set_new(s, "first_bad",
                                json_pack("{s:s?, s:I, s:s}", "id",
                                          vd.bad_id[0] ? vd.bad_id : NULL,
                                          "seq", (json_int_t)vd.bad_seq,
                                          "problem", vd.problem));
        }
        json_array_append_new(v->report, s);
    }
    return SV_OK;
}

int
sv_cli_audit(int argc, char **argv)
{
    const char *data = "var";
    struct verify_ctx v = {0};
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"tenant", &v.only_slug, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    struct sv_app app;
    enum sv_err rc;
    int code;

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "verify") != 0)
        return sv_cli_usage("audit", "unknown subcommand '%s'", argv[1]);
    argc--;
    argv++;
    code = sv_cli_parse(argc, argv, "audit", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    if (!sv_cli_open(&app, data, 1))
        return 1;
    v.report = json_array();
    rc = sv_db_run_ro(app.db, verify_tx, &v);
    sv_app_close(&app);
    free(v.streams);
    if (rc != SV_OK) {
        json_decref(v.report);
        return sv_cli_err(rc, rc == SV_E_NOT_FOUND ? "no such tenant"
                                                   : "audit verify");
    }
    if (as_json) {
        sv_cli_print_json(
            json_pack("{s:b, s:o}", "ok", v.all_ok, "streams", v.report));
    } else {
        size_t i;
        json_t *s;
        json_array_foreach(v.report, i, s)
        {
            const char *label = json_string_value(json_object_get(s, "stream"));
            json_t *bad = json_object_get(s, "first_bad");
            if (bad == NULL) {
                printf("audit: %s: ok, %lld events\n", label,
                       (long long)json_integer_value(
                           json_object_get(s, "events")));
            } else {
                const char *id = json_string_value(json_object_get(bad, "id"));
                printf(
                    "audit: %s: BROKEN: event %s (seq %lld) %s\n", label,
                    id ? id : "(missing)",
                    (long long)json_integer_value(json_object_get(bad, "seq")),
                    json_string_value(json_object_get(bad, "problem")));
            }
        }
        json_decref(v.report);
    }
    return v.all_ok ? 0 : 1;
}
