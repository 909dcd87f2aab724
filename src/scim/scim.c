/* SCIM's own parts: see scim.h. */
#include "scim/scim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "scim/scim_store.h"

bool
scim_check_external_id(const char *s, size_t len)
{
    if (len < 1 || len > SCIM_EXTERNAL_ID_MAX || !sv_utf8_valid(s, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

struct list_args {
    const char *tenant_id;
    bool groups;
    const struct scim_list *q;
    scim_id_row_fn row;
    void *cls;
    int64_t *total;
};

static enum sv_err
list_ro(struct sv_dbc *c, void *cls)
{
    struct list_args *a = cls;
    char key[SV_DEPARTMENT_NAME_BYTES + 1];
    struct scim_query q = {a->q->username,    NULL,
                           a->q->external_id, a->q->start_index - 1,
                           a->q->count,       NULL};
    struct sv_veil *v = NULL;
    enum sv_err rc;

    if (a->groups && a->q->name != NULL) {
        if (strlen(a->q->name) > SV_DEPARTMENT_NAME_BYTES) {
            *a->total = 0; /* no group has so long a name */
            return SV_OK;
        }
        sv_department_name_key(a->q->name, key); /* groups fold as this */
        q.name_key = key;
    }
    if (!a->groups && a->q->viewer != NULL) {
        v = malloc(sizeof *v);
        rc = v != NULL ? sv_access_veil_of_tx(c, a->tenant_id, a->q->viewer, v)
                       : SV_E_INTERNAL;
        if (rc != SV_OK) {
            free(v);
            return rc;
        }
        q.veil = sv_veil_param(v);
    }
    rc = sv_qs_ok(
        a->groups
            ? scim_store_groups(c, a->tenant_id, &q, a->row, a->cls, a->total)
            : scim_store_users(c, a->tenant_id, &q, a->row, a->cls, a->total));
    free(v);
    return rc;
}

enum sv_err
scim_list_ids(struct sv_db *db, const char *tenant_id, bool groups,
              const struct scim_list *q, scim_id_row_fn row, void *cls,
              int64_t *total)
{
    struct list_args a = {tenant_id, groups, q, row, cls, total};

    *total = 0;
    if (q->start_index < 1 || q->count < 0 || q->count > SCIM_COUNT_MAX)
        return SV_E_FIELD_INVALID;
    return sv_db_run_tenant_ro(db, tenant_id, list_ro, &a);
}

struct ext_args {
    const char *tenant_id, *resource, *id;
    char *out;
};

static enum sv_err
ext_ro(struct sv_dbc *c, void *cls)
{
    struct ext_args *a = cls;
    return sv_qs_ok(scim_store_external_id(c, a->tenant_id, a->resource, a->id,
                                           a->out, SCIM_EXTERNAL_ID_MAX + 1));
}

enum sv_err
scim_external_id(struct sv_db *db, const char *tenant_id, const char *resource,
                 const char *id, char out[SCIM_EXTERNAL_ID_MAX + 1])
{
    struct ext_args a = {tenant_id, resource, id, out};
    out[0] = '\0';
    return sv_db_run_tenant_ro(db, tenant_id, ext_ro, &a);
}

enum sv_err
scim_set_external_id_tx(struct sv_dbc *c, const char *tenant_id,
                        const char *resource, const char *id,
                        const char *external_id)
{
    enum sv_qs qs =
        scim_store_set_external_id(c, tenant_id, resource, id, external_id);
    if (qs == SV_QS_NONE)
        return SV_E_EXISTS;
    return sv_qs_ok(qs);
}

struct kind_args {
    const char *tenant_id, *id;
    char kind[12];
};

static enum sv_err
kind_ro(struct sv_dbc *c, void *cls)
{
    struct kind_args *a = cls;
    return sv_qs_found(scim_store_member_kind(c, a->tenant_id, a->id, a->kind));
}

enum sv_err
scim_member_kind(struct sv_db *db, const char *tenant_id, const char *id,
                 enum sv_member_kind *kind)
{
    struct kind_args a = {tenant_id, id, ""};
    enum sv_err rc = sv_db_run_tenant_ro(db, tenant_id, kind_ro, &a);

    if (rc == SV_OK && !sv_member_kind_parse(a.kind, kind))
        rc = SV_E_INTERNAL;
    return rc;
}

struct dept_args {
    const char *tenant_id, *path;
    char *out;
};

static enum sv_err
dept_ro(struct sv_dbc *c, void *cls)
{
    struct dept_args *a = cls;
    return sv_department_by_path_tx(c, a->tenant_id, a->path, a->out);
}

enum sv_err
scim_department(struct sv_db *db, const char *tenant_id, const char *path,
                char out[37])
{
    struct dept_args a = {tenant_id, path, out};
    out[0] = '\0';
    return sv_db_run_tenant_ro(db, tenant_id, dept_ro, &a);
}
