/* GET /health: no authentication, nothing but "ok" and the version. */
#include "http/http.h"
#include "http/routes.h"

void
http_health(struct sv_request *rq)
{
    sv_reply_json(
        rq, 200,
        json_pack("{s:s, s:s}", "status", "ok", "version", SV_VERSION));
}
