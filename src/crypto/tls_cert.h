/* Development TLS certificate (NET-1): self-signed ECDSA P-256. */
#ifndef SV_CRYPTO_TLS_CERT_H
#define SV_CRYPTO_TLS_CERT_H

#include <stddef.h>

#include "core/errors.h"

/**
 * Write a new self-signed certificate for localhost, 127.0.0.1 and ::1
 * (valid 397 days) and its private key (mode 0600). Files must not exist.
 */
SV_MUST_CHECK enum sv_err sv_tls_make_dev_cert(const char *cert_path,
                                               const char *key_path, char *err,
                                               size_t err_len);

#endif
