/* GET /health: no authentication, nothing but "ok": not the version, which
 * would tell a stranger which known bugs to try (`salesvault version` says
 * it on the host). */
#include "http/http.h"
#include "http/routes.h"

void
http_health(struct sv_request *rq)
{
    sv_reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}
