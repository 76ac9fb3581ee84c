/*
 * ctl_ca.h: `inspect-ctl ca init`, creation of the inspection CA that Squid signs forged
 * certificates with.
 *
 * DIR defaults to the configured directory (SI_CONFDIR, /etc/squid-inspect) and is created
 * with mode 0750 when missing. One tier (default): DIR/ca.pem (CA:TRUE, pathlen 0) and DIR/ca.key. Two tiers (--two-tier):
 * DIR/root.pem + DIR/root.key (CA:TRUE, pathlen 1; keep it offline) and an issuing CA in
 * DIR/ca.pem (issuing certificate followed by the root) + DIR/ca.key. Keys are unencrypted
 * PKCS#8 PEM created with mode 0600 (O_EXCL: an existing file is never overwritten unless
 * `force` is set). Optional name constraints exclude the organisation's internal domains and
 * networks, so a stolen inspection CA cannot impersonate them.
 *
 * Ownership: ctl_ca_create() allocates nothing the caller must free.
 * Thread-safety: none needed (one call per process).
 */
#ifndef CTL_CA_H
#define CTL_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CTL_CA_MAX_EXCLUDES 64

enum ctl_ca_keytype { CTL_CA_KEY_EC_P256, CTL_CA_KEY_EC_P384, CTL_CA_KEY_RSA };

struct ctl_ca_opts {
    const char *dir;               /* output directory (created 0750 when missing) */
    const char *squid_user;        /* Squid's cache_effective_user: owns ca.key ("proxy") */
    const char *reader_group;      /* c-icap's Group: reads DIR and the policy ("c-icap") */
    const char *common_name;       /* CN of the issuing (or only) CA */
    const char *organization;      /* O=, may be NULL */
    enum ctl_ca_keytype keytype;
    int rsa_bits;                  /* 2048..8192 when keytype is RSA */
    int days;                      /* validity of the issuing (or only) CA, 1..3650 */
    int root_days;                 /* validity of the root with two_tier, 1..7300 */
    bool two_tier;
    bool force;                    /* replace existing files */
    const char *exclude_dns[CTL_CA_MAX_EXCLUDES]; /* "corp.example" or ".corp.example" */
    size_t n_exclude_dns;
    const char *exclude_ip[CTL_CA_MAX_EXCLUDES];  /* CIDR, e.g. "10.0.0.0/8" or "fd00::/8" */
    size_t n_exclude_ip;
};

void ctl_ca_opts_default(struct ctl_ca_opts *o);

/* ctl_ca_perms.c: creates a missing dir with mode 0750 (*created tells); -1 with err if dir
 * is not a directory or cannot be created. */
int ctl_ca_prepare_dir(const char *dir, bool *created, char *err, size_t errsize);
/* As root: a dir it created becomes root:reader_group, ca.key squid_user's; prints, as
 * squid.conf comments, the ownership and modes of the layout and the commands still to run
 * (dir: the directory's name as printed). */
void ctl_ca_set_owners(const struct ctl_ca_opts *o, const char *dir, bool created, FILE *out);

/* Creates the files; on success prints the squid.conf lines to `out` and returns 0. */
int ctl_ca_create(const struct ctl_ca_opts *o, FILE *out, char *err, size_t errsize);

/* `inspect-ctl ca ...` entry point: argv[0] is "ca". Returns the process exit status. */
int ctl_ca_main(int argc, char **argv);

#endif
