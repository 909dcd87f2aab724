#include "testdb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "access/access.h"
#include "app.h"
#include "core/config.h"
#include "crypto/keyring.h"
#include "db/db.h"

sqlite3 *
sv_testdb_open_migrated(char *dir, const char *tag)
{
    char err[256], path[128];
    struct sv_config cfg;
    struct sv_db *db = NULL;
    sqlite3 *h;

    snprintf(dir, 64, "/tmp/sv-%s-XXXXXX", tag);
    assert_non_null(mkdtemp(dir));
    sv_config_defaults(&cfg, dir);
    if (sv_db_open(&cfg, 1, &db, err, sizeof err) != SV_OK)
        fail_msg("open: %s", err);
    sv_db_free(db);
    snprintf(path, sizeof path, "%s/salesvault.db", dir);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    return h;
}

void
sv_testdb_close_migrated(sqlite3 *h, const char *dir)
{
    char cmd[128];
    sqlite3_close(h);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int
sv_testapp_open(struct sv_app *app, char *dir, const char *tag,
                const char *extra_conf)
{
    char path[128], err[256];
    FILE *f;

    snprintf(dir, 64, "/tmp/sv-%s-XXXXXX", tag);
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/salesvault.conf", dir);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "[password]\nopslimit = 1\nmemlimit_kib = 8192\nblocklist =\n%s",
            extra_conf ? extra_conf : "");
    if (fclose(f) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/root.key", dir);
    if (sv_keyring_create_file(path) != SV_OK)
        return -1;
    return sv_app_open(app, dir, 1, err, sizeof err) == SV_OK ? 0 : -1;
}

int
sv_testapp_close(struct sv_app *app, const char *dir)
{
    char cmd[128];
    sv_app_close(app);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

struct admin_ctx {
    const char *tenant_id, *account_id;
};

static enum sv_err
admin_tx(struct sv_dbc *c, void *cls)
{
    struct admin_ctx *x = cls;
    return sv_access_give_builtin_tx(c, x->tenant_id, x->account_id,
                                     SV_BUILTIN_TENANT_ADMIN);
}

void
sv_testapp_admin(struct sv_app *app, const char *tenant_id,
                 const char *account_id)
{
    struct admin_ctx x = {tenant_id, account_id};
    assert_int_equal(
        sv_db_run_tenant_tx(app->db, "test_admin", tenant_id, admin_tx, &x),
        SV_OK);
}
