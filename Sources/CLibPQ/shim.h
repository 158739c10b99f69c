// libpq's public API. On Debian the header lives in /usr/include/postgresql;
// pkg-config (libpq.pc) supplies that include path.
#include <libpq-fe.h>

// The PG_DIAG_* field codes are character-literal macros; these name the ones
// the Swift wrapper reads, so it need not repeat their values.
static inline int clibpq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int clibpq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int clibpq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
static inline int clibpq_diag_message_hint(void) { return PG_DIAG_MESSAGE_HINT; }
static inline int clibpq_diag_constraint_name(void) { return PG_DIAG_CONSTRAINT_NAME; }
