/* GET /admin/keys: see keys_http.h. */
#include "directory/keys_http.h"

#include "app.h"
#include "directory/keys.h"
#include "identity/identity.h"

void
keys_http_status(struct sv_request *rq)
{
    struct sv_key_status st;
    enum sv_err rc =
        sv_keys_status_of(sv_rq_app(rq)->db, sv_rq_session(rq)->tenant_id, &st);

    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_json(rq, 200, sv_keys_status_json(&st, SV_KEY_JSON_API));
}
