#include "crypto/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/util.h"
#include "crypto/p11.h"

/* V_TOKEN: wrapped by the root key inside a PKCS#11 token (AES-256-GCM
 * there): header | the token's IV | ciphertext | tag. */
enum { V_AESGCM = 1, V_XCHACHA = 2, V_TOKEN = 3 };

/* The token's objects. */
static const char ROOT_LABEL[] = "salesvault-root";
static const char SIGN_LABEL[] = "salesvault-audit";

struct sv_keyring {
    char tenant_dir[PATH_MAX]; /* the key store: tenant master keys */
    struct sv_p11 *token;      /* the root in a token, or NULL: */
    uint8_t *root;             /* the root key file's (sodium_malloc) */
    /* The master of the platform keys (sv_keyring_derive): the root key
     * (file), or a random key made at init, wrapped by the token. */
    uint8_t *platform;
    uint8_t *sign_sk; /* sodium_malloc, crypto_sign_SECRETKEYBYTES */
    uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
};

static int
preferred_version(void)
{
    return crypto_aead_aes256gcm_is_available() ? V_AESGCM : V_XCHACHA;
}

static size_t
nonce_len(int v)
{
    return v == V_AESGCM ? crypto_aead_aes256gcm_NPUBBYTES
                         : crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
}

/* Length-prefixed AAD: domain | header | parts. Bounded by the callers. */
static size_t
build_aad(uint8_t *buf, size_t cap, const char *domain, const uint8_t *hdr,
          const char *const *parts, size_t n_parts)
{
    size_t off = 0;
    const char *all[8];
    size_t n = 0;

    all[n++] = domain;
    for (size_t i = 0; i < n_parts && n < 7; i++)
        all[n++] = parts[i] != NULL ? parts[i] : "";
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(all[i]);
        if (off + 4 + len > cap)
            return 0;
        buf[off++] = (uint8_t)(len >> 24);
        buf[off++] = (uint8_t)(len >> 16);
        buf[off++] = (uint8_t)(len >> 8);
        buf[off++] = (uint8_t)len;
        memcpy(buf + off, all[i], len);
        off += len;
    }
    if (off + SV_AEAD_HDR_LEN > cap)
        return 0;
    memcpy(buf + off, hdr, SV_AEAD_HDR_LEN);
    return off + SV_AEAD_HDR_LEN;
}

static enum sv_err
seal(const uint8_t *key, uint32_t key_id, const char *domain,
     const char *const *parts, size_t n_parts, const uint8_t *pt, size_t pt_len,
     uint8_t *out, size_t *out_len)
{
    uint8_t ad[1024];
    int v = preferred_version();
    size_t nl = nonce_len(v), ad_len;
    unsigned long long clen = 0;
    int rc;

    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(key_id >> 24);
    out[2] = (uint8_t)(key_id >> 16);
    out[3] = (uint8_t)(key_id >> 8);
    out[4] = (uint8_t)key_id;
    ad_len = build_aad(ad, sizeof ad, domain, out, parts, n_parts);
    if (ad_len == 0)
        return SV_E_CRYPTO;
    randombytes_buf(out + SV_AEAD_HDR_LEN, nl);
    if (v == V_AESGCM)
        rc = crypto_aead_aes256gcm_encrypt(out + SV_AEAD_HDR_LEN + nl, &clen,
                                           pt, pt_len, ad, ad_len, NULL,
                                           out + SV_AEAD_HDR_LEN, key);
    else
        rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
            out + SV_AEAD_HDR_LEN + nl, &clen, pt, pt_len, ad, ad_len, NULL,
            out + SV_AEAD_HDR_LEN, key);
    if (rc != 0)
        return SV_E_CRYPTO;
    *out_len = SV_AEAD_HDR_LEN + nl + (size_t)clen;
    return SV_OK;
}

static enum sv_err
open_ct(const uint8_t *key, uint32_t want_key_id, const char *domain,
        const char *const *parts, size_t n_parts, const uint8_t *ct,
        size_t ct_len, uint8_t *out, size_t *out_len)
{
    uint8_t ad[1024];
    size_t nl, ad_len;
    unsigned long long mlen = 0;
    int v, rc;

    if (ct_len < SV_AEAD_HDR_LEN + 1)
        return SV_E_TAMPERED;
    v = ct[0];
    if (v != V_AESGCM && v != V_XCHACHA)
        return SV_E_TAMPERED;
    if (v == V_AESGCM && !crypto_aead_aes256gcm_is_available())
        return SV_E_CRYPTO;
    nl = nonce_len(v);
    if (ct_len < SV_AEAD_HDR_LEN + nl + 16)
        return SV_E_TAMPERED;
    if (sv_field_key_id(ct, ct_len) != want_key_id)
        return SV_E_TAMPERED;
    ad_len = build_aad(ad, sizeof ad, domain, ct, parts, n_parts);
    if (ad_len == 0)
        return SV_E_CRYPTO;
    if (v == V_AESGCM)
        rc = crypto_aead_aes256gcm_decrypt(out, &mlen, NULL,
                                           ct + SV_AEAD_HDR_LEN + nl,
                                           ct_len - SV_AEAD_HDR_LEN - nl, ad,
                                           ad_len, ct + SV_AEAD_HDR_LEN, key);
    else
        rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, &mlen, NULL, ct + SV_AEAD_HDR_LEN + nl,
            ct_len - SV_AEAD_HDR_LEN - nl, ad, ad_len, ct + SV_AEAD_HDR_LEN,
            key);
    if (rc != 0)
        return SV_E_TAMPERED;
    *out_len = (size_t)mlen;
    return SV_OK;
}

uint32_t
sv_field_key_id(const uint8_t *ct, size_t ct_len)
{
    if (ct_len < SV_AEAD_HDR_LEN)
        return 0;
    return (uint32_t)ct[1] << 24 | (uint32_t)ct[2] << 16 |
           (uint32_t)ct[3] << 8 | ct[4];
}

size_t
sv_field_sealed_len(size_t pt_len)
{
    return pt_len + SV_AEAD_OVERHEAD;
}

enum sv_err
sv_keyring_create_file(const char *path)
{
    uint8_t key[SV_KEY_LEN];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ssize_t w;

    if (fd < 0)
        return errno == EEXIST ? SV_E_EXISTS : SV_E_INTERNAL;
    randombytes_buf(key, sizeof key);
    w = write(fd, key, sizeof key);
    sodium_memzero(key, sizeof key);
    if (w != (ssize_t)sizeof key || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        return SV_E_INTERNAL;
    }
    close(fd);
    return SV_OK;
}

enum sv_err
sv_keyring_load(const char *path, struct sv_keyring **out, char *err,
                size_t err_len)
{
    struct stat st;
    struct sv_keyring *kr;
    ssize_t r;
    int fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return SV_E_NOT_FOUND;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, err_len, "%s: not a regular file", path);
        return SV_E_FIELD_INVALID;
    }
    if ((st.st_mode & 077) != 0) {
        close(fd);
        snprintf(err, err_len,
                 "%s: readable by group or others (mode %03o); chmod 600 it",
                 path, (unsigned)(st.st_mode & 0777));
        return SV_E_FIELD_INVALID;
    }
    if (st.st_size != SV_KEY_LEN) {
        close(fd);
        snprintf(err, err_len, "%s: must be exactly %d bytes", path,
                 SV_KEY_LEN);
        return SV_E_FIELD_INVALID;
    }
    kr = sv_xcalloc(1, sizeof *kr);
    {
        char copy[PATH_MAX];
        snprintf(copy, sizeof copy, "%s", path);
        snprintf(kr->tenant_dir, sizeof kr->tenant_dir, "%s/keys",
                 dirname(copy));
    }
    kr->root = sodium_malloc(SV_KEY_LEN);
    if (kr->root == NULL) {
        close(fd);
        free(kr);
        return SV_E_INTERNAL;
    }
    r = read(fd, kr->root, SV_KEY_LEN);
    close(fd);
    kr->sign_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (r != SV_KEY_LEN || kr->sign_sk == NULL) {
        sv_keyring_free(kr);
        snprintf(err, err_len, "%s: short read", path);
        return SV_E_INTERNAL;
    }
    /* Platform signing key: Ed25519 from a KDF subkey of the root key. */
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_kdf_derive_from_key(seed, sizeof seed, 1, "svsign__", kr->root);
    crypto_sign_seed_keypair(kr->sign_pk, kr->sign_sk, seed);
    kr->platform = kr->root;
    sodium_memzero(seed, sizeof seed);
    *out = kr;
    return SV_OK;
}

void
sv_keyring_free(struct sv_keyring *kr)
{
    if (kr == NULL)
        return;
    if (kr->platform != kr->root)
        sodium_free(kr->platform);
    sodium_free(kr->root); /* wipes */
    sodium_free(kr->sign_sk);
    sv_p11_close(kr->token);
    free(kr);
}

static void
version_text(uint32_t v, char out[12])
{
    snprintf(out, 12, "%u", v);
}

/* Unwrap a 32-byte key wrapped under @p wkey, @p domain / @p parts, into
 * @p key (SV_KEY_LEN + SV_AEAD_OVERHEAD bytes). */
static enum sv_err
unwrap(const uint8_t *wkey, const char *domain, const char *const *parts,
       size_t n_parts, const uint8_t *wrapped, size_t wrapped_len, uint8_t *key)
{
    size_t len = 0;
    enum sv_err rc;

    if (wrapped_len > SV_WRAPPED_KEK_MAX)
        return SV_E_TAMPERED;
    rc = open_ct(wkey, 0, domain, parts, n_parts, wrapped, wrapped_len, key,
                 &len);
    if (rc == SV_OK && len != SV_KEY_LEN)
        rc = SV_E_TAMPERED;
    return rc;
}

/* Wrap @p key (SV_KEY_LEN) under the root: in process (file), or by the
 * token, the root never leaving it. */
static enum sv_err
root_wrap(const struct sv_keyring *kr, const char *domain,
          const char *const *parts, size_t n_parts, const uint8_t *key,
          uint8_t *wrapped, size_t *wrapped_len)
{
    uint8_t ad[1024];
    size_t ad_len, n = 0;
    enum sv_err rc;

    if (kr->token == NULL)
        return seal(kr->root, 0, domain, parts, n_parts, key, SV_KEY_LEN,
                    wrapped, wrapped_len);
    memset(wrapped, 0, SV_AEAD_HDR_LEN);
    wrapped[0] = V_TOKEN;
    ad_len = build_aad(ad, sizeof ad, domain, wrapped, parts, n_parts);
    if (ad_len == 0)
        return SV_E_CRYPTO;
    rc = sv_p11_encrypt(kr->token, ROOT_LABEL, ad, ad_len, key, SV_KEY_LEN,
                        wrapped + SV_AEAD_HDR_LEN, &n);
    if (rc == SV_OK)
        *wrapped_len = SV_AEAD_HDR_LEN + n;
    return rc;
}

static enum sv_err
root_unwrap(const struct sv_keyring *kr, const char *domain,
            const char *const *parts, size_t n_parts, const uint8_t *wrapped,
            size_t wrapped_len, uint8_t *key)
{
    uint8_t ad[1024];
    size_t ad_len, n = 0;
    enum sv_err rc;

    if (wrapped_len < SV_AEAD_HDR_LEN || wrapped_len > SV_WRAPPED_KEK_MAX)
        return SV_E_TAMPERED;
    if (wrapped[0] != V_TOKEN)
        return kr->root != NULL ? unwrap(kr->root, domain, parts, n_parts,
                                         wrapped, wrapped_len, key)
                                : SV_E_TAMPERED; /* not the token's */
    if (kr->token == NULL)
        return SV_E_TAMPERED; /* the token's, and no token here */
    ad_len = build_aad(ad, sizeof ad, domain, wrapped, parts, n_parts);
    if (ad_len == 0)
        return SV_E_CRYPTO;
    rc = sv_p11_decrypt(kr->token, ROOT_LABEL, ad, ad_len,
                        wrapped + SV_AEAD_HDR_LEN,
                        wrapped_len - SV_AEAD_HDR_LEN, key, &n);
    if (rc == SV_OK && n != SV_KEY_LEN)
        rc = SV_E_TAMPERED;
    return rc;
}

/* "PATH.new.RANDOM": a temporary file no other writer shares. */
static void
tmp_name(const char *path, char *out, size_t cap)
{
    uint8_t r[6];
    char hex[13];

    randombytes_buf(r, sizeof r);
    sv_hex(r, sizeof r, hex);
    snprintf(out, cap, "%s.new.%s", path, hex);
}

/* ---- the key store: one master key per tenant, outside the database ---- */

void
sv_keyring_set_tenant_dir(struct sv_keyring *kr, const char *dir)
{
    snprintf(kr->tenant_dir, sizeof kr->tenant_dir, "%s", dir);
}

static bool
tmk_path(const struct sv_keyring *kr, const char *tenant_id, char *out,
         size_t cap)
{
    /* A tenant id is a UUID: nothing else names a file here. */
    if (strlen(tenant_id) != 36 || strspn(tenant_id, "0123456789abcdef-") != 36)
        return false;
    return (size_t)snprintf(out, cap, "%s/%s.tmk", kr->tenant_dir, tenant_id) <
           cap;
}

static void
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* The tenant's master key, unwrapped into @p tmk (SV_KEY_LEN +
 * SV_AEAD_OVERHEAD bytes). SV_E_NOT_FOUND: there is none (shredded). */
static enum sv_err
load_tmk(const struct sv_keyring *kr, const char *tenant_id, uint8_t *tmk)
{
    uint8_t wrapped[SV_WRAPPED_KEK_MAX + 1];
    const char *parts[] = {tenant_id};
    char path[PATH_MAX];
    struct stat st;
    ssize_t n;
    int fd;

    if (!tmk_path(kr, tenant_id, path, sizeof path))
        return SV_E_NOT_FOUND;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? SV_E_NOT_FOUND : SV_E_INTERNAL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        close(fd);
        return SV_E_TAMPERED;
    }
    n = read(fd, wrapped, sizeof wrapped);
    close(fd);
    if (n <= 0 || (size_t)n > SV_WRAPPED_KEK_MAX)
        return SV_E_TAMPERED;
    return root_unwrap(kr, "sv-tmk-v1", parts, 1, wrapped, (size_t)n, tmk);
}

enum sv_err
sv_keyring_tmk_create(const struct sv_keyring *kr, const char *tenant_id)
{
    uint8_t *tmk = sodium_malloc(SV_KEY_LEN);
    uint8_t wrapped[SV_WRAPPED_KEK_MAX];
    const char *parts[] = {tenant_id};
    char path[PATH_MAX], tmp[PATH_MAX + 24];
    size_t len = 0;
    enum sv_err rc;
    int fd;

    if (tmk == NULL)
        return SV_E_INTERNAL;
    if (!tmk_path(kr, tenant_id, path, sizeof path)) {
        sodium_free(tmk);
        return SV_E_FIELD_INVALID;
    }
    if (mkdir(kr->tenant_dir, 0700) != 0 && errno != EEXIST) {
        sodium_free(tmk);
        return SV_E_INTERNAL;
    }
    if (access(path, F_OK) == 0) {
        sodium_free(tmk);
        return SV_E_EXISTS;
    }
    randombytes_buf(tmk, SV_KEY_LEN);
    rc = root_wrap(kr, "sv-tmk-v1", parts, 1, tmk, wrapped, &len);
    sodium_free(tmk);
    if (rc != SV_OK)
        return rc;
    /* Written whole or not at all: a temporary file, then a rename. */
    tmp_name(path, tmp, sizeof tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return SV_E_INTERNAL;
    if (write(fd, wrapped, len) != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        return SV_E_INTERNAL;
    }
    close(fd);
    if (link(tmp, path) != 0) { /* never over an existing key */
        unlink(tmp);
        return errno == EEXIST ? SV_E_EXISTS : SV_E_INTERNAL;
    }
    unlink(tmp);
    sync_dir(kr->tenant_dir);
    return SV_OK;
}

bool
sv_keyring_tmk_exists(const struct sv_keyring *kr, const char *tenant_id)
{
    char path[PATH_MAX];
    return tmk_path(kr, tenant_id, path, sizeof path) &&
           access(path, F_OK) == 0;
}

enum sv_err
sv_keyring_tmk_shred(const struct sv_keyring *kr, const char *tenant_id)
{
    char path[PATH_MAX];

    if (!tmk_path(kr, tenant_id, path, sizeof path))
        return SV_E_FIELD_INVALID;
    return sv_keyring_shred_file(path);
}

enum sv_err
sv_keyring_shred_file(const char *path)
{
    uint8_t junk[SV_WRAPPED_KEK_MAX];
    char dir[PATH_MAX];
    int fd;

    fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? SV_OK : SV_E_INTERNAL;
    /* Over the bytes in place first (a file system that keeps old blocks
     * is the operator's to know: docs/keys.md), then gone. */
    randombytes_buf(junk, sizeof junk);
    if (pwrite(fd, junk, sizeof junk, 0) != (ssize_t)sizeof junk ||
        fsync(fd) != 0) {
        close(fd);
        return SV_E_INTERNAL;
    }
    close(fd);
    if (unlink(path) != 0)
        return SV_E_INTERNAL;
    snprintf(dir, sizeof dir, "%s", path);
    sync_dir(dirname(dir));
    return SV_OK;
}

/* Seal a 32-byte key under the tenant's master key. */
static enum sv_err
wrap_under_tmk(const struct sv_keyring *kr, const char *tenant_id,
               const char *domain, const char *const *parts, size_t n_parts,
               const uint8_t *key, uint8_t *wrapped, size_t *wrapped_len)
{
    uint8_t *tmk = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    enum sv_err rc = tmk == NULL ? SV_E_INTERNAL : load_tmk(kr, tenant_id, tmk);

    if (rc == SV_OK)
        rc = seal(tmk, 0, domain, parts, n_parts, key, SV_KEY_LEN, wrapped,
                  wrapped_len);
    sodium_free(tmk);
    return rc;
}

enum sv_err
sv_keyring_kek_new(const struct sv_keyring *kr, const char *tenant_id,
                   uint32_t version, uint8_t *wrapped, size_t *wrapped_len)
{
    uint8_t *kek = sodium_malloc(SV_KEY_LEN);
    char vtext[12];
    enum sv_err rc;

    if (kek == NULL)
        return SV_E_INTERNAL;
    version_text(version, vtext);
    const char *parts[] = {tenant_id, vtext};
    crypto_aead_aes256gcm_keygen(kek);
    rc = wrap_under_tmk(kr, tenant_id, "sv-kek-v2", parts, 2, kek, wrapped,
                        wrapped_len);
    sodium_free(kek);
    return rc;
}

enum sv_err
sv_keyring_index_key_new(const struct sv_keyring *kr, const char *tenant_id,
                         uint8_t *wrapped, size_t *wrapped_len)
{
    uint8_t *key = sodium_malloc(SV_KEY_LEN);
    const char *parts[] = {tenant_id};
    enum sv_err rc;

    if (key == NULL)
        return SV_E_INTERNAL;
    randombytes_buf(key, SV_KEY_LEN);
    rc = wrap_under_tmk(kr, tenant_id, "sv-bidx-v1", parts, 1, key, wrapped,
                        wrapped_len);
    sodium_free(key);
    return rc;
}

enum sv_err
sv_keyring_legacy_rewrap(const struct sv_keyring *kr, const char *tenant_id,
                         uint32_t version, const uint8_t *old, size_t old_len,
                         uint8_t *wrapped, size_t *wrapped_len,
                         uint8_t *index_wrapped, size_t *index_len)
{
    uint8_t *kek = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    uint8_t *bidx = sodium_malloc(SV_KEY_LEN);
    char vtext[12];
    const char *iparts[] = {tenant_id};
    enum sv_err rc = SV_E_INTERNAL;

    version_text(version, vtext);
    const char *parts[] = {tenant_id, vtext};
    if (kek != NULL && bidx != NULL)
        rc = root_unwrap(kr, "sv-kek-v1", parts, 2, old, old_len, kek);
    if (rc == SV_OK)
        rc = wrap_under_tmk(kr, tenant_id, "sv-kek-v2", parts, 2, kek, wrapped,
                            wrapped_len);
    if (rc == SV_OK && index_wrapped != NULL) {
        /* The derivation every index of such a tenant was made with. */
        crypto_kdf_derive_from_key(bidx, SV_KEY_LEN, 2, "svbidx__", kek);
        rc = wrap_under_tmk(kr, tenant_id, "sv-bidx-v1", iparts, 1, bidx,
                            index_wrapped, index_len);
    }
    sodium_free(kek);
    sodium_free(bidx);
    return rc;
}

enum sv_err
sv_keyring_tenant_open(const struct sv_keyring *kr, const char *tenant_id,
                       uint32_t version, const uint8_t *wrapped,
                       size_t wrapped_len, const uint8_t *index_wrapped,
                       size_t index_len, struct sv_tenant_keys **out)
{
    struct sv_tenant_keys *tk = NULL;
    uint8_t *tmk = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    uint8_t *kek = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    char vtext[12];
    const char *iparts[] = {tenant_id};
    enum sv_err rc;

    *out = NULL;
    if (tmk == NULL || kek == NULL) {
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    version_text(version, vtext);
    const char *parts[] = {tenant_id, vtext};
    rc = load_tmk(kr, tenant_id, tmk);
    if (rc == SV_OK)
        rc = unwrap(tmk, "sv-kek-v2", parts, 2, wrapped, wrapped_len, kek);
    if (rc != SV_OK)
        goto cleanup;
    tk = sv_xcalloc(1, sizeof *tk);
    snprintf(tk->tenant_id, sizeof tk->tenant_id, "%s", tenant_id);
    tk->version = version;
    tk->field_key = sodium_malloc(SV_KEY_LEN);
    tk->bidx_key = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    if (tk->field_key == NULL || tk->bidx_key == NULL) {
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    /* The field key: BLAKE2b KDF of the KEK under its own context. */
    crypto_kdf_derive_from_key(tk->field_key, SV_KEY_LEN, 1, "svfield_", kek);
    rc = unwrap(tmk, "sv-bidx-v1", iparts, 1, index_wrapped, index_len,
                tk->bidx_key);
    if (rc != SV_OK)
        goto cleanup;
    *out = tk;
    tk = NULL;
cleanup:
    sodium_free(tmk);
    sodium_free(kek);
    sv_tenant_keys_free(tk);
    return rc;
}

void
sv_tenant_keys_free(struct sv_tenant_keys *tk)
{
    if (tk == NULL)
        return;
    sodium_free(tk->field_key);
    sodium_free(tk->bidx_key);
    free(tk);
}

enum sv_err
sv_field_seal(const struct sv_tenant_keys *tk, const struct sv_aad *aad,
              const uint8_t *pt, size_t pt_len, uint8_t *out, size_t *out_len)
{
    const char *parts[] = {aad->tenant_id, aad->table, aad->column,
                           aad->row_id};
    if (SV_NEVER(aad->tenant_id == NULL) ||
        strcmp(aad->tenant_id, tk->tenant_id) != 0 ||
        __atomic_load_n(&tk->dead, __ATOMIC_ACQUIRE))
        return SV_E_CRYPTO;
    return seal(tk->field_key, tk->version, "sv-field-v1", parts, 4, pt, pt_len,
                out, out_len);
}

enum sv_err
sv_field_open(const struct sv_tenant_keys *tk, const struct sv_aad *aad,
              const uint8_t *ct, size_t ct_len, uint8_t *out, size_t *out_len)
{
    const char *parts[] = {aad->tenant_id, aad->table, aad->column,
                           aad->row_id};
    if (SV_NEVER(aad->tenant_id == NULL) ||
        strcmp(aad->tenant_id, tk->tenant_id) != 0 ||
        __atomic_load_n(&tk->dead, __ATOMIC_ACQUIRE))
        return SV_E_TAMPERED;
    return open_ct(tk->field_key, tk->version, "sv-field-v1", parts, 4, ct,
                   ct_len, out, out_len);
}

void
sv_blind_index(const struct sv_tenant_keys *tk, const char *column,
               const char *value, size_t len, uint8_t out[SV_BLIND_INDEX_LEN])
{
    crypto_auth_hmacsha256_state st;
    uint8_t clen[4];
    size_t cl = strlen(column);

    clen[0] = (uint8_t)(cl >> 24);
    clen[1] = (uint8_t)(cl >> 16);
    clen[2] = (uint8_t)(cl >> 8);
    clen[3] = (uint8_t)cl;
    crypto_auth_hmacsha256_init(&st, tk->bidx_key, SV_KEY_LEN);
    crypto_auth_hmacsha256_update(&st, clen, sizeof clen);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)column, cl);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)value, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

enum sv_err
sv_keyring_sign(const struct sv_keyring *kr, const uint8_t *msg, size_t len,
                uint8_t sig[SV_SIG_LEN])
{
    if (kr->token != NULL)
        return sv_p11_sign(kr->token, SIGN_LABEL, msg, len, sig);
    crypto_sign_detached(sig, NULL, msg, len, kr->sign_sk);
    return SV_OK;
}

bool
sv_keyring_verify(const struct sv_keyring *kr, const uint8_t *msg, size_t len,
                  const uint8_t sig[SV_SIG_LEN])
{
    return crypto_sign_verify_detached(sig, msg, len, kr->sign_pk) == 0;
}

void
sv_keyring_derive(const struct sv_keyring *kr, const char ctx8[8], uint64_t id,
                  uint8_t out[SV_KEY_LEN])
{
    crypto_kdf_derive_from_key(out, SV_KEY_LEN, id, ctx8, kr->platform);
}

void
sv_keyring_public_key(const struct sv_keyring *kr, uint8_t pk[SV_SIGN_PK_LEN])
{
    memcpy(pk, kr->sign_pk, SV_SIGN_PK_LEN);
}

enum sv_err
sv_keyring_tenant_derive(const struct sv_keyring *kr, const char *tenant_id,
                         const char ctx8[8], uint64_t id,
                         uint8_t out[SV_KEY_LEN])
{
    uint8_t *tmk = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    enum sv_err rc = tmk == NULL ? SV_E_INTERNAL : load_tmk(kr, tenant_id, tmk);

    if (rc == SV_OK)
        crypto_kdf_derive_from_key(out, SV_KEY_LEN, id, ctx8, tmk);
    sodium_free(tmk);
    return rc;
}

static enum sv_err write_whole(const char *path, const uint8_t *p, size_t len,
                               bool excl);

/* ---- the root in a PKCS#11 token ---- */

/* Read the PIN file: one line, 0600 at most. */
static enum sv_err
read_pin(const char *path, char *pin, size_t cap, char *err, size_t err_len)
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return SV_E_NOT_FOUND;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        close(fd);
        snprintf(err, err_len,
                 "%s: readable by group or others, or not a file; chmod 600 "
                 "it",
                 path);
        return SV_E_FIELD_INVALID;
    }
    n = read(fd, pin, cap - 1);
    close(fd);
    if (n <= 0) {
        snprintf(err, err_len, "%s: empty", path);
        return SV_E_FIELD_MISSING;
    }
    pin[n] = '\0';
    pin[strcspn(pin, "\r\n")] = '\0';
    return SV_OK;
}

static enum sv_err
token_open(const struct sv_keyring_token *t, struct sv_p11 **out, char *err,
           size_t err_len)
{
    char *pin = sodium_malloc(256);
    enum sv_err rc;

    if (pin == NULL)
        return SV_E_INTERNAL;
    rc = read_pin(t->pin_file, pin, 256, err, err_len);
    if (rc == SV_OK)
        rc = sv_p11_open(t->module, t->label, pin, out, err, err_len);
    sodium_free(pin);
    return rc;
}

static bool
platform_opens(const struct sv_keyring *kr, const char *path)
{
    uint8_t wrapped[SV_WRAPPED_KEK_MAX + 1];
    uint8_t *key = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    const char *parts[] = {"platform"};
    ssize_t n = -1;
    bool ok = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd >= 0) {
        n = read(fd, wrapped, sizeof wrapped);
        close(fd);
    }
    if (key != NULL && n > 0 && (size_t)n <= SV_WRAPPED_KEK_MAX)
        ok = root_unwrap(kr, "sv-platform-v1", parts, 1, wrapped, (size_t)n,
                         key) == SV_OK;
    sodium_free(key);
    return ok;
}

enum sv_err
sv_keyring_token_init(const struct sv_keyring_token *t,
                      const struct sv_keyring *from, char *err, size_t err_len)
{
    struct sv_keyring kr = {0};
    uint8_t *platform = sodium_malloc(SV_KEY_LEN);
    uint8_t wrapped[SV_WRAPPED_KEK_MAX];
    const char *parts[] = {"platform"};
    size_t len = 0;
    bool has = false;
    enum sv_err rc;

    if (platform == NULL)
        return SV_E_INTERNAL;
    rc = token_open(t, &kr.token, err, err_len);
    if (rc == SV_OK && (rc = sv_p11_has(kr.token, ROOT_LABEL, &has)) == SV_OK &&
        !has)
        rc = sv_p11_aes_create(kr.token, ROOT_LABEL);
    if (rc == SV_OK && (rc = sv_p11_has(kr.token, SIGN_LABEL, &has)) == SV_OK &&
        !has)
        rc = sv_p11_ed25519_create(kr.token, SIGN_LABEL);
    /* A platform.key this token does not open (none, or the key file
     * root's of a data directory moved into the token) is written anew. */
    if (rc == SV_OK && (from != NULL || access(t->platform_file, F_OK) != 0) &&
        !platform_opens(&kr, t->platform_file)) {
        /* A new installation: a random key; a root moved from a file: the
         * platform keys stay what they were (backups, codes, sessions). */
        if (from != NULL)
            memcpy(platform, from->platform, SV_KEY_LEN);
        else
            randombytes_buf(platform, SV_KEY_LEN);
        rc =
            root_wrap(&kr, "sv-platform-v1", parts, 1, platform, wrapped, &len);
        if (rc == SV_OK &&
            write_whole(t->platform_file, wrapped, len, false) != SV_OK) {
            snprintf(err, err_len, "%s: %s", t->platform_file, strerror(errno));
            rc = SV_E_INTERNAL;
        }
    }
    if (rc != SV_OK && err[0] == '\0')
        snprintf(err, err_len, "token %s: %s", t->label, sv_err_code(rc));
    sodium_free(platform);
    sv_p11_close(kr.token);
    return rc;
}

enum sv_err
sv_keyring_load_token(const struct sv_keyring_token *t, struct sv_keyring **out,
                      char *err, size_t err_len)
{
    struct sv_keyring *kr = sv_xcalloc(1, sizeof *kr);
    uint8_t wrapped[SV_WRAPPED_KEK_MAX + 1];
    const char *parts[] = {"platform"};
    char copy[PATH_MAX];
    enum sv_err rc;
    ssize_t n = -1;
    int fd;

    *out = NULL;
    snprintf(copy, sizeof copy, "%s", t->platform_file);
    snprintf(kr->tenant_dir, sizeof kr->tenant_dir, "%s/keys", dirname(copy));
    rc = token_open(t, &kr->token, err, err_len);
    if (rc == SV_OK) {
        fd = open(t->platform_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            n = read(fd, wrapped, sizeof wrapped);
            close(fd);
        }
        kr->platform = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
        if (kr->platform == NULL)
            rc = SV_E_INTERNAL;
        else if (n <= 0 || (size_t)n > SV_WRAPPED_KEK_MAX)
            rc = SV_E_NOT_FOUND;
        else
            rc = root_unwrap(kr, "sv-platform-v1", parts, 1, wrapped, (size_t)n,
                             kr->platform);
        if (rc != SV_OK)
            snprintf(err, err_len,
                     "%s: missing, or not wrapped by this token's root key",
                     t->platform_file);
    }
    if (rc == SV_OK) {
        rc = sv_p11_ed25519_public(kr->token, SIGN_LABEL, kr->sign_pk);
        if (rc != SV_OK)
            snprintf(err, err_len, "token %s: no audit signing key (%s)",
                     t->label, SIGN_LABEL);
    }
    if (rc != SV_OK) {
        sv_keyring_free(kr);
        return rc;
    }
    *out = kr;
    return SV_OK;
}

bool
sv_keyring_in_token(const struct sv_keyring *kr)
{
    return kr->token != NULL;
}

/* ---- moving the root (keys migrate-root) ---- */

/* Write @p len bytes to @p path whole: a temporary file, synced, renamed
 * over it (@p excl: never over an existing file). */
static enum sv_err
write_whole(const char *path, const uint8_t *p, size_t len, bool excl)
{
    char tmp[PATH_MAX + 24];
    int fd;

    tmp_name(path, tmp, sizeof tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return SV_E_INTERNAL;
    if (write(fd, p, len) != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        return SV_E_INTERNAL;
    }
    close(fd);
    if (excl ? link(tmp, path) != 0 : rename(tmp, path) != 0) {
        unlink(tmp);
        return errno == EEXIST ? SV_E_EXISTS : SV_E_INTERNAL;
    }
    if (excl)
        unlink(tmp);
    return SV_OK;
}

enum sv_err
sv_keyring_tmk_move(const struct sv_keyring *from, const struct sv_keyring *to,
                    const char *tenant_id, bool *moved)
{
    uint8_t wrapped[SV_WRAPPED_KEK_MAX + 1], out[SV_WRAPPED_KEK_MAX];
    uint8_t *tmk = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    const char *parts[] = {tenant_id};
    char path[PATH_MAX];
    size_t len = 0;
    ssize_t n = -1;
    enum sv_err rc;
    int fd;

    *moved = false;
    if (tmk == NULL)
        return SV_E_INTERNAL;
    if (!tmk_path(to, tenant_id, path, sizeof path)) {
        sodium_free(tmk);
        return SV_E_FIELD_INVALID;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        n = read(fd, wrapped, sizeof wrapped);
        close(fd);
    }
    if (n <= 0 || (size_t)n > SV_WRAPPED_KEK_MAX) {
        sodium_free(tmk);
        return fd < 0 ? SV_E_NOT_FOUND : SV_E_TAMPERED;
    }
    /* Already under the new root (a run that stopped half way). */
    if (root_unwrap(to, "sv-tmk-v1", parts, 1, wrapped, (size_t)n, tmk) ==
        SV_OK) {
        sodium_free(tmk);
        return SV_OK;
    }
    rc = root_unwrap(from, "sv-tmk-v1", parts, 1, wrapped, (size_t)n, tmk);
    if (rc == SV_OK)
        rc = root_wrap(to, "sv-tmk-v1", parts, 1, tmk, out, &len);
    sodium_free(tmk);
    if (rc == SV_OK)
        rc = write_whole(path, out, len, false);
    if (rc == SV_OK) {
        sync_dir(to->tenant_dir);
        *moved = true;
    }
    return rc;
}

enum sv_err
sv_keyring_root_file_from(const struct sv_keyring *from, const char *path)
{
    /* The platform keys stay what they were: the new root is their master
     * (a key file root is its own platform master). */
    enum sv_err rc = write_whole(path, from->platform, SV_KEY_LEN, true);
    return rc == SV_E_EXISTS ? SV_OK : rc;
}

/* ---- the platform keys' master in platform.key (rotations) ---- */

static const char *const platform_parts[] = {"platform"};

enum sv_err
sv_keyring_load_platform(struct sv_keyring *kr, const char *path)
{
    uint8_t wrapped[SV_WRAPPED_KEK_MAX + 1];
    uint8_t *key;
    ssize_t n;
    enum sv_err rc;
    int fd;

    if (kr->token != NULL)
        return SV_OK; /* loaded with the token */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? SV_OK : SV_E_INTERNAL;
    n = read(fd, wrapped, sizeof wrapped);
    close(fd);
    if (n <= 0 || (size_t)n > SV_WRAPPED_KEK_MAX)
        return SV_E_TAMPERED;
    key = sodium_malloc(SV_KEY_LEN + SV_AEAD_OVERHEAD);
    if (key == NULL)
        return SV_E_INTERNAL;
    rc = root_unwrap(kr, "sv-platform-v1", platform_parts, 1, wrapped,
                     (size_t)n, key);
    if (rc != SV_OK) {
        sodium_free(key);
        return rc;
    }
    if (kr->platform != kr->root)
        sodium_free(kr->platform);
    kr->platform = key;
    return SV_OK;
}

enum sv_err
sv_keyring_write_platform(const struct sv_keyring *to,
                          const struct sv_keyring *from, const char *path)
{
    uint8_t wrapped[SV_WRAPPED_KEK_MAX];
    size_t len = 0;
    enum sv_err rc = root_wrap(to, "sv-platform-v1", platform_parts, 1,
                               from->platform, wrapped, &len);
    return rc == SV_OK ? write_whole(path, wrapped, len, false) : rc;
}
