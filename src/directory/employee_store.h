/* directory's employee SQL (only here): see employee.h. */
#ifndef SV_DIRECTORY_EMPLOYEE_STORE_H
#define SV_DIRECTORY_EMPLOYEE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "directory/employee.h"
#include "directory/field.h"

/* The sealed columns (DATA-2): AAD names the table, column and row. */
extern const struct sv_field_desc employee_store_phone_field;
extern const struct sv_field_desc employee_store_id_number_field;

/** An employee row with its sealed fields as stored. */
struct employee_row {
    struct sv_employee e;
    uint8_t phone_enc[256], id_number_enc[256];
    size_t phone_enc_len, id_number_enc_len;
    uint8_t phone_bidx[SV_BLIND_INDEX_LEN], id_number_bidx[SV_BLIND_INDEX_LEN];
};

enum sv_employee_state employee_state_parse(const char *s);

/** Employee @p id with its further departments (sealed fields as stored). */
enum sv_qs employee_store_find(struct sv_dbc *c, const char *tenant_id,
                               const char *id, struct employee_row *out);
/** Insert @p r (SV_QS_NONE: the account is an employee already) and its
 *  memberships, under name key @p key. */
enum sv_qs employee_store_insert(struct sv_dbc *c, const char *tenant_id,
                                 const struct employee_row *r, const char *key);
/** Insert new employee @p r and its memberships (none to clear first). */
enum sv_qs employee_store_insert_new(struct sv_dbc *c, const char *tenant_id,
                                     const struct employee_row *r,
                                     const char *key);
/** Rewrite @p r and its memberships. */
enum sv_qs employee_store_update(struct sv_dbc *c, const char *tenant_id,
                                 const struct employee_row *r, const char *key);
/** SV_QS_ONE when another employee than @p except has @p number. */
enum sv_qs employee_store_number_taken(struct sv_dbc *c, const char *tenant_id,
                                       const char *number, const char *except);
/** The manager of employee @p id into @p out ("" when none); SV_QS_NONE
 *  when @p id is no employee. */
enum sv_qs employee_store_manager_of(struct sv_dbc *c, const char *tenant_id,
                                     const char *id, char out[37]);
/** Set employee @p id's state (a name of the CHECK) and updated_at. */
enum sv_qs employee_store_set_state(struct sv_dbc *c, const char *tenant_id,
                                    const char *id, const char *state,
                                    int64_t now);
/** Every employee's id and number (NULL: none). */
enum sv_qs employee_store_each(struct sv_dbc *c, const char *tenant_id,
                               sv_employee_each_fn fn, void *cls);
/** SV_QS_ONE when an employee is in department @p dept_id. */
enum sv_qs employee_store_in_department(struct sv_dbc *c, const char *tenant_id,
                                        const char *dept_id);

/** A page's filters (see sv_employee_query). */
struct employee_page {
    const char *department_id, *like;
    const uint8_t *phone_bidx, *id_number_bidx;
    const char *after_key, *after_id;
    int limit;
    const char *veil; /* DIR-3 (access/veil_sql.h): ",id," or NULL */
};
struct employee_page_row {
    const char *id, *username, *display_name, *title, *employee_no;
    const char *department_id, *department_name, *key;
    const uint8_t *phone_enc;
    size_t phone_enc_len;
    enum sv_employee_state state;
};
typedef bool (*employee_page_fn)(void *cls, const struct employee_page_row *r);
enum sv_qs employee_store_page(struct sv_dbc *c, const char *tenant_id,
                               const struct employee_page *p,
                               employee_page_fn row, void *cls);

#endif
