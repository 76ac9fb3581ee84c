/* decode.c: gzip/deflate decoding with zlib; see decode.h. */
#include "decode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

enum si_encoding si_encoding_parse(const char *v)
{
    if (!v)
        return SI_ENC_IDENTITY;
    while (isspace((unsigned char)*v))
        v++;
    if (*v == '\0' || strncasecmp(v, "identity", 8) == 0)
        return SI_ENC_IDENTITY;
    if (strncasecmp(v, "gzip", 4) == 0 || strncasecmp(v, "x-gzip", 6) == 0)
        return SI_ENC_GZIP;
    if (strncasecmp(v, "deflate", 7) == 0)
        return SI_ENC_DEFLATE;
    return SI_ENC_UNSUPPORTED;
}

static enum si_decode_rc inflate_with(int wbits, const unsigned char *data, size_t len,
                                      size_t max_out, unsigned char **out, size_t *outlen)
{
    z_stream z;
    size_t cap = len * 4 + 1024, used = 0;
    unsigned char *buf;
    int zrc = Z_OK;

    if (cap > max_out + 1)
        cap = max_out + 1;
    if (!(buf = malloc(cap)))
        return SI_DECODE_ERROR;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, wbits) != Z_OK) {
        free(buf);
        return SI_DECODE_ERROR;
    }
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    while (zrc != Z_STREAM_END) {
        if (used == cap) {
            if (cap > max_out) {
                inflateEnd(&z);
                free(buf);
                return SI_DECODE_TOO_LARGE;
            }
            size_t ncap = cap * 2 > max_out + 1 ? max_out + 1 : cap * 2;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb)
                break;
            buf = nb;
            cap = ncap;
        }
        z.next_out = buf + used;
        z.avail_out = (uInt)(cap - used);
        zrc = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
        if (zrc != Z_OK && zrc != Z_STREAM_END)
            break;
        if (zrc == Z_OK && z.avail_in == 0 && z.avail_out > 0)
            break; /* truncated stream */
    }
    inflateEnd(&z);
    if (zrc != Z_STREAM_END || used > max_out) {
        free(buf);
        return used > max_out ? SI_DECODE_TOO_LARGE : SI_DECODE_ERROR;
    }
    *out = buf;
    *outlen = used;
    return SI_DECODE_OK;
}

enum si_decode_rc si_decode(enum si_encoding enc, const unsigned char *data, size_t len,
                            size_t max_out, unsigned char **out, size_t *outlen)
{
    if (enc == SI_ENC_GZIP)
        return inflate_with(15 + 16, data, len, max_out, out, outlen);
    if (enc == SI_ENC_DEFLATE) {
        enum si_decode_rc rc = inflate_with(15, data, len, max_out, out, outlen);
        return rc == SI_DECODE_ERROR ? inflate_with(-15, data, len, max_out, out, outlen) : rc;
    }
    return SI_DECODE_ERROR;
}
