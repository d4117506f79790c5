/*
 * A small streaming JSON writer for results files: objects, arrays,
 * strings (escaped per RFC 8259), integers, doubles and booleans, with
 * commas and indentation handled here so callers only say what to write.
 */
#ifndef VMM_MON_JSON_H
#define VMM_MON_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool first[32];
};

void json_begin(struct json *j, FILE *f);
void json_end(struct json *j);	/* final newline */
void json_obj(struct json *j, const char *key);	/* key may be NULL in arrays */
void json_obj_end(struct json *j);
void json_arr(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *v);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_dbl(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* Writes s as a JSON string literal (with quotes). */
void json_write_string(FILE *f, const char *s);

#endif
