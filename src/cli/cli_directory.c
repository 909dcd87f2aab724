/* salesvault directory import: the CSV import from the operator's shell
 * (docs/import.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/tenant.h"
#include "provision/import.h"

static const char help[] =
    "Usage: salesvault directory import --tenant SLUG [--dry-run] FILE\n"
    "       (takes [--data DIR])\n"
    "\n"
    "import: create the departments and employees of CSV file FILE in the\n"
    "        tenant (docs/import.md: the columns, the rules). Every line is\n"
    "        checked first; every error is printed as 'line N, column C:\n"
    "        rule' and nothing is written unless every line is valid, then\n"
    "        everything is, in one transaction. --dry-run checks only.\n"
    "        Imported accounts have no password: each person sets one with\n"
    "        the password reset (a code to the e-mail imported), or an\n"
    "        admin resets it.\n"
    "\n"
    "A progress bar on a terminal (plain lines otherwise) goes to stderr, the\n"
    "report to stdout. Exit status: 0 valid (and imported unless --dry-run),\n"
    "1 errors in the file or a failure, 2 a usage error.\n";

/* ---- progress ---- */

struct bar {
    bool tty;
    enum sv_import_phase phase;
    int shown; /* the percentage shown, -1: none yet */
};

static void
on_progress(void *cls, enum sv_import_phase phase, uint64_t done,
            uint64_t total)
{
    struct bar *b = cls;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    const char *unit = phase == SV_IMPORT_READING ? "bytes" : "steps";

    if (phase == SV_IMPORT_FINISHED) {
        if (b->tty && b->shown >= 0)
            fputs("\n", stderr);
        b->shown = -1;
        return;
    }
    if (phase == b->phase && pct == b->shown)
        return;
    if (b->tty) {
        char fill[41];
        int n = pct * 40 / 100;
        if (phase != b->phase && b->shown >= 0)
            fputs("\n", stderr);
        memset(fill, '#', (size_t)n);
        memset(fill + n, '-', (size_t)(40 - n));
        fill[40] = '\0';
        fprintf(stderr, "\r%-8s [%s] %3d%%  %llu/%llu %s",
                sv_import_phase_name(phase), fill, pct,
                (unsigned long long)done, (unsigned long long)total, unit);
    } else if (phase != b->phase || pct / 10 != b->shown / 10) {
        /* Not a terminal: a plain line per phase and per tenth. */
        fprintf(stderr, "import: %s %d%% (%llu/%llu %s)\n",
                sv_import_phase_name(phase), pct, (unsigned long long)done,
                (unsigned long long)total, unit);
    }
    fflush(stderr);
    b->phase = phase;
    b->shown = pct;
}

/* ---- the file ---- */

/* FILE into memory (at most SV_IMPORT_BYTES_MAX); NULL after saying why. */
static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;

    if (f == NULL) {
        sv_cli_fail("%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        sv_cli_fail("%s: not a regular file", path);
    } else if ((uint64_t)st.st_size > SV_IMPORT_BYTES_MAX) {
        sv_cli_fail("%s: larger than %u MiB: split the file", path,
                    SV_IMPORT_BYTES_MAX / (1024 * 1024));
    } else {
        *len = (size_t)st.st_size;
        buf = malloc(*len + 1);
        if (buf == NULL || fread(buf, 1, *len, f) != *len) {
            sv_cli_fail("%s: cannot read it", path);
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

struct slug_ctx {
    const char *slug;
    struct sv_tenant t;
};

static enum sv_err
slug_ro(struct sv_dbc *c, void *cls)
{
    struct slug_ctx *s = cls;
    return sv_tenant_find_by_slug(c, s->slug, &s->t);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
import(int argc, char **argv)
{
    const char *data = "var", *slug = NULL, *path;
    bool dry_run = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"tenant", &slug, NULL},
                                      {"dry-run", NULL, &dry_run},
                                      {NULL}};
    struct sv_actor actor = {NULL, NULL, NULL, NULL};
    struct bar bar = {isatty(STDERR_FILENO) == 1, SV_IMPORT_QUEUED, -1};
    struct sv_import_options o = {0};
    struct sv_import_report r;
    struct slug_ctx s = {0};
    struct sv_app app;
    size_t len = 0;
    char *csv;
    double t0;
    enum sv_err rc;
    int code, args = 0;

    code = sv_cli_parse(argc, argv, "directory import", "bad option", help,
                        opts, &args);
    if (code != SV_CLI_GO)
        return code;
    if (slug == NULL || !sv_check_slug(slug, strlen(slug)))
        return sv_cli_usage("directory import",
                            "--tenant: a tenant slug is required");
    if (argc - args != 1)
        return sv_cli_usage("directory import", "one FILE is required");
    path = argv[args];
    csv = read_file(path, &len);
    if (csv == NULL)
        return 1;
    if (!sv_cli_open(&app, data, 2)) {
        sodium_memzero(csv, len);
        free(csv);
        return 1;
    }
    s.slug = slug;
    rc = sv_db_run_ro(app.db, slug_ro, &s);
    actor.username = sv_cli_actor();
    o.dry_run = dry_run;
    o.actor = &actor;
    o.progress = on_progress;
    o.cls = &bar;
    t0 = now_s();
    if (rc == SV_OK)
        rc = sv_import_run(app.db, s.t.id, csv, len, &o, &r);
    sodium_memzero(csv, len);
    free(csv);
    sv_app_close(&app);
    if (rc != SV_OK)
        return sv_cli_err(rc, rc == SV_E_NOT_FOUND ? "no such tenant"
                                                   : "directory import");
    for (size_t i = 0; i < r.n_kept; i++) {
        const struct sv_import_error *e = &r.errors[i];
        if (e->column != NULL)
            printf("line %u, column %s: %s\n", e->line, e->column, e->message);
        else
            printf("line %u: %s\n", e->line, e->message);
    }
    if (r.n_errors > r.n_kept)
        printf("... and %zu more errors\n", r.n_errors - r.n_kept);
    if (r.n_errors > 0) {
        printf("%s: %zu error%s in %zu lines; nothing was written\n", path,
               r.n_errors, r.n_errors == 1 ? "" : "s", r.lines);
        code = 1;
    } else if (dry_run) {
        printf("%s: %zu lines valid: the import would create %zu employees "
               "and %zu departments (dry run: nothing was written)\n",
               path, r.lines, r.employees, r.departments);
        code = 0;
    } else {
        printf("%s: imported %zu employees and %zu departments from %zu "
               "lines in %.1f s (the accounts have no password yet: "
               "docs/import.md)\n",
               path, r.employees, r.departments, r.lines, now_s() - t0);
        code = 0;
    }
    sv_import_report_fini(&r);
    return code;
}

int
sv_cli_directory(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "import") == 0)
        return import(argc - 1, argv + 1);
    return sv_cli_usage("directory", "unknown subcommand '%s'", argv[1]);
}
