/*
 * inspect_apply.h: the functions that turn a verdict into ICAP/HTTP changes and a log line
 * (private to srv_inspect; the transaction state, struct sv_txn, is in inspect_txn.h).
 * Thread-safety: as inspect_txn.h (one worker thread per txn).
 */
#ifndef INSPECT_APPLY_H
#define INSPECT_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "inspect_txn.h"
#include "security.h"

bool sv_verdict_has_body_mods(const struct si_sec_verdict *v);
void sv_apply_page(struct sv_txn *t);
void sv_apply_header_mods(struct sv_txn *t);
/* data/len: the (decoded when was_decoded) complete body the verdict was taken on. */
void sv_apply_body_mods(struct sv_txn *t, const unsigned char *data, size_t len, bool was_decoded);
void sv_log_decision(struct sv_txn *t);

#endif
