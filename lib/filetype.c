/* filetype.c: magic-number detection; see filetype.h. */
#include "filetype.h"

#include <string.h>

struct magic {
    const char *name;
    size_t offset;
    size_t len;
    const char *bytes;
};

/* Order matters: the first match wins (msi before other OLE uses, zip before office etc.). */
static const struct magic magics[] = {
    {"exe", 0, 2, "MZ"},
    {"elf", 0, 4, "\x7f" "ELF"},
    {"msi", 0, 8, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"},
    {"zip", 0, 4, "PK\x03\x04"},
    {"gzip", 0, 2, "\x1f\x8b"},
    {"bzip2", 0, 3, "BZh"},
    {"xz", 0, 6, "\xfd" "7zXZ\x00"},
    {"7z", 0, 6, "7z\xbc\xaf\x27\x1c"},
    {"rar", 0, 6, "Rar!\x1a\x07"},
    {"pdf", 0, 5, "%PDF-"},
    {"png", 0, 8, "\x89PNG\r\n\x1a\n"},
    {"jpeg", 0, 3, "\xff\xd8\xff"},
    {"gif", 0, 4, "GIF8"},
    {"macho", 0, 4, "\xcf\xfa\xed\xfe"},
    {"macho", 0, 4, "\xce\xfa\xed\xfe"},
    {"class", 0, 4, "\xca\xfe\xba\xbe"},
    {"script", 0, 2, "#!"},
};
#define NMAGIC (sizeof(magics) / sizeof(magics[0]))

/* Distinct names in the order of their bits. */
static const char *const names[] = {"exe", "elf", "msi", "zip", "gzip", "bzip2", "xz", "7z",
                                    "rar", "pdf", "png", "jpeg", "gif", "macho", "class",
                                    "script"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

unsigned si_filetype_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return 1u << i;
    return 0;
}

const char *si_filetype_name(unsigned bit)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (bit == 1u << i)
            return names[i];
    return "unknown";
}

unsigned si_filetype_detect(const unsigned char *data, size_t len)
{
    if (!data)
        return 0;
    for (size_t i = 0; i < NMAGIC; i++) {
        const struct magic *m = &magics[i];
        if (len >= m->offset + m->len && memcmp(data + m->offset, m->bytes, m->len) == 0)
            return si_filetype_from_name(m->name, strlen(m->name));
    }
    return 0;
}

const char *si_filetype_all_names(void)
{
    return "exe elf msi zip gzip bzip2 xz 7z rar pdf png jpeg gif macho class script";
}
