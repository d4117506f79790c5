/* Placeholder binder table: filled by the muldiv instruction family. */
#include "core/cpu/decode.h"

const struct binder ops_muldiv_binders[] = {
	{ 0, NULL, 0 },
};
