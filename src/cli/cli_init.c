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
    "                       [--pkcs11-module PATH --pkcs11-token LABEL\n"
    "                        --pkcs11-pin-file FILE]\n"
    "\n"
    "Create a data directory: salesvault.conf, root.key (mode 0600), a\n"
    "self-signed TLS certificate for localhost/127.0.0.1 and the database\n"
    "with every migration applied. Existing files are never overwritten:\n"
    "running it again only applies new migrations.\n"
    "\n"
    "With --pkcs11-*: no root.key; the root key is made inside the PKCS#11\n"
    "token (an AES key that never leaves it) with an Ed25519 key that signs\n"
    "the audit heads there, and platform.key (the platform keys' master,\n"
    "wrapped by the token). The PIN is read from the file (mode 0600); the\n"
    "settings go into salesvault.conf [keys] (docs/keys.md).\n";

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
    const char *data = "var", *module = NULL, *token = NULL, *pin = NULL;
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"json", NULL, &as_json},
                                      {"pkcs11-module", &module, NULL},
                                      {"pkcs11-token", &token, NULL},
                                      {"pkcs11-pin-file", &pin, NULL},
                                      {NULL}};
    char path[SV_PATH_MAX + 64], err[1024];
    struct sv_config cfg;
    struct sv_app app;
    json_t *made;
    int rc;

    rc = sv_cli_parse(argc, argv, "init", "bad option", help, opts, NULL);
    if (rc != SV_CLI_GO)
        return rc;
    if ((module != NULL) != (token != NULL) ||
        (module != NULL) != (pin != NULL))
        return sv_cli_usage("init", "--pkcs11-module, --pkcs11-token and "
                                    "--pkcs11-pin-file go together");
    if (token != NULL && (strlen(token) == 0 || strlen(token) > 32 ||
                          strpbrk(token, "\r\n") != NULL))
        return sv_cli_usage("init", "--pkcs11-token: 1-32 characters");
    if (module != NULL &&
        (strpbrk(module, "\r\n") != NULL || strpbrk(pin, "\r\n") != NULL))
        return sv_cli_usage("init", "--pkcs11-*: one line each");
    made = json_array();
    umask(077);
    if ((rc = ensure_dir(data)) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/salesvault.conf", data);
    if (!exists(path)) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t n = strlen(sv_config_template);
        char extra[3 * SV_PATH_MAX + 160] = "";
        if (module != NULL)
            snprintf(extra, sizeof extra,
                     "\n[keys]\n; the root key in a PKCS#11 token (init)\n"
                     "root = pkcs11\npkcs11_module = %s\npkcs11_token = %s\n"
                     "pkcs11_pin_file = %s\n",
                     module, token, pin);
        if (fd < 0 || write(fd, sv_config_template, n) != (ssize_t)n ||
            write(fd, extra, strlen(extra)) != (ssize_t)strlen(extra)) {
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
    if (module != NULL && !cfg.root_pkcs11) {
        rc = sv_cli_fail("%s/salesvault.conf exists with root = file: set "
                         "[keys] root = pkcs11 and the pkcs11_* settings "
                         "there (salesvault keys migrate-root is to come)",
                         data);
        goto out;
    }
    if (cfg.root_pkcs11) {
        struct sv_keyring_token t = {cfg.pkcs11_module, cfg.pkcs11_token,
                                     cfg.pkcs11_pin_file,
                                     cfg.platform_key_file};
        bool had = exists(cfg.platform_key_file);
        err[0] = '\0';
        if (sv_keyring_token_init(&t, NULL, err, sizeof err) != SV_OK) {
            rc = sv_cli_fail("PKCS#11 root: %s", err);
            goto out;
        }
        if (!had)
            json_array_append_new(made, json_string(cfg.platform_key_file));
    } else if (!exists(cfg.root_key_file)) {
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
