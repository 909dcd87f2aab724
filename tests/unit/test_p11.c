/* DATA-2: the root key in a PKCS#11 token. Runs against SoftHSM2 with a
 * token this test makes in a fresh directory (mkdtemp under $TMPDIR or
 * /tmp) and removes afterwards: open and its refusals, AES-256-GCM round
 * trip and tamper refusal, keys that cannot leave the token, Ed25519
 * signatures checked by libsodium, persistence across opens, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "crypto/p11.h"

extern char **environ;

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN "sv-test"
#define PIN "1234"
#define SO_PIN "5678"

static char tmp_dir[256];

static enum sv_err
open_token(struct sv_p11 **p)
{
    char err[256];
    enum sv_err rc = sv_p11_open(MODULE, TOKEN, PIN, p, err, sizeof err);

    if (rc != SV_OK)
        print_error("sv_p11_open: %s\n", err);
    return rc;
}

static int
run_quiet(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = -1;

    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY,
                                     0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A SoftHSM2 configuration and an initialised token in a fresh directory;
 * SOFTHSM2_CONF must be set before the module is loaded. */
static int
group_setup(void **state)
{
    const char *base = getenv("TMPDIR");
    char path[320];
    char *init_argv[] = {"softhsm2-util",
                         "--init-token",
                         "--free",
                         "--label",
                         TOKEN,
                         "--pin",
                         PIN,
                         "--so-pin",
                         SO_PIN,
                         NULL};
    FILE *f;

    (void)state;
    if (sodium_init() < 0)
        return -1;
    if (access(MODULE, R_OK) != 0) {
        print_error("%s missing: apt-get install softhsm2 "
                    "(scripts/deps.sh test)\n",
                    MODULE);
        return -1;
    }
    /* Keep SoftHSM2 mapped until exit (p11-kit unloads it when the last
     * handle closes): LeakSanitizer then names libsofthsm2.so in the stacks
     * of the leaks inside it, which tests/unit/lsan-p11.supp suppresses.
     * C_Finalize still resets it, so a later open reloads the token from
     * disk. */
    if (dlopen(MODULE, RTLD_NOW | RTLD_NODELETE) == NULL) {
        print_error("dlopen %s: %s\n", MODULE, dlerror());
        return -1;
    }
    snprintf(tmp_dir, sizeof tmp_dir, "%s/sv-p11-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmp_dir) == NULL) {
        print_error("mkdtemp %s failed\n", tmp_dir);
        tmp_dir[0] = '\0';
        return -1;
    }
    snprintf(path, sizeof path, "%s/tokens", tmp_dir);
    if (mkdir(path, 0700) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/softhsm2.conf", tmp_dir);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "directories.tokendir = %s/tokens\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n",
            tmp_dir);
    if (fclose(f) != 0)
        return -1;
    if (setenv("SOFTHSM2_CONF", path, 1) != 0)
        return -1;
    if (run_quiet(init_argv) != 0) {
        print_error("softhsm2-util --init-token failed\n");
        return -1;
    }
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    if (tmp_dir[0] != '\0')
        nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* Each test gets its own handle, closed even when the test fails: a
 * handle left logged in would make every later open refused. */
static int
open_fixture(void **state)
{
    struct sv_p11 *p = NULL;

    if (open_token(&p) != SV_OK)
        return -1;
    *state = p;
    return 0;
}

static int
close_fixture(void **state)
{
    sv_p11_close(*state);
    *state = NULL;
    return 0;
}

static void
test_p11_open_ok(void **state)
{
    struct sv_p11 *p = NULL;
    bool yes = true;

    (void)state;
    assert_int_equal(open_token(&p), SV_OK);
    assert_non_null(p);
    assert_int_equal(sv_p11_has(p, "no-such-object", &yes), SV_OK);
    assert_false(yes);
    sv_p11_close(p);
    sv_p11_close(NULL); /* no-op */
}

static void
test_p11_open_refuses_wrong_pin(void **state)
{
    struct sv_p11 *p = (struct sv_p11 *)1;
    char err[256];

    (void)state;
    assert_int_equal(sv_p11_open(MODULE, TOKEN, "9999", &p, err, sizeof err),
                     SV_E_INVALID_CREDENTIALS);
    assert_null(p);
    assert_non_null(strstr(err, "PIN"));
    assert_non_null(strstr(err, TOKEN));
    assert_null(strstr(err, "9999")); /* never the PIN itself */
    /* The right PIN still works: one wrong try locks nothing. */
    assert_int_equal(open_token(&p), SV_OK);
    sv_p11_close(p);
}

static void
test_p11_open_refuses_empty_pin(void **state)
{
    struct sv_p11 *p = (struct sv_p11 *)1;
    char err[256];

    (void)state;
    assert_int_equal(sv_p11_open(MODULE, TOKEN, "", &p, err, sizeof err),
                     SV_E_FIELD_MISSING);
    assert_null(p);
    assert_non_null(strstr(err, "PIN"));
    p = (struct sv_p11 *)1;
    assert_int_equal(sv_p11_open(MODULE, TOKEN, NULL, &p, err, sizeof err),
                     SV_E_FIELD_MISSING);
    assert_null(p);
    assert_non_null(strstr(err, "PIN"));
}

static void
test_p11_open_refuses_unknown_token(void **state)
{
    struct sv_p11 *p = (struct sv_p11 *)1;
    char err[256];
    char long_label[40];

    (void)state;
    assert_int_equal(
        sv_p11_open(MODULE, "no-such-token", PIN, &p, err, sizeof err),
        SV_E_NOT_FOUND);
    assert_null(p);
    assert_non_null(strstr(err, "no-such-token"));
    /* A prefix of the real label is another label. */
    assert_int_equal(sv_p11_open(MODULE, "sv-tes", PIN, &p, err, sizeof err),
                     SV_E_NOT_FOUND);
    memset(long_label, 'x', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = '\0';
    assert_int_equal(sv_p11_open(MODULE, long_label, PIN, &p, err, sizeof err),
                     SV_E_FIELD_INVALID);
    assert_int_equal(sv_p11_open(MODULE, "", PIN, &p, err, sizeof err),
                     SV_E_FIELD_INVALID);
}

static void
test_p11_open_refuses_missing_module(void **state)
{
    struct sv_p11 *p = (struct sv_p11 *)1;
    char err[256];

    (void)state;
    assert_int_equal(
        sv_p11_open("/nonexistent/libnope.so", TOKEN, PIN, &p, err, sizeof err),
        SV_E_NOT_FOUND);
    assert_null(p);
    assert_non_null(strstr(err, "/nonexistent/libnope.so"));
    assert_null(strstr(err, PIN));
}

static void
test_p11_aes_round_trip(void **state)
{
    struct sv_p11 *p = *state;
    uint8_t key[32], back[32], ct[32 + SV_P11_GCM_OVERHEAD],
        ct2[32 + SV_P11_GCM_OVERHEAD], empty_ct[SV_P11_GCM_OVERHEAD];
    static const uint8_t aad[] = "tenant 01a212de kek v1";
    size_t ct_len = 0, ct2_len = 0, back_len = 0;
    bool yes = false;

    assert_int_equal(sv_p11_aes_create(p, "aes-rt"), SV_OK);
    assert_int_equal(sv_p11_has(p, "aes-rt", &yes), SV_OK);
    assert_true(yes);

    randombytes_buf(key, sizeof key);
    assert_int_equal(sv_p11_encrypt(p, "aes-rt", aad, sizeof aad, key,
                                    sizeof key, ct, &ct_len),
                     SV_OK);
    assert_int_equal(ct_len, sizeof key + SV_P11_GCM_OVERHEAD);
    assert_int_equal(sv_p11_decrypt(p, "aes-rt", aad, sizeof aad, ct, ct_len,
                                    back, &back_len),
                     SV_OK);
    assert_int_equal(back_len, sizeof key);
    assert_memory_equal(back, key, sizeof key);
    /* A fresh random IV each time. */
    assert_int_equal(sv_p11_encrypt(p, "aes-rt", aad, sizeof aad, key,
                                    sizeof key, ct2, &ct2_len),
                     SV_OK);
    assert_memory_not_equal(ct, ct2, SV_P11_GCM_IV_LEN);
    assert_memory_not_equal(ct + SV_P11_GCM_IV_LEN, ct2 + SV_P11_GCM_IV_LEN,
                            sizeof key);
    /* No AAD, no plaintext. */
    assert_int_equal(
        sv_p11_encrypt(p, "aes-rt", NULL, 0, NULL, 0, empty_ct, &ct_len),
        SV_OK);
    assert_int_equal(ct_len, SV_P11_GCM_OVERHEAD);
    back_len = 99;
    assert_int_equal(
        sv_p11_decrypt(p, "aes-rt", NULL, 0, empty_ct, ct_len, back, &back_len),
        SV_OK);
    assert_int_equal(back_len, 0);
    sodium_memzero(key, sizeof key);
    sodium_memzero(back, sizeof back);
}

static void
test_p11_aes_refuses_tampering(void **state)
{
    struct sv_p11 *p = *state;
    uint8_t key[32], back[32], ct[32 + SV_P11_GCM_OVERHEAD];
    static const uint8_t aad[] = "tenant A";
    static const uint8_t other_aad[] = "tenant B";
    size_t ct_len = 0, back_len = 0;

    assert_int_equal(sv_p11_aes_create(p, "aes-tamper"), SV_OK);
    randombytes_buf(key, sizeof key);
    assert_int_equal(sv_p11_encrypt(p, "aes-tamper", aad, sizeof aad, key,
                                    sizeof key, ct, &ct_len),
                     SV_OK);
    /* A flipped bit in the IV, the ciphertext, the tag. */
    static const size_t at[] = {0, SV_P11_GCM_IV_LEN + 3, sizeof ct - 1};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        ct[at[i]] ^= 0x01;
        assert_int_equal(sv_p11_decrypt(p, "aes-tamper", aad, sizeof aad, ct,
                                        ct_len, back, &back_len),
                         SV_E_TAMPERED);
        ct[at[i]] ^= 0x01;
    }
    /* Another AAD, none. */
    assert_int_equal(sv_p11_decrypt(p, "aes-tamper", other_aad,
                                    sizeof other_aad, ct, ct_len, back,
                                    &back_len),
                     SV_E_TAMPERED);
    assert_int_equal(
        sv_p11_decrypt(p, "aes-tamper", NULL, 0, ct, ct_len, back, &back_len),
        SV_E_TAMPERED);
    /* Truncated: by a byte, to the overhead, below it, to nothing. */
    assert_int_equal(sv_p11_decrypt(p, "aes-tamper", aad, sizeof aad, ct,
                                    ct_len - 1, back, &back_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_p11_decrypt(p, "aes-tamper", aad, sizeof aad, ct,
                                    SV_P11_GCM_OVERHEAD, back, &back_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_p11_decrypt(p, "aes-tamper", aad, sizeof aad, ct,
                                    SV_P11_GCM_OVERHEAD - 1, back, &back_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_p11_decrypt(p, "aes-tamper", aad, sizeof aad, ct, 0,
                                    back, &back_len),
                     SV_E_TAMPERED);
    /* The failures left the session usable. */
    assert_int_equal(sv_p11_decrypt(p, "aes-tamper", aad, sizeof aad, ct,
                                    ct_len, back, &back_len),
                     SV_OK);
    assert_memory_equal(back, key, sizeof key);
    sodium_memzero(key, sizeof key);
    sodium_memzero(back, sizeof back);
}

static void
test_p11_aes_other_key_refused(void **state)
{
    struct sv_p11 *p = *state;
    uint8_t key[32], back[32], ct[32 + SV_P11_GCM_OVERHEAD];
    static const uint8_t aad[] = "aad";
    size_t ct_len = 0, back_len = 0;

    assert_int_equal(sv_p11_aes_create(p, "aes-a"), SV_OK);
    assert_int_equal(sv_p11_aes_create(p, "aes-b"), SV_OK);
    randombytes_buf(key, sizeof key);
    assert_int_equal(sv_p11_encrypt(p, "aes-a", aad, sizeof aad, key,
                                    sizeof key, ct, &ct_len),
                     SV_OK);
    assert_int_equal(sv_p11_decrypt(p, "aes-b", aad, sizeof aad, ct, ct_len,
                                    back, &back_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_p11_decrypt(p, "no-such-key", aad, sizeof aad, ct,
                                    ct_len, back, &back_len),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_p11_encrypt(p, "no-such-key", aad, sizeof aad, key,
                                    sizeof key, ct, &ct_len),
                     SV_E_NOT_FOUND);
    sodium_memzero(key, sizeof key);
}

static void
test_p11_create_twice_refused(void **state)
{
    struct sv_p11 *p = *state;

    assert_int_equal(sv_p11_aes_create(p, "dup-aes"), SV_OK);
    assert_int_equal(sv_p11_aes_create(p, "dup-aes"), SV_E_EXISTS);
    assert_int_equal(sv_p11_ed25519_create(p, "dup-aes"), SV_E_EXISTS);
    assert_int_equal(sv_p11_ed25519_create(p, "dup-ed"), SV_OK);
    assert_int_equal(sv_p11_ed25519_create(p, "dup-ed"), SV_E_EXISTS);
    assert_int_equal(sv_p11_aes_create(p, "dup-ed"), SV_E_EXISTS);
}

static void
test_p11_refuses_bad_labels(void **state)
{
    struct sv_p11 *p = *state;
    char long_label[SV_P11_LABEL_MAX + 2];
    bool yes;

    memset(long_label, 'k', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = '\0';
    assert_int_equal(sv_p11_aes_create(p, ""), SV_E_FIELD_INVALID);
    assert_int_equal(sv_p11_aes_create(p, long_label), SV_E_FIELD_INVALID);
    assert_int_equal(sv_p11_ed25519_create(p, long_label), SV_E_FIELD_INVALID);
    assert_int_equal(sv_p11_has(p, "", &yes), SV_E_FIELD_INVALID);
    long_label[SV_P11_LABEL_MAX] = '\0'; /* the longest allowed */
    assert_int_equal(sv_p11_aes_create(p, long_label), SV_OK);
}

static void
test_p11_keys_cannot_leave_token(void **state)
{
    struct sv_p11 *p = *state;
    struct sv_p11_key_info info;

    assert_int_equal(sv_p11_aes_create(p, "aes-sealed"), SV_OK);
    assert_int_equal(sv_p11_key_find(p, "aes-sealed", &info), SV_OK);
    assert_true(info.is_secret);
    assert_true(info.is_sensitive);
    assert_false(info.is_extractable);
    assert_true(info.is_always_sensitive);
    assert_true(info.is_never_extractable);
    assert_false(info.is_value_readable);
    assert_int_equal(info.value_rv, CKR_ATTRIBUTE_SENSITIVE);

    assert_int_equal(sv_p11_ed25519_create(p, "ed-sealed"), SV_OK);
    assert_int_equal(sv_p11_key_find(p, "ed-sealed", &info), SV_OK);
    assert_false(info.is_secret); /* the private key */
    assert_true(info.is_sensitive);
    assert_false(info.is_extractable);
    assert_true(info.is_never_extractable);
    assert_false(info.is_value_readable);
    assert_int_equal(info.value_rv, CKR_ATTRIBUTE_SENSITIVE);

    assert_int_equal(sv_p11_key_find(p, "no-such-key", &info), SV_E_NOT_FOUND);
}

static void
test_p11_ed25519_sign_verify(void **state)
{
    struct sv_p11 *p = *state;
    uint8_t pk[SV_P11_PK_LEN], pk2[SV_P11_PK_LEN], sig[SV_P11_SIG_LEN];
    uint8_t msg[] = "audit head: stream 7, seq 1234, hash ...";
    uint8_t zero[SV_P11_PK_LEN] = {0};

    assert_int_equal(sv_p11_ed25519_create(p, "ed-audit"), SV_OK);
    assert_int_equal(sv_p11_ed25519_public(p, "ed-audit", pk), SV_OK);
    assert_memory_not_equal(pk, zero, sizeof pk);
    assert_int_equal(sv_p11_sign(p, "ed-audit", msg, sizeof msg, sig), SV_OK);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk), 0);

    /* A flipped bit in the signature, the message: refused. */
    sig[10] ^= 0x04;
    assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk),
                         0);
    sig[10] ^= 0x04;
    msg[3] ^= 0x01;
    assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk),
                         0);
    msg[3] ^= 0x01;

    /* Ed25519 is deterministic: same message, same signature. */
    uint8_t sig2[SV_P11_SIG_LEN];
    assert_int_equal(sv_p11_sign(p, "ed-audit", msg, sizeof msg, sig2), SV_OK);
    assert_memory_equal(sig, sig2, sizeof sig);
    /* The empty message. */
    assert_int_equal(sv_p11_sign(p, "ed-audit", NULL, 0, sig), SV_OK);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, 0, pk), 0);

    /* Another key pair signs differently. */
    assert_int_equal(sv_p11_ed25519_create(p, "ed-other"), SV_OK);
    assert_int_equal(sv_p11_ed25519_public(p, "ed-other", pk2), SV_OK);
    assert_memory_not_equal(pk, pk2, sizeof pk);
    assert_int_equal(sv_p11_sign(p, "ed-other", msg, sizeof msg, sig), SV_OK);
    assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk),
                         0);

    /* Missing labels, and labels of the wrong kind of key. */
    assert_int_equal(sv_p11_sign(p, "no-such-key", msg, sizeof msg, sig),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_p11_ed25519_public(p, "no-such-key", pk2),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_p11_aes_create(p, "aes-not-ed"), SV_OK);
    assert_int_equal(sv_p11_sign(p, "aes-not-ed", msg, sizeof msg, sig),
                     SV_E_NOT_FOUND);
}

/* Keys persist in the token: a second open (after the first is closed and
 * the module unloaded) finds them and they still work. A second open while
 * the first is logged in is refused: the token would not check its PIN. */
static void
test_p11_second_open_sees_keys(void **state)
{
    struct sv_p11 *p = NULL, *q = (struct sv_p11 *)1;
    uint8_t key[32], back[32], ct[32 + SV_P11_GCM_OVERHEAD];
    uint8_t pk[SV_P11_PK_LEN], pk2[SV_P11_PK_LEN], sig[SV_P11_SIG_LEN];
    static const uint8_t aad[] = "persist";
    static const uint8_t msg[] = "head";
    size_t ct_len = 0, back_len = 0;
    char err[256];
    bool yes = false;

    (void)state;
    assert_int_equal(open_token(&p), SV_OK);
    assert_int_equal(sv_p11_aes_create(p, "aes-persist"), SV_OK);
    assert_int_equal(sv_p11_ed25519_create(p, "ed-persist"), SV_OK);
    assert_int_equal(sv_p11_ed25519_public(p, "ed-persist", pk), SV_OK);
    randombytes_buf(key, sizeof key);
    assert_int_equal(sv_p11_encrypt(p, "aes-persist", aad, sizeof aad, key,
                                    sizeof key, ct, &ct_len),
                     SV_OK);

    assert_int_equal(sv_p11_open(MODULE, TOKEN, "9999", &q, err, sizeof err),
                     SV_E_CONFLICT);
    assert_null(q);
    assert_non_null(strstr(err, "already logged in"));
    sv_p11_close(p);

    assert_int_equal(open_token(&q), SV_OK);
    assert_int_equal(sv_p11_has(q, "aes-persist", &yes), SV_OK);
    assert_true(yes);
    assert_int_equal(sv_p11_has(q, "ed-persist", &yes), SV_OK);
    assert_true(yes);
    assert_int_equal(sv_p11_decrypt(q, "aes-persist", aad, sizeof aad, ct,
                                    ct_len, back, &back_len),
                     SV_OK);
    assert_memory_equal(back, key, sizeof key);
    assert_int_equal(sv_p11_ed25519_public(q, "ed-persist", pk2), SV_OK);
    assert_memory_equal(pk, pk2, sizeof pk);
    assert_int_equal(sv_p11_sign(q, "ed-persist", msg, sizeof msg, sig), SV_OK);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk), 0);
    sodium_memzero(key, sizeof key);
    sodium_memzero(back, sizeof back);
    sv_p11_close(q);
}

/* One handle, several threads: the mutex serialises the session. */
struct worker {
    struct sv_p11 *p;
    int n_ok;
};

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    uint8_t key[32], back[32], ct[32 + SV_P11_GCM_OVERHEAD],
        sig[SV_P11_SIG_LEN];
    size_t ct_len, back_len;

    for (int i = 0; i < 25; i++) {
        randombytes_buf(key, sizeof key);
        if (sv_p11_encrypt(w->p, "aes-threads", key, 4, key, sizeof key, ct,
                           &ct_len) != SV_OK ||
            sv_p11_decrypt(w->p, "aes-threads", key, 4, ct, ct_len, back,
                           &back_len) != SV_OK ||
            back_len != sizeof key || memcmp(back, key, sizeof key) != 0 ||
            sv_p11_sign(w->p, "ed-threads", key, sizeof key, sig) != SV_OK)
            break;
        w->n_ok++;
    }
    sodium_memzero(key, sizeof key);
    sodium_memzero(back, sizeof back);
    return NULL;
}

static void
test_p11_threads_share_handle(void **state)
{
    struct sv_p11 *p = *state;
    pthread_t th[4];
    struct worker w[4];

    assert_int_equal(sv_p11_aes_create(p, "aes-threads"), SV_OK);
    assert_int_equal(sv_p11_ed25519_create(p, "ed-threads"), SV_OK);
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.p = p};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].n_ok, 25);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p11_open_ok),
        cmocka_unit_test(test_p11_open_refuses_wrong_pin),
        cmocka_unit_test(test_p11_open_refuses_empty_pin),
        cmocka_unit_test(test_p11_open_refuses_unknown_token),
        cmocka_unit_test(test_p11_open_refuses_missing_module),
        cmocka_unit_test_setup_teardown(test_p11_aes_round_trip, open_fixture,
                                        close_fixture),
        cmocka_unit_test_setup_teardown(test_p11_aes_refuses_tampering,
                                        open_fixture, close_fixture),
        cmocka_unit_test_setup_teardown(test_p11_aes_other_key_refused,
                                        open_fixture, close_fixture),
        cmocka_unit_test_setup_teardown(test_p11_create_twice_refused,
                                        open_fixture, close_fixture),
        cmocka_unit_test_setup_teardown(test_p11_refuses_bad_labels,
                                        open_fixture, close_fixture),
        cmocka_unit_test_setup_teardown(test_p11_keys_cannot_leave_token,
                                        open_fixture, close_fixture),
        cmocka_unit_test_setup_teardown(test_p11_ed25519_sign_verify,
                                        open_fixture, close_fixture),
        cmocka_unit_test(test_p11_second_open_sees_keys),
        cmocka_unit_test_setup_teardown(test_p11_threads_share_handle,
                                        open_fixture, close_fixture),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
