/* The key centre's SQL (directory/keys.h): key versions and re-sealing
 * jobs (migration 016), and the sealed columns' statements. */
#ifndef SV_DIRECTORY_KEYS_STORE_H
#define SV_DIRECTORY_KEYS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "directory/field.h"
#include "directory/keys.h"

/** The highest version number a tenant ever had (retired ones too). */
enum sv_qs keys_store_max_version(struct sv_dbc *c, const char *tenant_id,
                                  uint32_t *version);
/** Every version of the tenant, oldest first. */
enum sv_qs keys_store_versions(struct sv_dbc *c, const char *tenant_id,
                               void (*row)(void *cls, uint32_t version,
                                           int64_t created_at,
                                           int64_t retired_at),
                               void *cls);
/** Running jobs of the tenant become superseded. */
enum sv_qs keys_store_supersede(struct sv_dbc *c, const char *tenant_id,
                                int64_t now);
enum sv_qs keys_store_job_insert(struct sv_dbc *c, const struct sv_key_job *j);
enum sv_qs keys_store_job_get(struct sv_dbc *c, const char *tenant_id,
                              const char *id, struct sv_key_job *j);
/** The tenant's newest job. */
enum sv_qs keys_store_job_latest(struct sv_dbc *c, const char *tenant_id,
                                 struct sv_key_job *j);
/** Write back the cursor, counts, state and the lease's end. */
enum sv_qs keys_store_job_save(struct sv_dbc *c, const struct sv_key_job *j,
                               int64_t lease_until);
/** Platform: the oldest running job whose lease is free at @p now or is
 *  @p owner's: its id and tenant. */
enum sv_qs keys_store_job_next(struct sv_dbc *c, int64_t now, const char *owner,
                               char id[37], char tenant_id[37]);
/** Take or renew the lease of a running job: SV_QS_ONE when taken. */
enum sv_qs keys_store_job_lease(struct sv_dbc *c, const char *tenant_id,
                                const char *id, const char *owner, int64_t now,
                                int64_t until);
/** Platform: per tenant, the highest target of a finished job (the
 *  versions below it are retired). */
enum sv_qs keys_store_done_targets(struct sv_dbc *c,
                                   void (*row)(void *cls, const char *tenant_id,
                                               uint32_t target),
                                   void *cls);
/**
 * The fence: lock the live versions below @p target (PostgreSQL: waits for
 * every writer that read one of them as the newest to end). *n gets how
 * many there are.
 */
enum sv_qs keys_store_fence(struct sv_dbc *c, const char *tenant_id,
                            uint32_t target, int64_t *n);
/** Retire the live versions below @p target: destroy their wrapped keys.
 *  @p row sees each version retired. */
enum sv_qs keys_store_retire(struct sv_dbc *c, const char *tenant_id,
                             uint32_t target, int64_t now,
                             void (*row)(void *cls, uint32_t version),
                             void *cls);

/* The sealed columns (directory/field.h). */
enum sv_qs keys_store_count(struct sv_dbc *c,
                            const struct sv_sealed_column *col,
                            const char *tenant_id, int64_t *n);
/** One page after @p after_id: @p row gets each row id and ciphertext; a
 *  non-OK return from @p row stops the page and is passed back. */
enum sv_err keys_store_page(struct sv_dbc *c,
                            const struct sv_sealed_column *col,
                            const char *tenant_id, const char *after_id,
                            int64_t limit,
                            enum sv_err (*row)(void *cls, const char *row_id,
                                               const uint8_t *ct, size_t len),
                            void *cls);
enum sv_qs keys_store_reseal(struct sv_dbc *c,
                             const struct sv_sealed_column *col,
                             const char *tenant_id, const char *row_id,
                             const uint8_t *ct, size_t len, const uint8_t *old,
                             size_t old_len);

#endif
