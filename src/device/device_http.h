#ifndef SV_DEVICE_DEVICE_HTTP_H
#define SV_DEVICE_DEVICE_HTTP_H

#include "http/http.h"

void device_http_my_devices(struct sv_request *rq);
void device_http_my_device_revoke(struct sv_request *rq);
void device_http_user_devices(struct sv_request *rq);
void device_http_user_device_revoke(struct sv_request *rq);

#endif
