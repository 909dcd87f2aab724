/*
 * Employees (DIR-2, DIR-4; issue 11, parts 1 and 2): the directory profile
 * of an account. An employee is an account (one identity, one id): its
 * display name, title, employee number, one primary department and any
 * further ones, a manager, a phone, an ID number, and a state.
 *
 * Personal data (DIR-4): the phone (E.164, read in the tenant's region)
 * and the ID number (upper case; a mainland resident ID number's check
 * character verified) are sealed with the tenant's field key, AAD naming
 * the tenant, table, column and row, and found by exact match through
 * keyed blind indexes over those canonical forms. The e-mail address is
 * the account's own (identity/), sealed the same way.
 *
 * This module keeps the rows and their rules. Creating the account with
 * its employee, and the permission checks, are people/'s: the *_tx
 * functions run inside the caller's transaction, with the tenant scope
 * set.
 */
#ifndef SV_DIRECTORY_EMPLOYEE_H
#define SV_DIRECTORY_EMPLOYEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "crypto/keyring.h"

struct sv_db;
struct sv_dbc;

/** A display name: 1-128 characters. A title: 0-128. */
#define SV_EMPLOYEE_NAME_MAX 128
/** An employee number: 1-32 of [A-Za-z0-9._-]. */
#define SV_EMPLOYEE_NO_MAX 32
/** Departments besides the primary one, at most. */
#define SV_EMPLOYEE_DEPTS_MAX 16
/** An ID number as stored: a resident ID (18) or another document (4-32
 *  of [A-Z0-9-] after upper-casing). */
#define SV_ID_NUMBER_MAX 32
/** E.164: "+" and at most 15 digits. */
#define SV_E164_MAX 16
/** A search text: 1-64 characters. */
#define SV_EMPLOYEE_QUERY_MAX 64

enum sv_employee_state {
    SV_EMPLOYEE_ACTIVE,
    SV_EMPLOYEE_DISABLED,
    SV_EMPLOYEE_OFFBOARDED,
};
const char *sv_employee_state_name(enum sv_employee_state s);

/** One employee as stored, the sealed fields opened. */
struct sv_employee {
    char id[37]; /* the account's */
    char display_name[SV_EMPLOYEE_NAME_MAX * 4 + 1];
    char title[SV_EMPLOYEE_NAME_MAX * 4 + 1];
    char employee_no[SV_EMPLOYEE_NO_MAX + 1]; /* "" when none */
    char department_id[37];                   /* the primary one */
    size_t n_departments;                     /* further ones */
    char departments[SV_EMPLOYEE_DEPTS_MAX][37];
    char manager_id[37];                  /* "" when none */
    char phone[SV_E164_MAX + 1];          /* "" when none */
    char id_number[SV_ID_NUMBER_MAX + 1]; /* "" when none */
    enum sv_employee_state state;
    int64_t created_at, updated_at;
};

/** Name rule (display name, title): valid UTF-8, no control characters,
 *  @p min..SV_EMPLOYEE_NAME_MAX characters. */
bool sv_check_employee_name(const char *s, size_t len);
bool sv_check_employee_title(const char *s, size_t len);
bool sv_check_employee_no(const char *s, size_t len);

/**
 * The canonical ID number: white space around removed, ASCII upper case;
 * an 18-character value that looks like a mainland resident ID must pass
 * its checks (sv_resident_id_normalise); any other is 4-32 of [A-Z0-9-]
 * (a passport or another document). False when neither.
 */
bool sv_id_number_normalise(const char *in, char out[SV_ID_NUMBER_MAX + 1]);

/** The fields to write; for an update only those marked set. */
struct sv_employee_input {
    const char *display_name;
    bool set_title;
    const char *title;
    bool set_employee_no;
    const char *employee_no; /* NULL: none */
    const char *department_id;
    bool set_departments;
    size_t n_departments;
    const char *const *departments;
    bool set_manager;
    const char *manager_id; /* NULL: none */
    bool set_phone;
    const char *phone; /* canonical E.164, or NULL: none */
    bool set_id_number;
    const char *id_number; /* canonical, or NULL: none */
};

/* ---- inside a transaction ---- */

/** Employee @p id: SV_E_NOT_FOUND when the tenant has none. */
SV_MUST_CHECK enum sv_err sv_employee_find_tx(struct sv_dbc *c,
                                              const char *tenant_id,
                                              const char *id,
                                              struct sv_employee *out);

/**
 * Make account @p id an employee with @p in (every field of it; the
 * departments and manager must exist in the tenant). @p field names the
 * field at fault on a refusal.
 * @return SV_OK; SV_E_EXISTS ("account_id": already an employee;
 *         "employee_no": taken); SV_E_NOT_FOUND ("department_id",
 *         "departments", "manager_id"); SV_E_FIELD_INVALID; database errors.
 */
SV_MUST_CHECK enum sv_err
sv_employee_insert_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                      const struct sv_employee_input *in,
                      struct sv_employee *out, const char **field);

/**
 * For a bulk import (provision/, docs/import.md): make new account @p id an
 * employee with @p in (every field; canonical phone and ID number) at
 * @p now, its phone and ID number sealed and indexed with @p tk, without
 * the checks of sv_employee_insert_tx(): the importer has checked every
 * rule (the departments and the manager exist, the number is free, no
 * manager cycle) under the directory lock. Not audited (the importer's
 * batch is). The statements may be batched (sv_db_batch_begin).
 */
struct sv_tenant_keys;
SV_MUST_CHECK enum sv_err sv_employee_insert_imported_tx(
    struct sv_dbc *c, const struct sv_tenant_keys *tk, const char *tenant_id,
    const char *id, const struct sv_employee_input *in, int64_t now);

/**
 * Change employee @p id: only what @p in marks set (display_name and
 * department_id when not NULL). @p out gets it as it is now, @p before
 * (may be NULL) as it was.
 * @return as insert; SV_E_CONFLICT ("manager_id": the employee would be
 *         among its own managers); SV_E_NOT_FOUND (no field: @p id).
 */
SV_MUST_CHECK enum sv_err
sv_employee_update_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                      const struct sv_employee_input *in,
                      struct sv_employee *before, struct sv_employee *out,
                      const char **field);

/** DIR-6: employee @p id's state becomes @p state (people/ keeps the
 *  account in step). SV_E_NOT_FOUND when the tenant has none. */
SV_MUST_CHECK enum sv_err
sv_employee_set_state_tx(struct sv_dbc *c, const char *tenant_id,
                         const char *id, enum sv_employee_state state);

/** Every employee of the tenant: its id (the account's) and employee
 *  number (NULL when none), for a bulk import's checks. Borrowed strings,
 *  valid during the call. */
typedef void (*sv_employee_each_fn)(void *cls, const char *id,
                                    const char *employee_no);
SV_MUST_CHECK enum sv_err sv_employee_each_tx(struct sv_dbc *c,
                                              const char *tenant_id,
                                              sv_employee_each_fn fn,
                                              void *cls);

/** Whether any employee is in department @p dept_id (primary or not). */
SV_MUST_CHECK enum sv_err sv_employee_in_department_tx(struct sv_dbc *c,
                                                       const char *tenant_id,
                                                       const char *dept_id,
                                                       bool *out);

/* ---- listings ---- */

/** One employee of a listing (borrowed during the callback). */
struct sv_employee_view {
    const char *id, *username, *display_name, *title, *employee_no;
    const char *department_id, *department_name;
    const char *phone; /* E.164, opened; NULL when none */
    const char *key;   /* its sort key, for a cursor */
    enum sv_employee_state state;
};
typedef void (*sv_employee_row_fn)(void *cls, const struct sv_employee_view *e);

struct sv_employee_query {
    const char *department_id; /* NULL: the whole tenant */
    const char *q;             /* a name prefix (case folded), or NULL */
    const char *phone;         /* canonical E.164: exact match, or NULL */
    const char *id_number;     /* canonical: exact match, or NULL */
    const char *after_key, *after_id; /* the previous page's last row */
    int limit;                        /* 1..200 */
    const char *viewer; /* DIR-3: leave out employees hidden from this
                           account (NULL: none left out) */
};

/**
 * A page of employees in name order (key, then id). The phone and ID
 * number are found through their blind indexes. @p start (may be NULL) runs
 * before the first row of each attempt.
 * @return SV_OK; SV_E_NOT_FOUND ("department"); database errors.
 */
SV_MUST_CHECK enum sv_err
sv_employee_list(struct sv_db *db, const char *tenant_id,
                 const struct sv_employee_query *q, void (*start)(void *),
                 sv_employee_row_fn row, void *cls, bool *more);

#endif
