/* Employees: see employee.h. */
#include "directory/employee.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/employee_store.h"
#include "directory/field.h"
#include "directory/personal.h"

/* Managers followed upwards at most when looking for a cycle. */
#define MANAGER_CHAIN_MAX 64

static const char *const state_names[] = {
    [SV_EMPLOYEE_ACTIVE] = "active",
    [SV_EMPLOYEE_DISABLED] = "disabled",
    [SV_EMPLOYEE_OFFBOARDED] = "offboarded",
};

const char *
sv_employee_state_name(enum sv_employee_state s)
{
    return (unsigned)s <= SV_EMPLOYEE_OFFBOARDED ? state_names[s] : "?";
}

enum sv_employee_state
employee_state_parse(const char *s)
{
    for (int i = 0; i <= SV_EMPLOYEE_OFFBOARDED; i++)
        if (strcmp(state_names[i], s) == 0)
            return (enum sv_employee_state)i;
    return SV_EMPLOYEE_DISABLED; /* never read as active by mistake */
}

static bool
check_text(const char *s, size_t len, size_t min)
{
    size_t chars;

    if (len > SV_EMPLOYEE_NAME_MAX * 4 || !sv_utf8_valid(s, len))
        return false;
    chars = sv_utf8_len(s, len);
    if (chars < min || chars > SV_EMPLOYEE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f ||
            (ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9f))
            return false;
    }
    return true;
}

bool
sv_check_employee_name(const char *s, size_t len)
{
    return check_text(s, len, 1);
}

bool
sv_check_employee_title(const char *s, size_t len)
{
    return check_text(s, len, 0);
}

bool
sv_check_employee_no(const char *s, size_t len)
{
    if (len < 1 || len > SV_EMPLOYEE_NO_MAX || strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

bool
sv_id_number_normalise(const char *in, char out[SV_ID_NUMBER_MAX + 1])
{
    char buf[SV_ID_NUMBER_MAX + 1];
    size_t len, start = 0;

    out[0] = '\0';
    len = strlen(in);
    while (start < len && (in[start] == ' ' || in[start] == '\t'))
        start++;
    while (len > start && (in[len - 1] == ' ' || in[len - 1] == '\t'))
        len--;
    len -= start;
    if (len < 4 || len > SV_ID_NUMBER_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = in[start + i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-'))
            return false;
        buf[i] = ch;
    }
    buf[len] = '\0';
    /* 17 digits and a digit or X: a mainland resident ID, checked. */
    if (len == SV_RESIDENT_ID_LEN && strspn(buf, "0123456789") >= 17)
        return sv_resident_id_normalise(buf, out);
    memcpy(out, buf, len + 1);
    return true;
}

/* ---- reading ---- */

/* Open the sealed fields of @p r into its employee. */
static enum sv_err
open_row(struct sv_dbc *c, const char *tenant_id, struct employee_row *r)
{
    enum sv_err rc = SV_OK;

    if (r->phone_enc_len > 0)
        rc = sv_field_open_str_tx(
            c, tenant_id, r->e.id, &employee_store_phone_field, r->phone_enc,
            r->phone_enc_len, r->e.phone, sizeof r->e.phone);
    if (rc == SV_OK && r->id_number_enc_len > 0)
        rc = sv_field_open_str_tx(c, tenant_id, r->e.id,
                                  &employee_store_id_number_field,
                                  r->id_number_enc, r->id_number_enc_len,
                                  r->e.id_number, sizeof r->e.id_number);
    return rc;
}

enum sv_err
sv_employee_find_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                    struct sv_employee *out)
{
    struct employee_row *r;
    enum sv_err rc;
    enum sv_qs qs;

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    r = malloc(sizeof *r);
    if (r == NULL)
        return SV_E_INTERNAL;
    qs = employee_store_find(c, tenant_id, id, r);
    rc = qs == SV_QS_ONE ? open_row(c, tenant_id, r) : sv_qs_found(qs);
    if (rc == SV_OK)
        *out = r->e;
    sodium_memzero(r, sizeof *r);
    free(r);
    return rc;
}

/* ---- writing ---- */

/* The name key: ASCII letters folded (as departments'). */
static void
name_key(const char *name, char *out)
{
    sv_department_name_key(name, out);
}

/* Seal the phone and ID number of @p r (each "" for none). */
static enum sv_err
seal_row(struct sv_dbc *c, const char *tenant_id, struct employee_row *r)
{
    enum sv_err rc = SV_OK;

    r->phone_enc_len = r->id_number_enc_len = 0;
    if (r->e.phone[0] != '\0') {
        rc = sv_field_seal_tx(
            c, tenant_id, r->e.id, &employee_store_phone_field,
            (const uint8_t *)r->e.phone, strlen(r->e.phone), r->phone_enc,
            sizeof r->phone_enc, &r->phone_enc_len);
        if (rc == SV_OK)
            rc = sv_field_blind_index_tx(c, tenant_id,
                                         &employee_store_phone_field,
                                         r->e.phone, r->phone_bidx);
    }
    if (rc == SV_OK && r->e.id_number[0] != '\0') {
        rc = sv_field_seal_tx(
            c, tenant_id, r->e.id, &employee_store_id_number_field,
            (const uint8_t *)r->e.id_number, strlen(r->e.id_number),
            r->id_number_enc, sizeof r->id_number_enc, &r->id_number_enc_len);
        if (rc == SV_OK)
            rc = sv_field_blind_index_tx(c, tenant_id,
                                         &employee_store_id_number_field,
                                         r->e.id_number, r->id_number_bidx);
    }
    return rc;
}

/* Seal the phone and ID number of @p r (each "" for none) with @p tk. */
static enum sv_err
seal_row_keys(const struct sv_tenant_keys *tk, const char *tenant_id,
              struct employee_row *r)
{
    enum sv_err rc = SV_OK;

    r->phone_enc_len = r->id_number_enc_len = 0;
    if (r->e.phone[0] != '\0') {
        rc = sv_field_seal_keys(
            tk, tenant_id, r->e.id, &employee_store_phone_field,
            (const uint8_t *)r->e.phone, strlen(r->e.phone), r->phone_enc,
            sizeof r->phone_enc, &r->phone_enc_len);
        sv_field_blind_index_keys(tk, &employee_store_phone_field, r->e.phone,
                                  r->phone_bidx);
    }
    if (rc == SV_OK && r->e.id_number[0] != '\0') {
        rc = sv_field_seal_keys(
            tk, tenant_id, r->e.id, &employee_store_id_number_field,
            (const uint8_t *)r->e.id_number, strlen(r->e.id_number),
            r->id_number_enc, sizeof r->id_number_enc, &r->id_number_enc_len);
        sv_field_blind_index_keys(tk, &employee_store_id_number_field,
                                  r->e.id_number, r->id_number_bidx);
    }
    return rc;
}

/* The departments of @p e exist, none twice, the primary not among the
 * further ones. */
static enum sv_err
check_departments(struct sv_dbc *c, const char *tenant_id,
                  const struct sv_employee *e, const char **field)
{
    struct sv_department d;
    enum sv_err rc = sv_department_find_tx(c, tenant_id, e->department_id, &d);

    if (rc != SV_OK) {
        if (rc == SV_E_NOT_FOUND)
            *field = "department_id";
        return rc;
    }
    for (size_t i = 0; i < e->n_departments; i++) {
        if (strcmp(e->departments[i], e->department_id) == 0) {
            *field = "departments";
            return SV_E_FIELD_INVALID;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(e->departments[i], e->departments[j]) == 0) {
                *field = "departments";
                return SV_E_FIELD_INVALID;
            }
        }
        rc = sv_department_find_tx(c, tenant_id, e->departments[i], &d);
        if (rc != SV_OK) {
            if (rc == SV_E_NOT_FOUND)
                *field = "departments";
            return rc;
        }
    }
    return SV_OK;
}

/* The manager of @p e is an employee, and @p e is not among its managers. */
static enum sv_err
check_manager(struct sv_dbc *c, const char *tenant_id,
              const struct sv_employee *e, const char **field)
{
    char at[37], up[37];
    enum sv_qs qs;

    if (e->manager_id[0] == '\0')
        return SV_OK;
    *field = "manager_id";
    if (strcmp(e->manager_id, e->id) == 0)
        return SV_E_CONFLICT;
    snprintf(at, sizeof at, "%s", e->manager_id);
    for (int n = 0; n < MANAGER_CHAIN_MAX; n++) {
        qs = employee_store_manager_of(c, tenant_id, at, up);
        if (qs < 0)
            return sv_qs_err(qs);
        if (qs == SV_QS_NONE)
            return n == 0 ? SV_E_NOT_FOUND : SV_E_INTERNAL;
        if (up[0] == '\0')
            break;
        if (strcmp(up, e->id) == 0)
            return SV_E_CONFLICT; /* a cycle */
        memcpy(at, up, sizeof at);
    }
    *field = NULL;
    return SV_OK;
}

static enum sv_err
check_number(struct sv_dbc *c, const char *tenant_id,
             const struct sv_employee *e, const char **field)
{
    enum sv_qs qs;

    if (e->employee_no[0] == '\0')
        return SV_OK;
    qs = employee_store_number_taken(c, tenant_id, e->employee_no, e->id);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        *field = "employee_no";
        return SV_E_EXISTS;
    }
    return SV_OK;
}

/* Apply the fields of @p in that are set onto @p e. */
static enum sv_err
apply(const struct sv_employee_input *in, struct sv_employee *e,
      const char **field)
{
#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")
    if (in->display_name != NULL)
        COPY(e->display_name, in->display_name);
    if (in->set_title)
        COPY(e->title, in->title);
    if (in->set_employee_no)
        COPY(e->employee_no, in->employee_no);
    if (in->department_id != NULL)
        COPY(e->department_id, in->department_id);
    if (in->set_departments) {
        if (in->n_departments > SV_EMPLOYEE_DEPTS_MAX) {
            *field = "departments";
            return SV_E_FIELD_INVALID;
        }
        e->n_departments = in->n_departments;
        for (size_t i = 0; i < in->n_departments; i++)
            COPY(e->departments[i], in->departments[i]);
    }
    if (in->set_manager)
        COPY(e->manager_id, in->manager_id);
    if (in->set_phone)
        COPY(e->phone, in->phone);
    if (in->set_id_number)
        COPY(e->id_number, in->id_number);
#undef COPY
    return SV_OK;
}

/* Check, seal and write @p r (insert or update). */
static enum sv_err
write_row(struct sv_dbc *c, const char *tenant_id, struct employee_row *r,
          bool insert, const char **field)
{
    char key[SV_EMPLOYEE_NAME_MAX * 4 + 1];
    enum sv_err rc;
    enum sv_qs qs;

    if ((rc = check_departments(c, tenant_id, &r->e, field)) != SV_OK ||
        (rc = check_manager(c, tenant_id, &r->e, field)) != SV_OK ||
        (rc = check_number(c, tenant_id, &r->e, field)) != SV_OK ||
        (rc = seal_row(c, tenant_id, r)) != SV_OK)
        return rc;
    name_key(r->e.display_name, key);
    r->e.updated_at = sv_now_ms();
    qs = insert ? employee_store_insert(c, tenant_id, r, key)
                : employee_store_update(c, tenant_id, r, key);
    if (qs == SV_QS_NONE && insert) {
        *field = "account_id";
        return SV_E_EXISTS;
    }
    return qs == SV_QS_ONE ? SV_OK : sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
}

enum sv_err
sv_employee_insert_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                      const struct sv_employee_input *in,
                      struct sv_employee *out, const char **field)
{
    struct employee_row *r = calloc(1, sizeof *r);
    enum sv_err rc;

    *field = NULL;
    if (r == NULL)
        return SV_E_INTERNAL;
    snprintf(r->e.id, sizeof r->e.id, "%s", id);
    r->e.state = SV_EMPLOYEE_ACTIVE;
    rc = apply(in, &r->e, field);
    if (rc == SV_OK && (in->display_name == NULL || in->department_id == NULL))
        rc = SV_E_INTERNAL; /* the caller's checks */
    if (rc == SV_OK)
        rc = write_row(c, tenant_id, r, true, field);
    if (rc == SV_OK) {
        r->e.created_at = r->e.updated_at;
        *out = r->e;
    }
    sodium_memzero(r, sizeof *r);
    free(r);
    return rc;
}

enum sv_err
sv_employee_insert_imported_tx(struct sv_dbc *c,
                               const struct sv_tenant_keys *tk,
                               const char *tenant_id, const char *id,
                               const struct sv_employee_input *in, int64_t now)
{
    struct employee_row *r = calloc(1, sizeof *r);
    char key[SV_EMPLOYEE_NAME_MAX * 4 + 1];
    const char *field = NULL;
    enum sv_err rc = r != NULL ? SV_OK : SV_E_INTERNAL;
    enum sv_qs qs;

    if (rc == SV_OK) {
        snprintf(r->e.id, sizeof r->e.id, "%s", id);
        r->e.state = SV_EMPLOYEE_ACTIVE;
        rc = apply(in, &r->e, &field);
    }
    if (rc == SV_OK && (in->display_name == NULL || in->department_id == NULL ||
                        strlen(in->display_name) >= sizeof key))
        rc = SV_E_INTERNAL; /* the caller's checks */
    if (rc == SV_OK)
        rc = seal_row_keys(tk, tenant_id, r);
    if (rc == SV_OK) {
        name_key(r->e.display_name, key);
        r->e.created_at = r->e.updated_at = now;
        qs = employee_store_insert_new(c, tenant_id, r, key);
        rc = qs == SV_QS_ONE ? SV_OK
                             : sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
    }
    if (r != NULL)
        sodium_memzero(r, sizeof *r);
    free(r);
    return rc;
}

enum sv_err
sv_employee_update_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                      const struct sv_employee_input *in,
                      struct sv_employee *before, struct sv_employee *out,
                      const char **field)
{
    struct employee_row *r = malloc(sizeof *r);
    enum sv_err rc;
    enum sv_qs qs;

    *field = NULL;
    if (r == NULL)
        return SV_E_INTERNAL;
    qs = employee_store_find(c, tenant_id, id, r);
    rc = qs == SV_QS_ONE ? open_row(c, tenant_id, r) : sv_qs_found(qs);
    if (rc == SV_OK && before != NULL)
        *before = r->e;
    if (rc == SV_OK)
        rc = apply(in, &r->e, field);
    if (rc == SV_OK)
        rc = write_row(c, tenant_id, r, false, field);
    if (rc == SV_OK)
        *out = r->e;
    sodium_memzero(r, sizeof *r);
    free(r);
    return rc;
}

enum sv_err
sv_employee_each_tx(struct sv_dbc *c, const char *tenant_id,
                    sv_employee_each_fn fn, void *cls)
{
    return sv_qs_ok(employee_store_each(c, tenant_id, fn, cls));
}

enum sv_err
sv_employee_in_department_tx(struct sv_dbc *c, const char *tenant_id,
                             const char *dept_id, bool *out)
{
    enum sv_qs qs = employee_store_in_department(c, tenant_id, dept_id);
    *out = qs == SV_QS_ONE;
    return sv_qs_ok(qs);
}

enum sv_err
sv_employee_set_state_tx(struct sv_dbc *c, const char *tenant_id,
                         const char *id, enum sv_employee_state state)
{
    return sv_qs_found(employee_store_set_state(
        c, tenant_id, id, state_names[state], sv_now_ms()));
}

/* ---- listings ---- */

struct list_ctx {
    const char *tenant_id;
    const struct sv_employee_query *q;
    struct employee_page page;
    struct sv_dbc *c;
    void (*start)(void *);
    sv_employee_row_fn row;
    void *cls;
    int n;
    bool *more;
    enum sv_err rc;
    struct sv_veil veil;
};

static bool
list_row(void *cls, const struct employee_page_row *r)
{
    struct list_ctx *x = cls;
    char phone[SV_E164_MAX + 1] = "";

    if (x->n++ >= x->q->limit) /* one more than asked: a next page */
        return true;
    if (r->phone_enc_len > 0) {
        x->rc = sv_field_open_str_tx(x->c, x->tenant_id, r->id,
                                     &employee_store_phone_field, r->phone_enc,
                                     r->phone_enc_len, phone, sizeof phone);
        if (x->rc != SV_OK)
            return false;
    }
    struct sv_employee_view v = {
        r->id,
        r->username,
        r->display_name,
        r->title,
        r->employee_no,
        r->department_id,
        r->department_name,
        phone[0] ? phone : NULL,
        r->key,
        r->state,
    };
    x->row(x->cls, &v);
    return true;
}

static enum sv_err
list_tx(struct sv_dbc *c, void *cls)
{
    struct list_ctx *x = cls;
    uint8_t phone_bidx[SV_BLIND_INDEX_LEN], id_bidx[SV_BLIND_INDEX_LEN];
    struct sv_department d;
    enum sv_err rc;
    enum sv_qs qs;

    x->n = 0;
    x->c = c;
    x->rc = SV_OK;
    if (x->start != NULL)
        x->start(x->cls);
    if (x->q->department_id != NULL) {
        rc = sv_department_find_tx(c, x->tenant_id, x->q->department_id, &d);
        if (rc != SV_OK)
            return rc;
    }
    /* DIR-3: a hidden department is not found; hidden people left out. */
    if (x->q->viewer != NULL) {
        rc = sv_access_veil_of_tx(c, x->tenant_id, x->q->viewer, &x->veil);
        if (rc == SV_OK && x->q->department_id != NULL && x->veil.n > 0) {
            struct sv_department_place pl;
            rc = sv_department_place_tx(c, x->tenant_id, x->q->department_id,
                                        &pl);
            if (rc == SV_OK && sv_veil_hides(&x->veil, &pl.place))
                rc = SV_E_NOT_FOUND;
        }
        if (rc != SV_OK)
            return rc;
        x->page.veil = sv_veil_param(&x->veil);
    }
    if (x->q->phone != NULL) {
        rc = sv_field_blind_index_tx(c, x->tenant_id,
                                     &employee_store_phone_field, x->q->phone,
                                     phone_bidx);
        if (rc != SV_OK)
            return rc;
        x->page.phone_bidx = phone_bidx;
    }
    if (x->q->id_number != NULL) {
        rc = sv_field_blind_index_tx(c, x->tenant_id,
                                     &employee_store_id_number_field,
                                     x->q->id_number, id_bidx);
        if (rc != SV_OK)
            return rc;
        x->page.id_number_bidx = id_bidx;
    }
    qs = employee_store_page(c, x->tenant_id, &x->page, list_row, x);
    if (x->rc != SV_OK)
        return x->rc;
    if (qs < 0)
        return sv_qs_err(qs);
    *x->more = x->n > x->q->limit;
    return SV_OK;
}

enum sv_err
sv_employee_list(struct sv_db *db, const char *tenant_id,
                 const struct sv_employee_query *q, void (*start)(void *),
                 sv_employee_row_fn row, void *cls, bool *more)
{
    char like[2 * SV_EMPLOYEE_QUERY_MAX * 4 + 3];
    struct list_ctx x = {0};

    *more = false;
    if (q->limit < 1 || q->limit > 200)
        return SV_E_FIELD_INVALID;
    x.tenant_id = tenant_id;
    x.q = q;
    x.start = start;
    x.row = row;
    x.cls = cls;
    x.more = more;
    x.page.department_id = q->department_id;
    x.page.after_key = q->after_key;
    x.page.after_id = q->after_id;
    x.page.limit = q->limit + 1;
    if (q->q != NULL) {
        size_t len = strlen(q->q);
        size_t chars = sv_utf8_valid(q->q, len) ? sv_utf8_len(q->q, len) : 0;
        /* A prefix of the name key, folded as keys are. */
        if (chars < 1 || chars > SV_EMPLOYEE_QUERY_MAX ||
            !sv_like_pattern(q->q, false, like, sizeof like))
            return SV_E_FIELD_INVALID;
        x.page.like = like;
    }
    return sv_db_run_tenant_ro(db, tenant_id, list_tx, &x);
}
