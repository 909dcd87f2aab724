#include "crypto/tls_cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

static int
write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        return -1;
    }
    return close(fd);
}

#define CHECK(call)                                                            \
    do {                                                                       \
        int r_ = (call);                                                       \
        if (r_ < 0) {                                                          \
            snprintf(err, err_len, "%s: %s", #call, gnutls_strerror(r_));      \
            goto cleanup;                                                      \
        }                                                                      \
    } while (0)

enum sv_err
sv_tls_make_dev_cert(const char *cert_path, const char *key_path, char *err,
                     size_t err_len)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t kpem = {NULL, 0}, cpem = {NULL, 0};
    unsigned char serial[16], ip4[4], ip6[16];
    time_t now = time(NULL);
    enum sv_err rc = SV_E_CRYPTO;

    CHECK(gnutls_x509_privkey_init(&key));
    CHECK(gnutls_x509_privkey_generate2(
        key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
        0, NULL, 0));
    CHECK(gnutls_x509_crt_init(&crt));
    CHECK(gnutls_x509_crt_set_version(crt, 3));
    randombytes_buf(serial, sizeof serial);
    serial[0] &= 0x7f; /* positive */
    CHECK(gnutls_x509_crt_set_serial(crt, serial, sizeof serial));
    CHECK(gnutls_x509_crt_set_activation_time(crt, now - 300));
    /* 397 days: the longest lifetime browsers accept for a leaf. */
    CHECK(gnutls_x509_crt_set_expiration_time(crt, now + 397L * 86400));
    CHECK(gnutls_x509_crt_set_dn(crt, "CN=localhost,O=Salesvault development",
                                 NULL));
    CHECK(gnutls_x509_crt_set_key(crt, key));
    CHECK(gnutls_x509_crt_set_subject_alt_name(
        crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND));
    inet_pton(AF_INET, "127.0.0.1", ip4);
    inet_pton(AF_INET6, "::1", ip6);
    CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip4,
                                               4, GNUTLS_FSAN_APPEND));
    CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip6,
                                               16, GNUTLS_FSAN_APPEND));
    /* A leaf, not a CA: trusting it trusts this server and nothing else. */
    CHECK(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
    CHECK(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
    CHECK(
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
    CHECK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
    CHECK(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem));
    CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem));
    if (write_new_file(key_path, kpem.data, kpem.size, 0600) != 0) {
        snprintf(err, err_len, "%s: %s", key_path, strerror(errno));
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    if (write_new_file(cert_path, cpem.data, cpem.size, 0644) != 0) {
        snprintf(err, err_len, "%s: %s", cert_path, strerror(errno));
        unlink(key_path);
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    rc = SV_OK;
cleanup:
    if (kpem.data != NULL) {
        sodium_memzero(kpem.data, kpem.size);
        gnutls_free(kpem.data);
    }
    gnutls_free(cpem.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc;
}
