/*
 * Classified fields of CRM records (DATA-1): the levels and their one
 * policy table (levels.def), the built-in object types and their fields
 * (types.def), the canonical form of a value of each field type, and the
 * mask a confidential value is shown as.
 *
 * Every decision about a field (sealed or not, shown in clear, masked or
 * left out on a page, in a list, in an export; audited or not) is a
 * lookup in the level's row, answered by sv_field_show() and
 * sv_field_audit(): no caller tests a level or a field by name. Pure
 * functions over text: no database, no keys.
 */
#ifndef SV_RECORDS_CLASSIFY_H
#define SV_RECORDS_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"

/* ---- levels and their policy ---- */

enum sv_level {
#define SV_LEVEL(N, s, sealed, page, list, exp, audit, reveal) SV_LEVEL_##N,
#include "records/levels.def"
#undef SV_LEVEL
    SV_LEVEL__N
};

/** How a value appears to a reader. */
enum sv_show { SV_SHOW_CLEAR, SV_SHOW_MASKED, SV_SHOW_OMITTED };
/** Which reads are audited as sensitive-data access. */
enum sv_read_audit {
    SV_READ_AUDIT_NONE,
    SV_READ_AUDIT_REVEAL, /* each value shown in clear past its mask */
    SV_READ_AUDIT_EVERY   /* each value shown at all */
};
/** The field permissions (per role and object type, DATA-6). */
enum sv_reveal { SV_REVEAL_NONE, SV_REVEAL_UNMASK, SV_REVEAL_READ_SECRET };
/** Where a value is read. */
enum sv_where { SV_WHERE_PAGE, SV_WHERE_LIST, SV_WHERE_EXPORT };

/** One row of the policy table. */
struct sv_level_policy {
    const char *name;
    bool sealed;
    enum sv_show page, list, export;
    enum sv_read_audit audit;
    enum sv_reveal reveal;
};

/** The row of @p level (which must be < SV_LEVEL__N). */
const struct sv_level_policy *sv_level_policy(enum sv_level level);
const char *sv_level_name(enum sv_level level);
SV_MUST_CHECK bool sv_level_parse(const char *s, enum sv_level *out);

/**
 * How a value of level @p level appears @p where, to a reader that holds
 * the level's reveal permission (@p may_reveal) and asked for the value in
 * clear (@p asked: `?unmask=` names it; a secret value needs no asking).
 * Lists and exports never reveal: they are what the policy row says.
 */
enum sv_show sv_field_show(enum sv_level level, enum sv_where where,
                           bool may_reveal, bool asked);
/** Whether showing a value of @p level as @p shown is a sensitive-data
 *  access to audit (one event per value). */
bool sv_field_audit(enum sv_level level, enum sv_show shown);

/* ---- field types ---- */

enum sv_field_type {
    SV_FTYPE_TEXT,      /* one line of plain text */
    SV_FTYPE_LONG_TEXT, /* text with line breaks */
    SV_FTYPE_EMAIL,     /* canonical: trimmed, lower case */
    SV_FTYPE_PHONE,     /* canonical: E.164 (the tenant's default country) */
    SV_FTYPE_DATE,      /* YYYY-MM-DD, a real calendar day */
    SV_FTYPE_MONEY,     /* whole minor units, 0 or more */
    SV_FTYPE_INTEGER,   /* a signed whole number */
    SV_FTYPE_CHOICE,    /* a key of a list the tenant keeps (a stage) */
    SV_FTYPE_CURRENCY,  /* ISO 4217: three capital letters */
    SV_FTYPE_REF,       /* the id of another record */
    SV_FTYPE__N
};
const char *sv_ftype_name(enum sv_field_type t);
SV_MUST_CHECK bool sv_ftype_parse(const char *s, enum sv_field_type *out);
/** The highest level a field of type @p t may have: keys, codes and
 *  references join and group records, so they stay plain (internal). */
enum sv_level sv_ftype_max_level(enum sv_field_type t);

/** Longest canonical value of any field, in bytes (4,000 characters of
 *  long text, 4 bytes each at most). */
#define SV_VALUE_MAX 16000

/**
 * The canonical form of @p in as a value of type @p t, at most @p max
 * characters or digits where the type takes a length (0: the type's own
 * bound); phones read in @p region (ISO 3166 alpha-2). Writes @p out
 * (@p cap bytes) and returns NULL, or returns the rule the value breaks
 * ("length", "format", "date", "range", "phone", "email") with @p out
 * empty. The rule is safe to show; the value never is part of it.
 */
const char *sv_value_canon(enum sv_field_type t, size_t max, const char *in,
                           const char *region, char *out, size_t cap);

/**
 * The mask of canonical value @p v of type @p t, for a reader who may not
 * see it: phones as the directory masks them (138****1234); e-mail as the
 * first character of the local part, "***" and the domain; text as its
 * first character and "***"; every other type as "***". A mask never
 * tells a value's length. Writes @p out (@p cap bytes, at least 64).
 *
 * WARNING: for display only; masks collide by design.
 */
void sv_value_mask(enum sv_field_type t, const char *v, char *out, size_t cap);

/* ---- object types ---- */

enum sv_record_type {
#define SV_RECORD_TYPE(N, s, parent) SV_RTYPE_##N,
#define SV_RECORD_FIELD(T, s, ft, lv, flags, max)
#include "records/types.def"
#undef SV_RECORD_TYPE
#undef SV_RECORD_FIELD
    SV_RTYPE__N,
    SV_RTYPE_NONE = SV_RTYPE__N
};

#define SV_FIELD_REQ 1u
#define SV_FIELD_IDX 2u
#define SV_FIELD_SORT 4u

/** A field of an object type: built in, or a tenant's custom field. */
struct sv_field_def {
    const char *name;
    enum sv_field_type type;
    enum sv_level level;
    unsigned flags; /* SV_FIELD_* */
    size_t max;     /* characters or digits; 0: the type's own bound */
};

const char *sv_record_type_name(enum sv_record_type t);
/** The record a record of type @p t belongs to (a contact to a customer),
 *  or SV_RTYPE_NONE. */
enum sv_record_type sv_record_type_parent(enum sv_record_type t);
/** The built-in fields of type @p t, @p n of them, in types.def's order. */
const struct sv_field_def *sv_record_fields(enum sv_record_type t, size_t *n);
SV_MUST_CHECK bool sv_record_type_parse(const char *s,
                                        enum sv_record_type *out);
/** The built-in field @p name of type @p t, or NULL. */
const struct sv_field_def *sv_record_field(enum sv_record_type t,
                                           const char *name);

/** The longest indexed text field, in characters (4 bytes each at most:
 *  within SV_FIELD_PT_MAX, what a blind index reads). */
#define SV_INDEXED_TEXT_MAX 200

/** Custom fields per type, and the longest custom field name. */
#define SV_CUSTOM_FIELDS_MAX 64
#define SV_FIELD_NAME_MAX 40

/**
 * Whether a tenant may add a custom field @p d to type @p t: a name of
 * 1-SV_FIELD_NAME_MAX of [a-z0-9_] starting with a letter, not a built-in
 * field's name nor a record column's (id, owner_id, department_id,
 * version, created_at, updated_at, deleted_at, type); a type a tenant may add
 * (not REF or CHOICE: those need lists and links the tenant does not
 * define); a level the type allows; SORT only on a plain field; @p
 * d->max within the type's bound; exact match (IDX) never on a secret
 * field nor on long text, and on text only with a max of at most
 * SV_INDEXED_TEXT_MAX. Returns NULL, or the field of the
 * definition that breaks a rule ("name", "type", "level", "flags",
 * "max").
 */
const char *sv_custom_field_check(enum sv_record_type t,
                                  const struct sv_field_def *d);

#endif
