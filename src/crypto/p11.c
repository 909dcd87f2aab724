#include "crypto/p11.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "core/log.h"
#include "core/util.h"

/* Lengths pass from size_t to CK_ULONG unchanged. */
_Static_assert(sizeof(CK_ULONG) >= sizeof(size_t), "CK_ULONG narrower");

/* Longest PIN accepted: more than any token takes, bounds the copy. */
#define PIN_MAX 255

/* Ed25519 in CKA_EC_PARAMS: the OID 1.3.101.112 (what we write; SoftHSM
 * 2.6.1 takes it) or the PrintableString "edwards25519" (the named-curve
 * form other tools write, e.g. OpenSC's pkcs11-tool; accepted on keys we
 * did not make). */
static const CK_BYTE ED25519_OID[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const CK_BYTE ED25519_NAME[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                       'd',  's',  '2', '5', '5', '1', '9'};

/* A class or key type that matches any: not a PKCS#11 value we use. */
#define ANY ((CK_ULONG)-1)

struct sv_p11 {
    pthread_mutex_t lock; /* guards session and every call made on it */
    CK_FUNCTION_LIST *fn; /* p11-kit managed module */
    CK_SESSION_HANDLE session;
    bool is_initialized;
    bool has_session;
    bool is_logged_in;
};

static enum sv_err
token_failed(const char *call, CK_RV rv)
{
    /* The token (or our use of it) failed: the operator needs the CK_RV;
     * no argument of the call is logged. */
    sv_log(SV_LOG_ERROR, "pkcs11 call failed", "%s: %s (CK_RV 0x%lx)", call,
           p11_kit_strerror(rv), (unsigned long)rv);
    return SV_E_CRYPTO;
}

static enum sv_err
check_label(const char *label)
{
    size_t len;

    sv_assert(label != NULL);
    len = strnlen(label, SV_P11_LABEL_MAX + 1);
    if (len == 0 || len > SV_P11_LABEL_MAX)
        return SV_E_FIELD_INVALID;
    return SV_OK;
}

/*
 * Up to two objects of @p cls and @p key_type (either may be ANY) labelled
 * @p label, into @p found; *@p n_found says how many. The caller holds the
 * lock.
 */
static enum sv_err
find_objects(struct sv_p11 *p, const char *label, CK_OBJECT_CLASS cls,
             CK_KEY_TYPE key_type, CK_OBJECT_HANDLE found[2], CK_ULONG *n_found)
{
    CK_ATTRIBUTE tmpl[3];
    CK_ULONG n_tmpl = 0;
    CK_RV rv, rv_final;

    *n_found = 0;
    tmpl[n_tmpl++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
    if (cls != ANY)
        tmpl[n_tmpl++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
    if (key_type != ANY)
        tmpl[n_tmpl++] =
            (CK_ATTRIBUTE){CKA_KEY_TYPE, &key_type, sizeof key_type};
    rv = p->fn->C_FindObjectsInit(p->session, tmpl, n_tmpl);
    if (rv != CKR_OK)
        return token_failed("C_FindObjectsInit", rv);
    rv = p->fn->C_FindObjects(p->session, found, 2, n_found);
    /* Always end the search, or the session refuses the next one. */
    rv_final = p->fn->C_FindObjectsFinal(p->session);
    if (rv != CKR_OK)
        return token_failed("C_FindObjects", rv);
    if (rv_final != CKR_OK)
        return token_failed("C_FindObjectsFinal", rv_final);
    return SV_OK;
}

/* The one object of @p cls and @p key_type labelled @p label. Lock held. */
static enum sv_err
find_one(struct sv_p11 *p, const char *label, CK_OBJECT_CLASS cls,
         CK_KEY_TYPE key_type, CK_OBJECT_HANDLE *out)
{
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n_found = 0;
    enum sv_err rc = find_objects(p, label, cls, key_type, found, &n_found);

    if (rc != SV_OK)
        return rc;
    if (n_found == 0)
        return SV_E_NOT_FOUND;
    if (n_found > 1) {
        /* Our create functions refuse a taken label: another tool made
         * this one. Which key is meant cannot be guessed. */
        sv_log(SV_LOG_ERROR, "pkcs11 label not unique",
               "more than one token key of the wanted kind is labelled "
               "\"%s\"",
               label);
        return SV_E_CONFLICT;
    }
    *out = found[0];
    return SV_OK;
}

/* Is the EC key @p h on edwards25519? The caller holds the lock. */
static enum sv_err
check_ed25519(struct sv_p11 *p, CK_OBJECT_HANDLE h)
{
    CK_BYTE params[32];
    CK_ATTRIBUTE a = {CKA_EC_PARAMS, params, sizeof params};
    CK_RV rv = p->fn->C_GetAttributeValue(p->session, h, &a, 1);

    if (rv == CKR_BUFFER_TOO_SMALL)
        return SV_E_NOT_FOUND; /* far longer than either form: not ours */
    if (rv != CKR_OK)
        return token_failed("C_GetAttributeValue(CKA_EC_PARAMS)", rv);
    if ((a.ulValueLen == sizeof ED25519_OID &&
         memcmp(params, ED25519_OID, sizeof ED25519_OID) == 0) ||
        (a.ulValueLen == sizeof ED25519_NAME &&
         memcmp(params, ED25519_NAME, sizeof ED25519_NAME) == 0))
        return SV_OK;
    return SV_E_NOT_FOUND; /* Ed448 or another curve under this label */
}

/* The one Ed25519 key of class @p cls labelled @p label. Lock held. */
static enum sv_err
find_ed25519(struct sv_p11 *p, const char *label, CK_OBJECT_CLASS cls,
             CK_OBJECT_HANDLE *out)
{
    enum sv_err rc = find_one(p, label, cls, CKK_EC_EDWARDS, out);

    if (rc != SV_OK)
        return rc;
    return check_ed25519(p, *out);
}

static void
fill_gcm(CK_GCM_PARAMS *gcm, const uint8_t iv[SV_P11_GCM_IV_LEN],
         const uint8_t *aad, size_t aad_len)
{
    static CK_BYTE empty; /* some tokens refuse NULL even for 0 bytes */

    memset(gcm, 0, sizeof *gcm);
    gcm->pIv = (CK_BYTE_PTR)iv;
    gcm->ulIvLen = SV_P11_GCM_IV_LEN;
    gcm->ulIvBits = SV_P11_GCM_IV_LEN * 8; /* 2.40 errata field */
    gcm->pAAD = aad_len > 0 ? (CK_BYTE_PTR)aad : &empty;
    gcm->ulAADLen = aad_len;
    gcm->ulTagBits = SV_P11_GCM_TAG_LEN * 8;
}

/*
 * One single-part C_Encrypt / C_Decrypt after its Init, into *@p res: a
 * sodium_malloc buffer of @p cap bytes (the GCM bound) that the caller made
 * before the Init, so that running out of memory cannot strand an active
 * operation. Any CK_RV but CKR_BUFFER_TOO_SMALL ends the operation
 * (PKCS#11 2.40, 5.2); on that one the token keeps it active and says how
 * much room it wants: it gets it, once. *@p res stays the caller's to
 * sodium_free() (which wipes), whatever the outcome.
 */
static CK_RV
run_crypt(struct sv_p11 *p, bool is_encrypt, const uint8_t *in, size_t in_len,
          uint8_t **res, CK_ULONG cap, CK_ULONG *res_len)
{
    static CK_BYTE empty;
    CK_BYTE_PTR data = in_len > 0 ? (CK_BYTE_PTR)in : &empty;
    CK_RV rv;

    for (int attempt = 0;; attempt++) {
        *res_len = cap;
        rv = is_encrypt
                 ? p->fn->C_Encrypt(p->session, data, in_len, *res, res_len)
                 : p->fn->C_Decrypt(p->session, data, in_len, *res, res_len);
        if (rv != CKR_BUFFER_TOO_SMALL || attempt > 0 || *res_len <= cap)
            return rv;
        sodium_free(*res);
        cap = *res_len;
        *res = sodium_malloc(cap);
        if (*res == NULL)
            sv_abort_at(__FILE__, __LINE__, "out of memory");
    }
}

enum sv_err
sv_p11_open(const char *module_path, const char *token_label, const char *pin,
            struct sv_p11 **out, char *err, size_t err_len)
{
    struct sv_p11 *p = NULL;
    CK_SLOT_ID *slots = NULL, slot = 0;
    CK_ULONG n_slots = 0, n_match = 0;
    CK_UTF8CHAR *pin_copy = NULL;
    size_t label_len, pin_len;
    enum sv_err rc = SV_E_CRYPTO;
    CK_RV rv;

    sv_assert(module_path != NULL && token_label != NULL && out != NULL);
    sv_assert(err != NULL && err_len > 0);
    *out = NULL;
    err[0] = '\0';

    /* Refused before any PKCS#11 call: an empty PIN may log in to a token
     * with no user PIN set, or lock one after retries. */
    if (pin == NULL || pin[0] == '\0') {
        snprintf(err, err_len, "the token PIN is missing or empty");
        return SV_E_FIELD_MISSING;
    }
    pin_len = strnlen(pin, PIN_MAX + 1);
    if (pin_len > PIN_MAX) {
        snprintf(err, err_len, "the token PIN is longer than %d bytes",
                 PIN_MAX);
        return SV_E_FIELD_INVALID;
    }
    label_len = strnlen(token_label, SV_P11_TOKEN_LABEL_MAX + 1);
    if (label_len == 0 || label_len > SV_P11_TOKEN_LABEL_MAX) {
        snprintf(err, err_len, "the token label must be 1 to %d bytes",
                 SV_P11_TOKEN_LABEL_MAX);
        return SV_E_FIELD_INVALID;
    }

    p = sv_xcalloc(1, sizeof *p);
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        snprintf(err, err_len, "pthread_mutex_init failed");
        return SV_E_INTERNAL;
    }
    /* A path names a file: say plainly when it is not there. A bare name
     * is p11-kit's to look up in its module directory. */
    if (strchr(module_path, '/') != NULL && access(module_path, R_OK) != 0) {
        snprintf(err, err_len, "PKCS#11 module %s: %s", module_path,
                 strerror(errno));
        rc = SV_E_NOT_FOUND;
        goto cleanup;
    }
    /* Managed (flags 0): p11-kit counts C_Initialize/C_Finalize per caller,
     * so other users of the module in this process are not disturbed. */
    p->fn = p11_kit_module_load(module_path, 0);
    if (p->fn == NULL) {
        snprintf(err, err_len, "cannot load PKCS#11 module %s", module_path);
        rc = strchr(module_path, '/') != NULL ? SV_E_CRYPTO : SV_E_NOT_FOUND;
        goto cleanup;
    }
    rv = p11_kit_module_initialize(p->fn);
    if (rv != CKR_OK) {
        snprintf(err, err_len, "PKCS#11 module %s: C_Initialize: %s (0x%lx)",
                 module_path, p11_kit_strerror(rv), (unsigned long)rv);
        goto cleanup;
    }
    p->is_initialized = true;

    rv = p->fn->C_GetSlotList(CK_TRUE, NULL, &n_slots);
    if (rv == CKR_OK && n_slots > 0) {
        slots = sv_xcalloc(n_slots, sizeof *slots);
        rv = p->fn->C_GetSlotList(CK_TRUE, slots, &n_slots);
    }
    if (rv != CKR_OK) {
        snprintf(err, err_len, "PKCS#11 module %s: C_GetSlotList: %s (0x%lx)",
                 module_path, p11_kit_strerror(rv), (unsigned long)rv);
        goto cleanup;
    }
    for (CK_ULONG i = 0; i < n_slots; i++) {
        CK_TOKEN_INFO ti;

        if (p->fn->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
            (ti.flags & CKF_TOKEN_INITIALIZED) == 0)
            continue;
        if (p11_kit_space_strlen(ti.label, sizeof ti.label) == label_len &&
            memcmp(ti.label, token_label, label_len) == 0) {
            slot = slots[i];
            n_match++;
        }
    }
    if (n_match == 0) {
        snprintf(err, err_len,
                 "no initialised token labelled \"%s\" in PKCS#11 module %s",
                 token_label, module_path);
        rc = SV_E_NOT_FOUND;
        goto cleanup;
    }
    if (n_match > 1) {
        snprintf(err, err_len,
                 "%lu tokens are labelled \"%s\" in PKCS#11 module %s; "
                 "relabel all but one",
                 (unsigned long)n_match, token_label, module_path);
        rc = SV_E_CONFLICT;
        goto cleanup;
    }

    rv = p->fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                              NULL, &p->session);
    if (rv != CKR_OK) {
        snprintf(err, err_len, "token \"%s\": C_OpenSession: %s (0x%lx)",
                 token_label, p11_kit_strerror(rv), (unsigned long)rv);
        goto cleanup;
    }
    p->has_session = true;

    pin_copy = sodium_malloc(pin_len);
    if (pin_copy == NULL) {
        snprintf(err, err_len, "out of memory");
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    memcpy(pin_copy, pin, pin_len);
    rv = p->fn->C_Login(p->session, CKU_USER, pin_copy, pin_len);
    sodium_free(pin_copy); /* wipes */
    switch (rv) {
    case CKR_OK:
        p->is_logged_in = true;
        rc = SV_OK;
        break;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_EXPIRED:
        snprintf(err, err_len, "token \"%s\" refused the user PIN: %s",
                 token_label, p11_kit_strerror(rv));
        rc = SV_E_INVALID_CREDENTIALS;
        break;
    case CKR_PIN_LOCKED:
        snprintf(err, err_len,
                 "token \"%s\" has locked the user PIN after too many wrong "
                 "PINs; the security officer must reset it",
                 token_label);
        rc = SV_E_LOGIN_LOCKED;
        break;
    case CKR_USER_ALREADY_LOGGED_IN:
        /* The login is per application: trusting it would accept this PIN
         * unchecked. */
        snprintf(err, err_len,
                 "token \"%s\" is already logged in by another handle in "
                 "this process; the PIN cannot be checked, so this open is "
                 "refused: close the other handle or share it",
                 token_label);
        rc = SV_E_CONFLICT;
        break;
    default:
        snprintf(err, err_len, "token \"%s\": C_Login: %s (0x%lx)", token_label,
                 p11_kit_strerror(rv), (unsigned long)rv);
        rc = SV_E_CRYPTO;
        break;
    }

cleanup:
    free(slots);
    if (rc != SV_OK) {
        sv_p11_close(p);
        return rc;
    }
    *out = p;
    return SV_OK;
}

void
sv_p11_close(struct sv_p11 *p)
{
    if (p == NULL)
        return;
    /* Failures here change nothing for the caller: the session and the
     * module go either way. */
    if (p->is_logged_in)
        (void)p->fn->C_Logout(p->session);
    if (p->has_session)
        (void)p->fn->C_CloseSession(p->session);
    if (p->is_initialized)
        (void)p11_kit_module_finalize(p->fn);
    if (p->fn != NULL)
        p11_kit_module_release(p->fn);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Any object labelled @p label (an Ed25519 pair is two)? Lock held. */
static enum sv_err
exists_locked(struct sv_p11 *p, const char *label, bool *yes)
{
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n_found = 0;
    enum sv_err rc = find_objects(p, label, ANY, ANY, found, &n_found);

    *yes = rc == SV_OK && n_found > 0;
    return rc;
}

enum sv_err
sv_p11_has(struct sv_p11 *p, const char *label, bool *yes)
{
    enum sv_err rc;

    sv_assert(p != NULL && yes != NULL);
    *yes = false;
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    pthread_mutex_lock(&p->lock);
    rc = exists_locked(p, label, yes);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum sv_err
sv_p11_aes_create(struct sv_p11 *p, const char *label)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ULONG value_len = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_VALUE_LEN, &value_len, sizeof value_len},
        {CKA_LABEL, (void *)label, 0}, /* length set below */
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_ENCRYPT, &yes, sizeof yes},
        {CKA_DECRYPT, &yes, sizeof yes},
        {CKA_WRAP, &no, sizeof no},
        {CKA_UNWRAP, &no, sizeof no},
    };
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
    CK_OBJECT_HANDLE h;
    bool exists = false;
    enum sv_err rc;
    CK_RV rv;

    sv_assert(p != NULL);
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    tmpl[3].ulValueLen = strlen(label);
    pthread_mutex_lock(&p->lock);
    rc = exists_locked(p, label, &exists);
    if (rc == SV_OK && exists)
        rc = SV_E_EXISTS;
    if (rc == SV_OK) {
        rv = p->fn->C_GenerateKey(p->session, &mech, tmpl,
                                  sizeof tmpl / sizeof tmpl[0], &h);
        if (rv != CKR_OK)
            rc = token_failed("C_GenerateKey(CKM_AES_KEY_GEN)", rv);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum sv_err
sv_p11_encrypt(struct sv_p11 *p, const char *label, const uint8_t *aad,
               size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
               size_t *out_len)
{
    uint8_t iv[SV_P11_GCM_IV_LEN];
    uint8_t *res = NULL;
    CK_ULONG res_len = 0;
    CK_GCM_PARAMS gcm;
    CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof gcm};
    CK_OBJECT_HANDLE key;
    enum sv_err rc;
    CK_RV rv;

    sv_assert(p != NULL && out != NULL && out_len != NULL);
    sv_assert(aad != NULL || aad_len == 0);
    sv_assert(pt != NULL || pt_len == 0);
    *out_len = 0;
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    if (pt_len > SIZE_MAX - SV_P11_GCM_OVERHEAD)
        return SV_E_FIELD_INVALID;

    /* 96-bit random IVs: fine for far more messages than one key will see
     * here (tenant keys, NIST SP 800-38D 8.3). */
    randombytes_buf(iv, sizeof iv);
    fill_gcm(&gcm, iv, aad, aad_len);
    res = sodium_malloc(pt_len + SV_P11_GCM_TAG_LEN);
    if (res == NULL)
        return SV_E_INTERNAL;
    pthread_mutex_lock(&p->lock);
    rc = find_one(p, label, CKO_SECRET_KEY, CKK_AES, &key);
    if (rc != SV_OK)
        goto cleanup;
    rv = p->fn->C_EncryptInit(p->session, &mech, key);
    if (rv != CKR_OK) {
        rc = token_failed("C_EncryptInit(CKM_AES_GCM)", rv);
        goto cleanup;
    }
    rv = run_crypt(p, true, pt, pt_len, &res, pt_len + SV_P11_GCM_TAG_LEN,
                   &res_len);
    if (rv != CKR_OK) {
        rc = token_failed("C_Encrypt(CKM_AES_GCM)", rv);
        goto cleanup;
    }
    if (res_len != pt_len + SV_P11_GCM_TAG_LEN) {
        rc = token_failed("C_Encrypt(CKM_AES_GCM): unexpected length",
                          CKR_GENERAL_ERROR);
        goto cleanup;
    }
    memcpy(out, iv, sizeof iv);
    memcpy(out + sizeof iv, res, res_len);
    *out_len = sizeof iv + res_len;

cleanup:
    pthread_mutex_unlock(&p->lock);
    sodium_free(res);
    return rc;
}

enum sv_err
sv_p11_decrypt(struct sv_p11 *p, const char *label, const uint8_t *aad,
               size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out,
               size_t *out_len)
{
    uint8_t *res = NULL; /* plaintext: wiped by sodium_free */
    CK_ULONG res_len = 0;
    CK_GCM_PARAMS gcm;
    CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof gcm};
    CK_OBJECT_HANDLE key;
    enum sv_err rc;
    CK_RV rv;

    sv_assert(p != NULL && out != NULL && out_len != NULL);
    sv_assert(aad != NULL || aad_len == 0);
    sv_assert(ct != NULL || ct_len == 0);
    *out_len = 0;
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    if (ct_len < SV_P11_GCM_OVERHEAD)
        return SV_E_TAMPERED;

    fill_gcm(&gcm, ct, aad, aad_len);
    /* Room for the tag too: SoftHSM wants as much as it is given. */
    res = sodium_malloc(ct_len - SV_P11_GCM_IV_LEN);
    if (res == NULL)
        return SV_E_INTERNAL;
    pthread_mutex_lock(&p->lock);
    rc = find_one(p, label, CKO_SECRET_KEY, CKK_AES, &key);
    if (rc != SV_OK)
        goto cleanup;
    rv = p->fn->C_DecryptInit(p->session, &mech, key);
    if (rv != CKR_OK) {
        rc = token_failed("C_DecryptInit(CKM_AES_GCM)", rv);
        goto cleanup;
    }
    rv = run_crypt(p, false, ct + SV_P11_GCM_IV_LEN, ct_len - SV_P11_GCM_IV_LEN,
                   &res, ct_len - SV_P11_GCM_IV_LEN, &res_len);
    switch (rv) {
    case CKR_OK:
        break;
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
    case CKR_GENERAL_ERROR:
        /* The tag did not check: wrong key, AAD, IV or bytes. SoftHSM2
         * (2.6.1) says so with CKR_GENERAL_ERROR, not the spec's
         * CKR_ENCRYPTED_DATA_INVALID. Not logged here: the caller decides
         * what a forgery means. */
        rc = SV_E_TAMPERED;
        goto cleanup;
    default:
        rc = token_failed("C_Decrypt(CKM_AES_GCM)", rv);
        goto cleanup;
    }
    if (res_len != ct_len - SV_P11_GCM_OVERHEAD) {
        rc = token_failed("C_Decrypt(CKM_AES_GCM): unexpected length",
                          CKR_GENERAL_ERROR);
        goto cleanup;
    }
    memcpy(out, res, res_len);
    *out_len = res_len;

cleanup:
    pthread_mutex_unlock(&p->lock);
    sodium_free(res);
    return rc;
}

enum sv_err
sv_p11_ed25519_create(struct sv_p11 *p, const char *label)
{
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_EC_EDWARDS;
    CK_ATTRIBUTE pub[] = {
        {CKA_CLASS, &pub_cls, sizeof pub_cls},
        {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_EC_PARAMS, (void *)ED25519_OID, sizeof ED25519_OID},
        {CKA_LABEL, (void *)label, 0}, /* length set below */
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &no, sizeof no},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_ENCRYPT, &no, sizeof no},
        {CKA_WRAP, &no, sizeof no},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_CLASS, &priv_cls, sizeof priv_cls},
        {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_LABEL, (void *)label, 0}, /* length set below */
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_DECRYPT, &no, sizeof no},
        {CKA_UNWRAP, &no, sizeof no},
        {CKA_DERIVE, &no, sizeof no},
    };
    CK_MECHANISM mech = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE h_pub, h_priv;
    bool exists = false;
    enum sv_err rc;
    CK_RV rv;

    sv_assert(p != NULL);
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    pub[3].ulValueLen = strlen(label);
    priv[2].ulValueLen = strlen(label);
    pthread_mutex_lock(&p->lock);
    rc = exists_locked(p, label, &exists);
    if (rc == SV_OK && exists)
        rc = SV_E_EXISTS;
    if (rc == SV_OK) {
        rv = p->fn->C_GenerateKeyPair(
            p->session, &mech, pub, sizeof pub / sizeof pub[0], priv,
            sizeof priv / sizeof priv[0], &h_pub, &h_priv);
        if (rv != CKR_OK)
            rc = token_failed("C_GenerateKeyPair(CKM_EC_EDWARDS_KEY_PAIR_GEN)",
                              rv);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum sv_err
sv_p11_sign(struct sv_p11 *p, const char *label, const uint8_t *msg, size_t len,
            uint8_t sig[SV_P11_SIG_LEN])
{
    static CK_BYTE empty;
    CK_MECHANISM mech = {CKM_EDDSA, NULL, 0}; /* no params: pure Ed25519 */
    CK_OBJECT_HANDLE key;
    CK_ULONG sig_len = SV_P11_SIG_LEN;
    enum sv_err rc;
    CK_RV rv;

    sv_assert(p != NULL && sig != NULL);
    sv_assert(msg != NULL || len == 0);
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    pthread_mutex_lock(&p->lock);
    /* Checked on edwards25519, so the signature is 64 bytes and the buffer
     * below is never too small (which would leave the operation active). */
    rc = find_ed25519(p, label, CKO_PRIVATE_KEY, &key);
    if (rc != SV_OK)
        goto cleanup;
    rv = p->fn->C_SignInit(p->session, &mech, key);
    if (rv != CKR_OK) {
        rc = token_failed("C_SignInit(CKM_EDDSA)", rv);
        goto cleanup;
    }
    rv = p->fn->C_Sign(p->session, len > 0 ? (CK_BYTE_PTR)msg : &empty, len,
                       sig, &sig_len);
    if (rv != CKR_OK) {
        rc = token_failed("C_Sign(CKM_EDDSA)", rv);
        goto cleanup;
    }
    if (sig_len != SV_P11_SIG_LEN)
        rc = token_failed("C_Sign(CKM_EDDSA): unexpected length",
                          CKR_GENERAL_ERROR);

cleanup:
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum sv_err
sv_p11_ed25519_public(struct sv_p11 *p, const char *label,
                      uint8_t pk[SV_P11_PK_LEN])
{
    CK_BYTE point[64];
    CK_ATTRIBUTE a = {CKA_EC_POINT, point, sizeof point};
    CK_OBJECT_HANDLE key;
    enum sv_err rc;
    CK_RV rv;

    sv_assert(p != NULL && pk != NULL);
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    pthread_mutex_lock(&p->lock);
    rc = find_ed25519(p, label, CKO_PUBLIC_KEY, &key);
    if (rc != SV_OK)
        goto cleanup;
    rv = p->fn->C_GetAttributeValue(p->session, key, &a, 1);
    if (rv != CKR_OK) {
        rc = token_failed("C_GetAttributeValue(CKA_EC_POINT)", rv);
        goto cleanup;
    }
    /* DER OCTET STRING (04 20 | 32 bytes), as SoftHSM and PKCS#11 2.40 /
     * 3.0 write it, or the raw 32 bytes, as some 3.x tokens do. */
    if (a.ulValueLen == 2 + SV_P11_PK_LEN && point[0] == 0x04 &&
        point[1] == SV_P11_PK_LEN)
        memcpy(pk, point + 2, SV_P11_PK_LEN);
    else if (a.ulValueLen == SV_P11_PK_LEN)
        memcpy(pk, point, SV_P11_PK_LEN);
    else
        rc = token_failed("CKA_EC_POINT: not an Ed25519 point",
                          CKR_ATTRIBUTE_VALUE_INVALID);

cleanup:
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum sv_err
sv_p11_key_find(struct sv_p11 *p, const char *label,
                struct sv_p11_key_info *info)
{
    CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
    CK_BBOOL always_sensitive = CK_FALSE, never_extractable = CK_FALSE;
    CK_ATTRIBUTE flags[] = {
        {CKA_SENSITIVE, &sensitive, sizeof sensitive},
        {CKA_EXTRACTABLE, &extractable, sizeof extractable},
        {CKA_ALWAYS_SENSITIVE, &always_sensitive, sizeof always_sensitive},
        {CKA_NEVER_EXTRACTABLE, &never_extractable, sizeof never_extractable},
    };
    CK_ATTRIBUTE value = {CKA_VALUE, NULL, 0};
    uint8_t *buf = NULL; /* would hold the key: wiped by sodium_free */
    CK_OBJECT_HANDLE key;
    enum sv_err rc;
    CK_RV rv;

    sv_assert(p != NULL && info != NULL);
    memset(info, 0, sizeof *info);
    rc = check_label(label);
    if (rc != SV_OK)
        return rc;
    pthread_mutex_lock(&p->lock);
    rc = find_one(p, label, CKO_SECRET_KEY, ANY, &key);
    info->is_secret = rc == SV_OK;
    if (rc == SV_E_NOT_FOUND)
        rc = find_one(p, label, CKO_PRIVATE_KEY, ANY, &key);
    if (rc != SV_OK)
        goto cleanup;
    rv = p->fn->C_GetAttributeValue(p->session, key, flags,
                                    sizeof flags / sizeof flags[0]);
    if (rv != CKR_OK) {
        rc = token_failed("C_GetAttributeValue(key flags)", rv);
        goto cleanup;
    }
    info->is_sensitive = sensitive == CK_TRUE;
    info->is_extractable = extractable == CK_TRUE;
    info->is_always_sensitive = always_sensitive == CK_TRUE;
    info->is_never_extractable = never_extractable == CK_TRUE;

    /* Really try to read the value: the length first, then the bytes. */
    rv = p->fn->C_GetAttributeValue(p->session, key, &value, 1);
    if (rv == CKR_OK && value.ulValueLen != CK_UNAVAILABLE_INFORMATION) {
        buf = sodium_malloc(value.ulValueLen > 0 ? value.ulValueLen : 1);
        if (buf == NULL) {
            rc = SV_E_INTERNAL;
            goto cleanup;
        }
        value.pValue = buf;
        rv = p->fn->C_GetAttributeValue(p->session, key, &value, 1);
    }
    info->value_rv = rv;
    info->is_value_readable = rv == CKR_OK;

cleanup:
    pthread_mutex_unlock(&p->lock);
    sodium_free(buf);
    return rc;
}
