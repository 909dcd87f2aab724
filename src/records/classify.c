/* Classified fields of CRM records: see classify.h. */
#include "records/classify.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/util.h"
#include "directory/personal.h"
#include "directory/phone.h"

/* ---- levels ---- */

static const struct sv_level_policy POLICY[SV_LEVEL__N] = {
#define SV_LEVEL(N, s, sl, pg, li, ex, au, rv)                                 \
    [SV_LEVEL_##N] = {s,                                                       \
                      sl,                                                      \
                      SV_SHOW_##pg,                                            \
                      SV_SHOW_##li,                                            \
                      SV_SHOW_##ex,                                            \
                      SV_READ_AUDIT_##au,                                      \
                      SV_REVEAL_##rv},
#include "records/levels.def"
#undef SV_LEVEL
};

const struct sv_level_policy *
sv_level_policy(enum sv_level level)
{
    return &POLICY[level];
}

const char *
sv_level_name(enum sv_level level)
{
    return POLICY[level].name;
}

bool
sv_level_parse(const char *s, enum sv_level *out)
{
    for (int i = 0; i < SV_LEVEL__N; i++)
        if (strcmp(s, POLICY[i].name) == 0) {
            *out = (enum sv_level)i;
            return true;
        }
    return false;
}

enum sv_show
sv_field_show(enum sv_level level, enum sv_where where, bool may_reveal,
              bool asked)
{
    const struct sv_level_policy *p = &POLICY[level];

    switch (where) {
    case SV_WHERE_LIST:
        return p->list;
    case SV_WHERE_EXPORT:
        return p->export;
    case SV_WHERE_PAGE:
        break;
    }
    if (p->page == SV_SHOW_CLEAR || p->reveal == SV_REVEAL_NONE || !may_reveal)
        return p->page;
    /* A masked value is shown in clear only when asked for; a value left
     * out (secret) is shown to whoever may read it. */
    if (p->page == SV_SHOW_MASKED && !asked)
        return SV_SHOW_MASKED;
    return SV_SHOW_CLEAR;
}

bool
sv_field_audit(enum sv_level level, enum sv_show shown)
{
    switch (POLICY[level].audit) {
    case SV_READ_AUDIT_NONE:
        return false;
    case SV_READ_AUDIT_REVEAL:
        return shown == SV_SHOW_CLEAR;
    case SV_READ_AUDIT_EVERY:
        return shown != SV_SHOW_OMITTED;
    }
    return true;
}

/* ---- field types ---- */

static const struct {
    const char *name;
    enum sv_level max_level;
    size_t bound; /* characters or digits a field may take at most */
} FTYPES[SV_FTYPE__N] = {
    [SV_FTYPE_TEXT] = {"text", SV_LEVEL_SECRET, 500},
    [SV_FTYPE_LONG_TEXT] = {"long_text", SV_LEVEL_SECRET, 4000},
    [SV_FTYPE_EMAIL] = {"email", SV_LEVEL_SECRET, SV_PERSONAL_EMAIL_MAX},
    [SV_FTYPE_PHONE] = {"phone", SV_LEVEL_SECRET, SV_PHONE_E164_MAX},
    [SV_FTYPE_DATE] = {"date", SV_LEVEL_SECRET, 10},
    [SV_FTYPE_MONEY] = {"money", SV_LEVEL_SECRET, 15},
    [SV_FTYPE_INTEGER] = {"integer", SV_LEVEL_SECRET, 15},
    [SV_FTYPE_CHOICE] = {"choice", SV_LEVEL_INTERNAL, 32},
    [SV_FTYPE_CURRENCY] = {"currency", SV_LEVEL_INTERNAL, 3},
    [SV_FTYPE_REF] = {"ref", SV_LEVEL_INTERNAL, SV_UUID_LEN},
};

const char *
sv_ftype_name(enum sv_field_type t)
{
    return FTYPES[t].name;
}

bool
sv_ftype_parse(const char *s, enum sv_field_type *out)
{
    for (int i = 0; i < SV_FTYPE__N; i++)
        if (strcmp(s, FTYPES[i].name) == 0) {
            *out = (enum sv_field_type)i;
            return true;
        }
    return false;
}

enum sv_level
sv_ftype_max_level(enum sv_field_type t)
{
    return FTYPES[t].max_level;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const char *
put(char *out, size_t cap, const char *s, size_t len)
{
    if (len + 1 > cap)
        return "length";
    memcpy(out, s, len);
    out[len] = '\0';
    return NULL;
}

/* Text: well-formed UTF-8, 1..max characters, no control character but
 * (with @p lines) line breaks and tabs; surrounding white space trimmed. */
static const char *
canon_text(const char *in, size_t max, bool lines, char *out, size_t cap)
{
    size_t len = strlen(in);

    while (len > 0 &&
           (in[0] == ' ' || in[0] == '\t' || in[0] == '\r' || in[0] == '\n')) {
        in++;
        len--;
    }
    while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t' ||
                       in[len - 1] == '\r' || in[len - 1] == '\n'))
        len--;
    if (len == 0 || !sv_utf8_valid(in, len))
        return "format";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if ((c < 0x20 || c == 0x7f) &&
            !(lines && (c == '\n' || c == '\r' || c == '\t')))
            return "format";
    }
    if (sv_utf8_len(in, len) > max)
        return "length";
    return put(out, cap, in, len);
}

static bool
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static const char *
canon_date(const char *in, char *out, size_t cap)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    if (strlen(in) != 10 || in[4] != '-' || in[7] != '-')
        return "date";
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit(in[i]))
            return "date";
    int y = (in[0] - '0') * 1000 + (in[1] - '0') * 100 + (in[2] - '0') * 10 +
            (in[3] - '0');
    int m = (in[5] - '0') * 10 + (in[6] - '0');
    int d = (in[8] - '0') * 10 + (in[9] - '0');
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 ||
        d > days[m - 1] + (m == 2 && leap(y)))
        return "date";
    return put(out, cap, in, 10);
}

/* A whole number: an optional '-' (with @p sign), then 1..max digits, no
 * leading zero but for "0" itself; "-0" is "0". */
static const char *
canon_whole(const char *in, size_t max, bool sign, char *out, size_t cap)
{
    const char *d = in;
    size_t n;

    if (sign && *d == '-')
        d++;
    n = strlen(d);
    if (n == 0)
        return "format";
    for (size_t i = 0; i < n; i++)
        if (!is_digit(d[i]))
            return "format";
    if (n > 1 && d[0] == '0')
        return "format";
    if (n > max)
        return "range";
    if (strcmp(d, "0") == 0)
        return put(out, cap, "0", 1);
    return put(out, cap, in, strlen(in));
}

static const char *
canon_key(const char *in, size_t max, char *out, size_t cap)
{
    size_t n = strlen(in);

    if (n == 0 || n > max || !(in[0] >= 'a' && in[0] <= 'z'))
        return "format";
    for (size_t i = 0; i < n; i++)
        if (!((in[i] >= 'a' && in[i] <= 'z') || is_digit(in[i]) ||
              in[i] == '_'))
            return "format";
    return put(out, cap, in, n);
}

const char *
sv_value_canon(enum sv_field_type t, size_t max, const char *in,
               const char *region, char *out, size_t cap)
{
    const char *rule;

    if (cap > 0)
        out[0] = '\0';
    if (max == 0 || max > FTYPES[t].bound)
        max = FTYPES[t].bound;
    if (strlen(in) > SV_VALUE_MAX)
        return "length";
    switch (t) {
    case SV_FTYPE_TEXT:
        rule = canon_text(in, max, false, out, cap);
        break;
    case SV_FTYPE_LONG_TEXT:
        rule = canon_text(in, max, true, out, cap);
        break;
    case SV_FTYPE_EMAIL: {
        char e[SV_PERSONAL_EMAIL_MAX + 1];
        rule =
            sv_email_normalise(in, e) ? put(out, cap, e, strlen(e)) : "email";
        sodium_memzero(e, sizeof e);
        break;
    }
    case SV_FTYPE_PHONE: {
        char e[SV_PHONE_E164_MAX + 1];
        rule = sv_phone_normalise(in, region, e) == SV_PHONE_OK
                   ? put(out, cap, e, strlen(e))
                   : "phone";
        sodium_memzero(e, sizeof e);
        break;
    }
    case SV_FTYPE_DATE:
        rule = canon_date(in, out, cap);
        break;
    case SV_FTYPE_MONEY:
        rule = canon_whole(in, max, false, out, cap);
        break;
    case SV_FTYPE_INTEGER:
        rule = canon_whole(in, max, true, out, cap);
        break;
    case SV_FTYPE_CHOICE:
        rule = canon_key(in, max, out, cap);
        break;
    case SV_FTYPE_CURRENCY:
        rule = strlen(in) == 3 && in[0] >= 'A' && in[0] <= 'Z' &&
                       in[1] >= 'A' && in[1] <= 'Z' && in[2] >= 'A' &&
                       in[2] <= 'Z'
                   ? put(out, cap, in, 3)
                   : "format";
        break;
    case SV_FTYPE_REF:
        rule = sv_check_uuid(in) ? put(out, cap, in, strlen(in)) : "format";
        break;
    default:
        rule = "format";
    }
    if (rule != NULL && cap > 0)
        sodium_memzero(out, cap);
    return rule;
}

/* The first character of @p s (a UTF-8 sequence), or 0 bytes. */
static size_t
first_char(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

    if (c == 0)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (s[i] == '\0')
            return 0;
    return n;
}

void
sv_value_mask(enum sv_field_type t, const char *v, char *out, size_t cap)
{
    const char *at;
    size_t n;

    if (cap == 0)
        return;
    switch (t) {
    case SV_FTYPE_PHONE:
        sv_phone_mask(v, out, cap);
        if (out[0] != '\0')
            return;
        break;
    case SV_FTYPE_EMAIL:
        at = strchr(v, '@');
        n = first_char(v);
        if (at != NULL && n > 0 && v + n <= at &&
            (size_t)snprintf(out, cap, "%.*s***%s", (int)n, v, at) < cap)
            return;
        break;
    case SV_FTYPE_TEXT:
    case SV_FTYPE_LONG_TEXT:
        n = first_char(v);
        if (n > 0 && v[n] != '\0' &&
            (size_t)snprintf(out, cap, "%.*s***", (int)n, v) < cap)
            return;
        break;
    default:
        break;
    }
    snprintf(out, cap, "***");
}

/* ---- object types ---- */

#define REQ SV_FIELD_REQ
#define IDX SV_FIELD_IDX
#define SORT SV_FIELD_SORT
#define SV_RECORD_TYPE(N, s, parent)
#define SV_RECORD_FIELD(T, s, ft, lv, fl, mx)                                  \
    {s, SV_FTYPE_##ft, SV_LEVEL_##lv, (fl), (mx)},
static const struct sv_field_def FIELDS[] = {
#include "records/types.def"
};
#undef SV_RECORD_FIELD
#undef SV_RECORD_TYPE
#undef REQ
#undef IDX
#undef SORT
#define N_FIELDS (sizeof FIELDS / sizeof FIELDS[0])

/* Where each type's fields start in FIELDS: a type's line names the index
 * its first field will take and takes none itself (its second enumerator
 * steps back); each field's line takes one, named by its line of the
 * .def, which is unique. */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
enum {
#define SV_RECORD_TYPE(N, s, parent) START_##N, START_##N##_ = START_##N - 1,
#define SV_RECORD_FIELD(T, s, ft, lv, fl, mx) CAT(FIELD_AT_, __LINE__),
#include "records/types.def"
#undef SV_RECORD_FIELD
#undef SV_RECORD_TYPE
    FIELDS_END
};
_Static_assert(FIELDS_END == N_FIELDS, "types.def: one index per field");

static const struct {
    const char *name;
    enum sv_record_type parent;
    size_t start;
} TYPES[SV_RTYPE__N] = {
#define SV_RECORD_TYPE(N, s, parent)                                           \
    [SV_RTYPE_##N] = {s, SV_RTYPE_##parent, START_##N},
#define SV_RECORD_FIELD(T, s, ft, lv, fl, mx)
#include "records/types.def"
#undef SV_RECORD_FIELD
#undef SV_RECORD_TYPE
};

const char *
sv_record_type_name(enum sv_record_type t)
{
    return TYPES[t].name;
}

enum sv_record_type
sv_record_type_parent(enum sv_record_type t)
{
    return TYPES[t].parent;
}

const struct sv_field_def *
sv_record_fields(enum sv_record_type t, size_t *n)
{
    size_t end = t + 1 < SV_RTYPE__N ? TYPES[t + 1].start : N_FIELDS;

    *n = end - TYPES[t].start;
    return &FIELDS[TYPES[t].start];
}

bool
sv_record_type_parse(const char *s, enum sv_record_type *out)
{
    for (int i = 0; i < SV_RTYPE__N; i++)
        if (strcmp(s, TYPES[i].name) == 0) {
            *out = (enum sv_record_type)i;
            return true;
        }
    return false;
}

const struct sv_field_def *
sv_record_field(enum sv_record_type t, const char *name)
{
    size_t n;
    const struct sv_field_def *f = sv_record_fields(t, &n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

/* The columns every record has (records/records.h): never a field name. */
static const char *const COLUMNS[] = {
    "id",         "owner_id",   "department_id", "version",
    "created_at", "updated_at", "deleted_at",    "type",
};

const char *
sv_custom_field_check(enum sv_record_type t, const struct sv_field_def *d)
{
    size_t n = d->name != NULL ? strlen(d->name) : 0;

    if (n == 0 || n > SV_FIELD_NAME_MAX ||
        !(d->name[0] >= 'a' && d->name[0] <= 'z'))
        return "name";
    for (size_t i = 0; i < n; i++)
        if (!((d->name[i] >= 'a' && d->name[i] <= 'z') ||
              is_digit(d->name[i]) || d->name[i] == '_'))
            return "name";
    if (sv_record_field(t, d->name) != NULL)
        return "name";
    for (size_t i = 0; i < sizeof COLUMNS / sizeof COLUMNS[0]; i++)
        if (strcmp(d->name, COLUMNS[i]) == 0)
            return "name";
    if ((unsigned)d->type >= SV_FTYPE__N || d->type == SV_FTYPE_REF ||
        d->type == SV_FTYPE_CHOICE)
        return "type";
    if ((unsigned)d->level >= SV_LEVEL__N ||
        d->level > sv_ftype_max_level(d->type))
        return "level";
    /* No sort on a sealed field; no exact match on a secret one (a
     * search would answer "is it this?" to those who may not read it) nor
     * on long text (an index term is a short value). */
    if ((d->flags & ~(SV_FIELD_REQ | SV_FIELD_IDX | SV_FIELD_SORT)) != 0 ||
        ((d->flags & SV_FIELD_SORT) && POLICY[d->level].sealed) ||
        ((d->flags & SV_FIELD_IDX) &&
         (d->level == SV_LEVEL_SECRET || d->type == SV_FTYPE_LONG_TEXT)))
        return "flags";
    if (d->max > FTYPES[d->type].bound)
        return "max";
    /* An indexed text: at most SV_INDEXED_TEXT_MAX characters (its term,
     * or the blind index's input, is read whole). */
    if ((d->flags & SV_FIELD_IDX) && d->type == SV_FTYPE_TEXT &&
        (d->max == 0 || d->max > SV_INDEXED_TEXT_MAX))
        return "max";
    return NULL;
}
