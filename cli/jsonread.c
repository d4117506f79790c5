/*
 * JSON reader; see jsonread.h. A recursive-descent parser over the whole
 * text, depth-limited so that a hostile file cannot exhaust the stack.
 * Strings are decoded (escapes, \u with surrogate pairs, to UTF-8);
 * anything RFC 8259 does not allow is an error naming the line.
 */
#include "cli/jsonread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
	const char *s, *start;
	char *err;
	size_t errlen;
	bool failed;
};

static bool fail(struct parser *p, const char *what)
{
	if (!p->failed) {
		unsigned line = 1;
		for (const char *c = p->start; c < p->s; c++)
			line += *c == '\n';
		snprintf(p->err, p->errlen, "line %u: %s", line, what);
	}
	p->failed = true;
	return false;
}

static void skip_ws(struct parser *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static bool add_kid(struct parser *p, struct jv *v, size_t *cap)
{
	if (v->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct jv *k = realloc(v->kids, ncap * sizeof(*k));
		if (!k)
			return fail(p, "out of memory");
		v->kids = k;
		*cap = ncap;
	}
	memset(&v->kids[v->n++], 0, sizeof(struct jv));
	return true;
}

static int hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote; the decoded text is never longer than the source. */
static char *parse_string(struct parser *p)
{
	const char *s = ++p->s;
	size_t n = 0;

	while (s[n] && s[n] != '"')
		n += s[n] == '\\' && s[n + 1] ? 2 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	for (;;) {
		unsigned char c = (unsigned char)*p->s;
		if (c == '"') {
			p->s++;
			*o = 0;
			return out;
		}
		if (c < 0x20) {
			fail(p, c ? "control character in a string" : "unterminated string");
			free(out);
			return NULL;
		}
		p->s++;
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = (unsigned char)*p->s++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = (char)c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int cp = hex4(p->s);
			if (cp < 0)
				goto bad;
			p->s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p->s[0] == '\\' && p->s[1] == 'u') {
				int lo = hex4(p->s + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p->s += 6;
				}
			}
			o += put_utf8(o, (unsigned)cp);
			break;
		}
		default:
			goto bad;
		}
	}
bad:
	fail(p, "bad escape in a string");
	free(out);
	return NULL;
}

static bool parse_number(struct parser *p, struct jv *v)
{
	const char *s = p->s;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return fail(p, "bad number");
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return fail(p, "bad number");
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return fail(p, "bad number");
		while (*s >= '0' && *s <= '9')
			s++;
	}
	v->type = JV_NUM;
	v->str = strndup(p->s, (size_t)(s - p->s));
	if (!v->str)
		return fail(p, "out of memory");
	v->num = strtod(v->str, NULL);
	p->s = s;
	return true;
}

static bool parse_value(struct parser *p, struct jv *v, int depth);

static bool parse_container(struct parser *p, struct jv *v, int depth, char close)
{
	size_t cap = 0;

	v->type = close == '}' ? JV_OBJ : JV_ARR;
	p->s++;
	skip_ws(p);
	if (*p->s == close) {
		p->s++;
		return true;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(p);
		if (close == '}') {
			if (*p->s != '"')
				return fail(p, "expected a member name");
			if (!(key = parse_string(p)))
				return false;
			skip_ws(p);
			if (*p->s != ':') {
				free(key);
				return fail(p, "expected ':'");
			}
			p->s++;
		}
		if (!add_kid(p, v, &cap)) {
			free(key);
			return false;
		}
		v->kids[v->n - 1].key = key;
		if (!parse_value(p, &v->kids[v->n - 1], depth + 1))
			return false;
		skip_ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s == close) {
			p->s++;
			return true;
		}
		return fail(p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static bool literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(p->s, word, n))
		return fail(p, "unexpected character");
	p->s += n;
	return true;
}

static bool parse_value(struct parser *p, struct jv *v, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(p, "nested too deeply");
	skip_ws(p);
	switch (*p->s) {
	case '{': return parse_container(p, v, depth, '}');
	case '[': return parse_container(p, v, depth, ']');
	case '"':
		v->type = JV_STR;
		return (v->str = parse_string(p)) != NULL;
	case 't': v->type = JV_BOOL; v->b = true; return literal(p, "true");
	case 'f': v->type = JV_BOOL; return literal(p, "false");
	case 'n': v->type = JV_NULL; return literal(p, "null");
	case 0: return fail(p, "unexpected end of input");
	default: return parse_number(p, v);
	}
}

static void jv_free_kids(struct jv *v)
{
	for (size_t k = 0; k < v->n; k++)
		jv_free_kids(&v->kids[k]);
	free(v->kids);
	free(v->str);
	free(v->key);
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	jv_free_kids(v);
	free(v);
}

struct jv *jv_parse(const char *text, char *err, size_t errlen)
{
	struct parser p = { .s = text, .start = text, .err = err, .errlen = errlen };
	struct jv *v = calloc(1, sizeof(*v));

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_value(&p, v, 0)) {
		skip_ws(&p);
		if (!*p.s)
			return v;
		fail(&p, "text after the value");
	}
	jv_free(v);
	return NULL;
}

struct jv *jv_parse_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL, msg[160];
	size_t len = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	FILE *m = open_memstream(&text, &len);
	char buf[65536];
	size_t n;
	while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	fclose(f);
	if (!m) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	fclose(m);
	if (!len) {
		snprintf(err, errlen, "%s: empty", path);
		free(text);
		return NULL;
	}
	struct jv *v = jv_parse(text, msg, sizeof(msg));
	if (!v)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(text);
	return v;
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJ)
		return NULL;
	for (size_t k = 0; k < v->n; k++)
		if (!strcmp(v->kids[k].key, key))
			return &v->kids[k];
	return NULL;
}

double jv_num(const struct jv *v, double dflt)
{
	return v && v->type == JV_NUM ? v->num : dflt;
}

uint64_t jv_u64(const struct jv *v, uint64_t dflt)
{
	char *end;

	if (!v || v->type != JV_NUM || v->str[0] == '-')
		return dflt;
	errno = 0;
	unsigned long long u = strtoull(v->str, &end, 10);
	if (errno || *end)
		return dflt;
	return u;
}

const char *jv_str(const struct jv *v)
{
	return v && v->type == JV_STR ? v->str : NULL;
}

bool jv_bool(const struct jv *v, bool dflt)
{
	return v && v->type == JV_BOOL ? v->b : dflt;
}
