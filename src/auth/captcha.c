#include "auth/captcha.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gd.h>
#include <gdfontg.h>
#include <sodium.h>

#include "auth/png.h"

/*
 * 24 characters that survive distortion without being mistaken for one
 * another. Of each confusable group at most one is kept: D (not 0/O/Q),
 * G (not 6), 8 (not B); none of 1/I/L, 2/Z, 5/S. What a person may type
 * for a kept character is folded in FOLDS below; the rest is refused.
 */
static const char ALPHABET[] = "ACDEFGHJKMNPRTUVWXY34789";
#define ALPHABET_LEN (sizeof ALPHABET - 1)

/* Typed look-alike → the alphabet character it must have been. */
static const char FOLDS[][2] = {
    {'0', 'D'}, {'O', 'D'}, {'Q', 'D'}, {'6', 'G'}, {'B', '8'},
};

/* Bold faces read best when bent; one is picked per glyph. */
static const char *const FONTS[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
};
#define N_FONTS (sizeof FONTS / sizeof FONTS[0])

static const char DOMAIN_TAG[] = "sv-captcha-v1";

static pthread_once_t font_cache_once = PTHREAD_ONCE_INIT;

static void
font_cache_setup(void)
{
    /* gd sets the cache up lazily and racily otherwise (gd.h). */
    (void)gdFontCacheSetup();
}

static int
rnd(uint32_t n)
{
    return (int)randombytes_uniform(n);
}

/** Uniform in [lo, hi). */
static double
rnd_real(double lo, double hi)
{
    return lo + (hi - lo) * (double)randombytes_uniform(1000000) / 1e6;
}

static int
ink_colour(void)
{
    /* Dark, mildly tinted: readable on the light background. */
    return gdTrueColor(20 + rnd(90), 20 + rnd(90), 40 + rnd(110));
}

/**
 * Draw @p c centred on (cx, cy) with gd's built-in Giant font scaled up
 * and rotated: the fallback when FreeType cannot render.
 */
static void
draw_glyph_builtin(gdImagePtr im, char c, int cx, int cy, int colour)
{
    gdFontPtr f = gdFontGetGiant();
    int w = f->w, h = f->h;
    int sw = w * 5 / 2, sh = h * 5 / 2;
    gdImagePtr small = gdImageCreateTrueColor(w, h);
    gdImagePtr big = gdImageCreateTrueColor(sw, sh);

    if (small == NULL || big == NULL)
        goto cleanup;
    gdImageAlphaBlending(small, 0);
    gdImageAlphaBlending(big, 0);
    gdImageSaveAlpha(big, 1);
    gdImageFilledRectangle(small, 0, 0, w - 1, h - 1,
                           gdTrueColorAlpha(255, 255, 255, gdAlphaTransparent));
    gdImageFilledRectangle(big, 0, 0, sw - 1, sh - 1,
                           gdTrueColorAlpha(255, 255, 255, gdAlphaTransparent));
    gdImageChar(small, f, 0, 0, (unsigned char)c, colour);
    gdImageCopyResampled(big, small, 0, 0, 0, 0, sw, sh, w, h);
    gdImageAlphaBlending(im, 1);
    gdImageCopyRotated(im, big, cx, cy, 0, 0, sw, sh, rnd(51) - 25);
cleanup:
    if (small != NULL)
        gdImageDestroy(small);
    if (big != NULL)
        gdImageDestroy(big);
}

/** One glyph with a random face, size and angle, centred on (cx, cy). */
static void
draw_glyph(gdImagePtr im, char c, int cx, int cy)
{
    char s[2] = {c, '\0'};
    const char *font = FONTS[rnd(N_FONTS)];
    double pt = rnd_real(24.0, 29.0);
    double angle = rnd_real(-0.42, 0.42); /* radians, about ±24° */
    int colour = ink_colour();
    int br[8];
    int mx, my;

    /* Measure first (im NULL), so the rotated box is centred on the cell. */
    if (gdImageStringFT(NULL, br, colour, font, pt, angle, 0, 0, s) != NULL) {
        draw_glyph_builtin(im, c, cx, cy, colour);
        return;
    }
    mx = (br[0] + br[2] + br[4] + br[6]) / 4;
    my = (br[1] + br[3] + br[5] + br[7]) / 4;
    if (gdImageStringFT(im, br, colour, font, pt, angle, cx - mx, cy - my, s) !=
        NULL)
        draw_glyph_builtin(im, c, cx, cy, colour);
}

/** Lines and arcs through the text band, before the warp bends them. */
static void
draw_strokes(gdImagePtr im)
{
    int n_lines = 2 + rnd(2), n_arcs = 1 + rnd(2);

    for (int i = 0; i < n_lines; i++) {
        gdImageSetThickness(im, 1 + rnd(2));
        gdImageLine(im, rnd(20), 10 + rnd(SV_CAPTCHA_HEIGHT - 20),
                    SV_CAPTCHA_WIDTH - 1 - rnd(20),
                    10 + rnd(SV_CAPTCHA_HEIGHT - 20), ink_colour());
    }
    for (int i = 0; i < n_arcs; i++) {
        int w = 80 + rnd(140), h = 30 + rnd(60), s = rnd(360);

        gdImageSetThickness(im, 2);
        gdImageArc(im, 30 + rnd(SV_CAPTCHA_WIDTH - 60),
                   15 + rnd(SV_CAPTCHA_HEIGHT - 30), w, h, s, s + 90 + rnd(120),
                   ink_colour());
    }
    gdImageSetThickness(im, 1);
}

/**
 * Sine warp of @p src into a new image: each row shifts sideways and each
 * column up and down, with random amplitude, period and phase.
 */
static gdImagePtr
warp(gdImagePtr src, int bg)
{
    gdImagePtr dst =
        gdImageCreateTrueColor(SV_CAPTCHA_WIDTH, SV_CAPTCHA_HEIGHT);
    double ax = rnd_real(1.5, 2.5), px = rnd_real(40.0, 60.0);
    double ay = rnd_real(3.0, 5.5), py = rnd_real(70.0, 130.0);
    double phx = rnd_real(0.0, 2 * M_PI), phy = rnd_real(0.0, 2 * M_PI);

    if (dst == NULL)
        return NULL;
    for (int y = 0; y < SV_CAPTCHA_HEIGHT; y++) {
        for (int x = 0; x < SV_CAPTCHA_WIDTH; x++) {
            int sx = x + (int)lround(ax * sin(2 * M_PI * y / px + phx));
            int sy = y + (int)lround(ay * sin(2 * M_PI * x / py + phy));
            int c = bg;

            if (sx >= 0 && sx < SV_CAPTCHA_WIDTH && sy >= 0 &&
                sy < SV_CAPTCHA_HEIGHT)
                c = gdImageTrueColorPixel(src, sx, sy);
            gdImageSetPixel(dst, x, y, c);
        }
    }
    return dst;
}

/** Speckles of varied colour, some as dark as the ink, over everything. */
static void
draw_noise(gdImagePtr im)
{
    int n = 450 + rnd(150);

    for (int i = 0; i < n; i++) {
        int x = rnd(SV_CAPTCHA_WIDTH), y = rnd(SV_CAPTCHA_HEIGHT);
        int c = rnd(3) == 0 ? ink_colour()
                            : gdTrueColor(110 + rnd(120), 110 + rnd(120),
                                          110 + rnd(120));

        gdImageSetPixel(im, x, y, c);
        if (rnd(4) == 0 && x + 1 < SV_CAPTCHA_WIDTH)
            gdImageSetPixel(im, x + 1, y, c);
    }
}

enum sv_err
sv_captcha_draw(char answer[SV_CAPTCHA_LEN + 1], unsigned char **png,
                size_t *png_len)
{
    gdImagePtr canvas = NULL, warped = NULL;
    int bg, cell;
    enum sv_err rc = SV_E_INTERNAL;

    *png = NULL;
    *png_len = 0;
    (void)pthread_once(&font_cache_once, font_cache_setup);
    for (int i = 0; i < SV_CAPTCHA_LEN; i++)
        answer[i] = ALPHABET[rnd(ALPHABET_LEN)];
    answer[SV_CAPTCHA_LEN] = '\0';

    canvas = gdImageCreateTrueColor(SV_CAPTCHA_WIDTH, SV_CAPTCHA_HEIGHT);
    if (canvas == NULL)
        goto cleanup;
    bg = gdTrueColor(225 + rnd(31), 225 + rnd(31), 225 + rnd(31));
    gdImageFilledRectangle(canvas, 0, 0, SV_CAPTCHA_WIDTH - 1,
                           SV_CAPTCHA_HEIGHT - 1, bg);
    cell = (SV_CAPTCHA_WIDTH - 24) / SV_CAPTCHA_LEN;
    for (int i = 0; i < SV_CAPTCHA_LEN; i++)
        draw_glyph(canvas, answer[i], 12 + cell * i + cell / 2 + rnd(5) - 2,
                   SV_CAPTCHA_HEIGHT / 2 + rnd(11) - 5);
    draw_strokes(canvas);
    warped = warp(canvas, bg);
    if (warped == NULL)
        goto cleanup;
    draw_noise(warped);

    rc = sv_png_encode(warped, png, png_len);
cleanup:
    if (warped != NULL)
        gdImageDestroy(warped);
    if (canvas != NULL)
        gdImageDestroy(canvas);
    if (rc != SV_OK)
        sodium_memzero(answer, SV_CAPTCHA_LEN + 1);
    return rc;
}

bool
sv_captcha_normalise(const char *typed, char out[SV_CAPTCHA_LEN + 1])
{
    char buf[SV_CAPTCHA_LEN + 1];
    size_t n = 0;
    bool ok = false;

    for (const char *p = typed; *p != '\0'; p++) {
        char c = *p;

        if (c == ' ' || c == '\t')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        for (size_t i = 0; i < sizeof FOLDS / sizeof FOLDS[0]; i++)
            if (c == FOLDS[i][0])
                c = FOLDS[i][1];
        if (c == '\0' || strchr(ALPHABET, c) == NULL || n == SV_CAPTCHA_LEN)
            goto cleanup;
        buf[n++] = c;
    }
    if (n != SV_CAPTCHA_LEN)
        goto cleanup;
    buf[n] = '\0';
    memcpy(out, buf, sizeof buf);
    ok = true;
cleanup:
    sodium_memzero(buf, sizeof buf);
    return ok;
}

void
sv_captcha_hash(const uint8_t key[32], const char *challenge_id,
                const char *answer, uint8_t out[SV_CAPTCHA_HASH_LEN])
{
    crypto_generichash_state st;
    static const uint8_t zero = 0;

    /* The fixed-length tag needs no separator; the id is followed by a
     * NUL so (id, answer) pairs cannot run into each other. */
    crypto_generichash_init(&st, key, 32, SV_CAPTCHA_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)DOMAIN_TAG,
                              sizeof DOMAIN_TAG - 1);
    crypto_generichash_update(&st, (const uint8_t *)challenge_id,
                              strlen(challenge_id));
    crypto_generichash_update(&st, &zero, 1);
    crypto_generichash_update(&st, (const uint8_t *)answer, strlen(answer));
    crypto_generichash_final(&st, out, SV_CAPTCHA_HASH_LEN);
    sodium_memzero(&st, sizeof st);
}

bool
sv_captcha_check(const uint8_t key[32], const char *challenge_id,
                 const char *typed, const uint8_t stored[SV_CAPTCHA_HASH_LEN])
{
    char canon[SV_CAPTCHA_LEN + 1];
    uint8_t h[SV_CAPTCHA_HASH_LEN];
    bool ok = false;

    if (sv_captcha_normalise(typed, canon)) {
        sv_captcha_hash(key, challenge_id, canon, h);
        ok = sodium_memcmp(h, stored, sizeof h) == 0;
    }
    sodium_memzero(canon, sizeof canon);
    sodium_memzero(h, sizeof h);
    return ok;
}
