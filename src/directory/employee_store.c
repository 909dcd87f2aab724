/* The SQL of employees and their departments: see employee_store.h. */
#include "directory/employee_store.h"

#include <stdio.h>
#include <string.h>

#include "access/veil_sql.h"
#include "core/util.h"

/* The sealed columns: AAD names the table, column and row; the blind
 * index is over the canonical form the caller hands in. */
const struct sv_field_desc employee_store_phone_field = {
    .table = "employees",
    .column = "phone",
    .blind_index = "employees.phone",
    .normalise = NULL,
    .min_len = 2,
    .max_len = SV_E164_MAX,
};
const struct sv_field_desc employee_store_id_number_field = {
    .table = "employees",
    .column = "id_number",
    .blind_index = "employees.id_number",
    .normalise = NULL,
    .min_len = 4,
    .max_len = SV_ID_NUMBER_MAX,
};

/* Re-sealed after a key rotation (directory/field.h). */
SV_SQL(Q_EMPLOYEE_PHONE_PAGE, "employee_phone_sealed_page",
       "SELECT account_id, phone_enc FROM employees WHERE tenant_id = $1 "
       "AND account_id > $2 AND phone_enc IS NOT NULL ORDER BY account_id "
       "LIMIT $3",
       0);
SV_SQL(Q_EMPLOYEE_PHONE_RESEAL, "employee_phone_reseal",
       "UPDATE employees SET phone_enc = $3 WHERE tenant_id = $1 "
       "AND account_id = $2 AND phone_enc = $4",
       0);
SV_SQL(Q_EMPLOYEE_PHONE_COUNT, "employee_phone_sealed_count",
       "SELECT count(*) FROM employees WHERE tenant_id = $1 "
       "AND phone_enc IS NOT NULL",
       0);
SV_SEALED_COLUMN(employee_phone_column, &employee_store_phone_field,
                 &Q_EMPLOYEE_PHONE_PAGE, &Q_EMPLOYEE_PHONE_RESEAL,
                 &Q_EMPLOYEE_PHONE_COUNT);

/* Re-sealed after a key rotation (directory/field.h). */
SV_SQL(Q_EMPLOYEE_ID_NUMBER_PAGE, "employee_id_number_sealed_page",
       "SELECT account_id, id_number_enc FROM employees WHERE tenant_id = $1 "
       "AND account_id > $2 AND id_number_enc IS NOT NULL ORDER BY account_id "
       "LIMIT $3",
       0);
SV_SQL(Q_EMPLOYEE_ID_NUMBER_RESEAL, "employee_id_number_reseal",
       "UPDATE employees SET id_number_enc = $3 WHERE tenant_id = $1 "
       "AND account_id = $2 AND id_number_enc = $4",
       0);
SV_SQL(Q_EMPLOYEE_ID_NUMBER_COUNT, "employee_id_number_sealed_count",
       "SELECT count(*) FROM employees WHERE tenant_id = $1 "
       "AND id_number_enc IS NOT NULL",
       0);
SV_SEALED_COLUMN(employee_id_number_column, &employee_store_id_number_field,
                 &Q_EMPLOYEE_ID_NUMBER_PAGE, &Q_EMPLOYEE_ID_NUMBER_RESEAL,
                 &Q_EMPLOYEE_ID_NUMBER_COUNT);

#define ECOLS                                                                  \
    "e.account_id, e.display_name, e.title, e.employee_no, e.department_id, "  \
    "e.manager_id, e.phone_enc, e.id_number_enc, e.state, e.created_at, "      \
    "e.updated_at"

SV_SQL(Q_EMP_FIND, "employee_find",
       "SELECT " ECOLS " FROM employees e WHERE e.tenant_id = $1 "
       "AND e.account_id = $2",
       0);
SV_SQL(Q_EMP_FURTHER, "employee_further_departments",
       "SELECT ed.department_id FROM employee_departments ed "
       "WHERE ed.tenant_id = $1 AND ed.account_id = $2 AND ed.is_primary = 0 "
       "ORDER BY ed.department_id",
       0);
SV_SQL(Q_EMP_INSERT, "employee_insert",
       "INSERT INTO employees (tenant_id, account_id, display_name, name_key, "
       "title, employee_no, department_id, manager_id, phone_enc, phone_bidx, "
       "id_number_enc, id_number_bidx, state, created_at, updated_at) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', "
       "$13, $13) ON CONFLICT (account_id) DO NOTHING",
       0);
SV_SQL(Q_EMP_UPDATE, "employee_update",
       "UPDATE employees SET display_name = $3, name_key = $4, title = $5, "
       "employee_no = $6, department_id = $7, manager_id = $8, "
       "phone_enc = $9, phone_bidx = $10, id_number_enc = $11, "
       "id_number_bidx = $12, updated_at = $13 "
       "WHERE tenant_id = $1 AND account_id = $2",
       0);
SV_SQL(Q_EMP_DEPTS_CLEAR, "employee_departments_clear",
       "DELETE FROM employee_departments WHERE tenant_id = $1 "
       "AND account_id = $2",
       0);
SV_SQL(Q_EMP_DEPT_ADD, "employee_department_add",
       "INSERT INTO employee_departments (tenant_id, account_id, "
       "department_id, name_key, is_primary) VALUES ($1, $2, $3, $4, $5) "
       "ON CONFLICT (tenant_id, department_id, account_id) DO NOTHING",
       0);
SV_SQL(Q_EMP_NO_TAKEN, "employee_number_taken",
       "SELECT e.account_id FROM employees e WHERE e.tenant_id = $1 "
       "AND e.employee_no = $2 AND e.account_id <> $3",
       0);
SV_SQL(Q_EMP_MANAGER_OF, "employee_manager_of",
       "SELECT e.manager_id FROM employees e WHERE e.tenant_id = $1 "
       "AND e.account_id = $2",
       0);
SV_SQL(Q_EMP_SET_STATE, "employee_set_state",
       "UPDATE employees SET state = $3, updated_at = $4 "
       "WHERE tenant_id = $1 AND account_id = $2",
       0);
SV_SQL(Q_EMP_EACH, "employee_each",
       "SELECT e.account_id, e.employee_no FROM employees e "
       "WHERE e.tenant_id = $1",
       0);
SV_SQL(Q_EMP_IN_DEPT, "employee_in_department",
       "SELECT ed.account_id FROM employee_departments ed "
       "WHERE ed.tenant_id = $1 AND ed.department_id = $2 LIMIT 1",
       0);

/* Pages in (name_key, id) order after the previous page's last row ($3,
 * $4: '' and '' for the first page), with optional filters: $5 a LIKE
 * prefix of the key, $6 / $7 a phone's / ID number's blind index. The
 * CASTs give PostgreSQL the parameters' types; SQLite only asks whether
 * they are NULL (a CAST of a value never is). */
#define LCOLS                                                                  \
    "e.account_id, a.username, e.display_name, e.title, e.employee_no, "       \
    "e.department_id, d.name, e.phone_enc, e.name_key, e.state"
#define LJOIN                                                                  \
    "JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id "    \
    "JOIN departments d ON d.tenant_id = e.tenant_id "                         \
    "AND d.id = e.department_id "
#define LFILTER                                                                \
    "AND (CAST($5 AS TEXT) IS NULL OR e.name_key LIKE $5 ESCAPE '\\') "        \
    "AND (CAST($6 AS BYTEA) IS NULL OR e.phone_bidx = $6) "                    \
    "AND (CAST($7 AS BYTEA) IS NULL OR e.id_number_bidx = $7) "                \
    "AND " SV_VEIL_EMPLOYEE("e.account_id", "$9")
SV_SQL(
    Q_EMP_PAGE, "employee_page",
    "SELECT " LCOLS " FROM employees e " LJOIN "WHERE e.tenant_id = $1 "
    "AND CAST($2 AS TEXT) IS NULL "
    "AND (e.name_key > $3 OR (e.name_key = $3 AND e.account_id > $4)) " LFILTER
    "ORDER BY e.name_key, e.account_id LIMIT $8",
    0);
/* A department's employees (primary or not): one range of
 * employee_departments_page. */
SV_SQL(Q_EMP_DEPT_PAGE, "employee_department_page",
       "SELECT " LCOLS " FROM employee_departments ed "
       "JOIN employees e ON e.tenant_id = ed.tenant_id "
       "AND e.account_id = ed.account_id " LJOIN
       "WHERE ed.tenant_id = $1 AND ed.department_id = $2 "
       "AND (ed.name_key > $3 OR (ed.name_key = $3 AND ed.account_id > "
       "$4)) " LFILTER "ORDER BY ed.name_key, ed.account_id LIMIT $8",
       0);

static void
read_employee(struct sv_stmt *st, struct employee_row *r)
{
    const void *p;
    size_t n;

    memset(r, 0, sizeof *r);
    snprintf(r->e.id, sizeof r->e.id, "%s", sv_stmt_col_text(st, 0));
    snprintf(r->e.display_name, sizeof r->e.display_name, "%s",
             sv_stmt_col_text(st, 1));
    snprintf(r->e.title, sizeof r->e.title, "%s", sv_stmt_col_text(st, 2));
    snprintf(r->e.employee_no, sizeof r->e.employee_no, "%s",
             sv_stmt_col_text(st, 3));
    snprintf(r->e.department_id, sizeof r->e.department_id, "%s",
             sv_stmt_col_text(st, 4));
    snprintf(r->e.manager_id, sizeof r->e.manager_id, "%s",
             sv_stmt_col_text(st, 5));
    p = sv_stmt_col_blob(st, 6, &n);
    if (p != NULL && n <= sizeof r->phone_enc) {
        memcpy(r->phone_enc, p, n);
        r->phone_enc_len = n;
    }
    p = sv_stmt_col_blob(st, 7, &n);
    if (p != NULL && n <= sizeof r->id_number_enc) {
        memcpy(r->id_number_enc, p, n);
        r->id_number_enc_len = n;
    }
    r->e.state = employee_state_parse(sv_stmt_col_text(st, 8));
    r->e.created_at = sv_stmt_col_int(st, 9);
    r->e.updated_at = sv_stmt_col_int(st, 10);
}

enum sv_qs
employee_store_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                    struct employee_row *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_EMP_FIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs != SV_QS_ONE)
        return qs;
    read_employee(st, out);
    st = sv_db_stmt2(c, &Q_EMP_FURTHER, tenant_id, id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        if (out->e.n_departments == SV_EMPLOYEE_DEPTS_MAX)
            return SV_QS_HARD; /* the rules keep it from happening */
        snprintf(out->e.departments[out->e.n_departments++], 37, "%s",
                 sv_stmt_col_text(st, 0));
    }
    return qs < 0 ? qs : SV_QS_ONE;
}

/* Bind the row's columns $3..$12 shared by insert and update. */
static void
bind_row(struct sv_stmt *st, const struct employee_row *r, const char *key)
{
    sv_stmt_text(st, 3, r->e.display_name);
    sv_stmt_text(st, 4, key);
    sv_stmt_text(st, 5, r->e.title);
    sv_stmt_text(st, 6, sv_or_null(r->e.employee_no));
    sv_stmt_text(st, 7, r->e.department_id);
    sv_stmt_text(st, 8, sv_or_null(r->e.manager_id));
    sv_stmt_blob(st, 9, r->phone_enc_len ? r->phone_enc : NULL,
                 r->phone_enc_len);
    sv_stmt_blob(st, 10, r->phone_enc_len ? r->phone_bidx : NULL,
                 r->phone_enc_len ? SV_BLIND_INDEX_LEN : 0);
    sv_stmt_blob(st, 11, r->id_number_enc_len ? r->id_number_enc : NULL,
                 r->id_number_enc_len);
    sv_stmt_blob(st, 12, r->id_number_enc_len ? r->id_number_bidx : NULL,
                 r->id_number_enc_len ? SV_BLIND_INDEX_LEN : 0);
    sv_stmt_int(st, 13, r->e.updated_at);
}

/* The memberships of @p r, the primary one flagged, with the name key
 * (after clearing the old ones unless @p fresh). */
static enum sv_qs
add_departments(struct sv_dbc *c, const char *tenant_id,
                const struct employee_row *r, const char *key, bool fresh)
{
    enum sv_qs qs = fresh ? SV_QS_NONE
                          : sv_stmt_exec(sv_db_stmt2(c, &Q_EMP_DEPTS_CLEAR,
                                                     tenant_id, r->e.id));

    for (size_t i = 0; qs >= 0 && i <= r->e.n_departments; i++) {
        struct sv_stmt *st =
            sv_db_stmt2(c, &Q_EMP_DEPT_ADD, tenant_id, r->e.id);
        sv_stmt_text(st, 3,
                     i == 0 ? r->e.department_id : r->e.departments[i - 1]);
        sv_stmt_text(st, 4, key);
        sv_stmt_int(st, 5, i == 0 ? 1 : 0);
        qs = sv_stmt_exec(st);
    }
    return qs;
}

static enum sv_qs
write_departments(struct sv_dbc *c, const char *tenant_id,
                  const struct employee_row *r, const char *key)
{
    return add_departments(c, tenant_id, r, key, false);
}

enum sv_qs
employee_store_insert_new(struct sv_dbc *c, const char *tenant_id,
                          const struct employee_row *r, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_EMP_INSERT, tenant_id, r->e.id);
    enum sv_qs qs;

    bind_row(st, r, key); /* $13: created_at and updated_at alike */
    qs = sv_stmt_exec(st);
    if (qs != SV_QS_ONE)
        return qs;
    qs = add_departments(c, tenant_id, r, key, true);
    return qs < 0 ? qs : SV_QS_ONE;
}

enum sv_qs
employee_store_insert(struct sv_dbc *c, const char *tenant_id,
                      const struct employee_row *r, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_EMP_INSERT, tenant_id, r->e.id);
    enum sv_qs qs;

    bind_row(st, r, key);
    qs = sv_stmt_exec(st);
    if (qs != SV_QS_ONE)
        return qs;
    qs = write_departments(c, tenant_id, r, key);
    return qs < 0 ? qs : SV_QS_ONE;
}

enum sv_qs
employee_store_update(struct sv_dbc *c, const char *tenant_id,
                      const struct employee_row *r, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_EMP_UPDATE, tenant_id, r->e.id);
    enum sv_qs qs;

    bind_row(st, r, key);
    qs = sv_stmt_exec(st);
    if (qs != SV_QS_ONE)
        return qs;
    qs = write_departments(c, tenant_id, r, key);
    return qs < 0 ? qs : SV_QS_ONE;
}

enum sv_qs
employee_store_number_taken(struct sv_dbc *c, const char *tenant_id,
                            const char *number, const char *except)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_EMP_NO_TAKEN, tenant_id, number);
    sv_stmt_text(st, 3, except);
    return sv_stmt_step(st);
}

enum sv_qs
employee_store_manager_of(struct sv_dbc *c, const char *tenant_id,
                          const char *id, char out[37])
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_EMP_MANAGER_OF, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    out[0] = '\0';
    if (qs == SV_QS_ONE)
        snprintf(out, 37, "%s", sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
employee_store_set_state(struct sv_dbc *c, const char *tenant_id,
                         const char *id, const char *state, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_EMP_SET_STATE, tenant_id, id);
    sv_stmt_text(st, 3, state);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
employee_store_each(struct sv_dbc *c, const char *tenant_id,
                    sv_employee_each_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_EMP_EACH);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        fn(cls, sv_stmt_col_text(st, 0),
           sv_stmt_col_null(st, 1) ? NULL : sv_stmt_col_text(st, 1));
    return qs;
}

enum sv_qs
employee_store_in_department(struct sv_dbc *c, const char *tenant_id,
                             const char *dept_id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_EMP_IN_DEPT, tenant_id, dept_id));
}

enum sv_qs
employee_store_page(struct sv_dbc *c, const char *tenant_id,
                    const struct employee_page *p, employee_page_fn row,
                    void *cls)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, p->department_id ? &Q_EMP_DEPT_PAGE : &Q_EMP_PAGE,
                    tenant_id, p->department_id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, p->after_key ? p->after_key : "");
    sv_stmt_text(st, 4, p->after_id ? p->after_id : "");
    sv_stmt_text(st, 5, p->like);
    sv_stmt_blob(st, 6, p->phone_bidx, p->phone_bidx ? SV_BLIND_INDEX_LEN : 0);
    sv_stmt_blob(st, 7, p->id_number_bidx,
                 p->id_number_bidx ? SV_BLIND_INDEX_LEN : 0);
    sv_stmt_int(st, 8, p->limit);
    sv_stmt_text(st, 9, p->veil);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        size_t n = 0;
        const void *enc = sv_stmt_col_blob(st, 7, &n);
        struct employee_page_row r = {
            .id = sv_stmt_col_text(st, 0),
            .username = sv_stmt_col_text(st, 1),
            .display_name = sv_stmt_col_text(st, 2),
            .title = sv_stmt_col_text(st, 3),
            .employee_no =
                sv_stmt_col_null(st, 4) ? NULL : sv_stmt_col_text(st, 4),
            .department_id = sv_stmt_col_text(st, 5),
            .department_name = sv_stmt_col_text(st, 6),
            .phone_enc = enc,
            .phone_enc_len = enc != NULL ? n : 0,
            .key = sv_stmt_col_text(st, 8),
            .state = employee_state_parse(sv_stmt_col_text(st, 9)),
        };
        if (!row(cls, &r))
            return SV_QS_HARD;
    }
    return qs;
}
