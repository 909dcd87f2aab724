/*
 * Strict JSON input: load with duplicate keys rejected, then walk a field
 * spec that converts to typed C values and names the first bad field.
 */
#ifndef SV_CORE_JSON_H
#define SV_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/errors.h"

/* SV_FT_OBJS: a list of @p min..@p max objects, handed over as the JSON
 * array (the caller walks its own spec over each). */
enum sv_ftype {
    SV_FT_STR,
    SV_FT_BOOL,
    SV_FT_INT,
    SV_FT_OBJ,
    SV_FT_STRS,
    SV_FT_OBJS
};

/** A string check: returns true when @p s (of @p len bytes) is acceptable. */
typedef bool (*sv_str_check)(const char *s, size_t len);

struct sv_field {
    const char *name;
    enum sv_ftype type;
    bool required;
    void *out;   /* const char ** | bool * | int64_t * | const json_t ** */
    int64_t min; /* strings: code points; ints: value; lists: entries */
    int64_t max;
    sv_str_check check;
    bool *present; /* optional: set when the field was given */
};

#define SV_F_STR(n, o, mn, mx, chk)                                            \
    {                                                                          \
        .name = (n), .type = SV_FT_STR, .required = true, .out = (o),          \
        .min = (mn), .max = (mx), .check = (chk)                               \
    }
#define SV_F_STR_OPT(n, o, mn, mx, chk)                                        \
    {                                                                          \
        .name = (n), .type = SV_FT_STR, .required = false, .out = (o),         \
        .min = (mn), .max = (mx), .check = (chk)                               \
    }
/* A list of @p mn..@p mx strings (1-256 code points each, as @p chk
 * takes them), handed over as the JSON array. */
#define SV_F_STRS_OPT(n, o, mn, mx, chk)                                       \
    {                                                                          \
        .name = (n), .type = SV_FT_STRS, .required = false, .out = (o),        \
        .min = (mn), .max = (mx), .check = (chk)                               \
    }
/* An object, handed over as is (the caller walks its own spec over it). */
#define SV_F_OBJ_OPT(n, o)                                                     \
    {                                                                          \
        .name = (n), .type = SV_FT_OBJ, .required = false, .out = (o)          \
    }
#define SV_F_END                                                               \
    {                                                                          \
        .name = NULL                                                           \
    }

/** Install jansson allocators that wipe memory on free (bodies hold secrets).
 */
void sv_json_init(void);

/** A new JSON string of @p s, or null when @p s is NULL or empty. */
json_t *sv_json_str_or_null(const char *s);
/** A new JSON string of Unix time @p ms in RFC 3339. */
json_t *sv_json_time(int64_t ms);

/**
 * Parse @p len bytes as a JSON object (duplicate keys rejected).
 * @param[out] out  new reference; caller decrefs.
 * @return SV_E_JSON_MALFORMED, SV_E_FIELD_INVALID (not an object), SV_OK.
 */
SV_MUST_CHECK enum sv_err sv_json_load_object(const char *buf, size_t len,
                                              json_t **out);

/**
 * Walk @p spec over object @p root: unknown fields, missing required fields,
 * wrong types, lengths, ranges and checks are refused, naming the field in
 * @p bad_field. String outputs are borrowed from @p root.
 */
SV_MUST_CHECK enum sv_err sv_json_spec_parse(const json_t *root,
                                             const struct sv_field *spec,
                                             const char **bad_field);

#endif
