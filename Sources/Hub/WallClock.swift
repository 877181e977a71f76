/// Where the hub reads the time: milliseconds since the Unix epoch. Injected, so tests
/// move time by hand instead of sleeping.
public protocol WallClock: AnyObject {
    var nowMilliseconds: Int64 { get }
}

/// A clock tests set and advance.
public final class ManualClock: WallClock {
    public var nowMilliseconds: Int64

    public init(_ start: Int64 = 1_795_000_000_000) {
        nowMilliseconds = start
    }

    public func advance(milliseconds: Int64) {
        nowMilliseconds += milliseconds
    }

    public func advance(seconds: Int64) {
        nowMilliseconds += seconds * 1000
    }
}
