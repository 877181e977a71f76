import ArgumentParser
import LiveHubServer

/// The shop's day: rollups of what happened, per minute, hour and day.
struct ShopDayOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "How often the day's counts are added to the records database (what a kill -9 can lose).")
    var rollupInterval = "10s"
    @Option(parsing: .unconditional, help: "Minute rows of the rollups are kept this long.") var rollupMinutesRetention = "48h"
    @Option(parsing: .unconditional, help: "Hour rows of the rollups are kept this long (day rows for good).") var rollupHoursRetention = "90d"

    func apply(to settings: inout ShopDaySettings) throws {
        settings.flushInterval = try Serve.duration(rollupInterval, "--rollup-interval")
        settings.minuteRetention = try Serve.duration(rollupMinutesRetention, "--rollup-minutes-retention")
        settings.hourRetention = try Serve.duration(rollupHoursRetention, "--rollup-hours-retention")
        guard settings.flushInterval <= .seconds(3600) else { throw ValidationError("--rollup-interval: at most 1h") }
        guard settings.minuteRetention >= .seconds(3600) else { throw ValidationError("--rollup-minutes-retention: at least 1h") }
        guard settings.hourRetention >= .seconds(86_400) else { throw ValidationError("--rollup-hours-retention: at least 1d") }
    }
}
