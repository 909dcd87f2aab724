#include "directory/field.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "directory/tenant.h"

void
sv_field_norm_lower(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    if (cap == 0)
        return;
    for (; src[i] != '\0' && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

static void
broken(const struct sv_field_desc *d)
{
    sv_log(SV_LOG_ERROR, "internal error", "%s.%s does not decrypt", d->table,
           d->column);
}

enum sv_err
sv_field_seal_keys(const struct sv_tenant_keys *tk, const char *tenant_id,
                   const char *row_id, const struct sv_field_desc *d,
                   const uint8_t *pt, size_t pt_len, uint8_t *out,
                   size_t out_cap, size_t *out_len)
{
    struct sv_aad aad = {tenant_id, d->table, d->column, row_id};

    *out_len = 0;
    if (pt_len < d->min_len || pt_len > d->max_len)
        return SV_E_FIELD_INVALID;
    if (SV_NEVER(sv_field_sealed_len(pt_len) > out_cap))
        return SV_E_INTERNAL;
    return sv_field_seal(tk, &aad, pt, pt_len, out, out_len);
}

enum sv_err
sv_field_seal_tx(struct sv_dbc *c, const char *tenant_id, const char *row_id,
                 const struct sv_field_desc *d, const uint8_t *pt,
                 size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    const struct sv_tenant_keys *tk;
    enum sv_err rc;

    *out_len = 0;
    rc = sv_tenant_keys_get(c, tenant_id, 0, &tk);
    if (rc != SV_OK)
        return rc;
    return sv_field_seal_keys(tk, tenant_id, row_id, d, pt, pt_len, out,
                              out_cap, out_len);
}

enum sv_err
sv_field_open_keys(const struct sv_tenant_keys *tk, const char *tenant_id,
                   const char *row_id, const struct sv_field_desc *d,
                   const uint8_t *ct, size_t ct_len, uint8_t *out,
                   size_t out_cap, size_t *out_len)
{
    struct sv_aad aad = {tenant_id, d->table, d->column, row_id};
    /* A column's longest ciphertext: a bigger one was never sealed here. */
    size_t cap = sv_field_sealed_len(d->max_len);
    uint8_t small[SV_FIELD_PT_MAX + SV_AEAD_OVERHEAD];
    uint8_t *buf = cap <= sizeof small ? small : malloc(cap);
    size_t n = 0;
    enum sv_err rc;

    *out_len = 0;
    if (out_cap > 0)
        memset(out, 0, out_cap);
    if (buf == NULL)
        return SV_E_INTERNAL;
    if (ct_len > cap)
        rc = SV_E_TAMPERED; /* no column holds that much */
    else
        rc = sv_field_open(tk, &aad, ct, ct_len, buf, &n);
    if (rc == SV_OK && (n < d->min_len || n > d->max_len || n > out_cap))
        rc = SV_E_TAMPERED;
    if (rc != SV_OK) {
        broken(d);
    } else {
        memcpy(out, buf, n);
        *out_len = n;
    }
    sodium_memzero(buf, buf == small ? sizeof small : cap);
    if (buf != small)
        free(buf);
    return rc;
}

enum sv_err
sv_field_open_tx(struct sv_dbc *c, const char *tenant_id, const char *row_id,
                 const struct sv_field_desc *d, const uint8_t *ct,
                 size_t ct_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    const struct sv_tenant_keys *tk;
    enum sv_err rc;

    *out_len = 0;
    rc = sv_tenant_keys_get(c, tenant_id, sv_field_key_id(ct, ct_len), &tk);
    if (rc != SV_OK)
        return rc;
    return sv_field_open_keys(tk, tenant_id, row_id, d, ct, ct_len, out,
                              out_cap, out_len);
}

enum sv_err
sv_field_open_str_keys(const struct sv_tenant_keys *tk, const char *tenant_id,
                       const char *row_id, const struct sv_field_desc *d,
                       const uint8_t *ct, size_t ct_len, char *out,
                       size_t out_cap)
{
    size_t n = 0;
    enum sv_err rc;

    if (SV_NEVER(out_cap == 0))
        return SV_E_INTERNAL;
    rc = sv_field_open_keys(tk, tenant_id, row_id, d, ct, ct_len,
                            (uint8_t *)out, out_cap - 1, &n);
    out[n] = '\0';
    return rc;
}

enum sv_err
sv_field_open_str_tx(struct sv_dbc *c, const char *tenant_id,
                     const char *row_id, const struct sv_field_desc *d,
                     const uint8_t *ct, size_t ct_len, char *out,
                     size_t out_cap)
{
    const struct sv_tenant_keys *tk;
    enum sv_err rc;

    if (SV_NEVER(out_cap == 0))
        return SV_E_INTERNAL;
    out[0] = '\0';
    rc = sv_tenant_keys_get(c, tenant_id, sv_field_key_id(ct, ct_len), &tk);
    if (rc != SV_OK)
        return rc;
    return sv_field_open_str_keys(tk, tenant_id, row_id, d, ct, ct_len, out,
                                  out_cap);
}

void
sv_field_blind_index_keys(const struct sv_tenant_keys *tk,
                          const struct sv_field_desc *d, const char *value,
                          uint8_t out[SV_BLIND_INDEX_LEN])
{
    char norm[SV_FIELD_PT_MAX + 1];
    size_t cap = d->max_len + 1 < sizeof norm ? d->max_len + 1 : sizeof norm;

    if (d->normalise != NULL)
        d->normalise(norm, value, cap);
    else
        snprintf(norm, cap, "%s", value);
    sv_blind_index(tk, d->blind_index, norm, strlen(norm), out);
    sodium_memzero(norm, sizeof norm);
}

enum sv_err
sv_field_blind_index_tx(struct sv_dbc *c, const char *tenant_id,
                        const struct sv_field_desc *d, const char *value,
                        uint8_t out[SV_BLIND_INDEX_LEN])
{
    const struct sv_tenant_keys *tk;
    enum sv_err rc;

    if (SV_NEVER(d->blind_index == NULL))
        return SV_E_INTERNAL;
    rc = sv_tenant_index_keys_get(c, tenant_id, &tk);
    if (rc != SV_OK)
        return rc;
    sv_field_blind_index_keys(tk, d, value, out);
    return SV_OK;
}

/* ---- the sealed columns' registry ---- */

extern const struct sv_sealed_column __start_sv_sealed[] __attribute__((weak));
extern const struct sv_sealed_column __stop_sv_sealed[] __attribute__((weak));

enum { SEALED_MAX = 32 };
static const struct sv_sealed_column *sorted[SEALED_MAX];
static size_t n_sorted;
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static int
name_cmp(const struct sv_sealed_column *a, const struct sv_sealed_column *b)
{
    int c = strcmp(a->desc->table, b->desc->table);
    return c != 0 ? c : strcmp(a->desc->column, b->desc->column);
}

static void
sort_columns(void)
{
    const struct sv_sealed_column *p = __start_sv_sealed;

    for (; p != NULL && p < __stop_sv_sealed; p++) {
        size_t i = n_sorted;
        if (SV_NEVER(n_sorted == SEALED_MAX))
            break;
        /* Insertion sort: a handful of columns. */
        while (i > 0 && name_cmp(sorted[i - 1], p) > 0) {
            sorted[i] = sorted[i - 1];
            i--;
        }
        sorted[i] = p;
        n_sorted++;
    }
}

const struct sv_sealed_column *const *
sv_sealed_columns(size_t *n)
{
    pthread_once(&sorted_once, sort_columns);
    *n = n_sorted;
    return sorted;
}
