#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <sodium.h>

#include "core/util.h"

const char sv_config_template[] =
    "; Salesvault configuration. Relative paths are relative to this "
    "directory.\n"
    "[server]\n"
    "listen = 127.0.0.1:8443\n"
    "; worker threads for connections; 0 = number of cores\n"
    "threads = 0\n"
    "; default request body limit in bytes (routes may set their own)\n"
    "max_body = 65536\n"
    "connection_limit = 1024\n"
    "per_ip_connection_limit = 64\n"
    "connection_timeout_s = 30\n"
    "\n[tls]\n"
    "cert = tls/cert.pem\n"
    "key = tls/key.pem\n"
    "\n[database]\n"
    "; embedded SQLite file (the default)\n"
    "path = salesvault.db\n"
    "; PostgreSQL instead: the server's role (owns nothing, no BYPASSRLS),\n"
    "; and the owner role that runs migrations and grants the server's.\n"
    "; Several hosts with target_session_attrs=read-write follow a failover.\n"
    "; url = "
    "postgres://salesvault_app@db1,db2/"
    "salesvault?target_session_attrs=read-write\n"
    "; migrate_url = "
    "postgres://salesvault_owner@db1,db2/"
    "salesvault?target_session_attrs=read-write\n"
    "\n[keys]\n"
    "; the root key: a file (root_key_file), or a key that never leaves a\n"
    "; PKCS#11 token (root = pkcs11: salesvault init --pkcs11-... sets it)\n"
    "root = file\n"
    "root_key_file = root.key\n"
    "; pkcs11_module = /usr/lib/softhsm/libsofthsm2.so\n"
    "; pkcs11_token = salesvault\n"
    "; pkcs11_pin_file = pkcs11.pin\n"
    "; the key store: each tenant's master key (wrapped by the root key),\n"
    "; never in the database or a backup; shared by every node\n"
    "tenant_key_dir = keys\n"
    "; re-sealing after a key rotation: values per batch (one transaction\n"
    "; each) and a pause between batches, to spare a busy database\n"
    "reseal_batch = 1000\n"
    "reseal_pause_ms = 0\n"
    "\n[password]\n"
    "; Argon2id cost (libsodium crypto_pwhash): passes and memory in KiB\n"
    "opslimit = 2\n"
    "memlimit_kib = 65536\n"
    "; hashing worker threads (0 = number of cores) and queue bound\n"
    "hash_workers = 0\n"
    "hash_queue = 64\n"
    "blocklist = /usr/share/john/password.lst\n"
    "\n[session]\n"
    "idle_timeout_s = 1800\n"
    "absolute_lifetime_s = 43200\n"
    "\n[log]\n"
    "; debug, info, warn or error\n"
    "level = info\n"
    "\n[auth]\n"
    "; failures (per account name, IP or device) before a CAPTCHA, and\n"
    "; before the account name locks; one failure decays per decay period\n"
    "captcha_after = 3\n"
    "lock_after = 10\n"
    "failure_decay_s = 900\n"
    "; a lock lasts lock_base_s, doubling with each lock, at most lock_max_s\n"
    "lock_base_s = 60\n"
    "lock_max_s = 86400\n"
    "; credential stuffing: one IP or device failing on this many distinct\n"
    "; account names within the window is blacklisted for blacklist_s\n"
    "stuffing_accounts = 5\n"
    "; failures against tenants that do not exist blacklist a source\n"
    "; platform-wide only at this many distinct names\n"
    "platform_stuffing_accounts = 50\n"
    "; password checks one source may have in flight on this node\n"
    "; (more wait their turn)\n"
    "source_inflight = 8\n"
    "stuffing_window_s = 600\n"
    "blacklist_s = 3600\n"
    "challenge_ttl_s = 300\n"
    "qr_ttl_s = 120\n"
    "code_ttl_s = 300\n"
    "reset_ttl_s = 600\n"
    "signature_window_s = 300\n"
    "\n[notify]\n"
    "; outbox (JSON lines in outbox_file), webhook or smtp\n"
    "backend = outbox\n"
    "outbox_file = outbox.jsonl\n"
    "; webhook_url = https://sms-gateway.example/send\n"
    "; webhook_secret_file = webhook.secret\n"
    "; smtp_url = smtps://mail.example:465\n"
    "; smtp_from = salesvault@example.com\n"
    "; smtp_user = salesvault\n"
    "; smtp_password_file = smtp.secret\n"
    "retries = 5\n";

static void
join_path(char *out, const char *dir, const char *rel)
{
    if (rel[0] == '/' || dir[0] == '\0')
        snprintf(out, SV_PATH_MAX, "%s", rel);
    else
        snprintf(out, SV_PATH_MAX, "%s/%s", dir, rel);
}

void
sv_config_defaults(struct sv_config *c, const char *data_dir)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "%s", data_dir);
    snprintf(c->listen_addr, sizeof c->listen_addr, "127.0.0.1");
    c->listen_port = 8443;
    c->threads = 0;
    c->max_body = 64 * 1024;
    c->conn_limit = 1024;
    c->per_ip_limit = 64;
    c->conn_timeout_s = 30;
    join_path(c->tls_cert, data_dir, "tls/cert.pem");
    join_path(c->tls_key, data_dir, "tls/key.pem");
    join_path(c->db_path, data_dir, "salesvault.db");
    join_path(c->root_key_file, data_dir, "root.key");
    join_path(c->tenant_key_dir, data_dir, "keys");
    join_path(c->pkcs11_pin_file, data_dir, "pkcs11.pin");
    join_path(c->platform_key_file, data_dir, "platform.key");
    c->reseal_batch = 1000;
    c->reseal_pause_ms = 0;
    c->pw_opslimit = 2;
    c->pw_memlimit = 64u << 20;
    c->hash_workers = 0;
    c->hash_queue = 64;
    snprintf(c->blocklist, sizeof c->blocklist, "/usr/share/john/password.lst");
    c->idle_timeout_ms = 1800 * 1000LL;
    c->absolute_lifetime_ms = 43200 * 1000LL;
    c->log_level = 1;
    c->captcha_after = 3;
    c->lock_after = 10;
    c->failure_decay_ms = 900 * 1000LL;
    c->lock_base_ms = 60 * 1000LL;
    c->lock_max_ms = 86400 * 1000LL;
    c->stuffing_accounts = 5;
    c->platform_stuffing_accounts = 50;
    c->source_inflight = 8;
    c->stuffing_window_ms = 600 * 1000LL;
    c->blacklist_ms = 3600 * 1000LL;
    c->challenge_ttl_ms = 300 * 1000LL;
    c->qr_ttl_ms = 120 * 1000LL;
    c->code_ttl_ms = 300 * 1000LL;
    c->reset_ttl_ms = 600 * 1000LL;
    c->signature_window_ms = 300 * 1000LL;
    c->notify_backend = SV_NOTIFY_OUTBOX;
    join_path(c->outbox, data_dir, "outbox.jsonl");
    c->notify_retries = 5;
}

bool
sv_config_set_listen(struct sv_config *c, const char *s)
{
    const char *colon = strrchr(s, ':');
    char addr[64];
    int64_t port;
    unsigned char tmp[16];
    size_t alen;

    if (colon == NULL || colon == s)
        return false;
    alen = (size_t)(colon - s);
    if (s[0] == '[' && alen > 2 && s[alen - 1] == ']') {
        s++;
        alen -= 2;
    }
    if (alen >= sizeof addr)
        return false;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, tmp) != 1 &&
        inet_pton(AF_INET6, addr, tmp) != 1)
        return false;
    if (!sv_parse_i64(colon + 1, 0, 65535, &port))
        return false;
    snprintf(c->listen_addr, sizeof c->listen_addr, "%s", addr);
    c->listen_port = (unsigned)port;
    return true;
}

struct parse_ctx {
    struct sv_config *c;
    char *err;
    size_t err_len;
    bool failed;
};

static int
fail(struct parse_ctx *p, const char *section, const char *key,
     const char *rule)
{
    if (!p->failed)
        snprintf(p->err, p->err_len, "[%s] %s: %s", section, key, rule);
    p->failed = true;
    return 0;
}

static bool
num(const char *v, int64_t min, int64_t max, int64_t *out)
{
    return sv_parse_i64(v, min, max, out);
}

#define IS(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)
#define NUM(min, max)                                                          \
    do {                                                                       \
        if (!num(value, min, max, &n))                                         \
            return fail(p, section, key,                                       \
                        "must be a whole number from " #min " to " #max);      \
    } while (0)

static int
on_value(void *user, const char *section, const char *key, const char *value)
{
    struct parse_ctx *p = user;
    struct sv_config *c = p->c;
    int64_t n;

    if (p->failed)
        return 0;
    if (section[0] == '\0')
        return fail(p, "?", key,
                    "outside any [section] (is a section header broken?)");
    if (IS("server", "listen")) {
        if (!sv_config_set_listen(c, value))
            return fail(p, section, key, "must be ADDRESS:PORT");
    } else if (IS("server", "threads")) {
        NUM(0, 256);
        c->threads = (unsigned)n;
    } else if (IS("server", "max_body")) {
        NUM(1024, 16777216);
        c->max_body = (size_t)n;
    } else if (IS("server", "connection_limit")) {
        NUM(16, 100000);
        c->conn_limit = (unsigned)n;
    } else if (IS("server", "per_ip_connection_limit")) {
        NUM(1, 100000);
        c->per_ip_limit = (unsigned)n;
    } else if (IS("server", "connection_timeout_s")) {
        NUM(1, 3600);
        c->conn_timeout_s = (unsigned)n;
    } else if (IS("tls", "cert")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        join_path(c->tls_cert, c->data_dir, value);
    } else if (IS("tls", "key")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        join_path(c->tls_key, c->data_dir, value);
    } else if (IS("database", "path")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        join_path(c->db_path, c->data_dir, value);
    } else if (IS("database", "url")) {
        if (*value != '\0' && strncmp(value, "postgres://", 11) != 0 &&
            strncmp(value, "postgresql://", 13) != 0)
            return fail(p, section, key, "must start with postgres://");
        snprintf(c->db_url, sizeof c->db_url, "%s", value);
    } else if (IS("database", "migrate_url")) {
        if (*value != '\0' && strncmp(value, "postgres://", 11) != 0 &&
            strncmp(value, "postgresql://", 13) != 0)
            return fail(p, section, key, "must start with postgres://");
        snprintf(c->db_migrate_url, sizeof c->db_migrate_url, "%s", value);
    } else if (IS("keys", "root_key_file")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        join_path(c->root_key_file, c->data_dir, value);
    } else if (IS("keys", "root")) {
        if (strcmp(value, "file") != 0 && strcmp(value, "pkcs11") != 0)
            return fail(p, section, key, "must be file or pkcs11");
        c->root_pkcs11 = strcmp(value, "pkcs11") == 0;
    } else if (IS("keys", "pkcs11_module")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        snprintf(c->pkcs11_module, sizeof c->pkcs11_module, "%s", value);
    } else if (IS("keys", "pkcs11_token")) {
        if (*value == '\0' || strlen(value) > 32)
            return fail(p, section, key, "must be 1-32 characters");
        snprintf(c->pkcs11_token, sizeof c->pkcs11_token, "%s", value);
    } else if (IS("keys", "pkcs11_pin_file")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        join_path(c->pkcs11_pin_file, c->data_dir, value);
    } else if (IS("keys", "tenant_key_dir")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        join_path(c->tenant_key_dir, c->data_dir, value);
    } else if (IS("keys", "reseal_batch")) {
        NUM(1, 100000);
        c->reseal_batch = (unsigned)n;
    } else if (IS("keys", "reseal_pause_ms")) {
        NUM(0, 60000);
        c->reseal_pause_ms = (unsigned)n;
    } else if (IS("password", "opslimit")) {
        NUM(1, 20);
        c->pw_opslimit = (unsigned long long)n;
    } else if (IS("password", "memlimit_kib")) {
        NUM(8192, 4194304);
        c->pw_memlimit = (size_t)n * 1024;
    } else if (IS("password", "hash_workers")) {
        NUM(0, 64);
        c->hash_workers = (unsigned)n;
    } else if (IS("password", "hash_queue")) {
        NUM(1, 100000);
        c->hash_queue = (unsigned)n;
    } else if (IS("password", "blocklist")) {
        join_path(c->blocklist, c->data_dir, value);
        if (*value == '\0')
            c->blocklist[0] = '\0';
    } else if (IS("session", "idle_timeout_s")) {
        NUM(1, 2592000);
        c->idle_timeout_ms = n * 1000;
    } else if (IS("session", "absolute_lifetime_s")) {
        NUM(1, 31536000);
        c->absolute_lifetime_ms = n * 1000;
    } else if (IS("log", "level")) {
        static const char *const lv[] = {"debug", "info", "warn", "error"};
        int found = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(value, lv[i]) == 0)
                found = i;
        if (found < 0)
            return fail(p, section, key,
                        "must be one of debug, info, warn, error");
        c->log_level = found;
    } else if (IS("auth", "captcha_after")) {
        NUM(1, 1000000);
        c->captcha_after = (unsigned)n;
    } else if (IS("auth", "lock_after")) {
        NUM(1, 1000000);
        c->lock_after = (unsigned)n;
    } else if (IS("auth", "failure_decay_s")) {
        NUM(1, 604800);
        c->failure_decay_ms = n * 1000;
    } else if (IS("auth", "lock_base_s")) {
        NUM(1, 86400);
        c->lock_base_ms = n * 1000;
    } else if (IS("auth", "lock_max_s")) {
        NUM(1, 2592000);
        c->lock_max_ms = n * 1000;
    } else if (IS("auth", "stuffing_accounts")) {
        NUM(2, 10000);
        c->stuffing_accounts = (unsigned)n;
    } else if (IS("auth", "platform_stuffing_accounts")) {
        NUM(2, 100000);
        c->platform_stuffing_accounts = (unsigned)n;
    } else if (IS("auth", "source_inflight")) {
        NUM(1, 1024);
        c->source_inflight = (unsigned)n;
    } else if (IS("auth", "stuffing_window_s")) {
        NUM(1, 604800);
        c->stuffing_window_ms = n * 1000;
    } else if (IS("auth", "blacklist_s")) {
        NUM(1, 31536000);
        c->blacklist_ms = n * 1000;
    } else if (IS("auth", "challenge_ttl_s")) {
        NUM(30, 3600);
        c->challenge_ttl_ms = n * 1000;
    } else if (IS("auth", "qr_ttl_s")) {
        NUM(10, 600);
        c->qr_ttl_ms = n * 1000;
    } else if (IS("auth", "code_ttl_s")) {
        NUM(30, 3600);
        c->code_ttl_ms = n * 1000;
    } else if (IS("auth", "reset_ttl_s")) {
        NUM(60, 86400);
        c->reset_ttl_ms = n * 1000;
    } else if (IS("auth", "signature_window_s")) {
        NUM(5, 3600);
        c->signature_window_ms = n * 1000;
    } else if (IS("notify", "backend")) {
        if (strcmp(value, "outbox") == 0)
            c->notify_backend = SV_NOTIFY_OUTBOX;
        else if (strcmp(value, "webhook") == 0)
            c->notify_backend = SV_NOTIFY_WEBHOOK;
        else if (strcmp(value, "smtp") == 0)
            c->notify_backend = SV_NOTIFY_SMTP;
        else
            return fail(p, section, key,
                        "must be one of outbox, webhook, smtp");
    } else if (IS("notify", "outbox_file")) {
        if (*value == '\0')
            return fail(p, section, key, "must not be empty");
        join_path(c->outbox, c->data_dir, value);
    } else if (IS("notify", "webhook_url")) {
        if (strncmp(value, "https://", 8) != 0 &&
            strncmp(value, "http://127.0.0.1", 16) != 0 &&
            strncmp(value, "http://localhost", 16) != 0)
            return fail(p, section, key,
                        "must be https:// (plain http only to localhost)");
        snprintf(c->webhook_url, sizeof c->webhook_url, "%s", value);
    } else if (IS("notify", "webhook_secret_file")) {
        join_path(c->webhook_secret_file, c->data_dir, value);
    } else if (IS("notify", "smtp_url")) {
        if (strncmp(value, "smtps://", 8) != 0 &&
            strncmp(value, "smtp://", 7) != 0)
            return fail(p, section, key, "must start with smtps:// or smtp://");
        snprintf(c->smtp_url, sizeof c->smtp_url, "%s", value);
    } else if (IS("notify", "smtp_from")) {
        snprintf(c->smtp_from, sizeof c->smtp_from, "%s", value);
    } else if (IS("notify", "smtp_user")) {
        snprintf(c->smtp_user, sizeof c->smtp_user, "%s", value);
    } else if (IS("notify", "smtp_password_file")) {
        join_path(c->smtp_password_file, c->data_dir, value);
    } else if (IS("notify", "retries")) {
        NUM(1, 20);
        c->notify_retries = (unsigned)n;
    } else {
        return fail(p, section, key, "unknown setting");
    }
    return 1;
}

enum sv_err
sv_config_parse(struct sv_config *c, const char *text, char *err,
                size_t err_len)
{
    struct parse_ctx p = {c, err, err_len, false};
    int rc = ini_parse_string(text, on_value, &p);

    if (rc > 0 && !p.failed) {
        snprintf(err, err_len, "line %d: syntax error", rc);
        return SV_E_FIELD_INVALID;
    }
    if (p.failed || rc != 0)
        return SV_E_FIELD_INVALID;
    if (c->db_migrate_url[0] != '\0' && c->db_url[0] == '\0') {
        snprintf(err, err_len, "[database] migrate_url: needs url as well");
        return SV_E_FIELD_INVALID;
    }
    if (c->captcha_after > c->lock_after) {
        snprintf(err, err_len,
                 "[auth] captcha_after: must not exceed lock_after");
        return SV_E_FIELD_INVALID;
    }
    if (c->notify_backend == SV_NOTIFY_WEBHOOK &&
        (c->webhook_url[0] == '\0' || c->webhook_secret_file[0] == '\0')) {
        snprintf(err, err_len,
                 "[notify] backend: webhook needs webhook_url "
                 "and webhook_secret_file");
        return SV_E_FIELD_INVALID;
    }
    if (c->notify_backend == SV_NOTIFY_SMTP &&
        (c->smtp_url[0] == '\0' || c->smtp_from[0] == '\0')) {
        snprintf(err, err_len,
                 "[notify] backend: smtp needs smtp_url and smtp_from");
        return SV_E_FIELD_INVALID;
    }
    if (c->idle_timeout_ms > c->absolute_lifetime_ms) {
        snprintf(err, err_len,
                 "[session] idle_timeout_s: must not exceed "
                 "absolute_lifetime_s");
        return SV_E_FIELD_INVALID;
    }
    return SV_OK;
}

enum sv_err
sv_config_load(struct sv_config *c, const char *data_dir, char *err,
               size_t err_len)
{
    char path[SV_PATH_MAX + 32];
    FILE *f;
    char *text;
    long len;
    enum sv_err rc;

    sv_config_defaults(c, data_dir);
    snprintf(path, sizeof path, "%s/salesvault.conf", data_dir);
    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_len, "%s: %s (run `salesvault init --data %s`)", path,
                 strerror(errno), data_dir);
        return SV_E_NOT_FOUND;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        len > 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        snprintf(err, err_len, "%s: unreadable or larger than 1 MiB", path);
        return SV_E_FIELD_INVALID;
    }
    text = sv_xmalloc((size_t)len + 1);
    if (fread(text, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(text);
        snprintf(err, err_len, "%s: read error", path);
        return SV_E_INTERNAL;
    }
    fclose(f);
    text[len] = '\0';
    rc = sv_config_parse(c, text, err, err_len);
    free(text);
    if (rc != SV_OK) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s: %s", path, err);
        snprintf(err, err_len, "%s", tmp);
    }
    return rc;
}
