import Glibc

/// Milliseconds of CLOCK_MONOTONIC: the link's timers, unmoved by the wall clock.
enum Monotonic {
    static var milliseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
