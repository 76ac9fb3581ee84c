/*
 * bodyscan.h: pure helpers behind the security rules and their verdicts (bodyscan.c):
 * payment-card numbers in a body (body-match type="card"), setting a query parameter
 * (set-query) and replacing text in a body (replace-body).
 *
 * Ownership: returned buffers are new (free()); inputs are only read. Thread-safety: reentrant,
 * no state.
 */
#ifndef SI_BODYSCAN_H
#define SI_BODYSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "security.h"

/*
 * Payment-card numbers in text: runs of 13-19 digits (single spaces, dashes or '+' between
 * digits allowed) starting with 2-6 and passing the Luhn check. Counts up to limit.
 */
unsigned si_count_payment_cards(const unsigned char *data, size_t len, unsigned limit);
bool si_luhn_valid(const char *digits, size_t n);

/*
 * Sets query parameter name=value in the query string query (may be NULL), replacing every
 * existing occurrence or appending. name and value are percent-encoded. Returns a new string
 * (free()) or NULL on allocation failure.
 */
char *si_query_set_param(const char *query, const char *name, const char *value);

/*
 * Applies the replace-body modifications of mods to data. Returns a new buffer (free()) and its
 * length in *outlen, or NULL when nothing was replaced (the body is unchanged).
 */
unsigned char *si_body_replace(const unsigned char *data, size_t len, const struct si_sec_mod *mods,
                               size_t nmods, size_t *outlen);

#endif
