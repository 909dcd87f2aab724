/* salesvault user add|reset|show: bootstrap and rescue accounts. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "cli/cli.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/tenant.h"
#include "identity/identity.h"

static const char help[] =
    "Usage: salesvault user add --tenant SLUG --username USER\n"
    "                           [--role admin|member] [--email EMAIL]\n"
    "       salesvault user reset --tenant SLUG --username USER\n"
    "       salesvault user show --tenant SLUG --username USER\n"
    "       (all take [--data DIR] [--json])\n"
    "\n"
    "add:   create an account with a one-time temporary password\n"
    "reset: assign a new temporary password (AUTH-3); the account must change\n"
    "       it at next login and every session it has is revoked\n"
    "show:  print the account (never its password)\n";

struct user_ctx {
    const char *slug, *username, *email;
    enum sv_role role;
    char hash[SV_HASH_LEN];
    struct sv_tenant t;
    struct sv_account a;
    struct sv_actor actor;
};

static enum sv_err
add_tx(struct sv_dbc *c, void *cls)
{
    struct user_ctx *u = cls;
    enum sv_err rc = sv_tenant_find_by_slug(c, u->slug, &u->t);
    if (rc != SV_OK)
        return rc;
    return sv_account_create_tx(c, &u->t, u->username, u->role, u->email,
                                u->hash, &u->actor, &u->a);
}

static enum sv_err
find_tx(struct sv_dbc *c, void *cls)
{
    struct user_ctx *u = cls;
    enum sv_err rc = sv_tenant_find_by_slug(c, u->slug, &u->t);
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, u->t.id);
    if (rc != SV_OK)
        return rc;
    return sv_account_find_by_username(c, u->t.id, u->username, &u->a);
}

static enum sv_err
reset_tx(struct sv_dbc *c, void *cls)
{
    struct user_ctx *u = cls;
    enum sv_err rc = find_tx(c, cls);
    if (rc != SV_OK)
        return rc;
    return sv_account_reset_tx(c, u->t.id, u->a.id, u->hash, &u->actor);
}

int
sv_cli_user(int argc, char **argv)
{
    const char *data = "var", *role = "member", *sub;
    struct user_ctx u;
    char temp[SV_TEMP_PASSWORD_LEN + 1] = "";
    struct sv_app app;
    bool as_json = false, add, reset, show;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"tenant", &u.slug, NULL},
                                      {"username", &u.username, NULL},
                                      {"role", &role, NULL},
                                      {"email", &u.email, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    enum sv_err rc;
    int code;

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sub = argv[1];
    add = strcmp(sub, "add") == 0;
    reset = strcmp(sub, "reset") == 0;
    show = strcmp(sub, "show") == 0;
    if (!add && !reset && !show)
        return sv_cli_usage("user", "unknown subcommand '%s'", sub);
    memset(&u, 0, sizeof u);
    argc--;
    argv++;
    code = sv_cli_parse(argc, argv, "user", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    if (u.slug == NULL || !sv_check_slug(u.slug, strlen(u.slug)))
        return sv_cli_usage("user", "--tenant: a tenant slug is required");
    if (u.username == NULL ||
        !sv_check_username(u.username, strlen(u.username)))
        return sv_cli_usage("user", "--username: 3-64 of a-z, 0-9, '.', '_', "
                                    "'-', starting with a letter or digit");
    if (!sv_role_parse(role, &u.role))
        return sv_cli_usage("user", "--role: admin or member");
    if (u.email != NULL && !sv_check_email(u.email, strlen(u.email)))
        return sv_cli_usage("user", "--email: not an e-mail address");

    if (!sv_cli_open(&app, data, 1))
        return 1;
    u.actor.username = sv_cli_actor();
    if (show) {
        rc = sv_db_run_ro(app.db, find_tx, &u);
    } else {
        sv_password_temp(temp);
        rc = sv_password_hash(&app.pw, temp, strlen(temp), u.hash);
        if (rc == SV_OK)
            rc = sv_db_run_tx(app.db, add ? "user_add" : "user_reset",
                              add ? add_tx : reset_tx, &u);
    }
    sv_app_close(&app);
    sodium_memzero(u.hash, sizeof u.hash);
    if (rc != SV_OK) {
        sodium_memzero(temp, sizeof temp);
        return sv_cli_err(rc, rc == SV_E_NOT_FOUND ? "no such tenant or user"
                                                   : sub);
    }
    if (as_json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:b}", "id", u.a.id, "username",
                              u.a.username, "role", sv_role_name(u.a.role),
                              "must_change_password",
                              show ? u.a.must_change_password : 1);
        if (!show)
            json_object_set_new(j, "temporary_password", json_string(temp));
        sv_cli_print_json(j);
    } else if (show) {
        printf("%s %s role=%s must_change_password=%s\n", u.a.id, u.a.username,
               sv_role_name(u.a.role), u.a.must_change_password ? "yes" : "no");
    } else {
        printf("%s %s: temporary password %s\n", u.username,
               add ? "created" : "reset", temp);
        printf("(shown once; it must be changed at next login)\n");
    }
    sodium_memzero(temp, sizeof temp);
    return 0;
}
