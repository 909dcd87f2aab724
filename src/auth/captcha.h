/*
 * Image CAPTCHA (AUTH-4): a PNG drawn with libgd (distorted glyphs, noise,
 * lines), and the answer handling. The answer is never stored: only a keyed
 * hash bound to the challenge it belongs to.
 */
#ifndef SV_AUTH_CAPTCHA_H
#define SV_AUTH_CAPTCHA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SV_CAPTCHA_LEN 6 /* characters, from an unambiguous alphabet */
#define SV_CAPTCHA_HASH_LEN 32
#define SV_CAPTCHA_WIDTH 200 /* PNG size in pixels, for <img> attributes */
#define SV_CAPTCHA_HEIGHT 70

/**
 * Draw a new CAPTCHA: a random answer (upper case, NUL-terminated) and its
 * PNG (malloc'd; the caller frees it with free()).
 */
SV_MUST_CHECK enum sv_err sv_captcha_draw(char answer[SV_CAPTCHA_LEN + 1],
                                          unsigned char **png, size_t *png_len);

/**
 * What a person typed → the canonical answer: spaces dropped, upper-cased,
 * look-alikes folded (0→O etc. as the alphabet needs). False when it cannot
 * be an answer (wrong length, other characters).
 */
bool sv_captcha_normalise(const char *typed, char out[SV_CAPTCHA_LEN + 1]);

/** Keyed BLAKE2b of (challenge id, canonical answer): what is stored. */
void sv_captcha_hash(const uint8_t key[32], const char *challenge_id,
                     const char *answer, uint8_t out[SV_CAPTCHA_HASH_LEN]);

/** Normalise @p typed and compare with @p stored in constant time. */
bool sv_captcha_check(const uint8_t key[32], const char *challenge_id,
                      const char *typed,
                      const uint8_t stored[SV_CAPTCHA_HASH_LEN]);

#endif
