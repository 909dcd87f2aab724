/* The SQL of devices and their nonces (only here). */
#ifndef SV_DEVICE_DEVICE_STORE_H
#define SV_DEVICE_DEVICE_STORE_H

#include <stdint.h>

#include "db/db.h"
#include "device/device.h"

enum sv_qs device_store_find(struct sv_dbc *c, const char *tenant_id,
                             const char *account_id, const char *client,
                             struct sv_device *d);
/** Register @p d (state unknown) for the client @p cl, seen at @p now. */
enum sv_qs device_store_insert(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id,
                               const struct sv_client *cl,
                               const struct sv_device *d, int64_t now);
/** Seen again: time, IP, and what the client says of itself (if said). */
enum sv_qs device_store_seen(struct sv_dbc *c, const char *tenant_id,
                             const char *id, const struct sv_client *cl,
                             int64_t now);
/** unknown → trusted; SV_QS_NONE when not unknown. */
enum sv_qs device_store_trust(struct sv_dbc *c, const char *tenant_id,
                              const char *id);
enum sv_qs device_store_count_trusted(struct sv_dbc *c, const char *tenant_id,
                                      const char *account_id, int64_t *n);
/** The account's devices by id, each handed to @p row. */
enum sv_qs device_store_list(struct sv_dbc *c, const char *tenant_id,
                             const char *account_id, sv_device_row_fn row,
                             void *cls);
/** SV_QS_NONE: no such device of the account, or revoked already. */
enum sv_qs device_store_revoke(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, const char *id);
enum sv_qs device_store_revoke_sessions(struct sv_dbc *c, const char *tenant_id,
                                        const char *id, int64_t now);
/** SV_QS_NONE: the nonce was there already. */
enum sv_qs device_store_nonce_add(struct sv_dbc *c, const char *tenant_id,
                                  const char *signer, const char *nonce,
                                  int64_t expires_at);
enum sv_qs device_store_nonce_sweep(struct sv_dbc *c, const char *tenant_id,
                                    int64_t now);
enum sv_qs device_store_nonce_prune(struct sv_dbc *c, const char *tenant_id,
                                    const char *signer, int64_t now);

#endif
