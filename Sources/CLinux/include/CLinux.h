#ifndef CLINUX_H
#define CLINUX_H
// Linux system calls that Glibc's Swift overlay does not import (epoll, eventfd,
// signalfd), and small wrappers for what does not import as-is (errno, macros).
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <time.h>

static inline int clinux_errno(void) { return errno; }

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and the threads it spawns
// afterwards), so they can be read from a signalfd in the event loop instead.
static inline int clinux_block_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    return pthread_sigmask(SIG_BLOCK, set, NULL);
}

static inline void clinux_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

// Lowers the calling thread's scheduling priority (a nice value, 0 to 19): on Linux each
// thread has its own (setpriority(2), "a thread ID"), so a background loop yields the CPU
// to the loops that serve clients.
#include <sys/syscall.h>
static inline int clinux_lower_thread_priority(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}

static inline uint64_t clinux_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// Defined in shim.c, which is compiled with _GNU_SOURCE (defining it here would make
// these headers disagree with Glibc's module).
int clinux_accept4(int fd);
int clinux_pin_to_cpu(int cpu);
/// CPUs this process may run on (sched_getaffinity), or -1.
int clinux_affinity_cpus(void);
#endif
