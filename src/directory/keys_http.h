/* GET /admin/keys: the tenant's key versions and re-sealing job (DATA-2). */
#ifndef SV_DIRECTORY_KEYS_HTTP_H
#define SV_DIRECTORY_KEYS_HTTP_H

#include "http/http.h"

/** GET /admin/keys: the caller's tenant's key versions, oldest first, and
 *  its newest re-sealing job (sv_keys_status_json()); no key material. */
void keys_http_status(struct sv_request *rq);

#endif
