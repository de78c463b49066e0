#ifndef SMARTERCHAT_CONTRACTS_ARENA_H
#define SMARTERCHAT_CONTRACTS_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/* A bump allocator for libprotobuf-c's unpack: the message tree lands in a caller-provided
 * buffer (the Swift side uses its stack) and overflows into malloc'd chunks. Freeing single
 * blocks is a no-op; smarterchat_arena_release frees the chunks, so the tree must not be
 * given to protobuf_c_message_free_unpacked. Hand-written (not generated). */
typedef struct SmarterchatArena {
    uint8_t *cursor;
    uint8_t *end;
    void *chunks;
} SmarterchatArena;

/* Starts an arena on `buffer` (16-byte aligned, `size` bytes), which must outlive it. */
void smarterchat_arena_init(SmarterchatArena *arena, void *buffer, size_t size);

/* Frees the chunks the arena had to malloc. */
void smarterchat_arena_release(SmarterchatArena *arena);

/* protobuf_c_message_unpack with the arena as allocator; NULL when the bytes are invalid. */
ProtobufCMessage *smarterchat_arena_unpack(
    SmarterchatArena *arena, const ProtobufCMessageDescriptor *descriptor, size_t len, const uint8_t *data);

#endif
