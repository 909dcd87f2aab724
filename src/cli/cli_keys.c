/* salesvault keys rotate|status: the key management centre (DATA-2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "crypto/keyring.h"
#include "cli/cli.h"
#include "core/json.h"
#include "directory/keys.h"

static const char help[] =
    "Usage: salesvault keys rotate --tenant SLUG [--data DIR] [--json]\n"
    "       salesvault keys status [--tenant SLUG] [--wait] [--data DIR]\n"
    "                              [--json]\n"
    "       salesvault keys migrate-root --to pkcs11 --pkcs11-module PATH\n"
    "                              --pkcs11-token LABEL --pkcs11-pin-file F\n"
    "                              [--data DIR] [--json]\n"
    "       salesvault keys migrate-root --to file [--data DIR] [--json]\n"
    "       salesvault keys rotate-root [--data DIR] [--json]\n"
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
    "          to move it on)\n"
    "\n"
    "migrate-root: move the root key from root.key into a PKCS#11 token\n"
    "(and back), with the servers stopped: every tenant master key is\n"
    "wrapped anew, every audit head signed anew (the token signs inside\n"
    "it), salesvault.conf switched; then the old root (root.key, or\n"
    "platform.key) is overwritten and removed. The platform keys stay what\n"
    "they were, so older backups still restore. Resumable: run it again\n"
    "after a crash. Copies of the old root.key elsewhere still open what\n"
    "they opened: destroy them.\n"
    "\n"
    "rotate-root: a new root key file, the servers stopped: every tenant\n"
    "master key wrapped anew and every audit head signed anew under it,\n"
    "then the old root.key overwritten and replaced; the platform keys'\n"
    "master moves into platform.key (wrapped by the new root), so older\n"
    "backups still restore. Resumable: run it again after a crash.\n";

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

/* Append a [keys] block to the config: later lines win. */
static bool
config_append(const char *data, const char *block)
{
    char path[SV_PATH_MAX + 32];
    FILE *f;
    bool ok;

    snprintf(path, sizeof path, "%s/salesvault.conf", data);
    f = fopen(path, "a");
    if (f == NULL)
        return false;
    ok = fputs(block, f) >= 0;
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    return fclose(f) == 0 && ok;
}

static bool
file_exists(const char *p)
{
    return access(p, F_OK) == 0;
}

static void
sync_parent(const char *path)
{
    char dir[SV_PATH_MAX + 8];
    char *slash;
    int fd;

    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/*
 * A root change (migrate-root, rotate-root) in progress is written down in
 * DATA/root.switch, "KIND PHASE" (kind: pkcs11, file or rotation; phase:
 * moving, then switching). While it exists every other command refuses to
 * open the data directory (app.c), and a rerun of the same command picks
 * up where it stopped: "moving" does the (idempotent) move again,
 * "switching" only finishes the switch.
 */
struct marker {
    char kind[16], phase[16];
};

static void
marker_path(const struct sv_config *cfg, char *out, size_t cap)
{
    snprintf(out, cap, "%s/root.switch", cfg->data_dir);
}

static bool
marker_read(const struct sv_config *cfg, struct marker *m)
{
    char path[SV_PATH_MAX + 16];
    FILE *f;
    bool ok;

    marker_path(cfg, path, sizeof path);
    memset(m, 0, sizeof *m);
    f = fopen(path, "r");
    if (f == NULL)
        return false;
    ok = fscanf(f, "%15s %15s", m->kind, m->phase) == 2;
    fclose(f);
    return ok;
}

static bool
marker_write(const struct sv_config *cfg, const char *kind, const char *phase)
{
    char path[SV_PATH_MAX + 16], tmp[SV_PATH_MAX + 24];
    FILE *f;
    bool ok;

    marker_path(cfg, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.new", path);
    f = fopen(tmp, "w");
    if (f == NULL)
        return false;
    ok = fprintf(f, "%s %s\n", kind, phase) > 0;
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
    sync_parent(path);
    return ok;
}

static void
marker_remove(const struct sv_config *cfg)
{
    char path[SV_PATH_MAX + 16];
    marker_path(cfg, path, sizeof path);
    unlink(path);
    sync_parent(path);
}

/* The data directory opens with its (switched) config: before the old
 * root is destroyed. */
static bool
opens(const char *data)
{
    struct sv_app app;
    if (!sv_cli_open(&app, data, 1))
        return false;
    sv_app_close(&app);
    return true;
}

static int
migrate_root(int argc, char **argv)
{
    const char *data = "var", *to_kind = NULL, *module = NULL, *token = NULL,
               *pin = NULL;
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"to", &to_kind, NULL},
                                      {"pkcs11-module", &module, NULL},
                                      {"pkcs11-token", &token, NULL},
                                      {"pkcs11-pin-file", &pin, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    struct sv_keys_migration m = {0};
    struct sv_keyring *to = NULL;
    struct sv_config cfg;
    struct sv_app app;
    struct marker mk;
    char err[1024] = "", block[3 * SV_PATH_MAX + 160], pin_abs[PATH_MAX];
    char next[SV_PATH_MAX + 8], pnext[SV_PATH_MAX + 8];
    bool to_token, resumed;
    enum sv_err rc;
    int code, n;

    code = sv_cli_parse(argc, argv, "keys", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    if (to_kind == NULL ||
        (strcmp(to_kind, "pkcs11") != 0 && strcmp(to_kind, "file") != 0))
        return sv_cli_usage("keys", "migrate-root: --to pkcs11 or --to file");
    to_token = strcmp(to_kind, "pkcs11") == 0;
    if (to_token && (module == NULL || token == NULL || pin == NULL))
        return sv_cli_usage("keys", "migrate-root --to pkcs11: "
                                    "--pkcs11-module, --pkcs11-token and "
                                    "--pkcs11-pin-file are required");
    if (to_token && (strlen(token) > 32 || strpbrk(token, "\r\n") ||
                     strpbrk(module, "\r\n") || strpbrk(pin, "\r\n")))
        return sv_cli_usage("keys", "--pkcs11-*: one line each, a token "
                                    "label of 1-32 characters");
    /* The config names the PIN file relative to the data directory. */
    if (to_token && realpath(pin, pin_abs) == NULL)
        return sv_cli_fail("%s: %s", pin, strerror(errno));
    if (sv_config_load(&cfg, data, err, sizeof err) != SV_OK)
        return sv_cli_fail("%s", err);
    snprintf(next, sizeof next, "%s.next", cfg.root_key_file);
    snprintf(pnext, sizeof pnext, "%s.next", cfg.platform_key_file);
    resumed = marker_read(&cfg, &mk);
    if (resumed && strcmp(mk.kind, to_kind) != 0)
        return sv_cli_fail("a root change to %s stopped half way: run it "
                           "again to finish it first",
                           mk.kind);
    if (!resumed && cfg.root_pkcs11 == to_token) {
        printf("the root is already %s\n",
               to_token ? "in the token" : "a key file");
        return 0;
    }
    if (!resumed || strcmp(mk.phase, "switching") != 0) {
        if (!marker_write(&cfg, to_kind, "moving"))
            return sv_cli_fail("%s: cannot write root.switch", cfg.data_dir);
        sv_app_root_rotation = true;
        if (!sv_cli_open(&app, data, 1))
            return 1;
        if (to_token) {
            struct sv_keyring_token t = {module, token, pin_abs, pnext};
            rc = sv_keyring_token_init(&t, app.kr, err, sizeof err);
            if (rc == SV_OK)
                rc = sv_keyring_load_token(&t, &to, err, sizeof err);
        } else {
            rc = sv_keyring_root_file_from(app.kr, next);
            if (rc == SV_OK)
                rc = sv_keyring_load(next, &to, err, sizeof err);
        }
        if (rc == SV_OK) {
            sv_keyring_set_tenant_dir(to, app.cfg.tenant_key_dir);
            rc = sv_keys_migrate_root(app.db, app.kr, to, to_kind,
                                      sv_cli_actor(), &m, err, sizeof err);
        }
        sv_keyring_free(to);
        sv_app_close(&app);
        if (rc != SV_OK)
            return sv_cli_fail("keys migrate-root: %s (nothing is switched; "
                               "run it again once fixed)",
                               err[0] ? err : sv_err_code(rc));
#ifdef SV_TEST_HOOKS
        /* api/hsm: a run that stops with every key moved, before the
         * switch (the test build only). */
        if (getenv("SV_TEST_ROOT_STOP") != NULL)
            return 3;
#endif
        if (!marker_write(&cfg, to_kind, "switching"))
            return sv_cli_fail("%s: cannot write root.switch", cfg.data_dir);
    }
    /* The switch: each step done once, whatever stopped before. */
    if (to_token) {
        if (file_exists(pnext) && rename(pnext, cfg.platform_key_file) != 0)
            return sv_cli_fail("%s: %s", pnext, strerror(errno));
        n = snprintf(block, sizeof block,
                     "\n[keys]\n; keys migrate-root: the root in a PKCS#11 "
                     "token\nroot = pkcs11\npkcs11_module = %s\n"
                     "pkcs11_token = %s\npkcs11_pin_file = %s\n",
                     module, token, pin_abs);
    } else {
        if (file_exists(next) && rename(next, cfg.root_key_file) != 0)
            return sv_cli_fail("%s: %s", next, strerror(errno));
        n = snprintf(block, sizeof block,
                     "\n[keys]\n; keys migrate-root: the root in a key file\n"
                     "root = file\n");
    }
    sync_parent(cfg.root_key_file);
    if (n < 0 || (size_t)n >= sizeof block)
        return sv_cli_fail("--pkcs11-*: too long");
    if (cfg.root_pkcs11 != to_token && !config_append(data, block))
        return sv_cli_fail("%s/salesvault.conf: cannot switch the root (run "
                           "it again)",
                           data);
    /* Out of a token: its platform.key goes first (the new root.key holds
     * the same platform master, and a key file root opens no token blob).
     * Into one: the old root.key goes only once the token opens all. */
    if (!to_token && sv_keyring_shred_file(cfg.platform_key_file) != SV_OK)
        return sv_cli_fail("%s: cannot remove it (run it again)",
                           cfg.platform_key_file);
    sv_app_root_rotation = true;
    if (!opens(data))
        return sv_cli_fail("keys migrate-root: the data directory does not "
                           "open with the new root; run it again once "
                           "salesvault.conf is fixed");
    if (to_token && sv_keyring_shred_file(cfg.root_key_file) != SV_OK)
        return sv_cli_fail("switched, but %s cannot be removed: remove it "
                           "by hand",
                           cfg.root_key_file);
    marker_remove(&cfg);
    if (as_json)
        sv_cli_print_json(
            json_pack("{s:s, s:I, s:I, s:I, s:I, s:b}", "root", to_kind,
                      "tenants", (json_int_t)m.tenants, "moved",
                      (json_int_t)m.moved, "heads", (json_int_t)m.heads,
                      "resigned", (json_int_t)m.resigned, "resumed", resumed));
    else
        printf("the root is now %s: %zu tenant master keys wrapped anew, "
               "%zu audit heads signed anew; the old root removed\n",
               to_token ? "in the token" : "a key file", m.moved, m.resigned);
    return 0;
}

static int
rotate_root(int argc, char **argv)
{
    const char *data = "var";
    bool as_json = false;
    const struct sv_cli_opt opts[] = {
        {"data", &data, NULL}, {"json", NULL, &as_json}, {NULL}};
    char next[SV_PATH_MAX + 8], pnext[SV_PATH_MAX + 8], err[1024] = "";
    struct sv_keys_migration m = {0};
    struct sv_keyring *to = NULL;
    struct sv_config cfg;
    struct sv_app app;
    struct marker mk;
    bool resumed;
    enum sv_err rc;
    int code;

    code = sv_cli_parse(argc, argv, "keys", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    if (sv_config_load(&cfg, data, err, sizeof err) != SV_OK)
        return sv_cli_fail("%s", err);
    if (cfg.root_pkcs11)
        return sv_cli_fail("keys rotate-root: the root is in a token; rotate "
                           "it with the token's own tools, or move it to a "
                           "file (migrate-root --to file), rotate, and back");
    snprintf(next, sizeof next, "%s.next", cfg.root_key_file);
    snprintf(pnext, sizeof pnext, "%s.next", cfg.platform_key_file);
    resumed = marker_read(&cfg, &mk);
    if (resumed && strcmp(mk.kind, "rotation") != 0)
        return sv_cli_fail("a root change to %s stopped half way: run it "
                           "again to finish it first",
                           mk.kind);
    if (!resumed || strcmp(mk.phase, "switching") != 0) {
        if (!marker_write(&cfg, "rotation", "moving"))
            return sv_cli_fail("%s: cannot write root.switch", cfg.data_dir);
        sv_app_root_rotation = true;
        if (!sv_cli_open(&app, data, 1))
            return 1;
        rc = sv_keyring_create_file(next);
        if (rc == SV_E_EXISTS)
            rc = SV_OK; /* a run that stopped half way: the same new root */
        if (rc == SV_OK)
            rc = sv_keyring_load(next, &to, err, sizeof err);
        if (rc == SV_OK) {
            sv_keyring_set_tenant_dir(to, app.cfg.tenant_key_dir);
            /* The platform keys' master stays: wrapped by the new root. */
            rc = sv_keyring_write_platform(to, app.kr, pnext);
            if (rc == SV_OK)
                rc = sv_keyring_load_platform(to, pnext);
        }
        if (rc == SV_OK)
            rc = sv_keys_migrate_root(app.db, app.kr, to, "rotation",
                                      sv_cli_actor(), &m, err, sizeof err);
        sv_keyring_free(to);
        sv_app_close(&app);
        if (rc != SV_OK)
            return sv_cli_fail("keys rotate-root: %s (the old root is still "
                               "in use; run it again once fixed)",
                               err[0] ? err : sv_err_code(rc));
        if (!marker_write(&cfg, "rotation", "switching"))
            return sv_cli_fail("%s: cannot write root.switch", cfg.data_dir);
    }
    /* The switch: platform.key first (the marker keeps everything else
     * closed meanwhile), then the root. */
    if (file_exists(pnext) && rename(pnext, cfg.platform_key_file) != 0)
        return sv_cli_fail("%s: %s", pnext, strerror(errno));
    if (file_exists(next)) {
        if (file_exists(cfg.root_key_file) &&
            sv_keyring_shred_file(cfg.root_key_file) != SV_OK)
            return sv_cli_fail("%s: cannot remove the old root",
                               cfg.root_key_file);
        if (rename(next, cfg.root_key_file) != 0)
            return sv_cli_fail("%s: %s", next, strerror(errno));
    }
    sync_parent(cfg.root_key_file);
    sv_app_root_rotation = true;
    if (!opens(data))
        return sv_cli_fail("keys rotate-root: the data directory does not "
                           "open with the new root");
    marker_remove(&cfg);
    if (as_json)
        sv_cli_print_json(
            json_pack("{s:s, s:I, s:I, s:I, s:I, s:b}", "root", "file",
                      "tenants", (json_int_t)m.tenants, "moved",
                      (json_int_t)m.moved, "heads", (json_int_t)m.heads,
                      "resigned", (json_int_t)m.resigned, "resumed", resumed));
    else
        printf("a new root key in %s: %zu tenant master keys wrapped anew, "
               "%zu audit heads signed anew; the old one overwritten\n",
               cfg.root_key_file, m.moved, m.resigned);
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
    if (strcmp(argv[1], "migrate-root") == 0)
        return migrate_root(argc - 1, argv + 1);
    if (strcmp(argv[1], "rotate-root") == 0)
        return rotate_root(argc - 1, argv + 1);
    return sv_cli_usage("keys", "unknown subcommand '%s'", argv[1]);
}
