/// The shop's day (README "The shop's day"): how often the hub's counts go to the records
/// database's rollups, and how long each grain of them is kept.
public struct ShopDaySettings: Sendable {
    /// Counts are added to the rollups this often (and when the hub stops): what a `kill -9`
    /// can lose, and how fresh the day's figures are.
    public var flushInterval: Duration = .seconds(10)
    /// Minute rows older than this are forgotten (hour and day rows hold them summed).
    public var minuteRetention: Duration = .seconds(48 * 3600)
    /// Hour rows older than this are forgotten; day rows are kept for good.
    public var hourRetention: Duration = .seconds(90 * 86_400)

    public init() {}
}
