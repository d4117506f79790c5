/*
 * Inside the claim checker (claims.c, claims_x86.c): the claim table's
 * entry and the helpers the evaluations share. Not for other callers;
 * claims.h is the interface.
 */
#ifndef VMM_CLI_CLAIMS_IMPL_H
#define VMM_CLI_CLAIMS_IMPL_H

#include "cli/claims.h"

#define CLAIM_NEEDS 10

struct claim_def {
	const char *id;
	const char *claim;			/* the lecture's words */
	const char *requires[3];		/* strategies it cannot do without */
	struct claim_need needs[CLAIM_NEEDS];	/* runs it reads (natives are implied) */
	const char *experiment;
	const char *expected;
	/* Fills measured and why, sets the verdict; starts from FAIL. */
	void (*eval)(const struct claim_input *in, struct claim_result *r);
};

const struct claim_def *claim_defs_x86(size_t *n);

void claim_addf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The row of workload w under strategy s and ISA isa, for the input's
 * cost model; NULL when the matrix has none. */
const struct mx_row *claim_row(const struct claim_input *in, const char *w, const char *s,
			       const char *isa);
/* A row fit to judge: present and (need_ok) status ok, or at least with a
 * result; otherwise says why in res->why. */
bool claim_usable(const struct mx_row *r, const char *w, const char *s, bool need_ok,
		  struct claim_result *res);
/* The first line of the row's guest output that starts with prefix. */
bool claim_line(const struct mx_row *r, const char *prefix, char *out, size_t len);
/* The unsigned number right after prefix on such a line. */
bool claim_uint_after(const struct mx_row *r, const char *prefix, unsigned *v);

#endif
