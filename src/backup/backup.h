/*
 * Encrypted online backups (DR-3).
 *
 * A backup is a logical, engine-neutral copy of every table, read in one
 * consistent snapshot (SQLite read transaction; PostgreSQL REPEATABLE READ),
 * so a backup from one engine restores into the other. The stream of rows
 * is compressed with zstd and encrypted in chunks with libsodium's
 * secretstream (XChaCha20-Poly1305): every chunk is authenticated, their
 * order is fixed and the last one is marked, so a tampered, reordered or
 * truncated file is refused. The key is derived from the root key.
 *
 *   "SVBACKUP" | version u8 | reserved 3 | created_ms u64 | schema u32 |
 *   engine-name length u8 | engine name | secretstream header (24)
 *   then chunks: ciphertext length u32 | ciphertext
 * The plaintext header is the first chunk's additional data.
 */
#ifndef SV_BACKUP_BACKUP_H
#define SV_BACKUP_BACKUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/errors.h"

struct sv_app;

struct sv_backup_stats {
    int64_t rows;
    int64_t tables;
    uint64_t plain_bytes; /* uncompressed row stream */
    uint64_t file_bytes;  /* what was written or read */
    int64_t created_ms;
    uint32_t schema; /* highest migration number */
    char engine[16];
    int64_t tenants_skipped; /* restore: deleted since (no master key) */
};

/** Progress callback: called every few thousand rows (may be NULL). */
typedef void (*sv_backup_progress_fn)(const struct sv_backup_stats *s);

/**
 * Write a backup of @p app's database to @p out (a file opened for writing).
 * On failure the caller should delete the partial file.
 */
SV_MUST_CHECK enum sv_err sv_backup_write(struct sv_app *app, FILE *out,
                                          sv_backup_progress_fn progress,
                                          struct sv_backup_stats *stats,
                                          char *err, size_t err_len);

/**
 * Read a backup through to its final chunk without restoring: checks every
 * chunk's authentication, the stream's end, and the records' structure.
 */
SV_MUST_CHECK enum sv_err sv_backup_verify(struct sv_app *app, FILE *in,
                                           struct sv_backup_stats *stats,
                                           char *err, size_t err_len);

/** One text or blob value of a backup's plaintext stream: @p n bytes of
 *  table @p table's column @p col. */
typedef void (*sv_backup_value_fn)(void *cls, const char *table, int col,
                                   const void *p, size_t n);

/**
 * sv_backup_verify(), handing every text and blob value of the decrypted,
 * decompressed stream to @p fn: what a backup holds in clear once its key
 * is known (DIR-4: sealed fields stay sealed in it).
 */
SV_MUST_CHECK enum sv_err sv_backup_scan(struct sv_app *app, FILE *in,
                                         sv_backup_value_fn fn, void *cls,
                                         struct sv_backup_stats *stats,
                                         char *err, size_t err_len);

/**
 * Restore into @p app's database, which must hold no tenants, in one
 * transaction: nothing is written unless the whole file is intact. A
 * tenant whose master key is not in the key store (deleted since the
 * backup, DATA-7) is skipped with @p skip_deleted, else the restore fails.
 */
SV_MUST_CHECK enum sv_err sv_backup_restore(struct sv_app *app, FILE *in,
                                            bool skip_deleted,
                                            sv_backup_progress_fn progress,
                                            struct sv_backup_stats *stats,
                                            char *err, size_t err_len);

#endif
