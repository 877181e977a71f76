import HTTP1
import Hub
import Records

/// What `GET /api/export/{kind}` asks for, checked before anything is read: the kind, the
/// window `[from, to)`, the format and (rollups) the grain. Every mistake is a 400 with
/// the project's error JSON, sent before the streamed answer starts.
struct ExportQuery: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case rollups, payments, ledger, activity
    }

    enum Format: String, Sendable, CaseIterable {
        case ndjson, csv

        var contentType: String {
            switch self {
            case .ndjson: "application/x-ndjson"
            case .csv: "text/csv; charset=utf-8"
            }
        }
    }

    var kind: Kind
    var format: Format
    /// Milliseconds; `from` included, `to` not.
    var from: Int64
    var to: Int64
    /// Rollups only (`day` otherwise, unused).
    var grain: RollupGrain

    var table: ExportTable {
        switch kind {
        case .rollups: .rollups(grain)
        case .payments: .payments
        case .ledger: .ledger
        case .activity: .activity
        }
    }

    /// The latest time an ISO 8601 text with a four-digit year can say (9999-12-31T23:59:59.999Z).
    static let latest: Int64 = 253_402_300_799_999

    /// `from` is required (an export of everything is asked for, not fallen into); `to`
    /// defaults to `now`; `format` to `ndjson`; `grain` to `day`, and only rollups take one.
    static func parse(kind text: Substring, _ query: [String: String], now: Int64) throws(APIError) -> ExportQuery {
        guard let kind = Kind(rawValue: String(text)) else {
            throw QueryParameters.invalid("kind must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let format: Format
        if let value = query["format"], !value.isEmpty {
            guard let known = Format(rawValue: value) else { throw QueryParameters.invalid("format must be ndjson or csv") }
            format = known
        } else {
            format = .ndjson
        }
        var grain = RollupGrain.day
        if let value = query["grain"], !value.isEmpty {
            guard kind == .rollups else { throw QueryParameters.invalid("grain is for rollups only") }
            guard let known = RollupGrain(rawValue: value) else { throw QueryParameters.invalid("grain must be minute, hour or day") }
            grain = known
        }
        guard let from = try QueryParameters.time(query, "from") else {
            throw QueryParameters.invalid("from is required (an ISO 8601 time such as 2026-12-01T00:00:00Z)")
        }
        let to = try QueryParameters.time(query, "to") ?? now
        guard (0...latest).contains(from), (0...latest).contains(to) else {
            throw QueryParameters.invalid("from and to must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z")
        }
        guard from < to else { throw QueryParameters.invalid("from must be before to") }
        return ExportQuery(kind: kind, format: format, from: from, to: to, grain: grain)
    }

    /// `livehub-payments-2026-12-01-2026-12-07.csv`: the kind, the days (UTC) of `from` and
    /// `to` as asked, the format. Only letters, digits, `-` and `.`: nothing to quote or
    /// escape in `Content-Disposition` (RFC 6266 §4.1).
    var filename: String {
        let first = Timestamp.iso8601(milliseconds: from).prefix(10)
        let last = Timestamp.iso8601(milliseconds: to).prefix(10)
        let grainPart = kind == .rollups ? "-\(grain.rawValue)" : ""
        return "livehub-\(kind.rawValue)\(grainPart)-\(first)-\(last).\(format.rawValue)"
    }

    /// The streamed answer's head: 200, its type, an attachment's name, never cached.
    var head: HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", format.contentType)])
        headers.add(name: "Content-Disposition", value: "attachment; filename=\"\(filename)\"")
        headers.add(name: "Cache-Control", value: "no-store")
        return HTTPResponse(status: .ok, headers: headers)
    }
}
