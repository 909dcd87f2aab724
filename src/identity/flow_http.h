/* Handlers of the login flow, devices and approvals. */
#ifndef SV_IDENTITY_FLOW_HTTP_H
#define SV_IDENTITY_FLOW_HTTP_H

#include "http/http.h"

void flow_http_captcha_image(struct sv_request *rq);
void flow_http_captcha(struct sv_request *rq);
void flow_http_totp(struct sv_request *rq);
void flow_http_sms_send(struct sv_request *rq);
void flow_http_sms_verify(struct sv_request *rq);
void flow_http_approval(struct sv_request *rq);
void flow_http_qr(struct sv_request *rq);
void flow_http_wait(struct sv_request *rq);

void flow_http_approvals_list(struct sv_request *rq);
void flow_http_approvals_scan(struct sv_request *rq);
void flow_http_approvals_decide(struct sv_request *rq);

void flow_http_my_devices(struct sv_request *rq);
void flow_http_my_device_revoke(struct sv_request *rq);
void flow_http_user_devices(struct sv_request *rq);
void flow_http_user_device_revoke(struct sv_request *rq);

struct sv_outcome;
/** Answer a login or a completed step: a session or a challenge. */
void flow_http_reply_outcome(struct sv_request *rq, struct sv_outcome *o);

/**
 * Read the client's device from the login body's "device" object (and
 * the sv_device cookie), checking a mobile/CLI login's signature.
 * Replies itself and returns false on error.
 */
struct sv_client;
bool flow_http_client(struct sv_request *rq, const json_t *device,
                      struct sv_client *cl);

#endif
