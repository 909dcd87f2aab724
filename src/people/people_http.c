/* The employee routes: see people_http.h. */
#include "people/people_http.h"

#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/json.h"
#include "core/util.h"
#include "directory/personal.h"
#include "directory/phone.h"
#include "directory/tenant.h"
#include "identity/identity_http.h"
#include "people/people.h"

#define CURSOR_KIND "e"
/* The longest typed phone number or ID number taken. */
#define TYPED_MAX 64

/* ---- rendering ---- */

/* An ID number as a viewer without directory.manage sees it: every
 * character but the last four masked. */
static void
mask_id_number(const char *id, char *out, size_t cap)
{
    size_t len = strlen(id);

    if (cap == 0)
        return;
    for (size_t i = 0; i < len && i + 1 < cap; i++)
        out[i] = i + 4 < len ? '*' : id[i];
    out[len < cap ? len : cap - 1] = '\0';
}

/* A phone as @p clear allows: E.164, or masked (DIR-5). */
static json_t *
phone_json(const char *e164, bool clear)
{
    char masked[SV_E164_MAX + 8];

    if (e164 == NULL || e164[0] == '\0')
        return json_null();
    if (clear)
        return json_string(e164);
    sv_phone_mask(e164, masked, sizeof masked);
    return json_string(masked);
}

static json_t *
person_json(const struct sv_person *p)
{
    const struct sv_employee *e = &p->e;
    json_t *depts = json_array();
    char idn[SV_ID_NUMBER_MAX + 1];

    for (size_t i = 0; i < e->n_departments; i++)
        json_array_append_new(depts,
                              json_pack("{s:s, s:s}", "id", e->departments[i],
                                        "name", p->department_names[i]));
    if (e->id_number[0] != '\0' && !p->may_manage)
        mask_id_number(e->id_number, idn, sizeof idn);
    else
        snprintf(idn, sizeof idn, "%s", e->id_number);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:b, s:o, s:{s:s, s:s}, "
        "s:o, s:o, s:b, s:b, s:o, s:o}",
        "id", e->id, "username", p->username, "display_name", e->display_name,
        "title", e->title, "employee_no",
        e->employee_no[0] ? json_string(e->employee_no) : json_null(), "state",
        sv_employee_state_name(e->state), "email",
        p->has_email ? json_string(p->email) : json_null(), "phone",
        phone_json(e->phone, p->phone_clear), "phone_masked",
        e->phone[0] != '\0' && !p->phone_clear, "id_number",
        idn[0] ? json_string(idn) : json_null(), "department", "id",
        e->department_id, "name", p->department_name, "departments", depts,
        "manager",
        e->manager_id[0] ? json_pack("{s:s, s:s}", "id", e->manager_id,
                                     "display_name", p->manager_name)
                         : json_null(),
        "may_manage", p->may_manage, "may_reveal_phone", p->may_reveal_phone,
        "created_at", sv_json_time(e->created_at), "updated_at",
        sv_json_time(e->updated_at));
}

/* ---- input ---- */

static bool
check_typed(const char *s, size_t len)
{
    return strlen(s) == len && sv_utf8_valid(s, len);
}

/* The tenant's phone region, for numbers typed without "+". */
static bool
region_or_reply(struct sv_request *rq, char region[3])
{
    struct sv_tenant t;
    enum sv_err rc =
        sv_tenant_get(sv_rq_app(rq)->db, sv_rq_session(rq)->tenant_id, &t);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return false;
    }
    memcpy(region, t.phone_region, 3);
    return true;
}

/* Canonical forms of a typed phone / ID number into @p out (arena); false
 * after answering 400 naming @p name. */
static bool
phone_or_reply(struct sv_request *rq, const char *typed, const char *region,
               const char *name, const char **out)
{
    char *e164 = sv_arena_zalloc(sv_rq_arena(rq), SV_E164_MAX + 1);
    if (sv_phone_normalise(typed, region, e164) != SV_PHONE_OK) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, name);
        return false;
    }
    *out = e164;
    return true;
}

static bool
id_number_or_reply(struct sv_request *rq, const char *typed, const char *name,
                   const char **out)
{
    char *canon = sv_arena_zalloc(sv_rq_arena(rq), SV_ID_NUMBER_MAX + 1);
    if (!sv_id_number_normalise(typed, canon)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, name);
        return false;
    }
    *out = canon;
    return true;
}

/* The further departments of a body: a list of distinct UUIDs. */
static bool
departments_or_reply(struct sv_request *rq, const json_t *list,
                     struct sv_employee_input *in)
{
    const char **ids;
    size_t i;
    json_t *v;

    in->set_departments = true;
    in->n_departments = json_array_size(list);
    ids =
        sv_arena_zalloc(sv_rq_arena(rq), (in->n_departments + 1) * sizeof *ids);
    json_array_foreach(list, i, v) ids[i] = json_string_value(v);
    in->departments = ids;
    return true;
}

/* The body fields both create and change take, into @p in; the nullable
 * ones (null: clear) marked set when present. */
struct body {
    const char *title, *employee_no, *manager_id, *phone, *id_number;
    const json_t *departments;
};

static bool
profile_or_reply(struct sv_request *rq, const struct body *b,
                 struct sv_employee_input *in)
{
    const json_t *body = sv_rq_json(rq);
    char region[3];

#define GIVEN(name) (json_object_get(body, (name)) != NULL)
    in->set_title = GIVEN("title");
    in->title = b->title != NULL ? b->title : "";
    in->set_employee_no = GIVEN("employee_no");
    in->employee_no = b->employee_no;
    in->set_manager = GIVEN("manager_id");
    in->manager_id = b->manager_id;
    in->set_phone = GIVEN("phone");
    in->set_id_number = GIVEN("id_number");
#undef GIVEN
    if (b->departments != NULL && !departments_or_reply(rq, b->departments, in))
        return false;
    if (b->phone != NULL &&
        (!region_or_reply(rq, region) ||
         !phone_or_reply(rq, b->phone, region, "phone", &in->phone)))
        return false;
    return b->id_number == NULL ||
           id_number_or_reply(rq, b->id_number, "id_number", &in->id_number);
}

/* ---- POST /directory/employees ---- */

struct create_ctx {
    struct sv_temp_pw *t; /* first: the job argument */
    const struct sv_session *s;
    struct sv_actor actor;
    struct sv_hire h;
};

static void
reply_person(struct sv_request *rq, enum sv_err rc, const char *field,
             const struct sv_person *p, unsigned status,
             const struct sv_temp_pw *t)
{
    json_t *body;

    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    body = person_json(p);
    if (t != NULL)
        json_object_set_new(body, "temporary_password",
                            json_string(t->password));
    sv_reply_json(rq, status, body);
}

static void
hire_and_reply(struct sv_request *rq, struct create_ctx *cc)
{
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    const char *field = NULL;
    enum sv_err rc = cc->t != NULL ? cc->t->rc : SV_OK;

    if (rc == SV_OK) {
        cc->h.hash = cc->t != NULL ? cc->t->hash : NULL;
        rc = sv_people_hire(sv_rq_app(rq)->db, cc->s->tenant_id, &cc->h,
                            &cc->actor, p, &field);
    }
    reply_person(rq, rc, field, p, 201, cc->t);
    sodium_memzero(p, sizeof *p);
}

static void
create_work(void *arg)
{
    identity_http_temp_pw_work(((struct create_ctx *)arg)->t);
}

static void
create_done(struct sv_request *rq, void *arg)
{
    hire_and_reply(rq, arg);
}

void
people_http_create(struct sv_request *rq)
{
    struct create_ctx *cc = sv_arena_zalloc(sv_rq_arena(rq), sizeof *cc);
    struct sv_employee_input *in = &cc->h.in;
    struct body b = {0};
    const struct sv_field spec[] = {
        SV_F_STR_OPT("username", &cc->h.username, 3, SV_USERNAME_MAX,
                     sv_check_username),
        SV_F_STR_OPT("account_id", &cc->h.account_id, 36, 36,
                     sv_check_uuid_field),
        SV_F_STR_OPT("email", &cc->h.email, 3, SV_EMAIL_MAX, sv_check_email),
        SV_F_STR("display_name", &in->display_name, 1, SV_EMPLOYEE_NAME_MAX,
                 sv_check_employee_name),
        SV_F_STR_OPT("title", &b.title, 0, SV_EMPLOYEE_NAME_MAX,
                     sv_check_employee_title),
        SV_F_STR_OPT("employee_no", &b.employee_no, 1, SV_EMPLOYEE_NO_MAX,
                     sv_check_employee_no),
        SV_F_STR("department_id", &in->department_id, 36, 36,
                 sv_check_uuid_field),
        SV_F_STRS_OPT("departments", &b.departments, 0, SV_EMPLOYEE_DEPTS_MAX,
                      sv_check_uuid_field),
        SV_F_STR_OPT("manager_id", &b.manager_id, 36, 36, sv_check_uuid_field),
        SV_F_STR_OPT("phone", &b.phone, 1, TYPED_MAX, check_typed),
        SV_F_STR_OPT("id_number", &b.id_number, 1, TYPED_MAX, check_typed),
        SV_F_END,
    };

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    if (cc->h.username == NULL && cc->h.account_id == NULL) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "username"); /* or account_id */
        return;
    }
    if (cc->h.username != NULL && cc->h.account_id != NULL) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "account_id"); /* one of them */
        return;
    }
    if (cc->h.account_id != NULL && cc->h.email != NULL) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "email"); /* the account's */
        return;
    }
    if (cc->h.email != NULL) {
        /* DIR-4: kept (and blind-indexed) as its canonical form. */
        char *canon =
            sv_arena_zalloc(sv_rq_arena(rq), SV_PERSONAL_EMAIL_MAX + 1);
        if (!sv_email_normalise(cc->h.email, canon)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "email");
            return;
        }
        cc->h.email = canon;
    }
    if (!profile_or_reply(rq, &b, in))
        return;
    cc->s = sv_rq_session(rq);
    cc->actor = identity_http_actor(rq);
    if (cc->h.account_id != NULL) {
        hire_and_reply(rq, cc); /* an existing account: no password */
        return;
    }
    cc->t = identity_http_temp_pw(rq);
    if (cc->t == NULL) {
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    sv_offload_or_reply(rq, create_work, create_done, cc);
}

/* ---- GET /directory/employees/{id} ---- */

void
people_http_get(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    enum sv_err rc = sv_people_get(sv_rq_app(rq)->db, s->tenant_id,
                                   sv_rq_param(rq, 0), s->account_id, p);
    reply_person(rq, rc, NULL, p, 200, NULL);
    sodium_memzero(p, sizeof *p);
}

/* ---- PATCH /directory/employees/{id} ---- */

/* DIR-6: "active" or "disabled" (a temporary disable); "offboarded" is
 * named so that people/ refuses it for what it is (only …/offboard). */
static bool
state_or_reply(struct sv_request *rq, const char *name,
               enum sv_employee_state *out)
{
    if (strcmp(name, "active") == 0)
        *out = SV_EMPLOYEE_ACTIVE;
    else if (strcmp(name, "disabled") == 0)
        *out = SV_EMPLOYEE_DISABLED;
    else if (strcmp(name, "offboarded") == 0)
        *out = SV_EMPLOYEE_OFFBOARDED;
    else {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "state");
        return false;
    }
    return true;
}

void
people_http_update(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    struct sv_employee_input in = {0};
    struct body b = {0};
    const char *field = NULL, *state_name = NULL;
    const struct sv_field spec[] = {
        SV_F_STR_OPT("display_name", &in.display_name, 1, SV_EMPLOYEE_NAME_MAX,
                     sv_check_employee_name),
        SV_F_STR_OPT("title", &b.title, 0, SV_EMPLOYEE_NAME_MAX,
                     sv_check_employee_title),
        SV_F_STR_OPT("employee_no", &b.employee_no, 1, SV_EMPLOYEE_NO_MAX,
                     sv_check_employee_no),
        SV_F_STR_OPT("department_id", &in.department_id, 36, 36,
                     sv_check_uuid_field),
        SV_F_STRS_OPT("departments", &b.departments, 0, SV_EMPLOYEE_DEPTS_MAX,
                      sv_check_uuid_field),
        SV_F_STR_OPT("manager_id", &b.manager_id, 36, 36, sv_check_uuid_field),
        SV_F_STR_OPT("phone", &b.phone, 1, TYPED_MAX, check_typed),
        SV_F_STR_OPT("id_number", &b.id_number, 1, TYPED_MAX, check_typed),
        SV_F_STR_OPT("state", &state_name, 1, 16, NULL),
        SV_F_END,
    };
    const json_t *body = sv_rq_json(rq);
    enum sv_employee_state state;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    /* Never cleared: a name, a primary department, the list itself. */
    for (const char *const *n =
             (const char *const[]){"display_name", "department_id",
                                   "departments", "state", NULL};
         *n != NULL; n++) {
        if (json_is_null(json_object_get(body, *n))) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, *n);
            return;
        }
    }
    if (json_object_size(body) == 0) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "display_name"); /* nothing */
        return;
    }
    if (state_name != NULL && !state_or_reply(rq, state_name, &state))
        return;
    if (!profile_or_reply(rq, &b, &in))
        return;
    rc = sv_people_change(sv_rq_app(rq)->db, s->tenant_id, sv_rq_param(rq, 0),
                          &in, state_name != NULL ? &state : NULL, &actor, p,
                          &field);
    reply_person(rq, rc, field, p, 200, NULL);
    sodium_memzero(p, sizeof *p);
}

/* ---- DIR-6: POST /directory/employees/{id}/offboard ---- */

void
people_http_offboard(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    const char *successor = NULL, *field = NULL;
    json_t *report = NULL, *body;
    const struct sv_field spec[] = {
        SV_F_STR("successor_id", &successor, 36, 36, sv_check_uuid_field),
        SV_F_END,
    };
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    rc = sv_people_offboard(sv_rq_app(rq)->db, s->tenant_id, sv_rq_param(rq, 0),
                            successor, &actor, p, &report, &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    body = person_json(p);
    json_object_set_new(body, "offboarding", report);
    sv_reply_json(rq, 200, body);
    sodium_memzero(p, sizeof *p);
}

/* ---- DIR-6: POST /directory/employees/{id}/rehire ---- */

struct rehire_ctx {
    struct sv_temp_pw *t; /* first: the job argument */
    const struct sv_session *s;
    struct sv_actor actor;
    const char *id;
};

static void
rehire_work(void *arg)
{
    identity_http_temp_pw_work(((struct rehire_ctx *)arg)->t);
}

static void
rehire_done(struct sv_request *rq, void *arg)
{
    struct rehire_ctx *x = arg;
    struct sv_person *p = sv_arena_zalloc(sv_rq_arena(rq), sizeof *p);
    enum sv_err rc = x->t->rc;

    if (rc == SV_OK)
        rc = sv_people_rehire(sv_rq_app(rq)->db, x->s->tenant_id, x->id,
                              x->t->hash, &x->actor, p);
    /* The new temporary password, shown once (as a hire shows it). */
    reply_person(rq, rc, NULL, p, 200, x->t);
    sodium_memzero(p, sizeof *p);
}

void
people_http_rehire(struct sv_request *rq)
{
    struct rehire_ctx *x = sv_arena_zalloc(sv_rq_arena(rq), sizeof *x);

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    x->s = sv_rq_session(rq);
    x->actor = identity_http_actor(rq);
    x->id = sv_rq_param(rq, 0);
    x->t = identity_http_temp_pw(rq);
    if (x->t == NULL) {
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    sv_offload_or_reply(rq, rehire_work, rehire_done, x);
}

/* ---- GET /directory/employees ---- */

struct list_ctx {
    json_t *items;
    struct sv_arena *arena;
    const char *last_cursor;
    bool clear; /* the phones in clear */
};

static void
list_start(void *cls)
{
    struct list_ctx *l = cls;
    json_array_clear(l->items); /* a retried transaction starts over */
    l->last_cursor = NULL;
}

static void
list_row(void *cls, const struct sv_employee_view *v)
{
    struct list_ctx *l = cls;
    json_array_append_new(
        l->items,
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:{s:s, s:s}, s:o, s:b}",
                  "id", v->id, "username", v->username, "display_name",
                  v->display_name, "title", v->title, "employee_no",
                  v->employee_no ? json_string(v->employee_no) : json_null(),
                  "state", sv_employee_state_name(v->state), "department", "id",
                  v->department_id, "name", v->department_name, "phone",
                  phone_json(v->phone, l->clear), "phone_masked",
                  v->phone != NULL && !l->clear));
    l->last_cursor = sv_cursor_key_encode(l->arena, CURSOR_KIND, v->id, v->key);
}

void
people_http_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_arena *a = sv_rq_arena(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    const char *phone = sv_rq_query(rq, "phone");
    const char *idn = sv_rq_query(rq, "id_number");
    struct sv_employee_query q = {0};
    struct list_ctx l = {NULL, a, NULL, false};
    struct sv_tenant t;
    char region[3];
    bool more = false;
    enum sv_err rc;

    q.department_id = sv_rq_query(rq, "department");
    q.q = sv_rq_query(rq, "q");
    if (!sv_rq_limit_or_reply(rq, &q.limit))
        return;
    if (q.department_id != NULL && !sv_check_uuid(q.department_id)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "department");
        return;
    }
    if (q.q != NULL &&
        (strlen(q.q) > SV_EMPLOYEE_QUERY_MAX * 4 ||
         !sv_utf8_valid(q.q, strlen(q.q)) ||
         sv_utf8_len(q.q, strlen(q.q)) < 1 ||
         sv_utf8_len(q.q, strlen(q.q)) > SV_EMPLOYEE_QUERY_MAX)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "q");
        return;
    }
    if (phone != NULL && strlen(phone) > TYPED_MAX) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "phone");
        return;
    }
    if (phone != NULL &&
        (!region_or_reply(rq, region) ||
         !phone_or_reply(rq, phone, region, "phone", &q.phone)))
        return;
    if (idn != NULL && strlen(idn) > TYPED_MAX) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "id_number");
        return;
    }
    if (idn != NULL && !id_number_or_reply(rq, idn, "id_number", &q.id_number))
        return;
    if (cursor != NULL &&
        !sv_cursor_key_decode(a, CURSOR_KIND, cursor, SV_EMPLOYEE_NAME_MAX * 4,
                              &q.after_id, &q.after_key)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
        return;
    }
    /* DIR-5: a listing masks every phone while the tenant masks them. */
    rc = sv_tenant_get(sv_rq_app(rq)->db, s->tenant_id, &t);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    l.clear = !t.mask_phones;
    l.items = json_array();
    q.viewer = s->account_id; /* DIR-3 */
    rc = sv_employee_list(sv_rq_app(rq)->db, s->tenant_id, &q, list_start,
                          list_row, &l, &more);
    if (rc != SV_OK) {
        json_decref(l.items);
        sv_reply_error(rq, rc, rc == SV_E_NOT_FOUND ? "department" : NULL);
        return;
    }
    sv_reply_json(rq, 200,
                  json_pack("{s:o, s:o}", "items", l.items, "next_cursor",
                            more && l.last_cursor ? json_string(l.last_cursor)
                                                  : json_null()));
}

/* ---- POST /directory/employees/{id}/phone/reveal ---- */

void
people_http_reveal_phone(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    char phone[SV_E164_MAX + 1];
    int left = 0;
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_people_reveal_phone(sv_rq_app(rq)->db, s->tenant_id,
                                sv_rq_param(rq, 0), &actor, phone, &left);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200,
                  json_pack("{s:o, s:i}", "phone",
                            phone[0] ? json_string(phone) : json_null(),
                            "reveals_left", left));
    sodium_memzero(phone, sizeof phone);
}
