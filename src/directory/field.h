/*
 * Sealed columns (DATA-2): the one way to seal, open and blind-index a
 * sensitive field.
 *
 * A column is declared once, next to the store code of its table, as a
 * struct sv_field_desc. The functions below build the AAD from it (tenant |
 * table | column | row id, see crypto/keyring.h), fetch the tenant's keys
 * (the newest version to seal and to index, the ciphertext's own version to
 * open), check the plaintext length and wipe every temporary copy of the
 * plaintext. No caller writes an AAD, picks a key or wipes a buffer by hand.
 */
#ifndef SV_DIRECTORY_FIELD_H
#define SV_DIRECTORY_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "crypto/keyring.h"

struct sv_dbc;

/** Largest plaintext of a sealed column opened on the stack, and the
 *  longest value a blind index reads (a column's max_len may be larger:
 *  CRM records seal their confidential values as one JSON object). */
#define SV_FIELD_PT_MAX 1024

/**
 * Normalise @p src into @p dst (@p cap bytes, NUL-terminated, truncating)
 * before it is blind-indexed, e.g. lower-case an e-mail.
 */
typedef void (*sv_field_norm_fn)(char *dst, const char *src, size_t cap);

struct sv_field_desc {
    const char *table;  /* AAD: table */
    const char *column; /* AAD: column */
    const char
        *blind_index; /* blind-index label ("table.column"); NULL: none */
    sv_field_norm_fn normalise; /* before indexing; NULL: as is */
    size_t min_len, max_len;    /* plaintext bounds, checked when opening */
};

/** Normaliser: ASCII lower case (e-mail addresses). */
void sv_field_norm_lower(char *dst, const char *src, size_t cap);

/**
 * Seal @p pt for row @p row_id of @p tenant_id under the tenant's newest key.
 * @p out holds @p out_cap bytes (sv_field_sealed_len(pt_len) are needed).
 * SV_E_FIELD_INVALID for a plaintext outside the column's bounds.
 */
SV_MUST_CHECK enum sv_err
sv_field_seal_tx(struct sv_dbc *c, const char *tenant_id, const char *row_id,
                 const struct sv_field_desc *d, const uint8_t *pt,
                 size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len);

/** sv_field_seal_tx() with keys the caller already holds. */
SV_MUST_CHECK enum sv_err
sv_field_seal_keys(const struct sv_tenant_keys *tk, const char *tenant_id,
                   const char *row_id, const struct sv_field_desc *d,
                   const uint8_t *pt, size_t pt_len, uint8_t *out,
                   size_t out_cap, size_t *out_len);

/**
 * Open a sealed field of row @p row_id with the key version it was made
 * with. @p out holds @p out_cap bytes; *out_len is the plaintext length.
 * SV_E_TAMPERED (logged) for a forged or moved ciphertext or a plaintext
 * outside the column's bounds; @p out is then zeroed.
 */
SV_MUST_CHECK enum sv_err
sv_field_open_tx(struct sv_dbc *c, const char *tenant_id, const char *row_id,
                 const struct sv_field_desc *d, const uint8_t *ct,
                 size_t ct_len, uint8_t *out, size_t out_cap, size_t *out_len);

/**
 * sv_field_open_tx() with keys the caller already holds (@p tk must be the
 * version sv_field_key_id(ct) names, e.g. from sv_tenant_keys_cached()).
 */
SV_MUST_CHECK enum sv_err
sv_field_open_keys(const struct sv_tenant_keys *tk, const char *tenant_id,
                   const char *row_id, const struct sv_field_desc *d,
                   const uint8_t *ct, size_t ct_len, uint8_t *out,
                   size_t out_cap, size_t *out_len);

/** As sv_field_open_tx(), for text: @p out is NUL-terminated. */
SV_MUST_CHECK enum sv_err sv_field_open_str_tx(struct sv_dbc *c,
                                               const char *tenant_id,
                                               const char *row_id,
                                               const struct sv_field_desc *d,
                                               const uint8_t *ct, size_t ct_len,
                                               char *out, size_t out_cap);

/** As sv_field_open_keys(), for text: @p out is NUL-terminated. */
SV_MUST_CHECK enum sv_err
sv_field_open_str_keys(const struct sv_tenant_keys *tk, const char *tenant_id,
                       const char *row_id, const struct sv_field_desc *d,
                       const uint8_t *ct, size_t ct_len, char *out,
                       size_t out_cap);

/**
 * Blind index of @p value (NUL-terminated) for the column (which must have
 * one): normalised, then HMAC-SHA-256 under the tenant's newest index key.
 */
SV_MUST_CHECK enum sv_err
sv_field_blind_index_tx(struct sv_dbc *c, const char *tenant_id,
                        const struct sv_field_desc *d, const char *value,
                        uint8_t out[SV_BLIND_INDEX_LEN]);

/*
 * Every sealed column, for re-sealing after a key rotation
 * (directory/keys.h). The module that owns a table declares its sealed
 * columns next to their SQL, in its store file:
 *
 *   SV_SEALED_COLUMN(accounts_email, &identity_store_email_field,
 *                    &Q_EMAIL_PAGE, &Q_EMAIL_RESEAL, &Q_EMAIL_COUNT);
 *
 * page:   $1 tenant, $2 after this row id ('' = from the start), $3 at
 *         most: (row id, ciphertext) of non-NULL values in row-id order
 * reseal: $1 tenant, $2 row id, $3 new ciphertext, $4 the old one (no
 *         change when a writer has replaced it since: it sealed anew)
 * count:  $1 tenant: how many non-NULL values
 * The row id is the one bound into the AAD. Declared columns land in one
 * linker section, as SV_SQL statements do: a new sealed column cannot be
 * missed by the re-sealing.
 */
struct sv_sql;
struct sv_sealed_column {
    const struct sv_field_desc *desc;
    const struct sv_sql *page, *reseal, *count;
};

#define SV_SEALED_COLUMN(var, d, p, r, n)                                      \
    static const struct sv_sealed_column var                                   \
        __attribute__((used, section("sv_sealed"), aligned(8))) = {d, p, r, n}

/** The declared sealed columns, sorted by "table.column" (static storage,
 *  made once): @p n gets the count. */
const struct sv_sealed_column *const *sv_sealed_columns(size_t *n);

/** sv_field_blind_index_tx() with keys the caller already holds. */
void sv_field_blind_index_keys(const struct sv_tenant_keys *tk,
                               const struct sv_field_desc *d, const char *value,
                               uint8_t out[SV_BLIND_INDEX_LEN]);

#endif
