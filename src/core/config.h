/* salesvault.conf: INI, parsed with inih, every value range-checked. */
#ifndef SV_CORE_CONFIG_H
#define SV_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SV_PATH_MAX 1024

struct sv_config {
    char data_dir[SV_PATH_MAX];
    /* [server] */
    char listen_addr[64];
    unsigned listen_port;
    unsigned threads; /* 0 = cores */
    size_t max_body;
    unsigned conn_limit;   /* total connections */
    unsigned per_ip_limit; /* connections per IP */
    unsigned conn_timeout_s;
    /* [tls] */
    char tls_cert[SV_PATH_MAX];
    char tls_key[SV_PATH_MAX];
    /* [database] */
    char db_path[SV_PATH_MAX];
    char db_url[SV_PATH_MAX];         /* PostgreSQL; empty = SQLite */
    char db_migrate_url[SV_PATH_MAX]; /* owner role for migrations */
    /* [keys] */
    char root_key_file[SV_PATH_MAX];
    bool root_pkcs11;                    /* root = pkcs11 */
    char pkcs11_module[SV_PATH_MAX];     /* the token's PKCS#11 module */
    char pkcs11_token[33];               /* its label */
    char pkcs11_pin_file[SV_PATH_MAX];   /* the user PIN (0600) */
    char platform_key_file[SV_PATH_MAX]; /* pkcs11: platform keys' master,
                                          * wrapped by the token */
    char tenant_key_dir[SV_PATH_MAX];    /* the tenants' master keys */
    unsigned reseal_batch;               /* values per re-sealing batch */
    unsigned reseal_pause_ms;            /* between batches */
    /* [password] */
    unsigned long long pw_opslimit;
    size_t pw_memlimit;    /* bytes */
    unsigned hash_workers; /* 0 = cores */
    unsigned hash_queue;
    char blocklist[SV_PATH_MAX];
    /* [session] */
    int64_t idle_timeout_ms;
    int64_t absolute_lifetime_ms;
    /* [log] */
    int log_level;
    /* [auth] (AUTH-4, AUTH-5, DEV-*) */
    unsigned captcha_after;   /* failures before a CAPTCHA is required */
    unsigned lock_after;      /* failures before the name locks */
    int64_t failure_decay_ms; /* one failure is forgotten per this */
    int64_t lock_base_ms;     /* first lock; doubles with each lock */
    int64_t lock_max_ms;
    unsigned stuffing_accounts; /* distinct names failed from one source */
    unsigned platform_stuffing_accounts; /* the same, on unknown tenants */
    unsigned source_inflight; /* password checks per source, per node */
    int64_t stuffing_window_ms;
    int64_t blacklist_ms; /* how long an automatic entry lasts */
    int64_t challenge_ttl_ms;
    int64_t qr_ttl_ms;
    int64_t code_ttl_ms;         /* SMS login codes */
    int64_t reset_ttl_ms;        /* self-service reset codes */
    int64_t signature_window_ms; /* device request timestamps */
    /* [notify] (DEV-6) */
    enum { SV_NOTIFY_OUTBOX, SV_NOTIFY_WEBHOOK, SV_NOTIFY_SMTP } notify_backend;
    char outbox[SV_PATH_MAX];
    char webhook_url[SV_PATH_MAX];
    char webhook_secret_file[SV_PATH_MAX];
    char smtp_url[SV_PATH_MAX];
    char smtp_from[256];
    char smtp_user[256];
    char smtp_password_file[SV_PATH_MAX];
    unsigned notify_retries; /* webhook/SMTP attempts per message */
};

/** Fill @p c with defaults for data directory @p data_dir. */
void sv_config_defaults(struct sv_config *c, const char *data_dir);

/**
 * Parse INI text into @p c (on top of the defaults already there).
 * On failure writes a message naming the key and the rule into @p err.
 */
SV_MUST_CHECK enum sv_err sv_config_parse(struct sv_config *c, const char *text,
                                          char *err, size_t err_len);

/** Read DATA/salesvault.conf into @p c (defaults first). */
SV_MUST_CHECK enum sv_err sv_config_load(struct sv_config *c,
                                         const char *data_dir, char *err,
                                         size_t err_len);

/** Parse "ADDR:PORT" into @p c's listen fields. */
SV_MUST_CHECK bool sv_config_set_listen(struct sv_config *c, const char *s);

/** The default config file text written by `salesvault init`. */
extern const char sv_config_template[];

#endif
