/*
 * decode.h: Content-Encoding decoding (gzip, deflate) for body rules, with an output cap so a
 * compression bomb cannot exhaust memory.
 *
 * Ownership: *out is malloc'd (free()) on success. Thread-safety: reentrant.
 */
#ifndef SI_DECODE_H
#define SI_DECODE_H

#include <stddef.h>

enum si_encoding { SI_ENC_IDENTITY = 0, SI_ENC_GZIP, SI_ENC_DEFLATE, SI_ENC_UNSUPPORTED };

/* Parses a Content-Encoding header value (NULL or "identity" = SI_ENC_IDENTITY). */
enum si_encoding si_encoding_parse(const char *value);

enum si_decode_rc { SI_DECODE_OK = 0, SI_DECODE_ERROR = -1, SI_DECODE_TOO_LARGE = 1 };

/* Decodes data; deflate accepts both zlib-wrapped and raw streams. */
enum si_decode_rc si_decode(enum si_encoding enc, const unsigned char *data, size_t len,
                            size_t max_out, unsigned char **out, size_t *outlen);

#endif
