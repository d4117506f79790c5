/*
 * Shared pieces of the command line: the command table's entry points,
 * strict number parsing, and the usage-error convention (one line naming
 * the problem on stderr, exit status 2).
 */
#ifndef VMM_CLI_CLI_H
#define VMM_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_WEDGED = 3 };

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Prints "vmmsim CMD: message" and returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whole-string unsigned decimal (or 0x hex) parse; false on anything else. */
bool parse_u64(const char *s, uint64_t *out);

const char *vmmsim_commit(void);

#endif
