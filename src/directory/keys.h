/*
 * The key management centre, tenant key rotation (DATA-2; docs/keys.md).
 *
 * A rotation makes a new key-encryption key version; every node seals its
 * next write with it (directory/tenant.h reads the newest version on every
 * seal). A re-sealing job, one per rotation, then walks every sealed column
 * (directory/field.h, SV_SEALED_COLUMN) in batches: each old ciphertext is
 * opened under its own version and sealed under the new one, and the
 * job's cursor moves in the batch's own transaction, so a crash or a
 * restart resumes at the last batch that committed. Blind indexes are
 * under the tenant's index key, which a rotation does not change: exact
 * match keeps working throughout.
 *
 * A pass begins with the fence: on PostgreSQL it waits for every writer
 * that took an older version as the newest (they hold a share lock on its
 * row) to end, so no old ciphertext can appear behind the cursor. The job
 * ends after a fenced pass that found nothing older than its version;
 * then the older versions are retired, their wrapped keys destroyed, and
 * every node wipes its cached copy (sv_keys_prune()).
 *
 * One node runs a job at a time (a lease of LEASE_MS renewed each batch);
 * any serving node picks up a job whose lease ran out.
 */
#ifndef SV_DIRECTORY_KEYS_H
#define SV_DIRECTORY_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_db;
struct sv_keyring;

/** A re-sealing job, as stored. */
struct sv_key_job {
    char id[37], tenant_id[37];
    char state[16]; /* running | done | superseded | blocked */
    uint32_t target;
    int64_t pass;
    bool pass_safe;    /* this pass began after the fence */
    char column[64];   /* "table.column" of the cursor; "" = a pass's start */
    char after_id[64]; /* the last row id done in that column */
    int64_t pass_scanned;  /* values looked at in this pass */
    int64_t pass_resealed; /* older than the target, found in this pass */
    int64_t pass_broken;   /* of which do not open (logged) */
    int64_t resealed;      /* re-sealed, all passes */
    int64_t total;         /* sealed values when the job began */
    int64_t created_at, updated_at, finished_at;
};

struct sv_key_version {
    uint32_t version;
    int64_t created_at, retired_at; /* retired_at 0: live */
};

enum { SV_KEY_VERSIONS_SHOWN = 32 };

/** One tenant's keys, for `salesvault keys status`. */
struct sv_key_status {
    char tenant_id[37], slug[33];
    uint32_t current;  /* the version new writes seal with */
    size_t n_versions; /* the newest SV_KEY_VERSIONS_SHOWN, oldest first */
    struct sv_key_version versions[SV_KEY_VERSIONS_SHOWN];
    bool has_job;
    struct sv_key_job job; /* the newest job */
};

/**
 * Rotate the key-encryption key of tenant @p slug: a new version, a
 * re-sealing job (a running one is superseded: the new one re-seals
 * everything older), key.rotate on the platform stream and the tenant's.
 * @p job gets the new job. SV_E_NOT_FOUND: no such tenant.
 */
SV_MUST_CHECK enum sv_err sv_keys_rotate(struct sv_db *db,
                                         const struct sv_keyring *kr,
                                         const char *slug, const char *actor,
                                         struct sv_key_job *job);

/** Status of tenant @p slug, or of every tenant (NULL), one call each. */
SV_MUST_CHECK enum sv_err
sv_keys_status(struct sv_db *db, const char *slug,
               void (*each)(void *cls, const struct sv_key_status *s),
               void *cls);

/** Status of tenant @p tenant_id (the console's key page), in @p out. */
SV_MUST_CHECK enum sv_err sv_keys_status_of(struct sv_db *db,
                                            const char *tenant_id,
                                            struct sv_key_status *out);

/** What job @p j is doing: while it runs "re-sealing" (its first pass) or
 *  "verifying" (a later one), else its state. A static string. */
const char *sv_key_job_phase(const struct sv_key_job *j);

/** Who reads sv_keys_status_json(). */
enum sv_key_json {
    /** GET /admin/keys: times in RFC 3339. */
    SV_KEY_JSON_API,
    /** `salesvault keys status --json`: times in Unix ms, and the tenant's
     *  slug and id and the job's cursor column too. */
    SV_KEY_JSON_CLI,
};

/**
 * One tenant's key status as JSON, one shape for the API and the CLI:
 * {current_version, versions: [{version, state, created_at, retired_at}],
 * job: null | {id, state, phase, version, pass, looked_at, older_found,
 * not_opening, resealed, total, created_at, finished_at}}. A version's
 * state is "current" (new writes seal with it), "live" (values may still
 * use it) or "retired" (its key destroyed); a job's phase is
 * sv_key_job_phase(). Never any key material.
 * @param[in] s  borrowed.
 * @return a new object; the caller decrefs it.
 */
struct json_t;
struct json_t *sv_keys_status_json(const struct sv_key_status *s,
                                   enum sv_key_json as);

/**
 * One batch (at most @p batch values) of the oldest running job whose lease
 * is free or is @p owner's. *@p worked: a batch ran (false: no job to do).
 */
SV_MUST_CHECK enum sv_err sv_keys_step(struct sv_db *db, const char *owner,
                                       size_t batch, bool *worked);

/** Wipe this node's cached copies of retired versions and of deleted
 *  tenants' keys. */
SV_MUST_CHECK enum sv_err sv_keys_prune(struct sv_db *db);

/** What a move of the root did. */
struct sv_keys_migration {
    size_t tenants, moved;  /* master keys, wrapped anew now */
    size_t heads, resigned; /* audit heads, signed anew now */
};

/**
 * Move every tenant master key from root @p from to root @p to, then sign
 * every audit head anew with @p to (each only if @p from signed it).
 * Resumable: what is already under @p to is left. Servers stopped. Each
 * run starts with a key.root event by @p actor on the platform stream
 * (details: @p kind, "pkcs11", "file" or "rotation").
 * SV_E_TAMPERED: a head @p from did not sign (@p err names the stream).
 */
SV_MUST_CHECK enum sv_err
sv_keys_migrate_root(struct sv_db *db, const struct sv_keyring *from,
                     const struct sv_keyring *to, const char *kind,
                     const char *actor, struct sv_keys_migration *out,
                     char *err, size_t err_len);

/** The serving process's worker: re-seals (@p batch values a batch, a
 *  pause of @p pause_ms between batches), and prunes every few seconds. */
SV_MUST_CHECK enum sv_err sv_keys_worker_start(struct sv_db *db, unsigned batch,
                                               unsigned pause_ms);
void sv_keys_worker_stop(void);

#endif
