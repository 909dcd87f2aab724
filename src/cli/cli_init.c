/* salesvault init: config, root key, TLS certificate, database. Idempotent. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli.h"
#include "crypto/tls_cert.h"

static const char help[] =
    "Usage: salesvault init [--data DIR] [--json]\n"
    "\n"
    "Create a data directory: salesvault.conf, root.key (mode 0600), a\n"
    "self-signed TLS certificate for localhost/127.0.0.1 and the database\n"
    "with every migration applied. Existing files are never overwritten:\n"
    "running it again only applies new migrations.\n";

static bool
exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int
ensure_dir(const char *p)
{
    if (mkdir(p, 0700) != 0 && errno != EEXIST)
        return sv_cli_fail("%s: %s", p, strerror(errno));
    return 0;
}

int
sv_cli_init(int argc, char **argv)
{
    const char *data = "var";
    bool as_json = false;
    const struct sv_cli_opt opts[] = {
        {"data", &data, NULL}, {"json", NULL, &as_json}, {NULL}};
    char path[SV_PATH_MAX + 64], err[1024];
    struct sv_config cfg;
    struct sv_app app;
    json_t *made;
    int rc;

    rc = sv_cli_parse(argc, argv, "init", "bad option", help, opts, NULL);
    if (rc != SV_CLI_GO)
        return rc;
    made = json_array();
    umask(077);
    if ((rc = ensure_dir(data)) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/salesvault.conf", data);
    if (!exists(path)) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t n = strlen(sv_config_template);
        if (fd < 0 || write(fd, sv_config_template, n) != (ssize_t)n) {
            rc = sv_cli_fail("%s: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            goto out;
        }
        close(fd);
        json_array_append_new(made, json_string(path));
    }
    if (sv_config_load(&cfg, data, err, sizeof err) != SV_OK) {
        rc = sv_cli_fail("%s", err);
        goto out;
    }
    if (!exists(cfg.root_key_file)) {
        if (sv_keyring_create_file(cfg.root_key_file) != SV_OK) {
            rc = sv_cli_fail("%s: cannot create the root key",
                             cfg.root_key_file);
            goto out;
        }
        json_array_append_new(made, json_string(cfg.root_key_file));
    }
    if (!exists(cfg.tls_cert) && !exists(cfg.tls_key)) {
        char dir[SV_PATH_MAX];
        snprintf(dir, sizeof dir, "%s", cfg.tls_cert);
        char *slash = strrchr(dir, '/');
        if (slash != NULL) {
            *slash = '\0';
            if ((rc = ensure_dir(dir)) != 0)
                goto out;
        }
        if (sv_tls_make_dev_cert(cfg.tls_cert, cfg.tls_key, err, sizeof err) !=
            SV_OK) {
            rc = sv_cli_fail("TLS certificate: %s", err);
            goto out;
        }
        json_array_append_new(made, json_string(cfg.tls_cert));
        json_array_append_new(made, json_string(cfg.tls_key));
    } else if (!exists(cfg.tls_cert) || !exists(cfg.tls_key)) {
        rc = sv_cli_fail("%s and %s: one exists without the other; restore "
                         "it or remove both to make a new pair",
                         cfg.tls_cert, cfg.tls_key);
        goto out;
    }
    if (!sv_cli_open(&app, data, 1)) {
        rc = 1;
        goto out;
    }
    sv_app_close(&app);
    if (as_json) {
        sv_cli_print_json(
            json_pack("{s:s, s:O}", "data", data, "created", made));
    } else {
        size_t i;
        json_t *v;
        printf("data directory %s is ready\n", data);
        json_array_foreach(made, i, v)
            printf("  created %s\n", json_string_value(v));
    }
    rc = 0;
out:
    json_decref(made);
    return rc;
}
