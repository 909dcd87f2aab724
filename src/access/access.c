/* One permission model: see access.h. */
#include "access/access.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "access/access_store.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"

_Static_assert(SV_PERM__COUNT <= 64, "sv_perm_set holds 64 permissions");

/* ---- the catalogue ---- */

#define TA (1u << SV_BUILTIN_TENANT_ADMIN)
#define DA (1u << SV_BUILTIN_DEPARTMENT_ADMIN)
#define AU (1u << SV_BUILTIN_AUDITOR)
#define ME (1u << SV_BUILTIN_MEMBER)
#define TENANT SV_OBJECT_TENANT
#define DEPARTMENT SV_OBJECT_DEPARTMENT

static const struct {
    const char *name;
    enum sv_object_kind kind;
    unsigned roles;
} perms[SV_PERM__COUNT] = {
#define SV_PERMISSION(NAME, wire, k, r) [SV_PERM_##NAME] = {wire, k, r},
#include "access/permissions.def"
#undef SV_PERMISSION
};

static const char *const builtin_keys[SV_BUILTIN__COUNT] = {
    [SV_BUILTIN_TENANT_ADMIN] = "tenant_admin",
    [SV_BUILTIN_DEPARTMENT_ADMIN] = "department_admin",
    [SV_BUILTIN_AUDITOR] = "auditor",
    [SV_BUILTIN_MEMBER] = "member",
};

const char *
sv_perm_name(enum sv_perm p)
{
    return (unsigned)p < SV_PERM__COUNT ? perms[p].name : "?";
}

bool
sv_perm_parse(const char *s, enum sv_perm *out)
{
    for (int p = 0; p < SV_PERM__COUNT; p++) {
        if (strcmp(perms[p].name, s) == 0) {
            *out = (enum sv_perm)p;
            return true;
        }
    }
    return false;
}

enum sv_object_kind
sv_perm_kind(enum sv_perm p)
{
    return perms[p].kind;
}

const char *
sv_builtin_role_key(enum sv_builtin_role r)
{
    return (unsigned)r < SV_BUILTIN__COUNT ? builtin_keys[r] : "?";
}

bool
sv_builtin_role_parse(const char *s, enum sv_builtin_role *out)
{
    for (int r = 0; r < SV_BUILTIN__COUNT; r++) {
        if (strcmp(builtin_keys[r], s) == 0) {
            *out = (enum sv_builtin_role)r;
            return true;
        }
    }
    return false;
}

sv_perm_set
sv_builtin_role_perms(enum sv_builtin_role r)
{
    sv_perm_set s = 0;
    for (int p = 0; p < SV_PERM__COUNT; p++)
        if (perms[p].roles & (1u << r))
            s |= SV_PERM_BIT(p);
    return s;
}

bool
sv_perm_set_departmental(sv_perm_set s)
{
    for (int p = 0; p < SV_PERM__COUNT; p++)
        if ((s & SV_PERM_BIT(p)) && perms[p].kind == SV_OBJECT_DEPARTMENT)
            return true;
    return false;
}

/* ---- the evaluator ---- */

const char *
sv_scope_kind_name(enum sv_scope_kind k)
{
    switch (k) {
    case SV_SCOPE_TENANT:
        return "tenant";
    case SV_SCOPE_DEPARTMENT:
        return "department";
    case SV_SCOPE_GROUP:
        return "group";
    }
    return "?";
}

static bool
scope_kind_parse(const char *s, enum sv_scope_kind *out)
{
    for (int k = SV_SCOPE_TENANT; k <= SV_SCOPE_GROUP; k++) {
        if (strcmp(s, sv_scope_kind_name((enum sv_scope_kind)k)) == 0) {
            *out = (enum sv_scope_kind)k;
            return true;
        }
    }
    return false;
}

void
sv_grants_init(struct sv_grants *g)
{
    g->n = 1;
    g->group_scoped = false;
    g->at[0] = (struct sv_grant){sv_builtin_role_perms(SV_BUILTIN_MEMBER),
                                 SV_SCOPE_TENANT, ""};
}

bool
sv_grants_add(struct sv_grants *g, sv_perm_set set, enum sv_scope_kind scope,
              const char *scope_id)
{
    const char *id = scope != SV_SCOPE_TENANT && scope_id ? scope_id : "";
    struct sv_grant *x;

    /* One grant per scope: an account in many groups holding roles over
     * the same department costs one entry, not one per group. */
    for (size_t i = 0; i < g->n; i++) {
        if (g->at[i].scope == scope && strcmp(g->at[i].scope_id, id) == 0) {
            g->at[i].perms |= set;
            return true;
        }
    }
    if (g->n >= sizeof g->at / sizeof g->at[0])
        return false;
    x = &g->at[g->n++];
    x->perms = set;
    x->scope = scope;
    snprintf(x->scope_id, sizeof x->scope_id, "%s", id);
    if (scope == SV_SCOPE_GROUP)
        g->group_scoped = true;
    return true;
}

void
sv_access_place_add_groups(struct sv_access_place *place,
                           const struct sv_group_set *gs)
{
    for (size_t i = 0; i < gs->n && place->ng < SV_ACCESS_GROUPS_MAX; i++)
        place->group[place->ng++] = gs->ids[i];
}

/* Whether grant @p x covers an object at @p place for a permission of
 * kind @p kind. */
static bool
covers(const struct sv_grant *x, enum sv_object_kind kind,
       const struct sv_access_place *place)
{
    if (x->scope == SV_SCOPE_TENANT)
        return true;
    if (kind != SV_OBJECT_DEPARTMENT || place == NULL)
        return false;
    if (x->scope == SV_SCOPE_GROUP) {
        for (size_t i = 0; i < place->ng && i < SV_ACCESS_GROUPS_MAX; i++)
            if (place->group[i] != NULL &&
                strcmp(place->group[i], x->scope_id) == 0)
                return true;
        return false;
    }
    for (size_t i = 0; i < place->n && i < SV_ACCESS_DEPTH_MAX; i++)
        if (place->dept[i] != NULL && strcmp(place->dept[i], x->scope_id) == 0)
            return true;
    return false;
}

bool
sv_access_allows(const struct sv_grants *g, enum sv_perm p,
                 const struct sv_access_place *place)
{
    if (g == NULL || (unsigned)p >= SV_PERM__COUNT)
        return false;
    for (size_t i = 0; i < g->n; i++)
        if ((g->at[i].perms & SV_PERM_BIT(p)) &&
            covers(&g->at[i], perms[p].kind, place))
            return true;
    return false;
}

bool
sv_access_holds(const struct sv_grants *g, enum sv_perm p)
{
    if (g == NULL || (unsigned)p >= SV_PERM__COUNT)
        return false;
    return (sv_access_any_perms(g) & SV_PERM_BIT(p)) != 0;
}

sv_perm_set
sv_access_tenant_perms(const struct sv_grants *g)
{
    sv_perm_set s = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->at[i].scope == SV_SCOPE_TENANT)
            s |= g->at[i].perms;
    return s;
}

sv_perm_set
sv_access_any_perms(const struct sv_grants *g)
{
    sv_perm_set s = sv_access_tenant_perms(g);
    /* Over a department or a group, only what can apply there. */
    for (size_t i = 0; i < g->n; i++) {
        if (g->at[i].scope == SV_SCOPE_TENANT)
            continue;
        for (int p = 0; p < SV_PERM__COUNT; p++)
            if ((g->at[i].perms & SV_PERM_BIT(p)) &&
                perms[p].kind == SV_OBJECT_DEPARTMENT)
                s |= SV_PERM_BIT(p);
    }
    return s;
}

/* ---- loading grants ---- */

struct load_ctx {
    struct sv_grants *g;
    char last[37]; /* the assignment of the grant being filled */
    bool full;
    bool groups;    /* reading the groups' assignments */
    size_t dropped; /* of those, scopes past the cap */
};

static bool
load_row(void *cls, const char *assignment_id, const char *role,
         const char *scope_kind, const char *scope_id, const char *permission)
{
    struct load_ctx *l = cls;
    enum sv_builtin_role b;
    enum sv_scope_kind scope;
    enum sv_perm p;
    sv_perm_set set = 0;

    /* An unknown scope kind (a newer release's) grants nothing. */
    if (!scope_kind_parse(scope_kind, &scope))
        return true;
    if (strcmp(l->last, assignment_id) != 0) {
        /* A built-in role's set comes from the catalogue; member is never
         * assigned, and an unknown key grants nothing. */
        if (sv_builtin_role_parse(role, &b) && b != SV_BUILTIN_MEMBER)
            set = sv_builtin_role_perms(b);
        snprintf(l->last, sizeof l->last, "%s", assignment_id);
    }
    if (permission != NULL && sv_perm_parse(permission, &p))
        set |= SV_PERM_BIT(p);
    /* Rows of one assignment, and assignments over the same scope, merge
     * into one grant. */
    if (!sv_grants_add(l->g, set, scope, scope_id)) {
        /* The account's own assignments are capped when given; past the
         * cap, a group's are left out: fewer grants, never more. */
        if (l->groups) {
            l->dropped++;
            return true;
        }
        l->full = true;
        return false;
    }
    return true;
}

enum sv_err
sv_access_load_tx(struct sv_dbc *c, const char *tenant_id,
                  const char *account_id, struct sv_grants *out)
{
    struct load_ctx l = {out, "", false, false, 0};
    enum sv_qs qs;

    sv_grants_init(out);
    qs = access_store_grants(c, tenant_id, account_id, load_row, &l);
    /* Then those of the groups the account is in. */
    if (qs >= 0 && !l.full) {
        l.last[0] = '\0';
        l.groups = true;
        qs = access_store_group_grants(c, tenant_id, account_id, load_row, &l);
    }
    if (l.dropped > 0)
        sv_log_json(SV_LOG_WARN, "access: grants of groups left out (cap)",
                    json_pack("{s:s, s:s, s:I}", "tenant_id", tenant_id,
                              "account_id", account_id, "dropped",
                              (json_int_t)l.dropped));
    if (l.full) {
        /* Never a partial set: the cap is enforced at grant time. */
        sv_log_json(SV_LOG_ERROR, "access: too many assignments",
                    json_pack("{s:s, s:s}", "tenant_id", tenant_id,
                              "account_id", account_id));
        sv_grants_init(out);
        return SV_E_INTERNAL;
    }
    return sv_qs_ok(qs);
}

struct load_args {
    const char *tenant_id, *account_id;
    struct sv_grants *out;
};

static enum sv_err
load_ro(struct sv_dbc *c, void *cls)
{
    struct load_args *a = cls;
    return sv_access_load_tx(c, a->tenant_id, a->account_id, a->out);
}

enum sv_err
sv_access_load(struct sv_db *db, const char *tenant_id, const char *account_id,
               struct sv_grants *out)
{
    struct load_args a = {tenant_id, account_id, out};
    return sv_db_run_tenant_ro(db, tenant_id, load_ro, &a);
}

enum sv_err
sv_access_require_tx(struct sv_dbc *c, const char *tenant_id,
                     const struct sv_actor *actor, enum sv_perm p,
                     const struct sv_access_place *place,
                     const char *object_type, const char *object_id,
                     struct sv_access_denial *denied)
{
    struct sv_grants *g;
    enum sv_err rc = SV_OK;
    bool ok = false;

    if (actor != NULL && actor->account_id != NULL) {
        g = malloc(sizeof *g);
        if (g == NULL)
            return SV_E_INTERNAL;
        rc = sv_access_load_tx(c, tenant_id, actor->account_id, g);
        ok = rc == SV_OK && sv_access_allows(g, p, place);
        /* A grant over a group: the object's groups count too. */
        if (rc == SV_OK && !ok && g->group_scoped && place != NULL &&
            place->ng == 0 && object_id != NULL &&
            (strcmp(object_type, "employee") == 0 ||
             strcmp(object_type, "group") == 0)) {
            struct sv_access_place *pg = malloc(sizeof *pg);
            struct sv_group_set *gs = malloc(sizeof *gs);
            rc = pg && gs ? sv_access_groups_of_tx(c, tenant_id, object_type,
                                                   object_id, gs)
                          : SV_E_INTERNAL;
            if (rc == SV_OK) {
                *pg = *place;
                sv_access_place_add_groups(pg, gs);
                ok = sv_access_allows(g, p, pg);
            }
            free(pg);
            free(gs);
        }
        free(g);
    }
    if (rc != SV_OK || ok)
        return rc;
    denied->perm = p;
    denied->object_type = object_type;
    snprintf(denied->object_id, sizeof denied->object_id, "%s",
             object_id != NULL ? object_id : "");
    return SV_E_FORBIDDEN;
}

enum sv_err
sv_access_groups_of_tx(struct sv_dbc *c, const char *tenant_id,
                       const char *kind, const char *id,
                       struct sv_group_set *out)
{
    out->n = 0;
    if (strcmp(kind, "group") == 0)
        return sv_qs_ok(access_store_groups_of_group(c, tenant_id, id, out));
    return sv_qs_ok(access_store_groups_of_employee(c, tenant_id, id, out));
}

/* ---- DIR-3 ---- */

struct hidden_ctx {
    struct sv_veil *v;
    bool too_many;
};

static void
hidden_row(void *cls, const char *id)
{
    struct hidden_ctx *h = cls;
    if (h->v->n == SV_HIDDEN_MAX) {
        h->too_many = true;
        return;
    }
    snprintf(h->v->ids[h->v->n++], 37, "%s", id);
}

static void
veil_drop(struct sv_veil *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->ids[i], id) == 0) {
            memmove(v->ids[i], v->ids[i + 1], (v->n - i - 1) * 37);
            v->n--;
            return;
        }
    }
}

enum sv_err
sv_access_veil_tx(struct sv_dbc *c, const char *tenant_id, const char *viewer,
                  const struct sv_grants *g, struct sv_veil *out)
{
    struct hidden_ctx h = {out, false};
    struct sv_access_place pl = {0};
    char ids[SV_ACCESS_DEPTH_MAX][37];
    enum sv_qs qs;
    size_t i = 0;

    out->n = 0;
    out->list[0] = '\0';
    /* The common case: nothing hidden, one range of a partial index. */
    qs = access_store_hidden(c, tenant_id, hidden_row, &h);
    if (qs < 0)
        return sv_qs_err(qs);
    if (h.too_many)
        return SV_E_INTERNAL; /* the cap is enforced when hiding */
    if (out->n == 0)
        return SV_OK;
    /* Those that name the viewer (a group it is in, a role it holds). */
    qs = access_store_hidden_named(c, tenant_id, viewer, veil_drop, out);
    if (qs < 0)
        return sv_qs_err(qs);
    /* Those it manages. */
    while (i < out->n) {
        bool manages;
        qs = access_store_place(c, tenant_id, out->ids[i], ids, &pl.n);
        if (qs < 0)
            return sv_qs_err(qs);
        for (size_t k = 0; k < pl.n; k++)
            pl.dept[k] = ids[k];
        manages = sv_access_allows(g, SV_PERM_DIRECTORY_MANAGE, &pl);
        if (manages)
            veil_drop(out, out->ids[i]);
        else
            i++;
    }
    if (out->n > 0) {
        size_t at = 1;
        out->list[0] = ',';
        for (i = 0; i < out->n; i++)
            at += (size_t)snprintf(out->list + at, sizeof out->list - at, "%s,",
                                   out->ids[i]);
    }
    return SV_OK;
}

enum sv_err
sv_access_veil_of_tx(struct sv_dbc *c, const char *tenant_id,
                     const char *viewer, struct sv_veil *out)
{
    struct sv_grants *g;
    enum sv_err rc;

    out->n = 0;
    out->list[0] = '\0';
    if (viewer == NULL)
        return SV_OK;
    g = malloc(sizeof *g);
    rc = g != NULL ? SV_OK : SV_E_INTERNAL;
    if (rc == SV_OK)
        rc = sv_access_load_tx(c, tenant_id, viewer, g);
    if (rc == SV_OK)
        rc = sv_access_veil_tx(c, tenant_id, viewer, g, out);
    free(g);
    return rc;
}

bool
sv_veil_hides(const struct sv_veil *v, const struct sv_access_place *place)
{
    for (size_t i = 0; place != NULL && i < v->n; i++)
        for (size_t k = 0; k < place->n; k++)
            if (place->dept[k] != NULL &&
                strcmp(place->dept[k], v->ids[i]) == 0)
                return true;
    return false;
}

const char *
sv_veil_param(const struct sv_veil *v)
{
    return v->n > 0 ? v->list : NULL;
}

enum sv_err
sv_access_scope_used_tx(struct sv_dbc *c, const char *tenant_id,
                        const char *dept_id, bool *out)
{
    enum sv_qs qs = access_store_scope_used(c, tenant_id, dept_id);
    *out = qs == SV_QS_ONE;
    return sv_qs_ok(qs);
}

/* ---- denials ---- */

/*
 * The flood limit: per account, a window of a minute. A fixed table keyed
 * by the account id (a collision forgets the other account's window: it
 * may then record up to the limit again, never fewer).
 */
#define DENY_SLOTS 1024
static struct deny_slot {
    char account_id[37];
    int64_t window_start;
    unsigned recorded, suppressed;
} deny_slots[DENY_SLOTS];
static pthread_mutex_t deny_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether to record one more denial of @p account_id now; *@p suppressed
 * gets how many were left out since the last one recorded. */
static bool
deny_admit(const char *account_id, int64_t now, unsigned *suppressed)
{
    uint32_t h = 2166136261u;
    struct deny_slot *s;
    bool ok;

    for (const char *p = account_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    s = &deny_slots[h % DENY_SLOTS];
    pthread_mutex_lock(&deny_lock);
    if (strcmp(s->account_id, account_id) != 0) {
        memset(s, 0, sizeof *s);
        snprintf(s->account_id, sizeof s->account_id, "%s", account_id);
    }
    if (now - s->window_start >= 60000) {
        s->window_start = now;
        s->recorded = 0;
    }
    ok = s->recorded < SV_ACCESS_DENIALS_PER_MIN;
    if (ok) {
        s->recorded++;
        *suppressed = s->suppressed;
        s->suppressed = 0;
    } else {
        s->suppressed++;
    }
    pthread_mutex_unlock(&deny_lock);
    return ok;
}

struct denied_ctx {
    const char *tenant_id;
    const struct sv_actor *actor;
    const struct sv_access_denial *d;
    const char *details;
};

static enum sv_err
denied_tx(struct sv_dbc *c, void *cls)
{
    struct denied_ctx *x = cls;
    return sv_audit_by(c, x->tenant_id, x->actor, SV_AUDIT_ACCESS_DENIED,
                       x->d->object_type,
                       x->d->object_id[0] ? x->d->object_id : NULL, "denied",
                       "permission", x->details);
}

enum sv_err
sv_access_denied(struct sv_db *db, const char *tenant_id,
                 const struct sv_actor *actor, const struct sv_access_denial *d,
                 const char *route)
{
    unsigned suppressed = 0;
    json_t *details;
    char *text;
    enum sv_err rc;

    if (actor == NULL || actor->account_id == NULL ||
        !deny_admit(actor->account_id, sv_now_ms(), &suppressed))
        return SV_OK;
    details = json_pack("{s:s}", "permission", sv_perm_name(d->perm));
    if (route != NULL)
        json_object_set_new(details, "route", json_string(route));
    if (suppressed > 0)
        json_object_set_new(details, "suppressed", json_integer(suppressed));
    text = json_dumps(details, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(details);
    if (text == NULL)
        return SV_E_INTERNAL;
    struct denied_ctx x = {tenant_id, actor, d, text};
    rc = sv_db_run_tenant_tx(db, "access_denied", tenant_id, denied_tx, &x);
    free(text);
    return rc;
}

enum sv_err
sv_access_denied_after(struct sv_db *db, const char *tenant_id,
                       const struct sv_actor *actor, enum sv_err rc,
                       const struct sv_access_denial *d)
{
    enum sv_err rec;

    if (rc != SV_E_FORBIDDEN)
        return rc;
    rec = sv_access_denied(db, tenant_id, actor, d, NULL);
    return rec == SV_OK ? rc : rec;
}

/* ---- roles ---- */

bool
sv_check_role_name(const char *s, size_t len)
{
    size_t n;
    if (len > SV_ROLE_NAME_MAX * 4 || !sv_utf8_valid(s, len))
        return false;
    n = sv_utf8_len(s, len);
    if (n < 1 || n > SV_ROLE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

bool
sv_check_role_description(const char *s, size_t len)
{
    return sv_check_plain_text(s, len, 0, SV_ROLE_DESCRIPTION_MAX);
}

json_t *
sv_perm_set_json(sv_perm_set set)
{
    json_t *a = json_array();
    for (int p = 0; p < SV_PERM__COUNT; p++)
        if (set & SV_PERM_BIT(p))
            json_array_append_new(a, json_string(perms[p].name));
    return a;
}

/* Audit @p action on @p type/@p id with @p details (stolen) and reason
 * @p why (may be NULL). */
static enum sv_err
audit_json_why(struct sv_dbc *c, const char *tenant_id,
               const struct sv_actor *actor, enum sv_audit_action action,
               const char *type, const char *id, const char *why,
               json_t *details)
{
    return sv_audit_json(c, tenant_id, actor, action, type, id, why, details);
}

static enum sv_err
audit_json(struct sv_dbc *c, const char *tenant_id,
           const struct sv_actor *actor, enum sv_audit_action action,
           const char *type, const char *id, json_t *details)
{
    return audit_json_why(c, tenant_id, actor, action, type, id, NULL, details);
}

struct role_cb {
    void *cls;
    sv_role_row_fn row;
    void (*start)(void *);
};

static void
custom_row(void *cls, const struct sv_custom_role *r)
{
    struct role_cb *x = cls;
    struct sv_role_view v = {r->id,    r->name,       r->description, false,
                             r->perms, r->created_at, r->updated_at};
    x->row(x->cls, &v);
}

struct roles_args {
    const char *tenant_id;
    struct role_cb cb;
};

static enum sv_err
roles_ro(struct sv_dbc *c, void *cls)
{
    struct roles_args *a = cls;

    if (a->cb.start != NULL)
        a->cb.start(a->cb.cls);
    for (int r = 0; r < SV_BUILTIN__COUNT; r++) {
        struct sv_role_view v = {builtin_keys[r],
                                 builtin_keys[r],
                                 "",
                                 true,
                                 sv_builtin_role_perms((enum sv_builtin_role)r),
                                 0,
                                 0};
        a->cb.row(a->cb.cls, &v);
    }
    return sv_qs_ok(access_store_roles(c, a->tenant_id, custom_row, &a->cb));
}

enum sv_err
sv_access_roles_list(struct sv_db *db, const char *tenant_id,
                     void (*start)(void *), sv_role_row_fn row, void *cls)
{
    struct roles_args a = {tenant_id, {cls, row, start}};
    return sv_db_run_tenant_ro(db, tenant_id, roles_ro, &a);
}

/* Custom roles per tenant at most (the list is one page). */
#define ROLES_MAX 200

struct role_ctx {
    const char *tenant_id, *id;
    const struct sv_role_input *in;
    const struct sv_actor *actor;
    struct sv_custom_role *out;
    const char **field;
};

/* The name rules shared by create and update: not a built-in's key, free. */
static enum sv_err
check_role_name_tx(struct sv_dbc *c, const struct role_ctx *x, char *key)
{
    enum sv_builtin_role b;
    enum sv_qs qs;

    sv_ascii_lower(x->in->name, key);
    if (sv_builtin_role_parse(key, &b)) {
        *x->field = "name";
        return SV_E_FIELD_INVALID;
    }
    qs = access_store_role_name_taken(c, x->tenant_id, key,
                                      x->id != NULL ? x->id : "");
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        *x->field = "name";
        return SV_E_EXISTS;
    }
    return SV_OK;
}

static enum sv_err
role_create_tx(struct sv_dbc *c, void *cls)
{
    struct role_ctx *x = cls;
    char key[SV_ROLE_NAME_MAX * 4 + 1];
    int64_t count = 0;
    enum sv_err rc;
    enum sv_qs qs;

    if ((qs = access_store_lock(c, x->tenant_id)) < 0 ||
        (qs = access_store_role_count(c, x->tenant_id, &count)) < 0)
        return sv_qs_err(qs);
    if (count >= ROLES_MAX) {
        *x->field = "name";
        return SV_E_CONFLICT;
    }
    if ((rc = check_role_name_tx(c, x, key)) != SV_OK)
        return rc;
    memset(x->out, 0, sizeof *x->out);
    sv_uuid7(x->out->id);
    snprintf(x->out->name, sizeof x->out->name, "%s", x->in->name);
    snprintf(x->out->description, sizeof x->out->description, "%s",
             x->in->description != NULL ? x->in->description : "");
    x->out->perms = x->in->perms;
    x->out->created_at = x->out->updated_at = sv_now_ms();
    qs = access_store_role_insert(c, x->tenant_id, x->out, key);
    if (qs == SV_QS_ONE)
        qs = access_store_role_set_perms(c, x->tenant_id, x->out->id,
                                         x->out->perms);
    if (qs < 0 || qs == SV_QS_NONE)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    return audit_json(c, x->tenant_id, x->actor, SV_AUDIT_ACCESS_ROLE_CREATE,
                      "role", x->out->id,
                      json_pack("{s:s, s:o}", "name", x->out->name,
                                "permissions",
                                sv_perm_set_json(x->out->perms)));
}

enum sv_err
sv_access_role_create(struct sv_db *db, const char *tenant_id,
                      const struct sv_role_input *in,
                      const struct sv_actor *actor, struct sv_custom_role *out,
                      const char **field)
{
    struct role_ctx x = {tenant_id, NULL, in, actor, out, field};

    *field = NULL;
    if (in->name == NULL || !sv_check_role_name(in->name, strlen(in->name))) {
        *field = "name";
        return SV_E_FIELD_INVALID;
    }
    if (!in->set_perms || in->perms == 0) {
        *field = "permissions";
        return SV_E_FIELD_INVALID;
    }
    return sv_db_run_tenant_tx(db, "access_role_create", tenant_id,
                               role_create_tx, &x);
}

static enum sv_err
role_update_tx(struct sv_dbc *c, void *cls)
{
    struct role_ctx *x = cls;
    char key[SV_ROLE_NAME_MAX * 4 + 1];
    struct sv_custom_role before;
    json_t *changed = json_object();
    enum sv_err rc = SV_OK;
    enum sv_qs qs;

    if ((qs = access_store_lock(c, x->tenant_id)) < 0 ||
        (qs = access_store_role_find(c, x->tenant_id, x->id, &before)) < 0) {
        json_decref(changed);
        return sv_qs_err(qs);
    }
    if (qs == SV_QS_NONE) {
        json_decref(changed);
        return SV_E_NOT_FOUND;
    }
    *x->out = before;
    if (x->in->name != NULL && strcmp(x->in->name, before.name) != 0) {
        if ((rc = check_role_name_tx(c, x, key)) != SV_OK)
            goto out;
        snprintf(x->out->name, sizeof x->out->name, "%s", x->in->name);
        json_object_set_new(changed, "old_name", json_string(before.name));
    }
    if (x->in->description != NULL &&
        strcmp(x->in->description, before.description) != 0) {
        snprintf(x->out->description, sizeof x->out->description, "%s",
                 x->in->description);
        json_object_set_new(changed, "description", json_true());
    }
    if (x->in->set_perms && x->in->perms != before.perms) {
        /* Assigned over a department, it must keep something that can
         * apply there. */
        if (!sv_perm_set_departmental(x->in->perms)) {
            qs = access_store_role_assigned(c, x->tenant_id, x->id, true);
            if (qs < 0) {
                rc = sv_qs_err(qs);
                goto out;
            }
            if (qs == SV_QS_ONE) {
                *x->field = "permissions";
                rc = SV_E_CONFLICT;
                goto out;
            }
        }
        x->out->perms = x->in->perms;
        json_object_set_new(changed, "old_permissions",
                            sv_perm_set_json(before.perms));
        json_object_set_new(changed, "permissions",
                            sv_perm_set_json(x->in->perms));
    }
    if (json_object_size(changed) == 0)
        goto out; /* nothing changes: no event */
    x->out->updated_at = sv_now_ms();
    sv_ascii_lower(x->out->name, key);
    qs = access_store_role_update(c, x->tenant_id, x->out, key);
    if (qs == SV_QS_ONE && x->out->perms != before.perms)
        qs = access_store_role_set_perms(c, x->tenant_id, x->id, x->out->perms);
    if (qs < 0 || qs == SV_QS_NONE) {
        rc = sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
        goto out;
    }
    json_object_set_new(changed, "name", json_string(x->out->name));
    rc = audit_json(c, x->tenant_id, x->actor, SV_AUDIT_ACCESS_ROLE_UPDATE,
                    "role", x->id, changed);
    changed = NULL;
out:
    json_decref(changed);
    return rc;
}

enum sv_err
sv_access_role_update(struct sv_db *db, const char *tenant_id, const char *id,
                      const struct sv_role_input *in,
                      const struct sv_actor *actor, struct sv_custom_role *out,
                      const char **field)
{
    struct role_ctx x = {tenant_id, id, in, actor, out, field};

    *field = NULL;
    if (in->name != NULL && !sv_check_role_name(in->name, strlen(in->name))) {
        *field = "name";
        return SV_E_FIELD_INVALID;
    }
    if (in->set_perms && in->perms == 0) {
        *field = "permissions";
        return SV_E_FIELD_INVALID;
    }
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_tx(db, "access_role_update", tenant_id,
                               role_update_tx, &x);
}

static enum sv_err
role_delete_tx(struct sv_dbc *c, void *cls)
{
    struct role_ctx *x = cls;
    struct sv_custom_role r;
    enum sv_qs qs;

    if ((qs = access_store_lock(c, x->tenant_id)) < 0 ||
        (qs = access_store_role_find(c, x->tenant_id, x->id, &r)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    qs = access_store_role_assigned(c, x->tenant_id, x->id, false);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE)
        return SV_E_CONFLICT;
    qs = access_store_role_delete(c, x->tenant_id, x->id);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    return audit_json(c, x->tenant_id, x->actor, SV_AUDIT_ACCESS_ROLE_DELETE,
                      "role", x->id,
                      json_pack("{s:s, s:o}", "name", r.name, "permissions",
                                sv_perm_set_json(r.perms)));
}

enum sv_err
sv_access_role_delete(struct sv_db *db, const char *tenant_id, const char *id,
                      const struct sv_actor *actor)
{
    struct role_ctx x = {tenant_id, id, NULL, actor, NULL, NULL};

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_tx(db, "access_role_delete", tenant_id,
                               role_delete_tx, &x);
}

/* ---- assignments ---- */

struct grant_ctx {
    const char *tenant_id;
    const struct sv_assignment_input *in;
    const struct sv_actor *actor;
    struct sv_assignment *out;
    const char **field;
};

/* The role @p key names: its set and name. SV_E_NOT_FOUND when none. */
static enum sv_err
find_role_tx(struct sv_dbc *c, const char *tenant_id, const char *key,
             sv_perm_set *set, char *name, size_t name_len)
{
    enum sv_builtin_role b;
    struct sv_custom_role r;
    enum sv_qs qs;

    if (sv_builtin_role_parse(key, &b)) {
        *set = sv_builtin_role_perms(b);
        snprintf(name, name_len, "%s", key);
        return SV_OK;
    }
    if (!sv_check_uuid(key))
        return SV_E_NOT_FOUND;
    qs = access_store_role_find(c, tenant_id, key, &r);
    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    *set = r.perms;
    snprintf(name, name_len, "%s", r.name);
    return SV_OK;
}

/* What an access.grant or access.revoke event says of @p a. */
static json_t *
assignment_details(const struct sv_assignment *a, const char *role_name,
                   const char *subject_name, sv_perm_set set)
{
    bool group = a->group_id[0] != '\0';
    json_t *d =
        json_pack("{s:s, s:s}", "role", a->role, "role_name", role_name);

    json_object_set_new(d, group ? "group_id" : "account_id",
                        json_string(group ? a->group_id : a->account_id));
    if (subject_name != NULL)
        json_object_set_new(d, group ? "group_name" : "username",
                            json_string(subject_name));
    json_object_set_new(d, "scope", json_string(sv_scope_kind_name(a->scope)));
    if (a->scope == SV_SCOPE_DEPARTMENT)
        json_object_set_new(d, "department_id", json_string(a->department_id));
    if (a->scope == SV_SCOPE_GROUP)
        json_object_set_new(d, "scope_group_id",
                            json_string(a->scope_group_id));
    if (set != 0)
        json_object_set_new(d, "permissions", sv_perm_set_json(set));
    return d;
}

static enum sv_err
grant_tx(struct sv_dbc *c, void *cls)
{
    struct grant_ctx *x = cls;
    const struct sv_assignment_input *in = x->in;
    char role_name[SV_ROLE_NAME_MAX * 4 + 1];
    char username[ACCESS_NAME_BYTES]; /* the account's or group's */
    sv_perm_set set = 0;
    int64_t count = 0;
    enum sv_err rc;
    enum sv_qs qs;

    if ((qs = access_store_lock(c, x->tenant_id)) < 0)
        return sv_qs_err(qs);
    rc = find_role_tx(c, x->tenant_id, in->role, &set, role_name,
                      sizeof role_name);
    if (rc == SV_E_NOT_FOUND)
        *x->field = "role";
    if (rc != SV_OK)
        return rc;
    const char *subject = in->group_id != NULL ? in->group_id : in->account_id;
    const char *subject_field =
        in->group_id != NULL ? "group_id" : "account_id";
    qs = in->group_id != NULL
             ? access_store_group(c, x->tenant_id, in->group_id, username,
                                  sizeof username)
             : access_store_account(c, x->tenant_id, in->account_id, username,
                                    sizeof username);
    if (qs != SV_QS_ONE) {
        if (qs == SV_QS_NONE)
            *x->field = subject_field;
        return sv_qs_found(qs);
    }
    if (in->scope != SV_SCOPE_TENANT) {
        char scope_name[ACCESS_NAME_BYTES];
        qs = in->scope == SV_SCOPE_DEPARTMENT
                 ? access_store_department(c, x->tenant_id, in->department_id)
                 : access_store_group(c, x->tenant_id, in->scope_group_id,
                                      scope_name, sizeof scope_name);
        if (qs != SV_QS_ONE) {
            if (qs == SV_QS_NONE)
                *x->field = in->scope == SV_SCOPE_DEPARTMENT ? "department_id"
                                                             : "scope_group_id";
            return sv_qs_found(qs);
        }
        if (!sv_perm_set_departmental(set)) {
            *x->field = "scope";
            return SV_E_FIELD_INVALID;
        }
    }
    if ((qs = access_store_assignment_count(c, x->tenant_id, subject, &count)) <
        0)
        return sv_qs_err(qs);
    if (count >= SV_ACCESS_GRANTS_MAX) {
        *x->field = subject_field;
        return SV_E_CONFLICT;
    }
    memset(x->out, 0, sizeof *x->out);
    sv_uuid7(x->out->id);
    snprintf(x->out->role, sizeof x->out->role, "%s", in->role);
    snprintf(in->group_id != NULL ? x->out->group_id : x->out->account_id,
             sizeof x->out->account_id, "%s", subject);
    x->out->scope = in->scope;
    snprintf(x->out->department_id, sizeof x->out->department_id, "%s",
             in->scope == SV_SCOPE_DEPARTMENT ? in->department_id : "");
    snprintf(x->out->scope_group_id, sizeof x->out->scope_group_id, "%s",
             in->scope == SV_SCOPE_GROUP ? in->scope_group_id : "");
    x->out->created_at = sv_now_ms();
    qs = access_store_assign(c, x->tenant_id, x->out,
                             x->actor ? x->actor->account_id : NULL);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_EXISTS;
    return audit_json(c, x->tenant_id, x->actor, SV_AUDIT_ACCESS_GRANT,
                      "assignment", x->out->id,
                      assignment_details(x->out, role_name, username, set));
}

enum sv_err
sv_access_grant(struct sv_db *db, const char *tenant_id,
                const struct sv_assignment_input *in,
                const struct sv_actor *actor, struct sv_assignment *out,
                const char **field)
{
    struct grant_ctx x = {tenant_id, in, actor, out, field};
    enum sv_builtin_role b;

    *field = NULL;
    if (sv_builtin_role_parse(in->role, &b) && b == SV_BUILTIN_MEMBER) {
        *field = "role";
        return SV_E_FIELD_INVALID;
    }
    if ((in->account_id == NULL) == (in->group_id == NULL)) {
        *field = "account_id"; /* one of account_id and group_id */
        return in->account_id == NULL ? SV_E_FIELD_MISSING : SV_E_FIELD_INVALID;
    }
    if (in->scope == SV_SCOPE_DEPARTMENT && in->department_id == NULL) {
        *field = "department_id";
        return SV_E_FIELD_MISSING;
    }
    if (in->scope == SV_SCOPE_GROUP && in->scope_group_id == NULL) {
        *field = "scope_group_id";
        return SV_E_FIELD_MISSING;
    }
    if (in->scope != SV_SCOPE_DEPARTMENT && in->department_id != NULL) {
        *field = "department_id";
        return SV_E_FIELD_INVALID;
    }
    if (in->scope != SV_SCOPE_GROUP && in->scope_group_id != NULL) {
        *field = "scope_group_id";
        return SV_E_FIELD_INVALID;
    }
    return sv_db_run_tenant_tx(db, "access_grant", tenant_id, grant_tx, &x);
}

struct revoke_ctx {
    const char *tenant_id, *id;
    const struct sv_actor *actor;
};

static enum sv_err
revoke_tx(struct sv_dbc *c, void *cls)
{
    struct revoke_ctx *x = cls;
    char role_name[SV_ROLE_NAME_MAX * 4 + 1] = "";
    struct sv_assignment a;
    sv_perm_set set = 0;
    int64_t admins = 0;
    enum sv_err rc;
    enum sv_qs qs;

    if ((qs = access_store_lock(c, x->tenant_id)) < 0 ||
        (qs = access_store_assignment_find(c, x->tenant_id, x->id, &a)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    if (strcmp(a.role, "tenant_admin") == 0 && a.scope == SV_SCOPE_TENANT &&
        a.group_id[0] == '\0') {
        if ((qs = access_store_admin_count(c, x->tenant_id, a.account_id,
                                           &admins)) < 0)
            return sv_qs_err(qs);
        if (admins == 0)
            return SV_E_CONFLICT; /* nobody could give it back */
    }
    rc = find_role_tx(c, x->tenant_id, a.role, &set, role_name,
                      sizeof role_name);
    if (rc != SV_OK && rc != SV_E_NOT_FOUND)
        return rc;
    qs = access_store_unassign(c, x->tenant_id, x->id);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    return audit_json(c, x->tenant_id, x->actor, SV_AUDIT_ACCESS_REVOKE,
                      "assignment", x->id,
                      assignment_details(&a, role_name, NULL, 0));
}

enum sv_err
sv_access_revoke(struct sv_db *db, const char *tenant_id, const char *id,
                 const struct sv_actor *actor)
{
    struct revoke_ctx x = {tenant_id, id, actor};

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_tx(db, "access_revoke", tenant_id, revoke_tx, &x);
}

struct assignments_args {
    const char *tenant_id;
    const struct sv_assignment_query *q;
    void (*start)(void *);
    sv_assignment_row_fn row;
    void *cls;
    bool *more;
};

static enum sv_err
assignments_ro(struct sv_dbc *c, void *cls)
{
    struct assignments_args *a = cls;
    struct sv_veil v;
    enum sv_err rc;

    if (a->start != NULL)
        a->start(a->cls);
    rc = sv_access_veil_of_tx(c, a->tenant_id, a->q->viewer, &v);
    return rc != SV_OK
               ? rc
               : sv_qs_ok(access_store_assignments(c, a->tenant_id, a->q,
                                                   sv_veil_param(&v), a->row,
                                                   a->cls, a->more));
}

enum sv_err
sv_access_assignments_list(struct sv_db *db, const char *tenant_id,
                           const struct sv_assignment_query *q,
                           void (*start)(void *), sv_assignment_row_fn row,
                           void *cls, bool *more)
{
    struct assignments_args a = {tenant_id, q, start, row, cls, more};
    return sv_db_run_tenant_ro(db, tenant_id, assignments_ro, &a);
}

enum sv_err
sv_access_give_builtin_tx(struct sv_dbc *c, const char *tenant_id,
                          const char *account_id, enum sv_builtin_role r)
{
    struct sv_assignment a = {0};
    enum sv_qs qs;

    if (r == SV_BUILTIN_MEMBER)
        return SV_OK;
    sv_uuid7(a.id);
    snprintf(a.role, sizeof a.role, "%s", builtin_keys[r]);
    snprintf(a.account_id, sizeof a.account_id, "%s", account_id);
    a.scope = SV_SCOPE_TENANT;
    a.created_at = sv_now_ms();
    qs = access_store_assign(c, tenant_id, &a, NULL);
    return qs == SV_QS_ONE ? SV_OK : sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
}

/* ---- DIR-6: an account leaving ---- */

enum sv_err
sv_access_last_admin_tx(struct sv_dbc *c, const char *tenant_id,
                        const char *account_id, bool *out)
{
    int64_t others = 0;
    enum sv_qs qs;

    *out = false;
    if ((qs = access_store_lock(c, tenant_id)) < 0 ||
        (qs = access_store_is_admin(c, tenant_id, account_id)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_OK;
    if ((qs = access_store_admin_count(c, tenant_id, account_id, &others)) < 0)
        return sv_qs_err(qs);
    *out = others == 0;
    return SV_OK;
}

enum sv_err
sv_access_count_tx(struct sv_dbc *c, const char *tenant_id,
                   const char *account_id, int64_t *n)
{
    return sv_qs_ok(access_store_assignment_count(c, tenant_id, account_id, n));
}

/* The assignments of one account, gathered before any is removed. */
struct gathered {
    size_t n;
    struct sv_assignment at[SV_ACCESS_GRANTS_MAX];
    bool full;
};

static void
gather_row(void *cls, const struct sv_assignment *a, const char *username,
           const char *role_name, const char *department_name)
{
    struct gathered *g = cls;

    (void)username;
    (void)role_name;
    (void)department_name;
    if (g->n == SV_ACCESS_GRANTS_MAX) {
        g->full = true;
        return;
    }
    g->at[g->n++] = *a;
}

enum sv_err
sv_access_remove_all_tx(struct sv_dbc *c, const char *tenant_id,
                        const char *account_id, const struct sv_actor *actor,
                        const char *why, int64_t *n)
{
    struct sv_assignment_query q = {account_id, NULL, SV_ACCESS_GRANTS_MAX};
    struct gathered *g = malloc(sizeof *g);
    bool last = false, more = false;
    enum sv_err rc;

    *n = 0;
    if (g == NULL)
        return SV_E_INTERNAL;
    g->n = 0;
    g->full = false;
    rc = sv_access_last_admin_tx(c, tenant_id, account_id, &last);
    if (rc == SV_OK && last)
        rc = SV_E_CONFLICT; /* nobody could give it back */
    if (rc == SV_OK)
        rc = sv_qs_ok(access_store_assignments(c, tenant_id, &q, NULL,
                                               gather_row, g, &more));
    /* Never more than the cap (grants refuse more): a bug if so. */
    if (rc == SV_OK && (more || g->full))
        rc = SV_E_INTERNAL;
    for (size_t i = 0; rc == SV_OK && i < g->n; i++) {
        const struct sv_assignment *a = &g->at[i];
        char role_name[SV_ROLE_NAME_MAX * 4 + 1] = "";
        sv_perm_set set = 0;
        enum sv_qs qs;

        rc = find_role_tx(c, tenant_id, a->role, &set, role_name,
                          sizeof role_name);
        if (rc == SV_E_NOT_FOUND)
            rc = SV_OK;
        if (rc != SV_OK)
            break;
        qs = access_store_unassign(c, tenant_id, a->id);
        if (qs != SV_QS_ONE) {
            rc = sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
            break;
        }
        json_t *d =
            json_pack("{s:s, s:s, s:s, s:s}", "role", a->role, "role_name",
                      role_name, "account_id", a->account_id, "scope",
                      a->scope == SV_SCOPE_TENANT ? "tenant" : "department");
        if (a->scope == SV_SCOPE_DEPARTMENT)
            json_object_set_new(d, "department_id",
                                json_string(a->department_id));
        rc = audit_json_why(c, tenant_id, actor, SV_AUDIT_ACCESS_REVOKE,
                            "assignment", a->id, why, d);
    }
    if (rc == SV_OK)
        *n = (int64_t)g->n;
    free(g);
    return rc;
}
