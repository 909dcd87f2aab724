/*
 * The parsed file, shared by the parser (import_parse.c) and the import
 * (import.c): private to provision/.
 */
#ifndef SV_PROVISION_IMPORT_DOC_H
#define SV_PROVISION_IMPORT_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provision/import.h"

/** A string → index map (open addressing); keys are borrowed. */
struct imp_map {
    uint32_t cap, n; /* cap a power of two */
    struct imp_slot {
        const char *key;
        uint32_t hash;
        int32_t value;
    } * slots;
};
void imp_map_fini(struct imp_map *m);
/** The value of @p key, or -1. */
int32_t imp_map_get(const struct imp_map *m, const char *key);
/** Put @p key (borrowed: must outlive the map) unless there: its value
 *  either way (the old one when there). */
int32_t imp_map_put(struct imp_map *m, const char *key, int32_t value);

/** A department a path of the file names: a node of the file's tree. */
struct imp_dept {
    int32_t parent;   /* index; -1: a top department */
    const char *name; /* as first written */
    const char *key;  /* the name key (sv_department_name_key) */
    const char *path; /* "Sales/East", for messages */
    uint32_t line;    /* the first line naming it */
    int column;       /* and the column */
    /* Against the database (set per attempt by import.c): */
    bool exists;
    int8_t allowed; /* -1 not asked yet, 0, 1 */
    char id[37];
};

#define IMP_MANAGER_REFUSED (-2)

/** One data line. */
struct imp_row {
    uint32_t line;
    bool dept_only; /* only a department: nothing but it */
    bool bad;       /* has an error of its own: not written */
    const char *f[SV_IMPORT__COLUMNS]; /* canonical values; NULL: empty */
    int32_t dept;                      /* primary: index in depts; -1 */
    uint16_t n_further;
    int32_t *further;
    int32_t manager_row; /* the manager's row in the file; -1 none there;
                            IMP_MANAGER_REFUSED: its error given */
    /* Against the database (set per attempt by import.c): */
    const char *manager_id; /* an employee's id, when the manager is one */
    char id[37];            /* the new account's */
};

/** Errors as found; sorted when reported. */
struct imp_error {
    struct sv_import_error e;
    int col;      /* its column's position in the file (-1: none) */
    uint32_t seq; /* found order: a stable sort */
};
struct imp_errors {
    struct imp_error *v;
    size_t n, cap;
    size_t total; /* every one, kept or not */
};

struct sv_import_doc {
    struct sv_arena *arena;
    char region[3];
    int col_of[SV_IMPORT__COLUMNS]; /* a column's position, -1: absent */
    int n_cols;                     /* fields the header has */
    bool header_ok;
    struct imp_row *rows;
    size_t n_rows, cap_rows;
    struct imp_dept *depts;
    size_t n_depts, cap_depts;
    struct imp_map dept_map;     /* "<parent index>/<key>" → dept */
    struct imp_map username_map; /* → row */
    struct imp_map number_map;   /* employee_no → row */
    size_t n_employees;
    struct imp_errors errors; /* the file's own */
};

/**
 * Add an error of @p line to @p e: in column @p column (a name; NULL: the
 * line as a whole) at position @p pos (-1: none; the sort order within a
 * line), message from @p fmt (printf, into @p a), @p arg copied into @p a.
 */
void imp_error_add(struct imp_errors *e, struct sv_arena *a, uint32_t line,
                   const char *column, int pos, const char *rule,
                   const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
void imp_errors_fini(struct imp_errors *e);
/** @p a's and @p b's errors, sorted, into @p out (strings copied into its
 *  own arena). @p b may be NULL. */
void imp_errors_report(const struct imp_errors *a, const struct imp_errors *b,
                       struct sv_import_report *out);

#endif
