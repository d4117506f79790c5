/* Placeholder binder table: filled by the string instruction family. */
#include "core/cpu/decode.h"

const struct binder ops_string_binders[] = {
	{ 0, NULL, 0 },
};
