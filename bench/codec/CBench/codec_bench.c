#include "codec_bench.h"

#include <string.h>
#include <time.h>

#include "envelope.pb-c.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double codec_bench_c_request_header(long iterations, size_t *packed_size, uint64_t *checksum) {
    uint8_t buffer[512];
    uint64_t sum = 0;
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        Smarterchat__Rpc__Principal principal;
        smarterchat__rpc__principal__init(&principal);
        principal.organization_id = "6f1c9a2e-3b7d-4c1a-9e8f-2d5b7a9c1e3f";
        principal.role = "admin";

        Smarterchat__Rpc__RequestHeader header;
        smarterchat__rpc__request_header__init(&header);
        header.method = "smarterchat.crm.Crm/GetLead";
        header.timeout_ms = 2500;
        header.request_id = "0b7e4c52-8f0a-4f7e-b1d2-9c3a5e7f1b2d";
        header.caller = "gateway";
        header.principal = &principal;

        size_t size = smarterchat__rpc__request_header__get_packed_size(&header);
        size_t written = smarterchat__rpc__request_header__pack(&header, buffer);
        Smarterchat__Rpc__RequestHeader *decoded =
            smarterchat__rpc__request_header__unpack(NULL, written, buffer);
        /* Touch what a caller would read, as the Swift side copies it out. */
        sum += decoded->timeout_ms + strlen(decoded->method) + strlen(decoded->request_id)
            + strlen(decoded->caller) + strlen(decoded->principal->organization_id)
            + decoded->principal->n_scopes + size;
        smarterchat__rpc__request_header__free_unpacked(decoded, NULL);
        *packed_size = written;
    }
    double elapsed = now_ns() - start;
    *checksum = sum;
    return elapsed / (double)iterations;
}
