#include "core/json.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/util.h"

static void *
wipe_malloc(size_t n)
{
    return malloc(n);
}

static void
wipe_free(void *p)
{
    if (p == NULL)
        return;
    /* JSON strings may be passwords: zero before giving memory back. */
    sodium_memzero(p, malloc_usable_size(p));
    free(p);
}

json_t *
sv_json_str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

json_t *
sv_json_time(int64_t ms)
{
    char t[SV_RFC3339_LEN + 1];
    sv_rfc3339(ms, t);
    return json_string(t);
}

void
sv_json_init(void)
{
    json_set_alloc_funcs(wipe_malloc, wipe_free);
}

enum sv_err
sv_json_load_object(const char *buf, size_t len, json_t **out)
{
    json_error_t jerr;
    json_t *root;

    *out = NULL;
    root =
        json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (root == NULL)
        return SV_E_JSON_MALFORMED;
    if (!json_is_object(root)) {
        json_decref(root);
        return SV_E_FIELD_INVALID;
    }
    *out = root;
    return SV_OK;
}

/* A string without NUL of @p min..@p max code points that @p check takes. */
static bool
string_ok(sv_str_check check, json_t *v, int64_t min, int64_t max)
{
    const char *s;
    size_t len, cps;

    if (!json_is_string(v))
        return false;
    s = json_string_value(v);
    len = json_string_length(v);
    if (strlen(s) != len) /* embedded NUL */
        return false;
    cps = sv_utf8_len(s, len);
    if ((int64_t)cps < min || (int64_t)cps > max)
        return false;
    return check == NULL || check(s, len);
}

static enum sv_err
check_one(const struct sv_field *f, json_t *v)
{
    switch (f->type) {
    case SV_FT_STR:
        if (!string_ok(f->check, v, f->min, f->max))
            return SV_E_FIELD_INVALID;
        *(const char **)f->out = json_string_value(v);
        return SV_OK;
    case SV_FT_STRS: {
        size_t i;
        json_t *e;
        if (!json_is_array(v) || (int64_t)json_array_size(v) < f->min ||
            (int64_t)json_array_size(v) > f->max)
            return SV_E_FIELD_INVALID;
        json_array_foreach(
            v, i,
            e) if (!string_ok(f->check, e, 1, 256)) return SV_E_FIELD_INVALID;
        *(const json_t **)f->out = v;
        return SV_OK;
    }
    case SV_FT_BOOL:
        if (!json_is_boolean(v))
            return SV_E_FIELD_INVALID;
        *(bool *)f->out = json_is_true(v);
        return SV_OK;
    case SV_FT_INT: {
        json_int_t n;
        if (!json_is_integer(v))
            return SV_E_FIELD_INVALID;
        n = json_integer_value(v);
        if (n < f->min || n > f->max)
            return SV_E_FIELD_INVALID;
        *(int64_t *)f->out = n;
        return SV_OK;
    }
    case SV_FT_OBJ:
        if (!json_is_object(v))
            return SV_E_FIELD_INVALID;
        *(const json_t **)f->out = v;
        return SV_OK;
    case SV_FT_OBJS: {
        size_t i;
        json_t *e;
        if (!json_is_array(v) || (int64_t)json_array_size(v) < f->min ||
            (int64_t)json_array_size(v) > f->max)
            return SV_E_FIELD_INVALID;
        json_array_foreach(v, i,
                           e) if (!json_is_object(e)) return SV_E_FIELD_INVALID;
        *(const json_t **)f->out = v;
        return SV_OK;
    }
    }
    return SV_E_INTERNAL;
}

enum sv_err
sv_json_spec_parse(const json_t *root, const struct sv_field *spec,
                   const char **bad_field)
{
    const char *key;
    json_t *v;

    *bad_field = NULL;
    if (!json_is_object(root))
        return SV_E_FIELD_INVALID;
    /* Unknown fields first: a typo must not look like a missing field. */
    json_object_foreach((json_t *)root, key, v)
    {
        const struct sv_field *f = spec;
        while (f->name != NULL && strcmp(f->name, key) != 0)
            f++;
        if (f->name == NULL) {
            *bad_field = key;
            return SV_E_FIELD_UNKNOWN;
        }
    }
    for (const struct sv_field *f = spec; f->name != NULL; f++) {
        enum sv_err rc;
        v = json_object_get(root, f->name);
        if (f->present != NULL)
            *f->present = v != NULL && !json_is_null(v);
        if (v == NULL || json_is_null(v)) {
            if (f->required) {
                *bad_field = f->name;
                return SV_E_FIELD_MISSING;
            }
            continue;
        }
        rc = check_one(f, v);
        if (rc != SV_OK) {
            *bad_field = f->name;
            return rc;
        }
    }
    return SV_OK;
}
