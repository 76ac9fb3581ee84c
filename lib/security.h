/*
 * security.h: evaluation of the <security-policy> section of a compiled policy (policy.h).
 * (Milestone 1 declares the action and phase enums; evaluation follows.)
 */
#ifndef SI_SECURITY_H
#define SI_SECURITY_H

enum si_sec_action { SI_SEC_ALLOW = 0, SI_SEC_BLOCK = 1, SI_SEC_MODIFY = 2, SI_SEC_REDIRECT = 3 };
/* Request rules are evaluated in REQMOD; rules with response conditions or response-side
 * modifications in RESPMOD. */
enum si_sec_phase { SI_PHASE_REQUEST = 0, SI_PHASE_RESPONSE = 1 };

const char *si_sec_action_name(enum si_sec_action a); /* "allow" "block" "modify" "redirect" */

#endif
