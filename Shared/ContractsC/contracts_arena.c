/* Hand-written: see include/contracts_arena.h. */
#include "contracts_arena.h"

#include <stdlib.h>

#define ARENA_ALIGN 16
#define ARENA_CHUNK 4096

typedef struct ArenaChunk {
    struct ArenaChunk *next;
    /* Keeps the memory after the header 16-byte aligned. */
    void *padding;
} ArenaChunk;

void smarterchat_arena_init(SmarterchatArena *arena, void *buffer, size_t size) {
    arena->cursor = buffer;
    arena->end = (uint8_t *)buffer + size;
    arena->chunks = NULL;
}

void smarterchat_arena_release(SmarterchatArena *arena) {
    ArenaChunk *chunk = arena->chunks;
    while (chunk != NULL) {
        ArenaChunk *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    arena->chunks = NULL;
}

static void *arena_alloc(void *data, size_t size) {
    SmarterchatArena *arena = data;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if ((size_t)(arena->end - arena->cursor) < size) {
        size_t capacity = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        ArenaChunk *chunk = malloc(sizeof(ArenaChunk) + capacity);
        if (chunk == NULL) return NULL;
        chunk->next = arena->chunks;
        arena->chunks = chunk;
        arena->cursor = (uint8_t *)(chunk + 1);
        arena->end = arena->cursor + capacity;
    }
    void *p = arena->cursor;
    arena->cursor += size;
    return p;
}

static void arena_free(void *data, void *pointer) {
    (void)data;
    (void)pointer;
}

ProtobufCMessage *smarterchat_arena_unpack(
    SmarterchatArena *arena, const ProtobufCMessageDescriptor *descriptor, size_t len, const uint8_t *data) {
    ProtobufCAllocator allocator = {.alloc = arena_alloc, .free = arena_free, .allocator_data = arena};
    return protobuf_c_message_unpack(descriptor, &allocator, len, data);
}
