/*
 * The SQL of the sign-in (only here): challenges (a platform table: before
 * the password there is no tenant) and the approvals a trusted device
 * gives (DEV-3, DEV-4).
 */
#ifndef SV_LOGIN_LOGIN_STORE_H
#define SV_LOGIN_LOGIN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "device/device.h"
#include "directory/tenant.h"
#include "identity/identity.h"

/** A challenges row: everything a step of a login needs. */
struct login_challenge {
    char id[37];
    uint8_t token_hash[32];
    char tenant_slug[SV_SLUG_MAX * 2 + 1];
    char username[SV_USERNAME_MAX * 4 + 1];
    char tenant_id[37], account_id[37];
    struct sv_client cl;
    char ip[64];
    char user_agent[257];
    char stage[16];
    char next[64];
    char device_done[24];
    uint8_t captcha_hash[32];
    bool has_captcha;
    int64_t captcha_draws;
    uint8_t code_hash[32];
    bool has_code;
    int64_t code_expires_at, code_sends;
    char approval_id[37];
    int64_t failures, created_at, expires_at;
    uint8_t name_key[32]; /* the keyed name: counters, never the text */
    bool has_name_key;
};

/* ---- challenges ---- */

/** Read challenge @p id (its client's ip and user agent point into @p ch). */
enum sv_qs login_store_find(struct sv_dbc *c, const char *id,
                            struct login_challenge *ch);
/** Insert @p ch as it is (id, token hash, times and name key set). */
enum sv_qs login_store_insert(struct sv_dbc *c,
                              const struct login_challenge *ch);
/**
 * Compare-and-set: move @p ch from its stored stage to @p stage (with
 * @p next and @p device_done, NULL or "" for none). SV_QS_NONE when
 * another request moved it first.
 */
enum sv_qs login_store_set_stage(struct sv_dbc *c,
                                 const struct login_challenge *ch,
                                 const char *stage, const char *next,
                                 const char *device_done);
/** One more failure on the challenge (its CAPTCHA answer forgotten). */
enum sv_qs login_store_fail(struct sv_dbc *c, const char *id);
/** CAPTCHA challenges source @p ip holds open at @p now. */
enum sv_qs login_store_open_by_ip(struct sv_dbc *c, const char *ip, int64_t now,
                                  int64_t *n);
/** Count a CAPTCHA draw: SV_QS_NONE once @p max draws were made. */
enum sv_qs login_store_draw(struct sv_dbc *c, const char *id, int64_t max);
enum sv_qs login_store_set_captcha(struct sv_dbc *c, const char *id,
                                   const uint8_t hash[32]);
/** The SMS code's hash and expiry; counts a send. */
enum sv_qs login_store_set_code(struct sv_dbc *c, const char *id,
                                const uint8_t hash[32], int64_t expires_at);
enum sv_qs login_store_set_approval(struct sv_dbc *c, const char *id,
                                    const char *approval_id);
/** Decide the challenge's pending approval @p approval_id, once. */
enum sv_qs login_store_decide(struct sv_dbc *c, const char *id,
                              const char *stage, const char *device_done,
                              int64_t now, const char *approval_id);
/** Each challenge decided at or after @p since, by id. */
enum sv_qs login_store_decided_since(struct sv_dbc *c, int64_t since,
                                     void (*fn)(const char *id));
/** Forget challenges expired before @p before. */
enum sv_qs login_store_prune(struct sv_dbc *c, int64_t before);
/** Close the account's logins in progress. */
enum sv_qs login_store_close_account(struct sv_dbc *c, const char *account_id);

/* ---- approvals ---- */

/** An approvals row. */
struct login_approval {
    char id[37];
    char account_id[37];
    char challenge_id[37];
    bool qr;
    uint8_t qr_hash[32];
    bool has_qr;
    int number;
    int choices[3];
    char ip[64];
    char user_agent[257];
    char state[12];
    char device_id[37];
    int64_t created_at, expires_at;
};

/** Forget the account's approvals that expired before @p before. */
enum sv_qs login_store_approval_sweep(struct sv_dbc *c, const char *tenant_id,
                                      int64_t before);
enum sv_qs login_store_approval_prune(struct sv_dbc *c, const char *tenant_id,
                                      const char *account_id, int64_t before);
/** Approvals asked for challenge @p challenge_id. */
enum sv_qs login_store_approval_count(struct sv_dbc *c, const char *tenant_id,
                                      const char *challenge_id, int64_t *n);
/** Pushes asked for the account after @p since. */
enum sv_qs login_store_approval_count_pushes(struct sv_dbc *c,
                                             const char *tenant_id,
                                             const char *account_id,
                                             int64_t since, int64_t *n);
/** Insert @p a as pending (id, account, challenge, kind, hash, numbers,
 *  ip, user agent, times). */
enum sv_qs login_store_approval_insert(struct sv_dbc *c, const char *tenant_id,
                                       const struct login_approval *a);
enum sv_qs login_store_approval_find(struct sv_dbc *c, const char *tenant_id,
                                     const char *id, struct login_approval *a);
/** The account's pending pushes at @p now, oldest first, at most 20. */
enum sv_qs login_store_approval_pending(
    struct sv_dbc *c, const char *tenant_id, const char *account_id,
    int64_t now, void (*row)(void *cls, const struct login_approval *a),
    void *cls);
/** Bind a pending QR approval to the device that scanned it, once. */
enum sv_qs login_store_approval_scanned(struct sv_dbc *c, const char *tenant_id,
                                        const char *id, const char *device_id);
/** Decide a pending approval: SV_QS_NONE when it was not pending. */
enum sv_qs login_store_approval_decide(struct sv_dbc *c, const char *tenant_id,
                                       const char *id, const char *state,
                                       const char *device_id, int64_t now);

#endif
