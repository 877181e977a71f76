import Glibc

/// The one place a configured `Duration` becomes a layer's own unit: the reactor counts
/// monotonic nanoseconds (`EventLoop.now`, its timers), the hub and the records wall-clock
/// milliseconds (the timestamps they keep and answer with); tokens and Stripe signatures
/// count the seconds their protocols define (RFC 7519 `exp`, `Stripe-Signature: t=`).
extension Duration {
    /// For the reactor: whole nanoseconds, 0 for a negative duration, capped at UInt64.max.
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (sum, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return carry ? .max : sum
    }

    /// For the hub and the records: whole milliseconds.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

public enum UnixTime {
    /// Seconds since the epoch, as tokens and provider signatures count them.
    public static var seconds: Int64 { Int64(time(nil)) }
}
