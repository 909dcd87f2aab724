/*
 * The CSV import's parser and the rules a file meets on its own (see
 * import.h, docs/import.md). The CSV itself is libcsv's (strict mode:
 * RFC 4180 quoting, a stray quote is an error); this file counts lines,
 * reads the header and checks every field and the rules among lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <sodium.h>

#include "core/util.h"
#include "directory/department.h"
#include "directory/employee.h"
#include "directory/personal.h"
#include "directory/phone.h"
#include "identity/identity.h"
#include "provision/import_doc.h"

static const char *const column_names[SV_IMPORT__COLUMNS] = {
    [SV_IMPORT_USERNAME] = "username",
    [SV_IMPORT_DISPLAY_NAME] = "display_name",
    [SV_IMPORT_EMAIL] = "email",
    [SV_IMPORT_PHONE] = "phone",
    [SV_IMPORT_ID_NUMBER] = "id_number",
    [SV_IMPORT_TITLE] = "title",
    [SV_IMPORT_EMPLOYEE_NO] = "employee_no",
    [SV_IMPORT_DEPARTMENT] = "department",
    [SV_IMPORT_DEPARTMENTS] = "departments",
    [SV_IMPORT_MANAGER] = "manager",
};

const char *
sv_import_column_name(enum sv_import_column c)
{
    return (unsigned)c < SV_IMPORT__COLUMNS ? column_names[c] : NULL;
}

const char *
sv_import_phase_name(enum sv_import_phase p)
{
    static const char *const names[] = {"queued", "reading", "checking",
                                        "writing", "finished"};
    return (unsigned)p <= SV_IMPORT_FINISHED ? names[p] : "?";
}

/* ---- a small string map ---- */

static uint32_t
hash_of(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void
imp_map_fini(struct imp_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static struct imp_slot *
slot_of(const struct imp_map *m, const char *key, uint32_t h)
{
    uint32_t mask = m->cap - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        struct imp_slot *s = &m->slots[i];
        if (s->key == NULL || (s->hash == h && strcmp(s->key, key) == 0))
            return s;
    }
}

int32_t
imp_map_get(const struct imp_map *m, const char *key)
{
    const struct imp_slot *s;

    if (m->cap == 0)
        return -1;
    s = slot_of(m, key, hash_of(key));
    return s->key != NULL ? s->value : -1;
}

int32_t
imp_map_put(struct imp_map *m, const char *key, int32_t value)
{
    uint32_t h = hash_of(key);
    struct imp_slot *s;

    if ((m->n + 1) * 2 > m->cap) { /* at most half full */
        struct imp_map bigger = {m->cap ? m->cap * 2 : 64, 0, NULL};
        bigger.slots = sv_xcalloc(bigger.cap, sizeof *bigger.slots);
        for (uint32_t i = 0; i < m->cap; i++) {
            if (m->slots[i].key != NULL) {
                *slot_of(&bigger, m->slots[i].key, m->slots[i].hash) =
                    m->slots[i];
                bigger.n++;
            }
        }
        free(m->slots);
        *m = bigger;
    }
    s = slot_of(m, key, h);
    if (s->key != NULL)
        return s->value;
    s->key = key;
    s->hash = h;
    s->value = value;
    m->n++;
    return value;
}

/* ---- errors ---- */

void
imp_error_add(struct imp_errors *e, struct sv_arena *a, uint32_t line,
              const char *column, int pos, const char *rule, const char *arg,
              const char *fmt, ...)
{
    struct imp_error *x;
    va_list ap;
    char msg[512];

    e->total++;
    if (e->n == SV_IMPORT_ERRORS_MAX)
        return; /* counted, not kept */
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->v = realloc(e->v, e->cap * sizeof *e->v);
        if (e->v == NULL)
            sv_abort_at(__FILE__, __LINE__, "out of memory");
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    x = &e->v[e->n];
    x->e.line = line;
    x->e.column = column != NULL ? sv_arena_strdup(a, column) : NULL;
    x->e.rule = rule;
    x->e.arg = arg != NULL ? sv_arena_strdup(a, arg) : NULL;
    x->e.message = sv_arena_strdup(a, msg);
    x->col = pos;
    x->seq = (uint32_t)e->n;
    e->n++;
}

void
imp_errors_fini(struct imp_errors *e)
{
    free(e->v);
    memset(e, 0, sizeof *e);
}

static int
error_order(const void *pa, const void *pb)
{
    const struct imp_error *a = pa, *b = pb;
    if (a->e.line != b->e.line)
        return a->e.line < b->e.line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void
imp_errors_report(const struct imp_errors *a, const struct imp_errors *b,
                  struct sv_import_report *out)
{
    size_t n = a->n + (b != NULL ? b->n : 0), k = 0;
    struct imp_error *all = sv_xcalloc(n ? n : 1, sizeof *all);

    if (a->n > 0)
        memcpy(all, a->v, a->n * sizeof *all);
    if (b != NULL && b->n > 0)
        memcpy(all + a->n, b->v, b->n * sizeof *all);
    for (size_t i = 0; i < n; i++) /* b's after a's found at the same spot */
        all[i].seq = (uint32_t)i;
    qsort(all, n, sizeof *all, error_order);
    out->n_errors = a->total + (b != NULL ? b->total : 0);
    out->n_kept = n < SV_IMPORT_ERRORS_MAX ? n : SV_IMPORT_ERRORS_MAX;
    if (out->arena == NULL)
        out->arena = sv_arena_new();
    out->errors =
        sv_arena_zalloc(out->arena, (out->n_kept + 1) * sizeof *out->errors);
    for (size_t i = 0; i < out->n_kept; i++) {
        const struct sv_import_error *e = &all[i].e;
        struct sv_import_error *o = &out->errors[k++];
        o->line = e->line;
        o->column = e->column ? sv_arena_strdup(out->arena, e->column) : NULL;
        o->rule = e->rule;
        o->arg = e->arg ? sv_arena_strdup(out->arena, e->arg) : NULL;
        o->message = sv_arena_strdup(out->arena, e->message);
    }
    free(all);
}

void
sv_import_report_fini(struct sv_import_report *r)
{
    sv_arena_free(r->arena);
    memset(r, 0, sizeof *r);
}

/* ---- the document ---- */

void
sv_import_doc_free(struct sv_import_doc *d)
{
    if (d == NULL)
        return;
    imp_map_fini(&d->dept_map);
    imp_map_fini(&d->username_map);
    imp_map_fini(&d->number_map);
    imp_errors_fini(&d->errors);
    if (d->rows != NULL)
        sodium_memzero(d->rows, d->cap_rows * sizeof *d->rows);
    free(d->rows);
    free(d->depts);
    sv_arena_free(d->arena); /* wipes the values */
    free(d);
}

size_t
sv_import_doc_lines(const struct sv_import_doc *d)
{
    return d->n_rows;
}

size_t
sv_import_doc_employees(const struct sv_import_doc *d)
{
    return d->n_employees;
}

size_t
sv_import_doc_departments(const struct sv_import_doc *d)
{
    return d->n_depts;
}

void
sv_import_doc_report(struct sv_import_doc *d, struct sv_import_report *out)
{
    memset(out, 0, sizeof *out);
    out->lines = d->n_rows;
    out->employees = d->n_employees;
    out->departments = d->n_depts;
    imp_errors_report(&d->errors, NULL, out);
}

/* ---- reading ---- */

/* Fields of one record kept at most (more are counted: an error). */
enum { FIELDS_KEEP = 2 * SV_IMPORT__COLUMNS + 4 };
/* The parser's input per call: progress and cancellation in between. */
enum { CHUNK = 64 * 1024 };

struct field {
    size_t off, len;
    bool too_long, has_nul;
};

struct parse_ctx {
    struct sv_import_doc *d;
    const struct sv_import_options *o;
    uint32_t line;     /* the physical line being read (1-based) */
    bool cr_pending;   /* a CR ended the last record: its LF is no line */
    uint32_t rec_line; /* where the current record starts */
    size_t n_fields;   /* of the current record (kept or not) */
    struct field fields[FIELDS_KEEP];
    char *buf; /* the current record's kept fields, back to back */
    size_t buf_len, buf_cap;
    bool header_done;
    bool stop; /* a reason to read no further (too many lines) */
};

static void doc_error(struct sv_import_doc *d, uint32_t line, int column,
                      const char *rule, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* An error of column @p column (an enum sv_import_column; -1: none). */
static void
doc_error(struct sv_import_doc *d, uint32_t line, int column, const char *rule,
          const char *arg, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    imp_error_add(&d->errors, d->arena, line,
                  column >= 0 ? column_names[column] : NULL,
                  column >= 0 ? d->col_of[column] : -1, rule, arg, "%s", msg);
}

/* Line breaks inside a (quoted) field: LF, CRLF or a lone CR, each one. */
static uint32_t
breaks_in(const char *s, size_t len)
{
    uint32_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n' ||
            (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n')))
            n++;
    return n;
}

static void
on_field(void *data, size_t len, void *cls)
{
    struct parse_ctx *x = cls;
    const char *s = data != NULL ? data : "";
    struct field *f;

    if (x->stop)
        return;
    if (x->n_fields == 0)
        x->rec_line = x->line;
    x->cr_pending = false;
    x->line += breaks_in(s, len);
    if (x->n_fields++ >= FIELDS_KEEP)
        return; /* counted: the record has too many fields */
    f = &x->fields[x->n_fields - 1];
    memset(f, 0, sizeof *f);
    f->too_long = len > SV_IMPORT_FIELD_MAX;
    f->has_nul = !f->too_long && memchr(s, '\0', len) != NULL;
    if (f->too_long || f->has_nul)
        return;
    if (!sv_wipe_grow(&x->buf, &x->buf_cap, x->buf_len, x->buf_len + len + 1,
                      1024, (size_t)FIELDS_KEEP * (SV_IMPORT_FIELD_MAX + 1)))
        sv_abort_at(__FILE__, __LINE__, "out of memory");
    f->off = x->buf_len;
    f->len = len;
    memcpy(x->buf + x->buf_len, s, len);
    x->buf[x->buf_len + len] = '\0';
    x->buf_len += len + 1;
}

/* Field @p i of the current record, spaces and tabs around it removed
 * (quoted ones too: a name never starts with a blank). */
static const char *
field_text(struct parse_ctx *x, size_t i, size_t *len)
{
    const struct field *f = &x->fields[i];
    char *s = x->buf + f->off;
    size_t n = f->len;

    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    s[n] = '\0';
    *len = n;
    return s;
}

/* The header: every name known, none twice, the department named. */
static void
read_header(struct parse_ctx *x)
{
    struct sv_import_doc *d = x->d;
    bool ok = true;

    for (int c = 0; c < SV_IMPORT__COLUMNS; c++)
        d->col_of[c] = -1;
    d->n_cols = (int)x->n_fields;
    for (size_t i = 0; i < x->n_fields; i++) {
        char name[SV_IMPORT_FIELD_MAX + 1];
        size_t len = 0;
        int found = -1;

        if (i >= FIELDS_KEEP) {
            imp_error_add(
                &d->errors, d->arena, 1, NULL, (int)i, "column_unknown", NULL,
                "more columns than the %d the format has", SV_IMPORT__COLUMNS);
            ok = false;
            break;
        }
        if (x->fields[i].too_long || x->fields[i].has_nul) {
            len = 0;
        } else {
            const char *t = field_text(x, i, &len);
            memcpy(name, t, len + 1);
        }
        for (size_t k = 0; k < len; k++)
            if (name[k] >= 'A' && name[k] <= 'Z')
                name[k] = (char)(name[k] - 'A' + 'a');
        for (int c = 0; c < SV_IMPORT__COLUMNS; c++)
            if (len > 0 && strcmp(name, column_names[c]) == 0)
                found = c;
        if (found < 0) {
            /* Named back only when it is short, printable UTF-8. */
            bool show = len > 0 && len <= 64 && sv_utf8_valid(name, len);
            for (size_t k = 0; show && k < len; k++)
                show = (unsigned char)name[k] >= 0x20 && name[k] != 0x7f;
            imp_error_add(&d->errors, d->arena, 1, show ? name : NULL, (int)i,
                          "column_unknown", show ? name : NULL,
                          len == 0 ? "a column without a name"
                                   : "not a column of the format");
            ok = false;
        } else if (d->col_of[found] >= 0) {
            imp_error_add(&d->errors, d->arena, 1, column_names[found], (int)i,
                          "column_duplicate", NULL, "named twice");
            ok = false;
        } else {
            d->col_of[found] = (int)i;
        }
    }
    if (d->col_of[SV_IMPORT_DEPARTMENT] < 0) {
        imp_error_add(&d->errors, d->arena, 1, "department", d->n_cols,
                      "column_missing", NULL, "a required column is missing");
        ok = false;
    }
    d->header_ok = ok;
}

/* A department name of the file: 1-128 characters. */
struct segment {
    char name[SV_DEPARTMENT_NAME_BYTES + 1];
    size_t len;
};

/*
 * Split @p text into its paths (@p many: separated by ';') and each path
 * into its names (separated by '/'; a backslash makes the next character
 * plain). Calls @p fn for each path with its names; stops at a refusal.
 * Returns a rule name and fills @p why on a syntax error, else NULL.
 */
typedef const char *(*path_fn)(void *cls, const struct segment *segs, size_t n);

static const char *
split_paths(const char *text, bool many, path_fn fn, void *cls,
            const char **why)
{
    struct segment *segs =
        sv_xcalloc(SV_DEPARTMENT_DEPTH_MAX + 1, sizeof *segs);
    const char *rule = NULL;
    size_t n = 0, len = 0;
    bool any = false; /* a character of the current path seen */

    for (const char *p = text;; p++) {
        char ch = *p;
        bool end_seg = ch == '\0' || ch == '/' || (many && ch == ';');
        bool escaped = false;
        if (ch == '\\' && p[1] != '\0') {
            ch = *++p;
            end_seg = false;
            escaped = true;
        } else if (ch == '\\') {
            rule = "department_invalid";
            *why = "a backslash at the end: write \\\\ for one";
            break;
        } else if (!many && ch == ';') {
            rule = "department_invalid";
            *why = "one department here: put further ones in departments "
                   "(or write \\; in a name)";
            break;
        }
        if (!end_seg) {
            /* A blank alone makes no path ("a; " is one: "a"). */
            any = any || escaped || (ch != ' ' && ch != '\t');
            if (len >= SV_DEPARTMENT_NAME_BYTES) {
                rule = "department_invalid";
                *why = "a name longer than 128 characters";
                break;
            }
            segs[n].name[len++] = ch;
            continue;
        }
        /* The end of a name: trimmed, checked. */
        if (any || ch == '/' || n > 0) {
            char *s = segs[n].name;
            size_t a = 0;
            s[len] = '\0';
            while (a < len && (s[a] == ' ' || s[a] == '\t'))
                a++;
            while (len > a && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
            memmove(s, s + a, len - a);
            len -= a;
            s[len] = '\0';
            if (!sv_check_department_name(s, len)) {
                rule = "department_invalid";
                *why = len == 0 ? "an empty name in the path"
                                : "a name must be 1-128 characters, no "
                                  "control characters";
                break;
            }
            segs[n++].len = len;
            len = 0;
            if (n > SV_DEPARTMENT_DEPTH_MAX) {
                rule = "department_too_deep";
                *why = "deeper than 32 levels";
                break;
            }
        }
        if (ch == '\0' || ch == ';') {
            if (n > 0 && (rule = fn(cls, segs, n)) != NULL) {
                *why = NULL;
                break;
            }
            n = 0;
            any = false;
            if (ch == '\0')
                break;
        }
    }
    sodium_memzero(segs, (SV_DEPARTMENT_DEPTH_MAX + 1) * sizeof *segs);
    free(segs);
    return rule;
}

/* The path of department @p i as shown in messages: "Sales/East". */
static const char *
path_text(struct sv_import_doc *d, int32_t parent, const char *name)
{
    const char *up = parent >= 0 ? d->depts[parent].path : NULL;
    char *esc = sv_arena_alloc(d->arena, 2 * strlen(name) + 1), *q = esc;

    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '/' || *p == ';' || *p == '\\')
            *q++ = '\\';
        *q++ = *p;
    }
    *q = '\0';
    return up != NULL ? sv_arena_printf(d->arena, "%s/%s", up, esc) : esc;
}

/* The department node of path @p segs, made (with its parents) when the
 * file names it for the first time. */
static int32_t
resolve_path(struct sv_import_doc *d, const struct segment *segs, size_t n,
             uint32_t line, int column)
{
    int32_t at = -1;

    for (size_t i = 0; i < n; i++) {
        char key[SV_DEPARTMENT_NAME_BYTES + 1];
        char *map_key;
        int32_t got;

        sv_department_name_key(segs[i].name, key);
        map_key = sv_arena_printf(d->arena, "%d/%s", (int)at, key);
        got = imp_map_get(&d->dept_map, map_key);
        if (got < 0) {
            struct imp_dept *nd;
            if (d->n_depts == d->cap_depts) {
                d->cap_depts = d->cap_depts ? d->cap_depts * 2 : 64;
                d->depts = realloc(d->depts, d->cap_depts * sizeof *d->depts);
                if (d->depts == NULL)
                    sv_abort_at(__FILE__, __LINE__, "out of memory");
            }
            got = (int32_t)d->n_depts++;
            nd = &d->depts[got];
            memset(nd, 0, sizeof *nd);
            nd->parent = at;
            nd->name = sv_arena_strdup(d->arena, segs[i].name);
            nd->key = sv_arena_strdup(d->arena, key);
            nd->path = path_text(d, at, segs[i].name);
            nd->line = line;
            nd->column = column;
            nd->allowed = -1;
            imp_map_put(&d->dept_map, map_key, got);
        }
        at = got;
    }
    return at;
}

struct paths_ctx {
    struct sv_import_doc *d;
    struct imp_row *row;
    int column;
    int32_t found[SV_EMPLOYEE_DEPTS_MAX + 1];
    size_t n;
    bool too_many;
    /* first pass: only check; second: resolve */
    bool resolve;
};

static const char *
one_path(void *cls, const struct segment *segs, size_t n)
{
    struct paths_ctx *p = cls;

    if (p->n ==
        (p->column == SV_IMPORT_DEPARTMENTS ? SV_EMPLOYEE_DEPTS_MAX : 1)) {
        p->too_many = true;
        return "departments_too_many";
    }
    p->found[p->n++] =
        p->resolve ? resolve_path(p->d, segs, n, p->row->line, p->column) : -1;
    return NULL;
}

/* The paths of column @p column into @p p: checked first, made only when
 * all are good. False (with the error added) on a refusal. */
static bool
read_paths(struct sv_import_doc *d, struct imp_row *row, int column,
           const char *text, struct paths_ctx *p)
{
    bool many = column == SV_IMPORT_DEPARTMENTS;
    const char *why = NULL, *rule;

    memset(p, 0, sizeof *p);
    p->d = d;
    p->row = row;
    p->column = column;
    rule = split_paths(text, many, one_path, p, &why);
    if (rule == NULL) {
        p->n = 0;
        p->resolve = true;
        rule = split_paths(text, many, one_path, p, &why);
    }
    if (rule == NULL)
        return true;
    if (p->too_many)
        doc_error(d, row->line, column, rule, "16",
                  "more than 16 further departments");
    else
        doc_error(d, row->line, column, rule, NULL, "%s",
                  why != NULL ? why : "not a department path");
    return false;
}

/* The checks of one employee's fields into @p row (canonical values). */
static void
check_employee(struct parse_ctx *x, struct imp_row *row, const char **v,
               const size_t *vlen)
{
    struct sv_import_doc *d = x->d;
    struct sv_arena *a = d->arena;
    uint32_t line = row->line;
    struct paths_ctx p;

#define BAD(col, rule, arg, ...)                                               \
    do {                                                                       \
        doc_error(d, line, (col), (rule), (arg), __VA_ARGS__);                 \
        row->bad = true;                                                       \
    } while (0)

    const char *u = v[SV_IMPORT_USERNAME];
    if (u == NULL)
        BAD(SV_IMPORT_USERNAME, "required", NULL, "required");
    else if (!sv_check_username(u, vlen[SV_IMPORT_USERNAME]))
        BAD(SV_IMPORT_USERNAME, "username_invalid", NULL,
            "3-64 of a-z, 0-9, '.', '_', '-', starting with a letter or "
            "digit");
    else {
        row->f[SV_IMPORT_USERNAME] = sv_arena_strdup(a, u);
        int32_t first =
            imp_map_put(&d->username_map, row->f[SV_IMPORT_USERNAME],
                        (int32_t)(row - d->rows));
        if (first != (int32_t)(row - d->rows)) {
            char at[16];
            snprintf(at, sizeof at, "%u", d->rows[first].line);
            BAD(SV_IMPORT_USERNAME, "username_duplicate", at,
                "the same username as line %s", at);
        }
    }

    const char *n = v[SV_IMPORT_DISPLAY_NAME];
    if (n == NULL)
        BAD(SV_IMPORT_DISPLAY_NAME, "required", NULL, "required");
    else if (!sv_check_employee_name(n, vlen[SV_IMPORT_DISPLAY_NAME]))
        BAD(SV_IMPORT_DISPLAY_NAME, "display_name_invalid", NULL,
            "1-128 characters, no control characters");
    else
        row->f[SV_IMPORT_DISPLAY_NAME] = sv_arena_strdup(a, n);

    if (v[SV_IMPORT_EMAIL] != NULL) {
        char canon[SV_PERSONAL_EMAIL_MAX + 1];
        if (!sv_email_normalise(v[SV_IMPORT_EMAIL], canon) ||
            !sv_check_email(canon, strlen(canon)))
            BAD(SV_IMPORT_EMAIL, "email_invalid", NULL,
                "not an e-mail address");
        else
            row->f[SV_IMPORT_EMAIL] = sv_arena_strdup(a, canon);
        sodium_memzero(canon, sizeof canon);
    }

    if (v[SV_IMPORT_PHONE] != NULL) {
        char e164[SV_PHONE_E164_MAX + 1];
        if (sv_phone_normalise(v[SV_IMPORT_PHONE], d->region, e164) !=
            SV_PHONE_OK)
            BAD(SV_IMPORT_PHONE, "phone_invalid", d->region,
                "not a valid phone number for region %s", d->region);
        else
            row->f[SV_IMPORT_PHONE] = sv_arena_strdup(a, e164);
        sodium_memzero(e164, sizeof e164);
    }

    if (v[SV_IMPORT_ID_NUMBER] != NULL) {
        char canon[SV_ID_NUMBER_MAX + 1];
        if (!sv_id_number_normalise(v[SV_IMPORT_ID_NUMBER], canon))
            BAD(SV_IMPORT_ID_NUMBER, "id_number_invalid", NULL,
                "not an ID number: a mainland resident ID number needs a "
                "real birth date and the right check character; another "
                "document 4-32 of A-Z, 0-9, '-'");
        else
            row->f[SV_IMPORT_ID_NUMBER] = sv_arena_strdup(a, canon);
        sodium_memzero(canon, sizeof canon);
    }

    if (v[SV_IMPORT_TITLE] != NULL) {
        if (!sv_check_employee_title(v[SV_IMPORT_TITLE], vlen[SV_IMPORT_TITLE]))
            BAD(SV_IMPORT_TITLE, "title_invalid", NULL,
                "at most 128 characters, no control characters");
        else
            row->f[SV_IMPORT_TITLE] = sv_arena_strdup(a, v[SV_IMPORT_TITLE]);
    }

    const char *no = v[SV_IMPORT_EMPLOYEE_NO];
    if (no != NULL) {
        if (!sv_check_employee_no(no, vlen[SV_IMPORT_EMPLOYEE_NO])) {
            BAD(SV_IMPORT_EMPLOYEE_NO, "employee_no_invalid", NULL,
                "1-32 of A-Z, a-z, 0-9, '.', '_', '-'");
        } else {
            row->f[SV_IMPORT_EMPLOYEE_NO] = sv_arena_strdup(a, no);
            int32_t first =
                imp_map_put(&d->number_map, row->f[SV_IMPORT_EMPLOYEE_NO],
                            (int32_t)(row - d->rows));
            if (first != (int32_t)(row - d->rows)) {
                char at[16];
                snprintf(at, sizeof at, "%u", d->rows[first].line);
                BAD(SV_IMPORT_EMPLOYEE_NO, "employee_no_duplicate", at,
                    "the same employee number as line %s", at);
            }
        }
    }

    if (v[SV_IMPORT_DEPARTMENT] == NULL)
        BAD(SV_IMPORT_DEPARTMENT, "required", NULL, "required");
    else if (!read_paths(d, row, SV_IMPORT_DEPARTMENT, v[SV_IMPORT_DEPARTMENT],
                         &p))
        row->bad = true;
    else
        row->dept = p.found[0];

    if (v[SV_IMPORT_DEPARTMENTS] != NULL) {
        if (!read_paths(d, row, SV_IMPORT_DEPARTMENTS, v[SV_IMPORT_DEPARTMENTS],
                        &p)) {
            row->bad = true;
        } else {
            bool dup = false;
            for (size_t i = 0; i < p.n; i++) {
                dup = dup || p.found[i] == row->dept;
                for (size_t j = 0; j < i; j++)
                    dup = dup || p.found[i] == p.found[j];
            }
            if (dup) {
                BAD(SV_IMPORT_DEPARTMENTS, "departments_duplicate", NULL,
                    "names a department twice, or the primary one");
            } else if (p.n > 0) {
                row->further = sv_arena_alloc(a, p.n * sizeof *row->further);
                memcpy(row->further, p.found, p.n * sizeof *row->further);
                row->n_further = (uint16_t)p.n;
            }
        }
    }

    const char *m = v[SV_IMPORT_MANAGER];
    if (m != NULL) {
        if (!sv_check_username(m, vlen[SV_IMPORT_MANAGER]))
            BAD(SV_IMPORT_MANAGER, "manager_invalid", NULL,
                "a manager is named by username: 3-64 of a-z, 0-9, '.', "
                "'_', '-'");
        else
            row->f[SV_IMPORT_MANAGER] = sv_arena_strdup(a, m);
    }
#undef BAD
}

/* One data record. */
static void
read_row(struct parse_ctx *x)
{
    struct sv_import_doc *d = x->d;
    const char *v[SV_IMPORT__COLUMNS] = {0};
    size_t vlen[SV_IMPORT__COLUMNS] = {0};
    struct imp_row *row;
    bool only_dept = true;

    if (d->n_rows == SV_IMPORT_LINES_MAX) {
        doc_error(d, x->rec_line, -1, "too_many_lines", "200000",
                  "more than %d lines: split the file", SV_IMPORT_LINES_MAX);
        x->stop = true;
        return;
    }
    if (d->n_rows == d->cap_rows) {
        size_t cap = d->cap_rows ? d->cap_rows * 2 : 256;
        struct imp_row *r = sv_xcalloc(cap, sizeof *r);
        if (d->rows != NULL) {
            memcpy(r, d->rows, d->n_rows * sizeof *r);
            sodium_memzero(d->rows, d->cap_rows * sizeof *d->rows);
            free(d->rows);
        }
        d->rows = r;
        d->cap_rows = cap;
    }
    row = &d->rows[d->n_rows++];
    memset(row, 0, sizeof *row);
    row->line = x->rec_line;
    row->dept = -1;
    row->manager_row = -1;
    if (!d->header_ok) {
        row->bad = true; /* the header's errors say why */
        return;
    }
    if ((int)x->n_fields != d->n_cols) {
        char n[24];
        snprintf(n, sizeof n, "%zu", x->n_fields);
        doc_error(d, row->line, -1, "field_count", n,
                  "%zu fields where the header names %d", x->n_fields,
                  d->n_cols);
        row->bad = true;
        return;
    }
    for (int c = 0; c < SV_IMPORT__COLUMNS; c++) {
        int at = d->col_of[c];
        const struct field *f;
        if (at < 0)
            continue;
        f = &x->fields[at];
        if (f->too_long) {
            doc_error(d, row->line, c, "field_too_long", "4096",
                      "longer than %d bytes", SV_IMPORT_FIELD_MAX);
            row->bad = true;
            continue;
        }
        if (f->has_nul || !sv_utf8_valid(x->buf + f->off, f->len)) {
            doc_error(d, row->line, c, "encoding", NULL,
                      "not valid UTF-8 text");
            row->bad = true;
            continue;
        }
        v[c] = field_text(x, (size_t)at, &vlen[c]);
        if (vlen[c] == 0)
            v[c] = NULL;
        if (v[c] != NULL && c != SV_IMPORT_DEPARTMENT)
            only_dept = false;
    }
    if (row->bad)
        return;
    if (only_dept && v[SV_IMPORT_DEPARTMENT] != NULL) {
        struct paths_ctx p;
        row->dept_only = true;
        if (read_paths(d, row, SV_IMPORT_DEPARTMENT, v[SV_IMPORT_DEPARTMENT],
                       &p))
            row->dept = p.found[0];
        else
            row->bad = true;
        return;
    }
    d->n_employees++;
    check_employee(x, row, v, vlen);
}

static void
on_record(int c, void *cls)
{
    struct parse_ctx *x = cls;
    bool blank = true;

    if (x->stop)
        return;
    if (c == '\n') {
        if (!x->cr_pending)
            x->line++;
        x->cr_pending = false;
    } else if (c == '\r') {
        x->line++;
        x->cr_pending = true;
    }
    if (x->n_fields == 0)
        return; /* a blank line */
    for (size_t i = 0; i < x->n_fields && i < FIELDS_KEEP && blank; i++)
        blank = x->fields[i].len == 0 && !x->fields[i].too_long;
    if (blank && x->n_fields <= FIELDS_KEEP) {
        /* Nothing but empty fields (",,,"): skipped as a blank line. */
    } else if (!x->header_done) {
        x->header_done = true;
        read_header(x);
    } else {
        read_row(x);
    }
    x->n_fields = 0;
    x->buf_len = 0;
}

/* libcsv's buffer holds the file's values: wiped when it moves or goes. */
struct wiped {
    size_t len;
    _Alignas(16) unsigned char data[];
};

static void *
wiping_realloc(void *p, size_t n)
{
    struct wiped *old =
        p != NULL ? (struct wiped *)((char *)p - offsetof(struct wiped, data))
                  : NULL;
    struct wiped *w = malloc(sizeof *w + n);

    if (w == NULL)
        return NULL;
    w->len = n;
    if (old != NULL) {
        memcpy(w->data, old->data, old->len < n ? old->len : n);
        sodium_memzero(old->data, old->len);
        free(old);
    }
    return w->data;
}

static void
wiping_free(void *p)
{
    if (p != NULL) {
        struct wiped *w =
            (struct wiped *)((char *)p - offsetof(struct wiped, data));
        sodium_memzero(w->data, w->len);
        free(w);
    }
}

/* Managers named in the file: the line they are on, never the employee
 * itself, and no chain of managers that comes back round. */
static void
link_managers(struct sv_import_doc *d)
{
    uint8_t *state = sv_xcalloc(d->n_rows ? d->n_rows : 1, 1);
    int32_t *path = sv_xcalloc(d->n_rows ? d->n_rows : 1, sizeof *path);

    for (size_t i = 0; i < d->n_rows; i++) {
        struct imp_row *r = &d->rows[i];
        int32_t at;
        if (r->f[SV_IMPORT_MANAGER] == NULL)
            continue;
        at = imp_map_get(&d->username_map, r->f[SV_IMPORT_MANAGER]);
        if (at == (int32_t)i) {
            doc_error(d, r->line, SV_IMPORT_MANAGER, "manager_self", NULL,
                      "an employee cannot be their own manager");
            r->bad = true;
            r->manager_row = IMP_MANAGER_REFUSED;
        } else {
            r->manager_row = at; /* -1: not in the file (the tenant's?) */
        }
    }
    /* 0 not seen, 1 on the walk now, 2 done. */
    for (size_t i = 0; i < d->n_rows; i++) {
        size_t n = 0;
        int32_t at = (int32_t)i;
        if (d->rows[i].manager_row < 0)
            continue;
        while (at >= 0 && state[at] == 0) {
            state[at] = 1;
            path[n++] = at;
            at = d->rows[at].manager_row;
        }
        if (at >= 0 && state[at] == 1) { /* back on this walk: a cycle */
            size_t k = 0;
            while (path[k] != at)
                k++;
            for (; k < n; k++) {
                struct imp_row *r = &d->rows[path[k]];
                doc_error(d, r->line, SV_IMPORT_MANAGER, "manager_cycle", NULL,
                          "the chain of managers comes back to this "
                          "employee");
                r->bad = true;
            }
        }
        for (size_t k = 0; k < n; k++)
            state[path[k]] = 2;
    }
    free(state);
    free(path);
}

enum sv_err
sv_import_parse(const char *csv, size_t len, const char *region,
                const struct sv_import_options *o, struct sv_import_doc **out)
{
    struct sv_import_doc *d;
    struct parse_ctx x;
    struct csv_parser p;
    enum sv_err rc = SV_OK;
    size_t at = 0;

    *out = NULL;
    if (!sv_phone_region_check(region))
        return SV_E_FIELD_INVALID;
    if (len > SV_IMPORT_BYTES_MAX)
        return SV_E_BODY_TOO_LARGE;
    d = sv_xcalloc(1, sizeof *d);
    d->arena = sv_arena_new();
    memcpy(d->region, region, 3);
    for (int c = 0; c < SV_IMPORT__COLUMNS; c++)
        d->col_of[c] = -1;
    memset(&x, 0, sizeof x);
    x.d = d;
    x.o = o;
    x.line = 1;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL |
                         CSV_APPEND_NULL) != 0)
        sv_abort_at(__FILE__, __LINE__, "csv_init");
    csv_set_realloc_func(&p, wiping_realloc);
    csv_set_free_func(&p, wiping_free);
    /* A byte order mark is no part of the first name. */
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0)
        at = 3;
    while (at < len && !x.stop) {
        size_t n = len - at < CHUNK ? len - at : CHUNK;
        if (csv_parse(&p, csv + at, n, on_field, on_record, &x) != n) {
            int pos = x.n_fields < FIELDS_KEEP ? (int)x.n_fields : -1;
            const char *name = NULL;
            for (int c = 0; c < SV_IMPORT__COLUMNS && pos >= 0; c++)
                if (d->col_of[c] == pos)
                    name = column_names[c];
            imp_error_add(&d->errors, d->arena,
                          x.n_fields > 0 ? x.rec_line : x.line, name, pos,
                          "csv_syntax", NULL,
                          csv_error(&p) == CSV_EPARSE
                              ? "malformed CSV: a quote inside an unquoted "
                                "field, or text after a closing quote "
                                "(nothing after this point was read)"
                              : "the file could not be read");
            x.stop = true;
            break;
        }
        at += n;
        if (o != NULL && o->progress != NULL)
            o->progress(o->cls, SV_IMPORT_READING, at, len);
        if (o != NULL && o->cancelled != NULL && o->cancelled(o->cls)) {
            rc = SV_E_UNAVAILABLE;
            break;
        }
    }
    if (rc == SV_OK && !x.stop && csv_fini(&p, on_field, on_record, &x) != 0) {
        /* The open field is the record's first when none was read. */
        imp_error_add(&d->errors, d->arena,
                      x.n_fields > 0 ? x.rec_line : x.line, NULL, -1,
                      "csv_syntax", NULL,
                      "a quoted field is not closed by the end of the "
                      "file");
    }
    csv_free(&p);
    if (x.buf != NULL)
        sodium_memzero(x.buf, x.buf_cap);
    free(x.buf);
    if (rc == SV_OK && !x.header_done)
        imp_error_add(&d->errors, d->arena, 1, NULL, -1, "header_missing", NULL,
                      "the file is empty: its first line names the columns");
    if (rc == SV_OK)
        link_managers(d);
    if (rc != SV_OK) {
        sv_import_doc_free(d);
        return rc;
    }
    *out = d;
    return SV_OK;
}
