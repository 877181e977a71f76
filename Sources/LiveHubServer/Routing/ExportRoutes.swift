import HTTP1
import Hub

/// Streamed exports (README "Exports"): a table's rows in a window, as CSV or NDJSON, for
/// admins (the API key, an admin token or an admin's console session). The query is checked
/// here (400 before anything is read); the rows are read and written by `ExportService`
/// and the connection, a page at a time.
enum ExportRoutes {
    static let entries: [RouteEntry] = [
        // `to` defaults to now, this millisecond included (`to` is excluded).
        // Any `{kind}` is this route's: one it does not know is a 400 naming the kinds, not a 404.
        RouteEntry(.get, "/api/export/{kind}", .keyOrToken([.admin])) { _, r throws(APIError) in
            .export(try ExportQuery.parse(kind: r.captures[0], r.query, now: SystemClock().nowMilliseconds + 1), headers: HTTPHeaders())
        },
    ]
}
