/* salesvault keys rotate|status: the key management centre (DATA-2). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli.h"
#include "core/json.h"
#include "directory/keys.h"

static const char help[] =
    "Usage: salesvault keys rotate --tenant SLUG [--data DIR] [--json]\n"
    "       salesvault keys status [--tenant SLUG] [--wait] [--data DIR]\n"
    "                              [--json]\n"
    "\n"
    "rotate: a new key-encryption key version for the tenant. Every node\n"
    "seals new writes with it at once; a running server re-seals the\n"
    "older values in the background, in batches that survive a crash or a\n"
    "restart, and then retires the older versions (their wrapped keys are\n"
    "destroyed). Exact-match search is correct throughout. Audited as\n"
    "key.rotate, key.reseal.done and key.retire.\n"
    "\n"
    "status: each tenant's key versions (current, live, retired) and its\n"
    "newest re-sealing job, with a progress bar on a terminal.\n"
    "  --wait  refresh until no job is running (a server must be running\n"
    "          to move it on)\n";

static void
print_bar(const struct sv_key_job *j, bool tty)
{
    int64_t total = j->total > 0 ? j->total : 1;
    int pct = (int)(j->pass_scanned * 100 / total);
    char bar[31];

    if (pct > 100)
        pct = 100;
    for (int i = 0; i < 30; i++)
        bar[i] = i < pct * 30 / 100 ? '#' : '.';
    bar[30] = '\0';
    printf("  job %s: %s to version %u, pass %lld: [%s] %d%% "
           "(%lld of about %lld looked at, %lld re-sealed)%s",
           j->id, sv_key_job_phase(j), j->target, (long long)j->pass, bar, pct,
           (long long)j->pass_scanned, (long long)j->total,
           (long long)j->resealed, tty ? "" : "\n");
}

struct print_ctx {
    bool as_json, tty, running;
    json_t *all;
};

static void
each(void *cls, const struct sv_key_status *s)
{
    struct print_ctx *p = cls;

    if (s->has_job && strcmp(s->job.state, "running") == 0)
        p->running = true;
    if (p->as_json) {
        json_array_append_new(p->all, sv_keys_status_json(s, SV_KEY_JSON_CLI));
        return;
    }
    printf("tenant %s (%s): new writes sealed with version %u\n", s->slug,
           s->tenant_id, s->current);
    for (size_t i = 0; i < s->n_versions; i++) {
        const struct sv_key_version *v = &s->versions[i];
        printf("  version %u: %s\n", v->version,
               v->retired_at != 0         ? "retired (key destroyed)"
               : v->version == s->current ? "current"
                                          : "live (values still use it)");
    }
    if (s->has_job) {
        if (strcmp(s->job.state, "running") == 0) {
            print_bar(&s->job, false);
        } else if (strcmp(s->job.state, "blocked") == 0) {
            printf("  job %s: blocked: %lld values do not open (the log "
                   "names them); nothing was retired\n",
                   s->job.id, (long long)s->job.pass_broken);
        } else {
            printf("  job %s: %s, %lld re-sealed in %lld passes\n", s->job.id,
                   s->job.state, (long long)s->job.resealed,
                   (long long)s->job.pass);
        }
    }
}

static int
status(int argc, char **argv)
{
    const char *data = "var", *slug = NULL;
    bool as_json = false, wait = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"tenant", &slug, NULL},
                                      {"wait", NULL, &wait},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    struct print_ctx p = {0};
    struct sv_app app;
    enum sv_err rc;
    int code;

    code = sv_cli_parse(argc, argv, "keys", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    if (!sv_cli_open(&app, data, 1))
        return 1;
    p.as_json = as_json;
    p.tty = isatty(STDOUT_FILENO) && !as_json;
    for (;;) {
        p.running = false;
        p.all = json_array();
        if (p.tty && wait) {
            /* Redraw in place: clear the screen's last status. */
            fputs("\033[H\033[2J", stdout);
        }
        rc = sv_keys_status(app.db, slug, each, &p);
        if (rc != SV_OK || !wait || !p.running)
            break;
        json_decref(p.all);
        fflush(stdout);
        nanosleep(&(struct timespec){0, 500000000L}, NULL);
    }
    sv_app_close(&app);
    if (rc != SV_OK) {
        json_decref(p.all);
        return sv_cli_err(rc, rc == SV_E_NOT_FOUND ? "no such tenant"
                                                   : "keys status");
    }
    if (as_json)
        sv_cli_print_json(json_pack("{s:o}", "tenants", p.all));
    else
        json_decref(p.all);
    return 0;
}

static int
rotate(int argc, char **argv)
{
    const char *data = "var", *slug = NULL;
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"tenant", &slug, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    struct sv_key_job job;
    struct sv_app app;
    enum sv_err rc;
    int code;

    code = sv_cli_parse(argc, argv, "keys", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    if (slug == NULL)
        return sv_cli_usage("keys", "--tenant is required");
    if (!sv_cli_open(&app, data, 1))
        return 1;
    rc = sv_keys_rotate(app.db, app.kr, slug, sv_cli_actor(), &job);
    sv_app_close(&app);
    if (rc != SV_OK)
        return sv_cli_err(rc, rc == SV_E_NOT_FOUND ? "no such tenant"
                                                   : "keys rotate");
    if (as_json)
        sv_cli_print_json(json_pack("{s:s, s:i, s:s, s:I}", "tenant", slug,
                                    "version", (int)job.target, "job", job.id,
                                    "values", (json_int_t)job.total));
    else
        printf(
            "tenant %s: key version %u made; new writes are sealed with "
            "it. Re-sealing job %s: sealed values to look at: %lld (a running "
            "server does it; `salesvault keys status --tenant %s` shows "
            "progress)\n",
            slug, job.target, job.id, (long long)job.total, slug);
    return 0;
}

int
sv_cli_keys(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "rotate") == 0)
        return rotate(argc - 1, argv + 1);
    if (strcmp(argv[1], "status") == 0)
        return status(argc - 1, argv + 1);
    return sv_cli_usage("keys", "unknown subcommand '%s'", argv[1]);
}
