/* Tenants (DIR-1): each has its own keys and audit stream. */
#ifndef SV_DIRECTORY_TENANT_H
#define SV_DIRECTORY_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "crypto/keyring.h"
#include "policy/policy.h"

struct sv_actor;
struct sv_db;
struct sv_dbc;

#define SV_SLUG_MAX 32
#define SV_TENANT_NAME_MAX 128

struct sv_tenant {
    char id[37];
    char slug[SV_SLUG_MAX + 1];
    char name[SV_TENANT_NAME_MAX * 4 + 1];
    struct sv_pw_policy policy;
    bool require_mfa;     /* AUTH-8: every login needs TOTP */
    char phone_region[3]; /* DIR-4: where a national number is read ("CN") */
    bool mask_phones;     /* DIR-5: masked in views, revealed apart */
    int phone_reveals_per_day; /* DIR-5: per viewer, 24 hours */
    int64_t created_at;
};

/** Slug rule: 2-32 of [a-z0-9-], starting and ending with a letter or digit. */
bool sv_check_slug(const char *s, size_t len);
/** Name rule: 1-128 characters, no control characters. */
bool sv_check_tenant_name(const char *s, size_t len);

SV_MUST_CHECK enum sv_err sv_tenant_find_by_slug(struct sv_dbc *c,
                                                 const char *slug,
                                                 struct sv_tenant *out);
SV_MUST_CHECK enum sv_err sv_tenant_find(struct sv_dbc *c, const char *id,
                                         struct sv_tenant *out);

typedef void (*sv_tenant_row_fn)(void *cls, const struct sv_tenant *t);
SV_MUST_CHECK enum sv_err sv_tenant_list(struct sv_dbc *c, sv_tenant_row_fn row,
                                         void *cls);

/** Every tenant's id, for work done one tenant's transaction at a time
 *  (the sweeps): ids owned (free them); n 0 and ids NULL when none. */
struct sv_tenant_ids {
    size_t n, cap;
    char (*ids)[37];
};
struct sv_db;
/** Read them (a platform read): SV_E_INTERNAL when out of memory. */
SV_MUST_CHECK enum sv_err sv_tenant_ids(struct sv_db *db,
                                        struct sv_tenant_ids *out);

/**
 * Inside a transaction: create tenant @p t (id and created_at are filled in),
 * its key-encryption key version 1, and its audit stream, with a
 * tenant.created event on the platform stream and on the tenant's own.
 * SV_E_SLUG_TAKEN when the slug exists.
 */
SV_MUST_CHECK enum sv_err sv_tenant_create_tx(struct sv_dbc *c,
                                              const struct sv_keyring *kr,
                                              struct sv_tenant *t,
                                              const char *actor);

/** A change of a tenant's sign-in policy: only the fields marked set. */
struct sv_tenant_policy_change {
    bool set_require_mfa, require_mfa; /* AUTH-8 */
    bool set_kind;                     /* AUTH-1 */
    enum sv_pw_policy_kind kind;
    bool set_min_score;
    int min_score;            /* zxcvbn 0..4 */
    const char *phone_region; /* NULL: keep it; else checked by the caller */
    bool set_mask_phones, mask_phones;
    bool set_reveals;
    int phone_reveals_per_day; /* 0..10000 */
};

/**
 * Inside a transaction: set whether every login of tenant @p slug needs
 * TOTP (AUTH-8), with a tenant.policy event by @p actor on the platform
 * stream and on the tenant's own. @p out gets the tenant as it is now.
 * SV_E_NOT_FOUND when no tenant has that slug.
 */
SV_MUST_CHECK enum sv_err
sv_tenant_set_require_mfa_tx(struct sv_dbc *c, const char *slug, bool on,
                             const char *actor, struct sv_tenant *out);

/** Tenant @p tenant_id (GET /admin/settings), in its own transaction. */
SV_MUST_CHECK enum sv_err sv_tenant_get(struct sv_db *db, const char *tenant_id,
                                        struct sv_tenant *out);

/**
 * A tenant admin changes its own tenant's sign-in policy (PATCH
 * /admin/settings): one transaction with a tenant.policy event by @p actor
 * in the tenant's stream (details: the fields given, as they are now and
 * as they "was"). @p out gets the tenant as it is now.
 * @return SV_OK; SV_E_FIELD_INVALID (min_score out of 0..4: the caller
 *         names "password_min_score"); SV_E_NOT_FOUND; database errors.
 */
SV_MUST_CHECK enum sv_err
sv_tenant_policy_update(struct sv_db *db, const char *tenant_id,
                        const struct sv_tenant_policy_change *chg,
                        const struct sv_actor *actor, struct sv_tenant *out);

/* ---- tenant key cache: unwrapped once, kept in locked memory ---- */

void sv_tenant_keys_init(const struct sv_keyring *kr);
void sv_tenant_keys_fini(void);

/**
 * Keys of @p tenant_id, version @p version; 0: the newest live version, as
 * the database says now (a rotation on another node counts at once).
 * Borrowed; valid until sv_tenant_keys_fini() (a destroyed key is wiped
 * and marked dead, never freed before).
 */
SV_MUST_CHECK enum sv_err sv_tenant_keys_get(struct sv_dbc *c,
                                             const char *tenant_id,
                                             uint32_t version,
                                             const struct sv_tenant_keys **out);

/**
 * Keys that carry the tenant's blind-index key (the same in every
 * version): a cached version when there is one, with no database read.
 */
SV_MUST_CHECK enum sv_err
sv_tenant_index_keys_get(struct sv_dbc *c, const char *tenant_id,
                         const struct sv_tenant_keys **out);

/** Cached keys of @p tenant_id / @p version (not 0), or NULL. */
const struct sv_tenant_keys *sv_tenant_keys_cached(const char *tenant_id,
                                                   uint32_t version);

/**
 * Wipe this node's cached keys of @p tenant_id: the versions below
 * @p below, or all (0). Returns how many were wiped.
 */
size_t sv_tenant_keys_forget(const char *tenant_id, uint32_t below);

/** Wipe this node's keys of every deleted tenant (platform scope). */
SV_MUST_CHECK enum sv_err sv_tenant_keys_forget_deleted(struct sv_dbc *c);

/* ---- deletion (DATA-7): two steps, keys first ---- */

struct sv_tenant_deletion {
    char tenant_id[37], slug[SV_SLUG_MAX + 1];
    int64_t accounts, records, events; /* what the tenant holds */
    char token[96];                    /* the confirmation (step 1) */
    int64_t expires_at;                /* its end */
    bool expired; /* step 2: the token was this tenant's, but too old */
    bool keys_destroyed;
    int64_t rows; /* deleted (step 2) */
};

/**
 * Step 1: what deleting tenant @p slug destroys, and a confirmation token
 * valid ten minutes (bound to the tenant, under a key only the root key
 * gives). Audited as tenant.delete.request on the platform stream.
 */
SV_MUST_CHECK enum sv_err
sv_tenant_delete_request(struct sv_db *db, const struct sv_keyring *kr,
                         const char *slug, const char *actor,
                         struct sv_tenant_deletion *out);

/**
 * Step 2, with step 1's @p token: the tenant is listed as deleted
 * (tenant.shred), its master key destroyed (crypto-shredding: its keys
 * open nowhere any more), then every row of it deleted, its audit stream
 * too (tenant.delete on the platform stream). SV_E_FIELD_INVALID: not
 * this tenant's token, or too old (out->expired); SV_E_NOT_FOUND: no
 * such tenant.
 */
SV_MUST_CHECK enum sv_err sv_tenant_delete(struct sv_db *db,
                                           const struct sv_keyring *kr,
                                           const char *slug, const char *token,
                                           const char *actor,
                                           struct sv_tenant_deletion *out);

/**
 * Tenants made before migration 016: store each one's index key (the key
 * its indexes were made with). Cheap when there is none; run at start.
 */
SV_MUST_CHECK enum sv_err sv_tenant_keys_upgrade(struct sv_db *db,
                                                 const struct sv_keyring *kr);

#endif
