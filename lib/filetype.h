/*
 * filetype.h: file type detection from the first bytes of a body (magic numbers), so that a
 * renamed .exe served as text/plain is still recognised as an executable.
 *
 * Types are bits so a rule can list several. Thread-safety: pure functions.
 */
#ifndef SI_FILETYPE_H
#define SI_FILETYPE_H

#include <stddef.h>

#define SI_FILETYPE_SNIFF_BYTES 512 /* how many leading bytes detection looks at, at most */

/* Returns the bit of a type name ("exe", "msi", "elf", ...), 0 if unknown. */
unsigned si_filetype_from_name(const char *name, size_t len);
/* Name of a single type bit. */
const char *si_filetype_name(unsigned bit);
/* Detects the type of data (len bytes, the start of the body); 0 when none is recognised. */
unsigned si_filetype_detect(const unsigned char *data, size_t len);
/* All known names separated by spaces, for error messages. */
const char *si_filetype_all_names(void);

#endif
