/*
 * ctl_status.h: `inspect-ctl status`: which policy file and digest every running component
 * (inspect-bump, inspect-ocsp, srv_inspect processes) enforces, from the status files they
 * write into the state directory (lib/policy_status.h), and whether they all agree.
 * Thread-safety: none (one command per process).
 */
#ifndef CTL_STATUS_H
#define CTL_STATUS_H

int ctl_status_main(int argc, char **argv);

#endif
