/* Placeholder binder table: filled by the bits instruction family. */
#include "core/cpu/decode.h"

const struct binder ops_bits_binders[] = {
	{ 0, NULL, 0 },
};
