// The target's C side is its header; this file only gives SwiftPM something to compile.
#include "CSQLite.h"
