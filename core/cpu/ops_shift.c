/* Placeholder binder table: filled by the shift instruction family. */
#include "core/cpu/decode.h"

const struct binder ops_shift_binders[] = {
	{ 0, NULL, 0 },
};
