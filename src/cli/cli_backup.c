/* salesvault backup | backup verify | restore (DR-3). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "backup/backup.h"
#include "cli/cli.h"
#include "core/util.h"

static const char help[] =
    "Usage: salesvault backup --out FILE [--data DIR] [--json]\n"
    "       salesvault backup verify FILE [--data DIR] [--json]\n"
    "       salesvault restore --in FILE [--skip-deleted] [--data DIR]\n"
    "                          [--json]\n"
    "\n"
    "backup:  an online, consistent copy of the whole database (SQLite or\n"
    "         PostgreSQL), compressed and encrypted: each tenant under a key\n"
    "         from its master key (the key store, keys/), the rest under a\n"
    "         key from the root key; safe while the server runs. FILE must\n"
    "         not exist.\n"
    "verify:  read a backup through without restoring it: refuses a\n"
    "         tampered, truncated or foreign file.\n"
    "restore: into DIR's database, which must be empty (no tenants): run\n"
    "         `salesvault init` there first, with the source's root.key (or\n"
    "         platform.key) and keys/ copied in beforehand (init never\n"
    "         replaces them). The engines may differ: a SQLite backup\n"
    "         restores into PostgreSQL and back. All or nothing: one\n"
    "         transaction. A tenant whose master key is not in keys/ fails\n"
    "         the restore, unless --skip-deleted (a tenant deleted since the\n"
    "         backup stays deleted).\n";

static bool show_progress;

static void
progress(const struct sv_backup_stats *s)
{
    if (show_progress)
        fprintf(stderr, "\r  %lld rows, %.1f MiB", (long long)s->rows,
                (double)s->plain_bytes / (1 << 20));
}

static void
report(const char *what, const struct sv_backup_stats *s, double secs,
       bool as_json)
{
    char created[SV_RFC3339_LEN + 1];
    sv_rfc3339(s->created_ms, created);
    if (show_progress)
        fputc('\n', stderr);
    if (as_json) {
        sv_cli_print_json(json_pack(
            "{s:s, s:I, s:I, s:I, s:s, s:s, s:i, s:f, s:I}", "result", what,
            "rows", (json_int_t)s->rows, "bytes", (json_int_t)s->file_bytes,
            "data_bytes", (json_int_t)s->plain_bytes, "created_at", created,
            "engine", s->engine, "schema", (int)s->schema, "seconds", secs,
            "tenants_skipped", (json_int_t)s->tenants_skipped));
        return;
    }
    if (s->tenants_skipped > 0)
        printf("%s: %lld deleted tenants skipped (their master keys are "
               "destroyed)\n",
               what, (long long)s->tenants_skipped);
    printf("%s: %lld rows, %.1f MiB of data in %.1f MiB (%s backup of %s, "
           "schema %u) in %.2f s\n",
           what, (long long)s->rows, (double)s->plain_bytes / (1 << 20),
           (double)s->file_bytes / (1 << 20), s->engine, created, s->schema,
           secs);
}

static int
run(int argc, char **argv, const char *cmd)
{
    const char *data = "var", *out = NULL, *in = NULL;
    bool as_json = false, verify = false, skip_deleted = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"out", &out, NULL},
                                      {"in", &in, NULL},
                                      {"json", NULL, &as_json},
                                      {"skip-deleted", NULL, &skip_deleted},
                                      {NULL}};
    struct sv_backup_stats st;
    struct sv_app app;
    char err[512] = "";
    enum sv_err rc;
    uint64_t t0;
    FILE *f;
    int code, first;

    if (strcmp(cmd, "backup") == 0 && argc > 1 &&
        strcmp(argv[1], "verify") == 0) {
        verify = true;
        argc--;
        argv++;
    }
    code = sv_cli_parse(argc, argv, cmd, "bad option", help, opts, &first);
    if (code != SV_CLI_GO)
        return code;
    if (verify && first == argc - 1 && in == NULL)
        in = argv[first++];
    if (first != argc)
        return sv_cli_usage(cmd, "unexpected argument '%s'", argv[first]);
    if (strcmp(cmd, "backup") == 0 && !verify && out == NULL)
        return sv_cli_usage(cmd, "--out FILE is required");
    if ((verify || strcmp(cmd, "restore") == 0) && in == NULL)
        return sv_cli_usage(cmd, verify ? "FILE is required"
                                        : "--in FILE is required");
    show_progress = isatty(STDERR_FILENO) && !as_json;
    if (!sv_cli_open(&app, data, 1))
        return 1;
    t0 = sv_mono_ns();
    if (out != NULL) {
        /* Never overwrite: a backup file is precious. Owner-only. */
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || (f = fdopen(fd, "wb")) == NULL) {
            int e = errno;
            sv_app_close(&app);
            return sv_cli_fail("%s: %s", out, strerror(e));
        }
        rc = sv_backup_write(&app, f, progress, &st, err, sizeof err);
        if (fsync(fileno(f)) != 0 && rc == SV_OK) {
            rc = SV_E_INTERNAL;
            snprintf(err, sizeof err, "fsync: %s", strerror(errno));
        }
        if (fclose(f) != 0 && rc == SV_OK) {
            rc = SV_E_INTERNAL;
            snprintf(err, sizeof err, "close: %s", strerror(errno));
        }
        if (rc != SV_OK)
            unlink(out); /* no half-written backups left behind */
    } else {
        f = fopen(in, "rb");
        if (f == NULL) {
            int e = errno;
            sv_app_close(&app);
            return sv_cli_fail("%s: %s", in, strerror(e));
        }
        rc = verify ? sv_backup_verify(&app, f, &st, err, sizeof err)
                    : sv_backup_restore(&app, f, skip_deleted, progress, &st,
                                        err, sizeof err);
        fclose(f);
    }
    sv_app_close(&app);
    if (rc != SV_OK) {
        if (show_progress)
            fputc('\n', stderr);
        return sv_cli_fail("%s: %s", verify ? "backup verify" : cmd, err);
    }
    report(out      ? "backup written"
           : verify ? "backup intact"
                    : "restored",
           &st, (double)(sv_mono_ns() - t0) / 1e9, as_json);
    return 0;
}

int
sv_cli_backup(int argc, char **argv)
{
    return run(argc, argv, "backup");
}

int
sv_cli_restore(int argc, char **argv)
{
    return run(argc, argv, "restore");
}
