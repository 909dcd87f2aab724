/* The SCIM routes: see scim_http.h. */
#include "scim/scim_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "directory/department.h"
#include "directory/group.h"
#include "directory/personal.h"
#include "directory/phone.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "identity/identity_http.h"
#include "people/people.h"
#include "scim/filter.h"
#include "scim/scim.h"

#define URN_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define URN_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define URN_ENTERPRISE                                                         \
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define URN_LIST "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define URN_PATCH "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define URN_SPC "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define URN_RT "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

/* A department path as written back: 32 names of 512 bytes, escaped. */
#define SCIM_PATH_MAX (32 * (2 * 512 + 1))
/* Operations in one PATCH, members in one body, at most. */
#define OPS_MAX 64
#define MEMBERS_MAX 1000

/* ---- small helpers ---- */

static enum sv_err scim_group_of(struct sv_request *rq, const char *id,
                                 json_t **out);

/* Whether @p list (a comma-separated attribute list, NULL: none) names
 * @p attr, case-insensitively. */
static bool
names_attr(const char *list, const char *attr)
{
    size_t n = strlen(attr);
    for (const char *p = list; p != NULL && *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = strcspn(p, ",");
        while (k > 0 && p[k - 1] == ' ')
            k--;
        if (k == n && strncasecmp(p, attr, n) == 0)
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

/* Whether a Group's answer carries its members: unless
 * excludedAttributes names them, or attributes leaves them out (RFC 7644
 * 3.9; other attributes are always returned). */
static bool
want_members(struct sv_request *rq)
{
    const char *only = sv_rq_query(rq, "attributes");
    if (names_attr(sv_rq_query(rq, "excludedAttributes"), "members"))
        return false;
    return only == NULL || names_attr(only, "members");
}

static void
decref(void *p)
{
    json_decref(p);
}

/* A SCIM attribute of @p obj, its name compared case-insensitively. */
static json_t *
attr(const json_t *obj, const char *name)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return NULL;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (strcasecmp(key, name) == 0)
            return v;
    }
    return NULL;
}

static void
bad(struct sv_request *rq, const char *scim_type, const char *detail)
{
    sv_reply_scim_error(rq, SV_E_FIELD_INVALID, scim_type, detail);
}

static json_t *
meta_json(const char *type, const char *id, int64_t created, int64_t updated)
{
    char version[32];
    snprintf(version, sizeof version, "W/\"%lld\"", (long long)updated);
    json_t *m = json_pack("{s:s, s:o, s:o, s:s}", "resourceType", type,
                          "created", sv_json_time(created), "lastModified",
                          sv_json_time(updated), "version", version);
    char *loc = NULL;
    if (asprintf(&loc, "/scim/v2/%ss/%s", type, id) > 0) {
        json_object_set_new(m, "location", json_string(loc));
        free(loc);
    }
    return m;
}

/* ---- discovery ---- */

void
scim_http_service_provider_config(struct sv_request *rq)
{
    json_t *body = json_pack(
        "{s:[s], s:s, s:{s:b}, s:{s:b, s:i}, s:{s:b}, s:{s:b, s:i}, "
        "s:{s:b}, s:{s:b}, s:[{s:s, s:s, s:s, s:b}]}",
        "schemas", URN_SPC, "documentationUri", "/docs/scim.md", "patch",
        "supported", 1, "bulk", "supported", 0, "maxOperations", 0, "sort",
        "supported", 0, "filter", "supported", 1, "maxResults", SCIM_COUNT_MAX,
        "changePassword", "supported", 0, "etag", "supported", 0,
        "authenticationSchemes", "type", "oauthbearertoken", "name",
        "API token", "description",
        "A tenant API token of scope scim, as a Bearer token", "primary", 1);
    sv_reply_scim(rq, 200, body);
}

void
scim_http_resource_types(struct sv_request *rq)
{
    json_t *user = json_pack(
        "{s:[s], s:s, s:s, s:s, s:s, s:[{s:s, s:b}]}", "schemas", URN_RT, "id",
        "User", "name", "User", "endpoint", "/Users", "schema", URN_USER,
        "schemaExtensions", "schema", URN_ENTERPRISE, "required", 0);
    json_t *group = json_pack("{s:[s], s:s, s:s, s:s, s:s}", "schemas", URN_RT,
                              "id", "Group", "name", "Group", "endpoint",
                              "/Groups", "schema", URN_GROUP);
    sv_reply_scim(rq, 200,
                  json_pack("{s:[s], s:i, s:i, s:i, s:[o, o]}", "schemas",
                            URN_LIST, "totalResults", 2, "startIndex", 1,
                            "itemsPerPage", 2, "Resources", user, group));
}

/* ---- Users as JSON ---- */

static json_t *
user_json(const struct sv_person *p, const char *external_id,
          const char *dept_path)
{
    const struct sv_employee *e = &p->e;
    json_t *u = json_pack("{s:[s, s], s:s, s:s, s:s, s:{s:s}, s:b}", "schemas",
                          URN_USER, URN_ENTERPRISE, "id", e->id, "userName",
                          p->username, "displayName", e->display_name, "name",
                          "formatted", e->display_name, "active",
                          e->state == SV_EMPLOYEE_ACTIVE);
    json_t *ent = json_object();

    if (external_id != NULL && external_id[0] != '\0')
        json_object_set_new(u, "externalId", json_string(external_id));
    if (e->title[0] != '\0')
        json_object_set_new(u, "title", json_string(e->title));
    if (p->has_email)
        json_object_set_new(u, "emails",
                            json_pack("[{s:s, s:s, s:b}]", "value", p->email,
                                      "type", "work", "primary", 1));
    /* DIR-5: phone numbers are written, never read back here. */
    if (e->employee_no[0] != '\0')
        json_object_set_new(ent, "employeeNumber", json_string(e->employee_no));
    /* The path it is written as (docs/scim.md): it reads back the same. */
    json_object_set_new(ent, "department", json_string(dept_path));
    if (e->manager_id[0] != '\0')
        json_object_set_new(ent, "manager",
                            json_pack("{s:s, s:s}", "value", e->manager_id,
                                      "displayName", p->manager_name));
    json_object_set_new(u, URN_ENTERPRISE, ent);
    json_object_set_new(u, "meta",
                        meta_json("User", e->id, e->created_at, e->updated_at));
    return u;
}

/* The User @p id as the token's maker sees it, with its externalId. */
static enum sv_err
user_of(struct sv_request *rq, const char *id, json_t **out)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    char ext[SCIM_EXTERNAL_ID_MAX + 1];
    struct sv_department_path *path =
        sv_arena_zalloc(sv_rq_arena(rq), sizeof *path);
    struct sv_department d;
    char *dept = sv_arena_zalloc(sv_rq_arena(rq), SCIM_PATH_MAX + 1);
    enum sv_err rc =
        sv_people_get(sv_rq_app(rq)->db, s->tenant_id, id, s->account_id, p);

    if (rc == SV_OK)
        rc = scim_external_id(sv_rq_app(rq)->db, s->tenant_id, "User", id, ext);
    if (rc == SV_OK)
        rc = sv_department_get(sv_rq_app(rq)->db, s->tenant_id,
                               p->e.department_id, NULL, &d, path);
    if (rc == SV_OK) {
        sv_department_path_text(path, d.name, dept, SCIM_PATH_MAX + 1);
        *out = user_json(p, ext, dept);
    }
    sodium_memzero(p, sizeof *p);
    return rc;
}

/* ---- lists ---- */

/* startIndex and count (RFC 7644 3.4.2.4): out-of-range values are read
 * as the nearest in range, as the RFC says. */
static bool
page_or_reply(struct sv_request *rq, struct scim_list *q)
{
    const char *si = sv_rq_query(rq, "startIndex");
    const char *co = sv_rq_query(rq, "count");
    int64_t v;

    q->start_index = 1;
    q->count = 100;
    if (si != NULL) {
        if (!sv_parse_i64(si, INT64_MIN, INT64_MAX, &v)) {
            bad(rq, "invalidValue", "startIndex: an integer");
            return false;
        }
        q->start_index = v < 1 ? 1 : v;
    }
    if (co != NULL) {
        if (!sv_parse_i64(co, INT64_MIN, INT64_MAX, &v)) {
            bad(rq, "invalidValue", "count: an integer");
            return false;
        }
        q->count = v < 0 ? 0 : v > SCIM_COUNT_MAX ? SCIM_COUNT_MAX : v;
    }
    return true;
}

struct ids {
    size_t n;
    char (*at)[37];
    struct sv_arena *arena;
};

static void
id_row(void *cls, const char *id)
{
    struct ids *l = cls;
    if (l->n < SCIM_COUNT_MAX)
        snprintf(l->at[l->n++], 37, "%s", id);
}

static void
list(struct sv_request *rq, bool groups)
{
    const struct sv_session *s = sv_rq_session(rq);
    const char *filter = sv_rq_query(rq, "filter");
    struct scim_list q = {0};
    struct scim_filter *f = sv_arena_zalloc(sv_rq_arena(rq), sizeof *f);
    struct ids l = {0, NULL, sv_rq_arena(rq)};
    json_t *items;
    int64_t total = 0;
    enum sv_err rc;

    if (!page_or_reply(rq, &q))
        return;
    if (filter != NULL) {
        if (!scim_filter_parse(filter, groups ? URN_GROUP : URN_USER, f) ||
            f->is_bool) {
            bad(rq, "invalidFilter",
                "filter: one of userName, displayName or externalId eq "
                "\"value\"");
            return;
        }
        if (scim_filter_is(f, "externalId"))
            q.external_id = f->value;
        else if (!groups && scim_filter_is(f, "userName"))
            q.username = f->value;
        else if (groups && scim_filter_is(f, "displayName"))
            q.name = f->value;
        else {
            bad(rq, "invalidFilter",
                groups ? "filter: displayName or externalId eq \"value\""
                       : "filter: userName or externalId eq \"value\"");
            return;
        }
        /* userName is case-insensitive (RFC 7643 4.1.1): ours are lower. */
        if (q.username != NULL) {
            char *low = sv_arena_strdup(sv_rq_arena(rq), q.username);
            sv_ascii_lower(low, low);
            q.username = low;
        }
    }
    q.viewer = s->account_id;
    l.at = sv_arena_zalloc(sv_rq_arena(rq), SCIM_COUNT_MAX * sizeof *l.at);
    rc = scim_list_ids(sv_rq_app(rq)->db, s->tenant_id, groups, &q, id_row, &l,
                       &total);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    items = json_array();
    for (size_t i = 0; i < l.n; i++) {
        json_t *one = NULL;
        rc = groups ? scim_group_of(rq, l.at[i], &one)
                    : user_of(rq, l.at[i], &one);
        if (rc == SV_E_NOT_FOUND)
            continue; /* gone, or hidden from the token's maker (DIR-3) */
        if (rc != SV_OK) {
            json_decref(items);
            sv_reply_error(rq, rc, NULL);
            return;
        }
        json_array_append_new(items, one);
    }
    sv_reply_scim(rq, 200,
                  json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", URN_LIST,
                            "totalResults", (json_int_t)total, "startIndex",
                            (json_int_t)q.start_index, "itemsPerPage",
                            (json_int_t)json_array_size(items), "Resources",
                            items));
}

void
scim_http_users_list(struct sv_request *rq)
{
    list(rq, false);
}

void
scim_http_groups_list(struct sv_request *rq)
{
    list(rq, true);
}

/* ---- Users: what a body says ---- */

struct user_in {
    const char *username, *display_name, *email;
    bool has_title, has_phone, has_active, has_external, has_dept,
        has_employee_no, has_manager;
    const char *title, *phone, *external_id, *employee_no, *manager_id;
    bool active;
    char dept_id[37];
};

static bool
string_or_null(struct sv_request *rq, const json_t *v, const char *name,
               const char **out)
{
    if (json_is_null(v)) {
        *out = NULL;
        return true;
    }
    if (!json_is_string(v)) {
        bad(rq, "invalidValue",
            sv_arena_printf(sv_rq_arena(rq), "%s: a string", name));
        return false;
    }
    *out = json_string_value(v);
    return true;
}

/* The first value of a multi-valued attribute: the primary one if any. */
static const json_t *
primary_value(const json_t *list)
{
    size_t i;
    const json_t *v, *first = NULL;

    if (!json_is_array(list))
        return NULL;
    json_array_foreach((json_t *)list, i, v)
    {
        if (first == NULL)
            first = v;
        if (json_is_true(attr(v, "primary")))
            return attr(v, "value");
    }
    return first != NULL ? attr(first, "value") : NULL;
}

/*
 * Read the User attributes of @p body into @p u (those given). Attributes
 * this server does not keep (addresses, locale, …) are left alone, as
 * provisioning clients send them unasked; those it keeps are checked.
 */
static bool
user_in_or_reply(struct sv_request *rq, const json_t *body, struct user_in *u)
{
    struct sv_arena *a = sv_rq_arena(rq);
    const json_t *v, *name, *ent;

    if (attr(body, "password") != NULL) {
        bad(rq, "invalidValue",
            "password: not provisioned; the user sets one through the reset "
            "flow");
        return false;
    }
    if ((v = attr(body, "userName")) != NULL) {
        char *low;
        if (!json_is_string(v)) {
            bad(rq, "invalidValue", "userName: a string");
            return false;
        }
        low = sv_arena_strdup(a, json_string_value(v));
        sv_ascii_lower(low, low);
        if (!sv_check_username(low, strlen(low))) {
            bad(rq, "invalidValue",
                "userName: 3-64 of a-z 0-9 . _ -, starting with a letter or "
                "digit");
            return false;
        }
        u->username = low;
    }
    name = attr(body, "name");
    if ((v = attr(body, "displayName")) != NULL && !json_is_null(v)) {
        if (!json_is_string(v)) {
            bad(rq, "invalidValue", "displayName: a string");
            return false;
        }
        u->display_name = json_string_value(v);
    } else if ((v = attr(name, "formatted")) != NULL && json_is_string(v)) {
        u->display_name = json_string_value(v);
    } else if (json_is_string(attr(name, "givenName")) ||
               json_is_string(attr(name, "familyName"))) {
        const char *g = json_string_value(attr(name, "givenName"));
        const char *f = json_string_value(attr(name, "familyName"));
        u->display_name = sv_arena_printf(a, "%s%s%s", g ? g : "",
                                          g && f ? " " : "", f ? f : "");
    }
    if (u->display_name != NULL &&
        !sv_check_employee_name(u->display_name, strlen(u->display_name))) {
        bad(rq, "invalidValue",
            "displayName: 1-128 characters, no control characters");
        return false;
    }
    if ((v = attr(body, "title")) != NULL) {
        u->has_title = true;
        if (!string_or_null(rq, v, "title", &u->title))
            return false;
        if (u->title != NULL &&
            !sv_check_employee_title(u->title, strlen(u->title))) {
            bad(rq, "invalidValue", "title: 0-128 characters");
            return false;
        }
    }
    if ((v = attr(body, "emails")) != NULL && !json_is_null(v)) {
        const json_t *e = primary_value(v);
        char *canon = sv_arena_zalloc(a, SV_PERSONAL_EMAIL_MAX + 1);
        if (!json_is_string(e) ||
            !sv_email_normalise(json_string_value(e), canon)) {
            bad(rq, "invalidValue", "emails: a valid e-mail address");
            return false;
        }
        u->email = canon;
    }
    if ((v = attr(body, "phoneNumbers")) != NULL) {
        const json_t *p = json_is_null(v) ? NULL : primary_value(v);
        u->has_phone = true;
        if (p != NULL) {
            struct sv_tenant t;
            char *e164 = sv_arena_zalloc(a, SV_E164_MAX + 1);
            enum sv_err rc = sv_tenant_get(sv_rq_app(rq)->db,
                                           sv_rq_session(rq)->tenant_id, &t);
            if (rc != SV_OK) {
                sv_reply_error(rq, rc, NULL);
                return false;
            }
            if (!json_is_string(p) || strlen(json_string_value(p)) > 64 ||
                sv_phone_normalise(json_string_value(p), t.phone_region,
                                   e164) != SV_PHONE_OK) {
                bad(rq, "invalidValue", "phoneNumbers: a valid phone number");
                return false;
            }
            u->phone = e164;
        }
    }
    if ((v = attr(body, "active")) != NULL) {
        /* A boolean; or, as Entra ID sends it, "True" / "False". */
        const char *sv = json_string_value(v);
        if (json_is_boolean(v))
            u->active = json_is_true(v);
        else if (sv != NULL && strcasecmp(sv, "true") == 0)
            u->active = true;
        else if (sv != NULL && strcasecmp(sv, "false") == 0)
            u->active = false;
        else {
            bad(rq, "invalidValue", "active: true or false");
            return false;
        }
        u->has_active = true;
    }
    if ((v = attr(body, "externalId")) != NULL) {
        u->has_external = true;
        if (!string_or_null(rq, v, "externalId", &u->external_id))
            return false;
        if (u->external_id != NULL &&
            !scim_check_external_id(u->external_id, strlen(u->external_id))) {
            bad(rq, "invalidValue", "externalId: 1-256 characters");
            return false;
        }
    }
    ent = attr(body, URN_ENTERPRISE);
    if ((v = attr(ent, "employeeNumber")) != NULL) {
        u->has_employee_no = true;
        if (!string_or_null(rq, v, "employeeNumber", &u->employee_no))
            return false;
        if (u->employee_no != NULL &&
            !sv_check_employee_no(u->employee_no, strlen(u->employee_no))) {
            bad(rq, "invalidValue",
                "employeeNumber: 1-32 of A-Z a-z 0-9 . _ -");
            return false;
        }
    }
    if ((v = attr(ent, "department")) != NULL && !json_is_null(v)) {
        enum sv_err rc;
        if (!json_is_string(v)) {
            bad(rq, "invalidValue", "department: a string");
            return false;
        }
        rc = scim_department(sv_rq_app(rq)->db, sv_rq_session(rq)->tenant_id,
                             json_string_value(v), u->dept_id);
        if (rc == SV_E_NOT_FOUND || rc == SV_E_FIELD_INVALID) {
            bad(rq, "invalidValue",
                "department: the path of an existing department from a root, "
                "names separated by /");
            return false;
        }
        if (rc != SV_OK) {
            sv_reply_error(rq, rc, NULL);
            return false;
        }
        u->has_dept = true;
    }
    if ((v = attr(ent, "manager")) != NULL) {
        const json_t *mv = json_is_object(v) ? attr(v, "value") : v;
        u->has_manager = true;
        if (!string_or_null(rq, mv, "manager.value", &u->manager_id))
            return false;
        if (u->manager_id != NULL && u->manager_id[0] == '\0')
            u->manager_id = NULL;
        if (u->manager_id != NULL && !sv_check_uuid(u->manager_id)) {
            sv_reply_scim_error(rq, SV_E_NOT_FOUND, "invalidValue",
                                "manager: no such user");
            return false;
        }
    }
    return true;
}

static void
to_input(const struct user_in *u, struct sv_employee_input *in)
{
    memset(in, 0, sizeof *in);
    in->display_name = u->display_name;
    in->set_title = u->has_title;
    in->title = u->title != NULL ? u->title : "";
    in->set_employee_no = u->has_employee_no;
    in->employee_no = u->employee_no;
    in->department_id = u->has_dept ? u->dept_id : NULL;
    in->set_manager = u->has_manager;
    in->manager_id = u->manager_id;
    in->set_phone = u->has_phone;
    in->phone = u->phone;
}

/* The capability's field names in SCIM's words. */
static const char *
scim_field(const char *field)
{
    static const struct {
        const char *ours, *scim;
    } names[] = {
        {"username", "userName"},
        {"display_name", "displayName"},
        {"employee_no", "employeeNumber"},
        {"department_id", "department"},
        {"manager_id", "manager"},
        {"phone", "phoneNumbers"},
        {"successor_id", "manager"},
        {"name", "displayName"},
        {"id", "members"},
    };
    for (size_t i = 0; field != NULL && i < sizeof names / sizeof *names; i++)
        if (strcmp(field, names[i].ours) == 0)
            return names[i].scim;
    return field;
}

static void
reply_change_err(struct sv_request *rq, enum sv_err rc, const char *field)
{
    const char *name = scim_field(field);
    const char *type = NULL;

    if (rc == SV_E_EXISTS || rc == SV_E_USERNAME_TAKEN)
        type = "uniqueness";
    else if (rc == SV_E_NOT_FOUND && field != NULL)
        type = "invalidValue";
    else if (rc == SV_E_FIELD_INVALID || rc == SV_E_FIELD_MISSING)
        type = "invalidValue";
    sv_reply_scim_error(rq, rc, type,
                        name != NULL
                            ? sv_arena_printf(sv_rq_arena(rq), "%s: %s",
                                              sv_err_message(rc), name)
                            : NULL);
}

/* The externalId in the change's own transaction. */
struct ext_also {
    const char *resource, *external_id;
};

static enum sv_err
set_external(struct sv_dbc *c, const char *tenant_id, const char *id, void *cls,
             const char **field)
{
    const struct ext_also *e = cls;
    enum sv_err rc =
        scim_set_external_id_tx(c, tenant_id, e->resource, id, e->external_id);
    if (rc == SV_E_EXISTS)
        *field = "externalId";
    return rc;
}

/* ---- Users: create ---- */

struct user_job {
    struct user_in u;
    struct sv_temp_pw *t;
    struct ext_also ext;
    char id[37]; /* a rehire's */
};

static void
temp_work(void *arg)
{
    identity_http_temp_pw_work(((struct user_job *)arg)->t);
}

/* Answer with User (or, @p group, Group) @p id as it is now. */
static void
reply_resource(struct sv_request *rq, const char *id, bool group,
               unsigned status)
{
    json_t *r = NULL;
    enum sv_err rc = group ? scim_group_of(rq, id, &r) : user_of(rq, id, &r);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_scim(rq, status, r);
}

static void
reply_user(struct sv_request *rq, const char *id, unsigned status)
{
    reply_resource(rq, id, false, status);
}

static void
create_done(struct sv_request *rq, void *arg)
{
    struct user_job *j = arg;
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    struct sv_hire h = {0};
    const char *field = NULL;
    enum sv_err rc = j->t->rc;

    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    /* The temporary password is never shown: nobody knows it, and the
     * account sets its own through the reset flow. */
    sodium_memzero(j->t->password, sizeof j->t->password);
    h.username = j->u.username;
    h.email = j->u.email;
    h.hash = j->t->hash;
    to_input(&j->u, &h.in);
    if (j->u.external_id != NULL) {
        j->ext = (struct ext_also){"User", j->u.external_id};
        h.also = (struct sv_people_also){set_external, &j->ext};
    }
    rc = sv_people_hire(sv_rq_app(rq)->db, s->tenant_id, &h, &actor, p, &field);
    if (rc != SV_OK) {
        reply_change_err(rq, rc, field);
        return;
    }
    snprintf(j->id, sizeof j->id, "%s", p->e.id);
    sodium_memzero(p, sizeof *p);
    if (j->u.has_active && !j->u.active) {
        enum sv_employee_state off = SV_EMPLOYEE_DISABLED;
        struct sv_employee_input none = {0};
        rc = sv_people_change(sv_rq_app(rq)->db, s->tenant_id, j->id, &none,
                              &off, &actor, p, &field);
        if (rc != SV_OK) {
            reply_change_err(rq, rc, field);
            return;
        }
    }
    reply_user(rq, j->id, 201);
}

void
scim_http_users_create(struct sv_request *rq)
{
    struct user_job *j = sv_arena_zalloc(sv_rq_arena(rq), sizeof *j);

    if (!user_in_or_reply(rq, sv_rq_json(rq), &j->u))
        return;
    if (j->u.username == NULL) {
        sv_reply_scim_error(rq, SV_E_FIELD_MISSING, "invalidValue",
                            "userName is required");
        return;
    }
    if (j->u.display_name == NULL)
        j->u.display_name = j->u.username;
    if (!j->u.has_dept) {
        sv_reply_scim_error(rq, SV_E_FIELD_MISSING, "invalidValue",
                            "department (enterprise extension) is required: "
                            "the path of an existing department");
        return;
    }
    j->t = identity_http_temp_pw(rq);
    if (j->t == NULL) {
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    sv_offload_or_reply(rq, temp_work, create_done, j);
}

/* ---- Users: get ---- */

void
scim_http_users_get(struct sv_request *rq)
{
    reply_user(rq, sv_rq_param(rq, 0), 200);
}

/* ---- Users: change (PUT, PATCH), deactivate (DELETE) ---- */

/*
 * Offboard employee @p id (DIR-6): its groups and tokens pass to its
 * manager when it has an active one, else to the token's maker when that
 * is an active employee. SV_E_CONFLICT with a detail when neither.
 * With @p check_only, only whether there is a successor.
 */
static enum sv_err
offboard(struct sv_request *rq, const char *id, bool check_only,
         const char **detail)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    struct sv_person *m = sv_arena_zalloc(sv_rq_arena(rq), sizeof *m);
    const char *successor = NULL, *field = NULL;
    json_t *report = NULL;
    enum sv_err rc;

    *detail = NULL;
    rc = sv_people_get(sv_rq_app(rq)->db, s->tenant_id, id, s->account_id, p);
    if (rc != SV_OK)
        return rc;
    if (p->e.state == SV_EMPLOYEE_OFFBOARDED)
        return SV_OK; /* already: nothing to do */
    if (p->e.manager_id[0] != '\0' &&
        sv_people_get(sv_rq_app(rq)->db, s->tenant_id, p->e.manager_id,
                      s->account_id, m) == SV_OK &&
        m->e.state == SV_EMPLOYEE_ACTIVE)
        successor = p->e.manager_id;
    else if (strcmp(s->account_id, id) != 0 &&
             sv_people_get(sv_rq_app(rq)->db, s->tenant_id, s->account_id,
                           s->account_id, m) == SV_OK &&
             m->e.state == SV_EMPLOYEE_ACTIVE)
        successor = s->account_id;
    if (successor == NULL) {
        *detail = "no successor: the user has no active manager and the "
                  "token's maker is no active employee";
        return SV_E_CONFLICT;
    }
    if (check_only)
        return SV_OK;
    rc = sv_people_offboard(sv_rq_app(rq)->db, s->tenant_id, id, successor,
                            &actor, p, &report, &field);
    json_decref(report);
    sodium_memzero(p, sizeof *p);
    return rc;
}

static void
rehire_done(struct sv_request *rq, void *arg)
{
    struct user_job *j = arg;
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    enum sv_err rc = j->t->rc;

    sodium_memzero(j->t->password, sizeof j->t->password);
    if (rc == SV_OK)
        rc = sv_people_rehire(sv_rq_app(rq)->db, s->tenant_id, j->id,
                              j->t->hash, &actor, p);
    sodium_memzero(p, sizeof *p);
    if (rc != SV_OK) {
        reply_change_err(rq, rc, NULL);
        return;
    }
    reply_user(rq, j->id, 200);
}

/*
 * Apply @p j->u to User @p id: the profile (and externalId) in one
 * transaction, then the state: active false offboards, active true
 * enables a disabled account or rehires an offboarded one (a new
 * password nobody is shown).
 */
static void
apply_user(struct sv_request *rq, const char *id, struct user_job *j)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    struct sv_employee_input in;
    struct sv_people_also also = {NULL, NULL};
    const char *field = NULL, *detail = NULL;
    enum sv_employee_state on = SV_EMPLOYEE_ACTIVE;
    enum sv_err rc;

    rc = sv_people_get(sv_rq_app(rq)->db, s->tenant_id, id, s->account_id, p);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    if (j->u.username != NULL && strcmp(j->u.username, p->username) != 0) {
        sv_reply_scim_error(rq, SV_E_FIELD_INVALID, "mutability",
                            "userName cannot change");
        return;
    }
    if (j->u.email != NULL && (!p->has_email || strcmp(j->u.email, p->email))) {
        sv_reply_scim_error(rq, SV_E_FIELD_INVALID, "mutability",
                            "emails: the account's e-mail changes in the "
                            "console, not over SCIM");
        return;
    }
    to_input(&j->u, &in);
    if (j->u.has_external) {
        j->ext = (struct ext_also){"User", j->u.external_id};
        also = (struct sv_people_also){set_external, &j->ext};
    }
    /* A deactivation without a successor changes nothing (checked first;
     * the profile and the offboarding are then two transactions). */
    if (j->u.has_active && !j->u.active &&
        (rc = offboard(rq, id, true, &detail)) != SV_OK) {
        sv_reply_scim_error(rq, rc, NULL, detail);
        return;
    }
    /* Enabling a disabled account rides on the same transaction. */
    bool enable =
        j->u.has_active && j->u.active && p->e.state == SV_EMPLOYEE_DISABLED;
    rc = sv_people_change_also(sv_rq_app(rq)->db, s->tenant_id, id, &in,
                               enable ? &on : NULL, &also, &actor, p, &field);
    if (rc != SV_OK) {
        reply_change_err(rq, rc, field);
        return;
    }
    if (j->u.has_active && !j->u.active) {
        rc = offboard(rq, id, false, &detail);
        if (rc != SV_OK) {
            sv_reply_scim_error(rq, rc, NULL, detail);
            return;
        }
    } else if (j->u.has_active && j->u.active &&
               p->e.state == SV_EMPLOYEE_OFFBOARDED) {
        snprintf(j->id, sizeof j->id, "%s", id);
        j->t = identity_http_temp_pw(rq);
        if (j->t == NULL) {
            sv_reply_error(rq, SV_E_OVERLOADED, NULL);
            return;
        }
        sv_offload_or_reply(rq, temp_work, rehire_done, j);
        return;
    }
    reply_user(rq, id, 200);
}

void
scim_http_users_replace(struct sv_request *rq)
{
    struct user_job *j = sv_arena_zalloc(sv_rq_arena(rq), sizeof *j);
    const json_t *body = sv_rq_json(rq);

    if (!user_in_or_reply(rq, body, &j->u))
        return;
    /* A replace: what it leaves out is cleared (RFC 7644 3.5.1), of what
     * this server keeps and may clear. */
    if (!j->u.has_title)
        j->u.has_title = true;
    if (!j->u.has_phone)
        j->u.has_phone = true;
    if (!j->u.has_employee_no)
        j->u.has_employee_no = true;
    if (!j->u.has_manager)
        j->u.has_manager = true;
    if (!j->u.has_external)
        j->u.has_external = true;
    apply_user(rq, sv_rq_param(rq, 0), j);
}

/* A PATCH path this server maps onto a body attribute: the attribute (and
 * the enterprise extension's object when it is one of its). */
static bool
patch_path(const char *path, const char **name, bool *enterprise)
{
    static const char *const core[] = {
        "active",   "displayName", "title",        "externalId",
        "userName", "emails",      "phoneNumbers", "name",
    };
    static const char *const ent[] = {"employeeNumber", "department",
                                      "manager"};
    static const char *const unkept[] = {
        "nickName",   "profileUrl",   "userType",  "preferredLanguage",
        "locale",     "timezone",     "addresses", "ims",
        "photos",     "entitlements", "roles",     "x509Certificates",
        "costCenter", "organization", "division",
    };
    const char *p = path;

    *name = NULL;
    *enterprise = false;
    if (strncasecmp(p, URN_ENTERPRISE ":", strlen(URN_ENTERPRISE) + 1) == 0) {
        p += strlen(URN_ENTERPRISE) + 1;
        *enterprise = true;
    } else if (strncasecmp(p, URN_USER ":", strlen(URN_USER) + 1) == 0) {
        p += strlen(URN_USER) + 1;
    }
    /* emails[type eq "work"].value, phoneNumbers[…].value, name.formatted,
     * manager.value: the attribute they are part of. */
    size_t n = strcspn(p, "[.");
    for (size_t i = 0; !*enterprise && i < sizeof core / sizeof *core; i++)
        if (strlen(core[i]) == n && strncasecmp(p, core[i], n) == 0) {
            *name = core[i];
            return true;
        }
    for (size_t i = 0; *enterprise && i < sizeof ent / sizeof *ent; i++)
        if (strlen(ent[i]) == n && strncasecmp(p, ent[i], n) == 0) {
            *name = ent[i];
            return true;
        }
    /* Attributes of the schemas this server does not keep: a PATCH of
     * them changes nothing, as POST and PUT leave them alone (*name NULL). */
    for (size_t i = 0; i < sizeof unkept / sizeof *unkept; i++)
        if (strlen(unkept[i]) == n && strncasecmp(p, unkept[i], n) == 0)
            return true;
    return false;
}

/* A value for attribute @p name from a PATCH op's value at @p path: a
 * sub-attribute's value becomes the attribute's (emails[…].value "x" →
 * emails [{"value": "x"}], name.formatted "x" → name {"formatted": "x"}). */
static json_t *
patch_value(const char *name, const char *path, json_t *value)
{
    const char *dot = strrchr(path, '.');
    bool sub = strchr(path, '[') != NULL ||
               (dot != NULL && strncasecmp(path, "urn:", 4) != 0) ||
               (dot != NULL && strcasecmp(dot + 1, "value") == 0 &&
                strcasecmp(name, "manager") != 0);

    if (value == NULL)
        return json_null();
    if (strcasecmp(name, "emails") == 0 ||
        strcasecmp(name, "phoneNumbers") == 0)
        return sub ? json_pack("[{s:O}]", "value", value) : json_incref(value);
    if (strcasecmp(name, "name") == 0 && dot != NULL)
        return json_pack("{s:O}", dot + 1, value);
    if (strcasecmp(name, "manager") == 0 && !json_is_object(value))
        return json_pack("{s:O}", "value", value);
    return json_incref(value);
}

void
scim_http_users_patch(struct sv_request *rq)
{
    const json_t *body = sv_rq_json(rq);
    const json_t *ops = attr(body, "Operations");
    struct user_job *j = sv_arena_zalloc(sv_rq_arena(rq), sizeof *j);
    json_t *merged = json_object(), *ent = json_object();
    size_t i;
    json_t *op;

    if (!json_is_array(ops) || json_array_size(ops) == 0 ||
        json_array_size(ops) > OPS_MAX) {
        json_decref(merged);
        json_decref(ent);
        bad(rq, "invalidSyntax", "Operations: 1-64 operations");
        return;
    }
    json_array_foreach((json_t *)ops, i, op)
    {
        const char *kind = json_string_value(attr(op, "op"));
        const char *path = json_string_value(attr(op, "path"));
        json_t *value = attr(op, "value");
        bool remove = kind != NULL && strcasecmp(kind, "remove") == 0;
        const char *name;
        bool enterprise;

        if (kind == NULL || (!remove && strcasecmp(kind, "add") != 0 &&
                             strcasecmp(kind, "replace") != 0)) {
            json_decref(merged);
            json_decref(ent);
            bad(rq, "invalidSyntax", "op: add, replace or remove");
            return;
        }
        if (path == NULL) {
            /* No path: the value is an object of attributes. */
            const char *key;
            json_t *v;
            if (remove || !json_is_object(value)) {
                json_decref(merged);
                json_decref(ent);
                bad(rq, "noTarget",
                    "an operation without path takes an "
                    "object value, and is no remove");
                return;
            }
            json_object_foreach(value, key, v)
            {
                if (strcasecmp(key, URN_ENTERPRISE) == 0 && json_is_object(v))
                    json_object_update(ent, v);
                else if (strncasecmp(key, URN_ENTERPRISE ":",
                                     strlen(URN_ENTERPRISE) + 1) == 0)
                    json_object_set(ent, key + strlen(URN_ENTERPRISE) + 1, v);
                else
                    json_object_set(merged, key, v);
            }
            continue;
        }
        if (!patch_path(path, &name, &enterprise)) {
            json_decref(merged);
            json_decref(ent);
            bad(rq, "invalidPath",
                sv_arena_printf(sv_rq_arena(rq), "path: %s is not kept here",
                                sv_sanitize_text(sv_rq_arena(rq), path, 64)));
            return;
        }
        if (name == NULL)
            continue; /* not kept here: nothing to change */
        json_t *pv = patch_value(name, path, remove ? NULL : value);
        json_t *have = json_object_get(enterprise ? ent : merged, name);
        /* name.givenName and name.familyName in two operations: one name. */
        if (json_is_object(have) && json_is_object(pv) &&
            strcasecmp(name, "name") == 0) {
            json_object_update(have, pv);
            json_decref(pv);
        } else {
            json_object_set_new(enterprise ? ent : merged, name, pv);
        }
    }
    if (json_object_size(ent) > 0)
        json_object_set(merged, URN_ENTERPRISE, ent);
    json_decref(ent);
    /* Kept for the request's life: its strings are borrowed below. */
    sv_rq_on_cleanup(rq, decref, merged);
    if (!user_in_or_reply(rq, merged, &j->u))
        return;
    /* A removed display name means nothing here: it is required. */
    apply_user(rq, sv_rq_param(rq, 0), j);
}

void
scim_http_users_delete(struct sv_request *rq)
{
    const char *detail = NULL;
    enum sv_err rc = offboard(rq, sv_rq_param(rq, 0), false, &detail);

    if (rc != SV_OK) {
        sv_reply_scim_error(rq, rc, NULL, detail);
        return;
    }
    sv_reply_empty(rq, 204);
}

/* ---- Groups ---- */

struct members_ctx {
    json_t *items;
    char last[37]; /* the last row's id, whatever its kind (the cursor) */
};

static void
member_start(void *cls)
{
    json_array_clear(((struct members_ctx *)cls)->items);
}

static void
member_row(void *cls, const struct sv_group_member_view *m)
{
    struct members_ctx *x = cls;
    char ref[64];

    snprintf(x->last, sizeof x->last, "%s", m->id);
    if (m->kind == SV_MEMBER_DEPARTMENT)
        return; /* SCIM knows Users and Groups; departments stay ours */
    snprintf(ref, sizeof ref, "/scim/v2/%s/%s",
             m->kind == SV_MEMBER_GROUP ? "Groups" : "Users", m->id);
    json_array_append_new(
        x->items,
        json_pack("{s:s, s:s, s:s, s:s}", "value", m->id, "display", m->name,
                  "type", m->kind == SV_MEMBER_GROUP ? "Group" : "User", "$ref",
                  ref));
}

static enum sv_err
scim_group_of(struct sv_request *rq, const char *id, json_t **out)
{
    bool with_members = want_members(rq);
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_group_view *v = sv_arena_zalloc(sv_rq_arena(rq), sizeof *v);
    struct members_ctx m = {json_array(), ""};
    char ext[SCIM_EXTERNAL_ID_MAX + 1];
    bool more = false;
    enum sv_err rc =
        sv_group_get(sv_rq_app(rq)->db, s->tenant_id, id, s->account_id, v);

    /* Every member (SCIM pages no members), unless the client asked
     * without them (excludedAttributes=members, as Entra ID does). */
    more = with_members;
    while (rc == SV_OK && more) {
        struct members_ctx next = {json_array(), ""};
        rc = sv_group_members(sv_rq_app(rq)->db, s->tenant_id, id,
                              s->account_id, m.last[0] ? m.last : NULL, 200,
                              member_start, member_row, &next, &more);
        json_array_extend(m.items, next.items);
        json_decref(next.items);
        snprintf(m.last, sizeof m.last, "%s", next.last);
        if (json_array_size(m.items) > SV_GROUP_MEMBERS_MAX)
            break;
    }
    if (rc == SV_OK)
        rc =
            scim_external_id(sv_rq_app(rq)->db, s->tenant_id, "Group", id, ext);
    if (rc != SV_OK) {
        json_decref(m.items);
        return rc;
    }
    *out = json_pack(
        "{s:[s], s:s, s:s, s:o}", "schemas", URN_GROUP, "id", v->g.id,
        "displayName", v->g.name, "meta",
        meta_json("Group", v->g.id, v->g.created_at, v->g.updated_at));
    if (with_members)
        json_object_set_new(*out, "members", m.items);
    else
        json_decref(m.items);
    if (ext[0] != '\0')
        json_object_set_new(*out, "externalId", json_string(ext));
    return SV_OK;
}

static void
reply_group(struct sv_request *rq, const char *id, unsigned status)
{
    reply_resource(rq, id, true, status);
}

/* The members of a body: [{"value": id}, …] as add operations, the kind
 * of each read from the directory. */
static bool
members_or_reply(struct sv_request *rq, const json_t *list, bool add,
                 struct sv_group_member_op **ops, size_t *n)
{
    const struct sv_session *s = sv_rq_session(rq);
    size_t i, base = *n;
    json_t *m;

    if (list == NULL || json_is_null(list) ||
        (json_is_array(list) && json_array_size(list) == 0))
        return true;
    if (!json_is_array(list) || json_array_size(list) > MEMBERS_MAX) {
        bad(rq, "invalidValue", "members: a list of at most 1000 {value}");
        return false;
    }
    *ops = realloc(*ops, (base + json_array_size(list)) * sizeof **ops);
    if (*ops == NULL) {
        sv_reply_error(rq, SV_E_INTERNAL, NULL);
        return false;
    }
    json_array_foreach((json_t *)list, i, m)
    {
        const char *id = json_string_value(attr(m, "value"));
        struct sv_group_member_op *op = &(*ops)[(*n)++];
        enum sv_err rc;

        if (id == NULL || !sv_check_uuid(id)) {
            sv_reply_scim_error(rq, SV_E_NOT_FOUND, "invalidValue",
                                "members: no such User or Group");
            return false;
        }
        op->add = add;
        op->id = id;
        op->kind = SV_MEMBER_EMPLOYEE;
        if (add) {
            rc = scim_member_kind(sv_rq_app(rq)->db, s->tenant_id, id,
                                  &op->kind);
            if (rc == SV_E_NOT_FOUND) {
                sv_reply_scim_error(rq, rc, "invalidValue",
                                    "members: no such User or Group");
                return false;
            }
            if (rc != SV_OK) {
                sv_reply_error(rq, rc, NULL);
                return false;
            }
        }
    }
    return true;
}

struct group_req {
    struct sv_group_input in;
    bool has_in;
    struct sv_group_change chg;
    struct sv_group_member_op *ops;
    struct ext_also ext;
};

static void
group_req_free(void *p)
{
    free(((struct group_req *)p)->ops);
}

static struct group_req *
group_req_new(struct sv_request *rq)
{
    struct group_req *g = sv_arena_zalloc(sv_rq_arena(rq), sizeof *g);
    sv_rq_on_cleanup(rq, group_req_free, g);
    return g;
}

/* displayName and externalId of @p body into @p g. */
static bool
group_fields_or_reply(struct sv_request *rq, const json_t *body,
                      struct group_req *g)
{
    const json_t *v;

    if ((v = attr(body, "displayName")) != NULL) {
        if (!json_is_string(v)) {
            bad(rq, "invalidValue", "displayName: a string");
            return false;
        }
        g->in.name = json_string_value(v);
        g->has_in = true;
    }
    if ((v = attr(body, "externalId")) != NULL) {
        const char *ext = NULL;
        if (!string_or_null(rq, v, "externalId", &ext))
            return false;
        if (ext != NULL && !scim_check_external_id(ext, strlen(ext))) {
            bad(rq, "invalidValue", "externalId: 1-256 characters");
            return false;
        }
        g->ext = (struct ext_also){"Group", ext};
        g->chg.also = set_external;
        g->chg.also_cls = &g->ext;
    }
    return true;
}

static void
run_group(struct sv_request *rq, const char *id, struct group_req *g,
          unsigned status)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_group_view *v = sv_arena_zalloc(sv_rq_arena(rq), sizeof *v);
    const char *field = NULL;
    enum sv_err rc;

    g->chg.in = g->has_in ? &g->in : NULL;
    g->chg.ops = g->ops;
    rc = sv_group_apply(sv_rq_app(rq)->db, s->tenant_id, id, &g->chg, &actor, v,
                        &field);
    if (rc != SV_OK) {
        reply_change_err(rq, rc, field);
        return;
    }
    reply_group(rq, v->g.id, status);
}

void
scim_http_groups_create(struct sv_request *rq)
{
    const json_t *body = sv_rq_json(rq);
    struct group_req *g = group_req_new(rq);

    if (!group_fields_or_reply(rq, body, g) ||
        !members_or_reply(rq, attr(body, "members"), true, &g->ops,
                          &g->chg.n_ops))
        return;
    if (g->in.name == NULL) {
        sv_reply_scim_error(rq, SV_E_FIELD_MISSING, "invalidValue",
                            "displayName is required");
        return;
    }
    run_group(rq, NULL, g, 201);
}

void
scim_http_groups_get(struct sv_request *rq)
{
    reply_group(rq, sv_rq_param(rq, 0), 200);
}

void
scim_http_groups_replace(struct sv_request *rq)
{
    const json_t *body = sv_rq_json(rq);
    struct group_req *g = group_req_new(rq);

    if (!group_fields_or_reply(rq, body, g) ||
        !members_or_reply(rq, attr(body, "members"), true, &g->ops,
                          &g->chg.n_ops))
        return;
    g->chg.replace_members = true;
    if (g->chg.also == NULL) { /* left out: cleared */
        g->ext = (struct ext_also){"Group", NULL};
        g->chg.also = set_external;
        g->chg.also_cls = &g->ext;
    }
    run_group(rq, sv_rq_param(rq, 0), g, 200);
}

void
scim_http_groups_patch(struct sv_request *rq)
{
    const json_t *body = sv_rq_json(rq);
    const json_t *ops = attr(body, "Operations");
    struct group_req *g = group_req_new(rq);
    size_t i;
    json_t *op;

    if (!json_is_array(ops) || json_array_size(ops) == 0 ||
        json_array_size(ops) > OPS_MAX) {
        bad(rq, "invalidSyntax", "Operations: 1-64 operations");
        return;
    }
    json_array_foreach((json_t *)ops, i, op)
    {
        const char *kind = json_string_value(attr(op, "op"));
        const char *path = json_string_value(attr(op, "path"));
        json_t *value = attr(op, "value");
        bool remove = kind != NULL && strcasecmp(kind, "remove") == 0;
        bool replace = kind != NULL && strcasecmp(kind, "replace") == 0;

        if (kind == NULL ||
            (!remove && !replace && strcasecmp(kind, "add") != 0)) {
            bad(rq, "invalidSyntax", "op: add, replace or remove");
            return;
        }
        if (path == NULL) {
            if (remove || !json_is_object(value)) {
                bad(rq, "noTarget",
                    "an operation without path takes an "
                    "object value, and is no remove");
                return;
            }
            if (!group_fields_or_reply(rq, value, g))
                return;
            if (attr(value, "members") != NULL) {
                if (replace)
                    g->chg.replace_members = true;
                if (!members_or_reply(rq, attr(value, "members"), true, &g->ops,
                                      &g->chg.n_ops))
                    return;
            }
        } else if (strcasecmp(path, "members") == 0) {
            /* add / replace with a list; remove with a list, or all. */
            if (remove && value == NULL) {
                g->chg.replace_members = true;
            } else {
                if (replace)
                    g->chg.replace_members = true;
                if (!members_or_reply(rq, value, !remove, &g->ops,
                                      &g->chg.n_ops))
                    return;
            }
        } else if (strncasecmp(path, "members[", 8) == 0 && remove) {
            /* members[value eq "id"] */
            struct scim_filter f;
            size_t n = strlen(path);
            char *inner = sv_arena_strdup(sv_rq_arena(rq), path + 8);
            if (n < 10 || path[n - 1] != ']') {
                bad(rq, "invalidPath", "path: members[value eq \"id\"]");
                return;
            }
            inner[n - 9] = '\0';
            if (!scim_filter_parse(inner, NULL, &f) || f.is_bool ||
                !scim_filter_is(&f, "value")) {
                bad(rq, "invalidFilter", "path: members[value eq \"id\"]");
                return;
            }
            json_t *one = json_pack("[{s:s}]", "value", f.value);
            bool ok = members_or_reply(rq, one, false, &g->ops, &g->chg.n_ops);
            if (ok) /* the id is borrowed from the list: keep it alive */
                sv_rq_on_cleanup(rq, decref, one);
            else
                json_decref(one);
            if (!ok)
                return;
        } else if (strcasecmp(path, "displayName") == 0 ||
                   strcasecmp(path, "externalId") == 0) {
            json_t *obj = json_pack("{s:O}", path, value ? value : json_null());
            bool ok = !remove || strcasecmp(path, "externalId") == 0;
            if (!ok) {
                json_decref(obj);
                bad(rq, "mutability", "displayName is required");
                return;
            }
            sv_rq_on_cleanup(rq, decref, obj);
            if (!group_fields_or_reply(rq, obj, g))
                return;
        } else {
            bad(rq, "invalidPath", "path: members, displayName or externalId");
            return;
        }
    }
    run_group(rq, sv_rq_param(rq, 0), g, 200);
}

void
scim_http_groups_delete(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_group_delete(sv_rq_app(rq)->db, s->tenant_id,
                                     sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_empty(rq, 204);
}
