/*
 * A small JSON reader (RFC 8259) for the files vmmsim writes itself: the
 * run summaries that `vmmsim matrix` collects from its workers. It builds
 * a tree in one pass; numbers keep their literal text as well, so 64-bit
 * counters come back exact rather than through a double.
 */
#ifndef VMM_CLI_JSONREAD_H
#define VMM_CLI_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	char *str;		/* JV_STR: the decoded text; JV_NUM: the literal */
	char *key;		/* member name, when the value sits in an object */
	struct jv *kids;	/* members (JV_OBJ) or elements (JV_ARR), in order */
	size_t n;
};

/* NULL with "line N: reason" in err on malformed input. */
struct jv *jv_parse(const char *text, char *err, size_t errlen);
/* As jv_parse, of a whole file; err names the file. */
struct jv *jv_parse_file(const char *path, char *err, size_t errlen);
void jv_free(struct jv *v);

/* The member named key of an object, or NULL (also when v is NULL or not
 * an object), so lookups chain without checks in between. */
const struct jv *jv_get(const struct jv *v, const char *key);
double jv_num(const struct jv *v, double dflt);
/* An integral number exactly (from its literal); dflt otherwise. */
uint64_t jv_u64(const struct jv *v, uint64_t dflt);
/* The string, or NULL when v is not a string. */
const char *jv_str(const struct jv *v);
bool jv_bool(const struct jv *v, bool dflt);

#endif
