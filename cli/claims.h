/*
 * The lecture's claims (Rosenblum, CS 140 "Virtual Machine Monitors"),
 * each checked against measured results: what each claim needs run
 * (claims_needs), and its verdict from the rows of that matrix plus the
 * host reference measurement (claims_evaluate). Pure functions of their
 * input, so they can be tested on synthetic rows; `vmmsim report` runs
 * the experiments and writes the table.
 *
 * Verdicts: PASS and FAIL from measured numbers only; N/A only while a
 * strategy a claim needs does not exist in this build (the lookup
 * function says so), naming it.
 */
#ifndef VMM_CLI_CLAIMS_H
#define VMM_CLI_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/matrix.h"

struct strategy;

enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_NA };

/* C1's reference: the compute workload's algorithm as a host process. */
struct host_ref {
	bool ran;		/* measured: the numbers below hold */
	char what[1024];	/* the program and how it was built, or why it did not run */
	char cmd[400];		/* how to run it by hand */
	unsigned rounds;	/* the rounds it ran (the guest's) */
	double seconds;		/* fastest of reps runs */
	unsigned reps;
	char output[1024];	/* its result lines, to compare with the guest's */
};

struct claim_input {
	const struct mx_row *rows;
	size_t n;
	const char *cost;		/* cost model name the rows were run with */
	const char *cost_arg;		/* as the user gave it, for commands */
	unsigned disk_mib;		/* scratch disk size for disk workloads */
	const struct host_ref *host;
	/* strategy_find, or a stand-in in tests */
	const struct strategy *(*find)(const char *name);
};

struct claim_need {
	const char *workload, *strategy, *isa;
};

#define CLAIM_TEXT 1400

struct claim_result {
	const char *id;
	const char *claim;	/* quoting the lecture */
	char experiment[CLAIM_TEXT];	/* workloads, strategies, cost model, method */
	char measured[CLAIM_TEXT];
	char expected[600];
	char commands[CLAIM_TEXT];	/* vmmsim commands that rerun it, one per line */
	enum verdict verdict;
	char why[600];		/* what decided the verdict */
};

#define CLAIMS_MAX 16

/* The runs every claim needs, for the strategies find() knows; returns
 * how many were written (at most max). */
size_t claims_needs(struct claim_need *out, size_t max,
		    const struct strategy *(*find)(const char *name));
/* One result per claim, in order; returns how many. */
size_t claims_evaluate(const struct claim_input *in, struct claim_result *out, size_t max);
const char *verdict_name(enum verdict v);

/* The band C1 accepts (host slowdown of complete simulation). */
#define C1_LOW 10.0
#define C1_HIGH 1000.0
/* C2: an I/O-bound run under complete simulation stays below this. */
#define C2_MAX 2.0
/* C3: at most this share of guest instructions may exit. */
#define C3_MAX_SHARE 0.05

#endif
