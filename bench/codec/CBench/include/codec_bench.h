#ifndef SMARTERCHAT_CODEC_BENCH_H
#define SMARTERCHAT_CODEC_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Builds, packs, unpacks and frees `iterations` RequestHeaders with the protoc-c structs,
 * the baseline the Swift face is compared with. Returns nanoseconds per iteration; writes
 * the packed size to *packed_size and a checksum (so nothing is optimised away) to *checksum. */
double codec_bench_c_request_header(long iterations, size_t *packed_size, uint64_t *checksum);

#endif
