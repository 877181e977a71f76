import Glibc
import Hub

/// The real wall clock, for the hub.
final class SystemClock: WallClock, Sendable {
    var nowMilliseconds: Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
