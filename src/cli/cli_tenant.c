/* salesvault tenant create|list|policy */
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
    "Usage: salesvault tenant create --name NAME --slug SLUG --admin USER\n"
    "                                [--email EMAIL] [--policy default|nist]\n"
    "                                [--min-score 0-4] [--data DIR] [--json]\n"
    "       salesvault tenant list [--data DIR] [--json]\n"
    "       salesvault tenant policy SLUG --require-mfa on|off [--data DIR]\n"
    "                                [--json]\n"
    "       salesvault tenant delete SLUG [--confirm TOKEN] [--data DIR]\n"
    "                                [--json]\n"
    "\n"
    "create: a tenant with its own key-encryption key and audit stream, and\n"
    "an admin account with a one-time temporary password (printed once; it\n"
    "must be changed at first login).\n"
    "  --policy   password policy: default (6-20 characters, 2 of lower,\n"
    "             upper, digit, symbol) or nist (NIST SP 800-63B: 8-64)\n"
    "  --min-score  minimum zxcvbn score for new passwords (default 2)\n"
    "\n"
    "policy: change a tenant's sign-in policy.\n"
    "  --require-mfa  on: every login needs an authenticator app (TOTP); an\n"
    "                 account without one may only enrol one. off: the\n"
    "                 default.\n"
    "\n"
    "delete: destroy a tenant, in two steps. Without --confirm: what it\n"
    "holds and a confirmation token, valid ten minutes. With it: the\n"
    "tenant's master key is destroyed first (crypto-shredding: no copy of\n"
    "its keys opens any more, in the database, a copy of it or a backup),\n"
    "then every row of it, its audit log too. Audited on the platform\n"
    "stream (tenant.delete.request, tenant.shred, tenant.delete). Cannot\n"
    "be undone. docs/operations.md says what to do with off-site copies.\n";

struct create_ctx {
    struct sv_tenant t;
    const char *admin, *email;
    char hash[SV_HASH_LEN];
    struct sv_account account;
    struct sv_actor actor;
    const struct sv_keyring *kr;
};

static enum sv_err
create_tx(struct sv_dbc *c, void *cls)
{
    struct create_ctx *cc = cls;
    enum sv_err rc = sv_tenant_create_tx(c, cc->kr, &cc->t, cc->actor.username);
    if (rc != SV_OK)
        return rc;
    return sv_account_create_tx(c, &cc->t, cc->admin, SV_ROLE_ADMIN, cc->email,
                                cc->hash, &cc->actor, &cc->account);
}

static int
create(int argc, char **argv)
{
    const char *data = "var", *name = NULL, *slug = NULL, *policy = "default";
    const char *min_score = "2";
    struct create_ctx cc;
    char temp[SV_TEMP_PASSWORD_LEN + 1];
    struct sv_app app;
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"name", &name, NULL},
                                      {"slug", &slug, NULL},
                                      {"admin", &cc.admin, NULL},
                                      {"email", &cc.email, NULL},
                                      {"policy", &policy, NULL},
                                      {"min-score", &min_score, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    int64_t score;
    enum sv_err rc;
    int code;

    memset(&cc, 0, sizeof cc);
    code = sv_cli_parse(argc, argv, "tenant", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    if (name == NULL || !sv_check_tenant_name(name, strlen(name)))
        return sv_cli_usage("tenant", "--name: 1-128 characters, no control "
                                      "characters");
    if (slug == NULL || !sv_check_slug(slug, strlen(slug)))
        return sv_cli_usage("tenant", "--slug: 2-32 of a-z, 0-9 and '-', "
                                      "starting and ending with a letter or "
                                      "digit");
    if (cc.admin == NULL || !sv_check_username(cc.admin, strlen(cc.admin)))
        return sv_cli_usage("tenant", "--admin: 3-64 of a-z, 0-9, '.', '_', "
                                      "'-', starting with a letter or digit");
    if (cc.email != NULL && !sv_check_email(cc.email, strlen(cc.email)))
        return sv_cli_usage("tenant", "--email: not an e-mail address");
    if (!sv_policy_kind_parse(policy, &cc.t.policy.kind))
        return sv_cli_usage("tenant", "--policy: default or nist");
    if (!sv_parse_i64(min_score, 0, 4, &score))
        return sv_cli_usage("tenant", "--min-score: 0 to 4");
    cc.t.policy.min_score = (int)score;
    snprintf(cc.t.slug, sizeof cc.t.slug, "%s", slug);
    snprintf(cc.t.name, sizeof cc.t.name, "%s", name);

    if (!sv_cli_open(&app, data, 1))
        return 1;
    cc.kr = app.kr;
    cc.actor.username = sv_cli_actor();
    sv_password_temp(temp);
    rc = sv_password_hash(&app.pw, temp, strlen(temp), cc.hash);
    if (rc == SV_OK)
        rc = sv_db_run_tx(app.db, "tenant_create", create_tx, &cc);
    sv_app_close(&app);
    sodium_memzero(cc.hash, sizeof cc.hash);
    if (rc != SV_OK) {
        sodium_memzero(temp, sizeof temp);
        return sv_cli_err(rc, "tenant create");
    }
    if (as_json) {
        sv_cli_print_json(json_pack(
            "{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}", "tenant", "id",
            cc.t.id, "slug", cc.t.slug, "name", cc.t.name, "admin", "id",
            cc.account.id, "username", cc.account.username, "role", "admin",
            "temporary_password", temp));
    } else {
        printf("tenant %s (%s) created: id %s\n", cc.t.slug, cc.t.name,
               cc.t.id);
        printf("admin account: %s\n", cc.account.username);
        printf("temporary password: %s\n", temp);
        printf("(shown once; it must be changed at first login)\n");
    }
    sodium_memzero(temp, sizeof temp);
    return 0;
}

static void
list_row(void *cls, const struct sv_tenant *t)
{
    char created[SV_RFC3339_LEN + 1];
    sv_rfc3339(t->created_at, created);
    json_array_append_new(
        cls, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "id", t->id, "slug",
                       t->slug, "name", t->name, "password_policy",
                       sv_policy_kind_name(t->policy.kind), "require_mfa",
                       t->require_mfa, "created_at", created));
}

static enum sv_err
list_tx(struct sv_dbc *c, void *cls)
{
    json_array_clear(cls);
    return sv_tenant_list(c, list_row, cls);
}

static int
list(int argc, char **argv)
{
    const char *data = "var";
    bool as_json = false;
    const struct sv_cli_opt opts[] = {
        {"data", &data, NULL}, {"json", NULL, &as_json}, {NULL}};
    struct sv_app app;
    json_t *items, *v;
    enum sv_err rc;
    size_t i;
    int code, first;

    /* list has always let arguments after its options pass */
    code = sv_cli_parse(argc, argv, "tenant", "bad option", help, opts, &first);
    if (code != SV_CLI_GO)
        return code;
    if (!sv_cli_open(&app, data, 1))
        return 1;
    items = json_array();
    rc = sv_db_run_ro(app.db, list_tx, items);
    sv_app_close(&app);
    if (rc != SV_OK) {
        json_decref(items);
        return sv_cli_err(rc, "tenant list");
    }
    if (as_json) {
        sv_cli_print_json(json_pack("{s:o}", "items", items));
        return 0;
    }
    json_array_foreach(items, i, v) printf(
        "%-20s %-36s %s\n", json_string_value(json_object_get(v, "slug")),
        json_string_value(json_object_get(v, "id")),
        json_string_value(json_object_get(v, "name")));
    json_decref(items);
    return 0;
}

struct policy_ctx {
    const char *slug;
    bool require_mfa;
    struct sv_tenant t;
};

static enum sv_err
policy_tx(struct sv_dbc *c, void *cls)
{
    struct policy_ctx *p = cls;
    return sv_tenant_set_require_mfa_tx(c, p->slug, p->require_mfa,
                                        sv_cli_actor(), &p->t);
}

static int
policy(int argc, char **argv)
{
    const char *data = "var", *mfa = NULL;
    struct policy_ctx p;
    struct sv_app app;
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"require-mfa", &mfa, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    enum sv_err rc;
    int code, first;

    memset(&p, 0, sizeof p);
    code = sv_cli_parse(argc, argv, "tenant", "bad option", help, opts, &first);
    if (code != SV_CLI_GO)
        return code;
    if (first != argc - 1)
        return sv_cli_usage("tenant", "policy: give one tenant SLUG");
    p.slug = argv[first];
    if (!sv_check_slug(p.slug, strlen(p.slug)))
        return sv_cli_usage("tenant", "policy: not a tenant slug: '%s'",
                            p.slug);
    if (mfa == NULL)
        return sv_cli_usage("tenant", "policy: --require-mfa on|off is "
                                      "required");
    if (strcmp(mfa, "on") == 0)
        p.require_mfa = true;
    else if (strcmp(mfa, "off") != 0)
        return sv_cli_usage("tenant", "--require-mfa: on or off");

    if (!sv_cli_open(&app, data, 1))
        return 1;
    rc = sv_db_run_tx(app.db, "tenant_policy", policy_tx, &p);
    sv_app_close(&app);
    if (rc != SV_OK)
        return sv_cli_err(rc, "tenant policy");
    if (as_json)
        sv_cli_print_json(json_pack("{s:{s:s, s:s, s:b}}", "tenant", "id",
                                    p.t.id, "slug", p.t.slug, "require_mfa",
                                    p.t.require_mfa));
    else
        printf("tenant %s: require_mfa %s\n", p.t.slug,
               p.t.require_mfa ? "on" : "off");
    return 0;
}

static int
delete_tenant(int argc, char **argv)
{
    const char *data = "var", *confirm = NULL, *slug;
    struct sv_tenant_deletion del;
    struct sv_app app;
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"confirm", &confirm, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    enum sv_err rc;
    int code, first;

    code = sv_cli_parse(argc, argv, "tenant", "bad option", help, opts, &first);
    if (code != SV_CLI_GO)
        return code;
    if (first != argc - 1)
        return sv_cli_usage("tenant", "delete: give one tenant SLUG");
    slug = argv[first];
    if (!sv_check_slug(slug, strlen(slug)))
        return sv_cli_usage("tenant", "delete: not a tenant slug: '%s'", slug);
    if (!sv_cli_open(&app, data, 1))
        return 1;
    if (confirm == NULL)
        rc = sv_tenant_delete_request(app.db, app.kr, slug, sv_cli_actor(),
                                      &del);
    else
        rc = sv_tenant_delete(app.db, app.kr, slug, confirm, sv_cli_actor(),
                              &del);
    sv_app_close(&app);
    if (rc == SV_E_FIELD_INVALID)
        return sv_cli_fail("tenant delete: --confirm: %s",
                           del.expired ? "the token has expired: run the "
                                         "first step again"
                                       : "not a token of this tenant's "
                                         "deletion");
    if (rc != SV_OK && del.keys_destroyed)
        return sv_cli_fail("tenant delete: the keys of %s are destroyed but "
                           "its rows are not all deleted (%s): run the "
                           "deletion again",
                           slug, sv_err_code(rc));
    if (rc != SV_OK)
        return sv_cli_err(rc, rc == SV_E_NOT_FOUND ? "no such tenant"
                                                   : "tenant delete");
    if (confirm == NULL && as_json) {
        sv_cli_print_json(json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:s, s:I}", "tenant", del.slug, "id",
            del.tenant_id, "accounts", (json_int_t)del.accounts, "records",
            (json_int_t)del.records, "events", (json_int_t)del.events,
            "confirm", del.token, "expires_at", (json_int_t)del.expires_at));
    } else if (confirm == NULL) {
        printf("Deleting tenant %s (%s) destroys its keys, then %lld "
               "accounts, %lld records and %lld audit events, and cannot be "
               "undone. To go on, within ten minutes:\n"
               "  salesvault tenant delete %s --confirm %s --data %s\n",
               del.slug, del.tenant_id, (long long)del.accounts,
               (long long)del.records, (long long)del.events, del.slug,
               del.token, data);
    } else if (as_json) {
        sv_cli_print_json(json_pack("{s:s, s:s, s:b, s:I}", "tenant", del.slug,
                                    "id", del.tenant_id, "keys_destroyed",
                                    del.keys_destroyed, "rows",
                                    (json_int_t)del.rows));
    } else {
        printf("tenant %s deleted: its keys destroyed, %lld rows deleted\n",
               del.slug, (long long)del.rows);
    }
    sodium_memzero(&del, sizeof del);
    return 0;
}

int
sv_cli_tenant(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "create") == 0)
        return create(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return list(argc - 1, argv + 1);
    if (strcmp(argv[1], "policy") == 0)
        return policy(argc - 1, argv + 1);
    if (strcmp(argv[1], "delete") == 0)
        return delete_tenant(argc - 1, argv + 1);
    return sv_cli_usage("tenant", "unknown subcommand '%s'", argv[1]);
}
