/* Cost-model files; see cost.h for the schema. */
#include "core/mon/cost.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key {
	const char *section, *name;
	size_t offset;
};

#define K(sec, name, field) { sec, name, offsetof(struct cost_model, field) }

static const struct key keys[] = {
	K("machine", "clock_ghz", clock_ghz),
	K("native", "insn", native.insn),
	K("native", "walk_ref", native.walk_ref),
	K("native", "exception", native.exception),
	K("native", "io", native.io),
	K("native", "lapic", native.lapic),
	K("fullsim", "insn", fullsim.insn),
	K("fullsim", "mem_access", fullsim.mem_access),
	K("fullsim", "walk_ref", fullsim.walk_ref),
	K("trap", "exit", trap_exit),
	K("hwassist", "exit", hwassist_exit),
	K("shadow", "hidden_fault", shadow.hidden_fault),
	K("shadow", "pte_write", shadow.pte_write),
	K("shadow", "sync_entry", shadow.sync_entry),
	K("shadow", "root_hit", shadow.root_hit),
	K("shadow", "root_miss", shadow.root_miss),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define NALL (NKEYS + EXIT_COUNT)

/* Key k of the schema: the fixed ones, then emulate.REASON per exit. */
static double *slot(struct cost_model *m, size_t k, const char **sec, const char **name)
{
	if (k < NKEYS) {
		*sec = keys[k].section;
		*name = keys[k].name;
		return (double *)((char *)m + keys[k].offset);
	}
	*sec = "emulate";
	*name = exit_reason_names[k - NKEYS];
	return &m->emulate[k - NKEYS];
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open cost model: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap) {
			char *b = realloc(buf, 2 * cap + 1);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

static int parse(struct cost_model *m, const char *path, char *err, size_t errlen)
{
	bool seen[NALL] = { false };
	char section[64] = "";
	char *copy = strdup(m->text), *save = NULL;
	int lineno = 0, rc = -1;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *semi = strpbrk(line, ";#");
		if (semi)
			*semi = 0;
		char *s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1]) {
				snprintf(err, errlen, "%s:%d: malformed section header '%s'", path, lineno, s);
				goto out;
			}
			*close = 0;
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key = value, got '%s'", path, lineno, s);
			goto out;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		if (!*section) {
			snprintf(err, errlen, "%s:%d: %s: key outside any [section]", path, lineno, key);
			goto out;
		}
		if (!strcmp(section, "model")) {
			if (!strcmp(key, "name"))
				snprintf(m->name, sizeof(m->name), "%s", val);
			else if (strcmp(key, "description")) {
				snprintf(err, errlen, "%s:%d: model.%s: unknown key", path, lineno, key);
				goto out;
			}
			continue;
		}
		size_t k;
		const char *sec, *name;
		double *dst = NULL;
		for (k = 0; k < NALL; k++) {
			dst = slot(m, k, &sec, &name);
			if (!strcmp(sec, section) && !strcmp(name, key))
				break;
		}
		if (k == NALL) {
			snprintf(err, errlen, "%s:%d: %s.%s: unknown key", path, lineno, section, key);
			goto out;
		}
		if (seen[k]) {
			snprintf(err, errlen, "%s:%d: %s.%s: given twice", path, lineno, section, key);
			goto out;
		}
		char *end;
		errno = 0;
		double v = strtod(val, &end);
		if (!*val || *end || errno || !isfinite(v) || v < 0) {
			snprintf(err, errlen, "%s:%d: %s.%s: '%s' is not a non-negative number", path,
				 lineno, section, key, val);
			goto out;
		}
		*dst = v;
		seen[k] = true;
	}
	for (size_t k = 0; k < NALL; k++) {
		const char *sec, *name;
		slot(m, k, &sec, &name);
		if (!seen[k]) {
			snprintf(err, errlen, "%s: %s.%s: missing", path, sec, name);
			goto out;
		}
	}
	if (m->clock_ghz <= 0) {
		snprintf(err, errlen, "%s: machine.clock_ghz: must be above 0", path);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int cost_load(struct cost_model *m, const char *name_or_path, const char *costs_dir,
	      char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (strchr(name_or_path, '/') || strstr(name_or_path, ".ini"))
		snprintf(m->path, sizeof(m->path), "%s", name_or_path);
	else
		snprintf(m->path, sizeof(m->path), "%s/%s.ini", costs_dir, name_or_path);
	m->text = read_file(m->path, err, errlen);
	if (!m->text)
		return -1;
	const char *base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path;
	snprintf(m->name, sizeof(m->name), "%.*s", (int)(strcspn(base, ".")), base);
	if (parse(m, m->path, err, errlen)) {
		cost_free(m);
		return -1;
	}
	return 0;
}

void cost_free(struct cost_model *m)
{
	free(m->text);
	m->text = NULL;
}
