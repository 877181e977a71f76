// System libpq (libpq-dev) for the PostgreSQL records backend; pkg-config gives the path.
#include <libpq-fe.h>
