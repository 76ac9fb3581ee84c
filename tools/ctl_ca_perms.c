/*
 * ctl_ca_perms.c: the directory `inspect-ctl ca init` writes into and who may read it (see
 * ctl_ca.h). On Debian, Squid and its helpers run as proxy (with proxy's supplementary
 * groups: Squid calls initgroups) and c-icap as user c-icap with only its configured Group
 * c-icap (it drops supplementary groups). So the layout is: DIR root:c-icap 0750, the policy
 * root:c-icap 0640, proxy a member of group c-icap, ca.key owned by proxy, mode 0600.
 */
#include "ctl_ca.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ctl_ca_prepare_dir(const char *dir, bool *created, char *err, size_t errsize)
{
    struct stat st;

    *created = false;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        snprintf(err, errsize, "output directory %s is not a directory", dir);
        return -1;
    }
    if (errno != ENOENT || mkdir(dir, 0750) < 0 || chmod(dir, 0750) < 0) {
        snprintf(err, errsize, "cannot create output directory %s: %s", dir, strerror(errno));
        return -1;
    }
    *created = true;
    return 0;
}

/* chown path to uid:gid as root; returns "done" or "run", for the printed line. */
static const char *own(const char *path, uid_t uid, gid_t gid, bool may)
{
    return may && chown(path, uid, gid) == 0 ? "done" : "run";
}

void ctl_ca_set_owners(const struct ctl_ca_opts *o, const char *dir, bool created, FILE *out)
{
    const struct passwd *pw = getpwnam(o->squid_user);
    uid_t squid_uid = pw ? pw->pw_uid : (uid_t)-1;
    gid_t squid_gid = pw ? pw->pw_gid : (gid_t)-1;
    const struct group *gr = getgrnam(o->reader_group);
    bool root = geteuid() == 0;
    char key[4096];

    snprintf(key, sizeof(key), "%s/ca.key", o->dir);
    fprintf(out, "# Squid and its helpers run as %s, c-icap with the group %s; both read %s.\n",
            o->squid_user, o->reader_group, dir);
    if (created)
        fprintf(out, "# %s: root:%s, mode 0750 (%s: chown root:%s %s)\n", dir, o->reader_group,
                own(o->dir, 0, gr ? gr->gr_gid : (gid_t)-1, root && gr), o->reader_group, dir);
    else
        fprintf(out, "# %s existed: make it root:%s, mode 0750 (run: chown root:%s %s && "
                "chmod 0750 %s)\n", dir, o->reader_group, o->reader_group, dir, dir);
    fprintf(out, "# ca.key: %s, mode 0600; Squid reads it as %s (%s: chown %s: %s/ca.key)\n",
            o->squid_user, o->squid_user, own(key, squid_uid, squid_gid, root && pw),
            o->squid_user, dir);
    fprintf(out, "# The policy (and its lists), root:%s mode 0640:\n"
                 "#   install -o root -g %s -m 0640 policy.xml %s/policy.xml\n"
                 "# Squid's helpers read it through the group (run once, then restart squid):\n"
                 "#   usermod -a -G %s %s\n",
            o->reader_group, o->reader_group, dir, o->reader_group, o->squid_user);
}
