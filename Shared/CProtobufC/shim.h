#ifndef SMARTERCHAT_CPROTOBUFC_SHIM_H
#define SMARTERCHAT_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
