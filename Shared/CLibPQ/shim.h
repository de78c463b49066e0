#ifndef SMARTERCHAT_CLIBPQ_SHIM_H
#define SMARTERCHAT_CLIBPQ_SHIM_H
#include <libpq-fe.h>

/* PG_DIAG_SQLSTATE is a character-literal macro that Swift does not import. */
static const int smarterchat_PG_DIAG_SQLSTATE = 'C';
static const int smarterchat_PG_DIAG_MESSAGE_PRIMARY = 'M';
static const int smarterchat_PG_DIAG_CONSTRAINT_NAME = 'n';
#endif
