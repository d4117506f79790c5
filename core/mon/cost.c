/* Cost-model files; see cost.h for the schema. */
#include "core/mon/cost.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The range of a price in cycles, and of the clock; see cost.h. */
#define MAX_CYCLES 1e9

struct key {
	const char *section, *name;
	size_t offset;
	double lo, hi;
};

#define K(sec, name, field, lo, hi) { sec, name, offsetof(struct cost_model, field), lo, hi }
#define C(sec, name, field) K(sec, name, field, 0, MAX_CYCLES)

static const struct key keys[] = {
	K("machine", "clock_ghz", clock_ghz, 0.01, 100),
	K("native", "insn", native.insn, 0.01, MAX_CYCLES),
	C("native", "walk_ref", native.walk_ref),
	C("native", "exception", native.exception),
	C("native", "io", native.io),
	C("native", "lapic", native.lapic),
	C("fullsim", "insn", fullsim.insn),
	C("fullsim", "mem_access", fullsim.mem_access),
	C("fullsim", "walk_ref", fullsim.walk_ref),
	C("trap", "exit", trap_exit),
	C("hwassist", "exit", hwassist_exit),
	C("binxlate", "translate_insn", binxlate_translate_insn),
	C("shadow", "hidden_fault", shadow.hidden_fault),
	C("shadow", "pte_write", shadow.pte_write),
	C("shadow", "sync_entry", shadow.sync_entry),
	C("shadow", "root_hit", shadow.root_hit),
	C("shadow", "root_miss", shadow.root_miss),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define NALL (NKEYS + EXIT_COUNT)

/* Key k of the schema: the fixed ones, then emulate.REASON per exit. */
static double *slot(struct cost_model *m, size_t k, const char **sec, const char **name,
		    double *lo, double *hi)
{
	if (k < NKEYS) {
		*sec = keys[k].section;
		*name = keys[k].name;
		*lo = keys[k].lo;
		*hi = keys[k].hi;
		return (double *)((char *)m + keys[k].offset);
	}
	*sec = "emulate";
	*name = exit_reason_names[k - NKEYS];
	*lo = 0;
	*hi = MAX_CYCLES;
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

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a special file";
}

/*
 * The whole file, NUL-terminated, its length in *len. Only a regular file
 * of bounded size is read: a FIFO would block forever and /dev/zero never
 * ends, and a directory reads as empty, which would surface as a baffling
 * "missing" key rather than as what it is.
 */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer to appear. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t n = 0;

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open cost model: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: cannot stat cost model: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
		goto fail;
	}
	if (st.st_size > COST_MAX_BYTES)
		goto too_big;
	/* One byte past the limit, so a file that grew since fstat is caught. */
	buf = malloc(COST_MAX_BYTES + 2);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		ssize_t got = read(fd, buf + n, COST_MAX_BYTES + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s: cannot read cost model: %s", path,
				 strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > COST_MAX_BYTES)
			goto too_big;
	}
	close(fd);
	buf[n] = 0;
	char *fit = realloc(buf, n + 1);
	*len = n;
	return fit ? fit : buf;
too_big:
	snprintf(err, errlen, "%s: larger than %d bytes (1 MiB), the limit for a cost model",
		 path, COST_MAX_BYTES);
fail:
	free(buf);
	close(fd);
	return NULL;
}

/*
 * A byte no text cost model holds, as "contains ..."; NULL when the line
 * is clean. Checked before anything else on the line so that binary junk
 * is named as such at its first line, not later as a missing key.
 */
static const char *bad_byte(const char *s, const char *end, char *buf, size_t len)
{
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == 0)
			return "contains a NUL byte";
		if (c == '\r')
			return "contains a carriage return that does not end the line";
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(buf, len, "contains control character 0x%02x", c);
			return buf;
		}
	}
	return NULL;
}

/*
 * One value: a number within [lo, hi]. strtod's ERANGE is either side: an
 * overflow is out of range like any large value, but an underflow (4e-320)
 * would silently become a denormal or zero, so it is named as such.
 */
static int parse_value(const char *val, double lo, double hi, double *out, char *why,
		       size_t len)
{
	char *end;

	errno = 0;
	double v = strtod(val, &end);
	if (!*val || *end || isnan(v)) {
		snprintf(why, len, "'%.40s' is not a number", val);
		return -1;
	}
	if (errno == ERANGE && fabs(v) < DBL_MIN) {
		snprintf(why, len, "%.40s is out of range (too close to 0 for a double; write 0)",
			 val);
		return -1;
	}
	if (v < lo || v > hi) {
		snprintf(why, len, "%.40s is outside [%.15g, %.15g]", val, lo, hi);
		return -1;
	}
	*out = v == 0 ? 0 : v;	/* "-0" would print as -0 cycles */
	return 0;
}

/*
 * Lines are cut by hand, not with strtok, which would merge runs of
 * newlines and so number every line after a blank one wrong.
 */
static int parse(struct cost_model *m, size_t len, const char *path, char *err, size_t errlen)
{
	bool seen[NALL] = { false };
	char section[64] = "", why[160];
	char *copy = malloc(len + 1);
	int lineno = 0, rc = -1;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	memcpy(copy, m->text, len);
	copy[len] = 0;
	for (char *p = copy, *end = copy + len; p < end;) {
		char *line = p, *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		const char *bad;

		p = nl ? nl + 1 : end;
		lineno++;
		if (eol > line && eol[-1] == '\r')
			eol--;
		if ((bad = bad_byte(line, eol, why, sizeof(why)))) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, bad);
			goto out;
		}
		*eol = 0;
		char *semi = strpbrk(line, ";#");
		if (semi)
			*semi = 0;
		char *s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1]) {
				snprintf(err, errlen, "%s:%d: malformed section header '%.60s'", path,
					 lineno, s);
				goto out;
			}
			*close = 0;
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key = value, got '%.60s'", path, lineno,
				 s);
			goto out;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		if (!*section) {
			snprintf(err, errlen, "%s:%d: %.60s: key outside any [section]", path, lineno,
				 key);
			goto out;
		}
		if (!strcmp(section, "model")) {
			if (!strcmp(key, "name")) {
				if (strlen(val) >= sizeof(m->name)) {
					snprintf(err, errlen, "%s:%d: model.name: longer than %zu "
						 "characters", path, lineno, sizeof(m->name) - 1);
					goto out;
				}
				snprintf(m->name, sizeof(m->name), "%s", val);
			} else if (strcmp(key, "description")) {
				snprintf(err, errlen, "%s:%d: model.%.60s: unknown key", path, lineno,
					 key);
				goto out;
			}
			continue;
		}
		size_t k;
		const char *sec, *name;
		double *dst = NULL, lo, hi;
		for (k = 0; k < NALL; k++) {
			dst = slot(m, k, &sec, &name, &lo, &hi);
			if (!strcmp(sec, section) && !strcmp(name, key))
				break;
		}
		if (k == NALL) {
			snprintf(err, errlen, "%s:%d: %.60s.%.60s: unknown key", path, lineno, section,
				 key);
			goto out;
		}
		if (seen[k]) {
			snprintf(err, errlen, "%s:%d: %s.%s: given twice", path, lineno, section, key);
			goto out;
		}
		if (parse_value(val, lo, hi, dst, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: %s.%s: %s", path, lineno, section, key, why);
			goto out;
		}
		seen[k] = true;
	}
	for (size_t k = 0; k < NALL; k++) {
		const char *sec, *name;
		double lo, hi;
		slot(m, k, &sec, &name, &lo, &hi);
		if (!seen[k]) {
			snprintf(err, errlen, "%s: %s.%s: missing", path, sec, name);
			goto out;
		}
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/*
 * The path is refused, not cut, when it does not fit: a truncated path
 * names another file, which may well exist. The user's text is shown
 * shortened so that the message stays one readable line.
 */
int cost_load(struct cost_model *m, const char *name_or_path, const char *costs_dir,
	      char *err, size_t errlen)
{
	size_t len = 0;
	int n;

	memset(m, 0, sizeof(*m));
	if (strchr(name_or_path, '/') || strstr(name_or_path, ".ini"))
		n = snprintf(m->path, sizeof(m->path), "%s", name_or_path);
	else
		n = snprintf(m->path, sizeof(m->path), "%s/%s.ini", costs_dir, name_or_path);
	if (n < 0 || (size_t)n >= sizeof(m->path)) {
		snprintf(err, errlen, "--cost %.40s%s: path too long (%d bytes; the limit is %zu)",
			 name_or_path, strlen(name_or_path) > 40 ? "..." : "", n,
			 sizeof(m->path) - 1);
		m->path[0] = 0;
		return -1;
	}
	m->text = read_file(m->path, &len, err, errlen);
	if (!m->text)
		return -1;
	const char *base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path;
	snprintf(m->name, sizeof(m->name), "%.*s", (int)(strcspn(base, ".")), base);
	if (parse(m, len, m->path, err, errlen)) {
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
