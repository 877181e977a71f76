import Dispatch
import HTTP1
import Hub
import Reactor
import Records
import Synchronization

/// Streamed exports (`GET /api/export/{kind}`), at most `maxRunning` at once. Each runs
/// on a thread of its own (not a loop, not the money writer) with a reader connection of
/// its own (`RecordsDatabase.openReader`), reading keyset pages (`RecordsStore.exportPage`)
/// of `pageRows` rows, each its own short statement under the readers' deadline, so no
/// read holds anything for long however large the export. Each page is encoded and handed
/// to the connection's loop (`ExportChannel`), and the next is read only once the socket
/// has room: an export costs about two pages of memory, whatever its size or its client.
final class ExportService: Sendable {
    static let maxRunning = 2
    static let pageRows = 1_000
    /// A client that takes nothing of a page for this long is closed (the connection's
    /// tick), and a reader whose pages are not taken for longer stops.
    static let stallLimit: Duration = .seconds(60)

    private let database: RecordsDatabase
    /// Each page's statement deadline, milliseconds (`--read-deadline`).
    private let deadline: Int64
    private let running = Mutex(0)

    init(database: RecordsDatabase, deadline: Int64) {
        self.database = database
        self.deadline = deadline
    }

    /// Starts reading `query` into `channel`; false, and nothing started, when `maxRunning`
    /// exports are running.
    func start(_ query: ExportQuery, into channel: ExportChannel) -> Bool {
        let admitted = running.withLock { count -> Bool in
            guard count < Self.maxRunning else { return false }
            count += 1
            return true
        }
        guard admitted else { return false }
        DispatchQueue(label: "livehub.export").async { [self] in
            defer { running.withLock { $0 -= 1 } }
            run(query, channel)
        }
        return true
    }

    /// The 503 for an export past `maxRunning`.
    static var busy: APIError {
        var error = APIError(.serviceUnavailable, code: "exports_busy",
                             message: "\(maxRunning) exports are running, which is as many as run at once; try again when one has finished")
        error.headers.add(name: "Retry-After", value: "5")
        return error
    }

    private func run(_ query: ExportQuery, _ channel: ExportChannel) {
        let started = EventLoop.now
        let store: RecordsStore
        do {
            store = try database.openReader(deadline: deadline)
            try store.limitPageCache(kibibytes: 2048)
        } catch {
            ServerLog.logger.error("export not started", metadata: ["kind": "\(query.kind.rawValue)", "error": "\(error)"])
            return channel.deliver(.failed(APIError(.serviceUnavailable, code: "database_unavailable", message: "the records database cannot be read now")))
        }
        var encoder = ExportEncoder(query)
        var after: [SQLValue]?
        var rows = 0
        while true {
            guard channel.waitForRoom(timeout: Self.stallLimit) else {
                // The client left or stopped reading (its connection closes): nothing more is read.
                ServerLog.logger.info("export stopped", metadata: ["kind": "\(query.kind.rawValue)", "rows": "\(rows)"])
                return channel.cancel()
            }
            let page: ExportPage
            do {
                page = try read(query, after: after, from: store)
            } catch {
                ServerLog.logger.error("export cut short", metadata: ["kind": "\(query.kind.rawValue)", "rows": "\(rows)", "error": "\(error)"])
                let failure = error.isCancellation
                    ? APIError(.serviceUnavailable, code: "read_deadline", message: "a page of the export took longer than the read deadline")
                    : APIError(.serviceUnavailable, code: "database_unavailable", message: "the records database cannot be read now")
                return channel.deliver(.failed(failure))
            }
            rows += page.rows.count
            var bytes: [UInt8] = []
            ChunkedEncoder.append(chunkOf: encoder.encode(page.rows), to: &bytes)
            if page.next == nil { bytes += ChunkedEncoder.lastChunk }
            channel.deliver(.bytes(bytes, last: page.next == nil))
            guard let next = page.next else { break }
            after = next
        }
        ServerLog.logger.info("export done", metadata: ["kind": "\(query.kind.rawValue)", "format": "\(query.format.rawValue)", "rows": "\(rows)",
                                                        "ms": "\((EventLoop.now - started) / 1_000_000)"])
    }

    /// One page under the deadline; tried once more if the first try failed other than by
    /// the deadline (a PostgreSQL connection the server dropped connects anew on the next
    /// statement, as `MoneyReaders` does).
    private func read(_ query: ExportQuery, after: [SQLValue]?, from store: RecordsStore) throws(RecordsFailure) -> ExportPage {
        store.setReadDeadline(milliseconds: deadline)
        defer { store.setReadDeadline(milliseconds: nil) }
        do {
            return try store.exportPage(query.table, from: query.from, to: query.to, after: after, limit: Self.pageRows)
        } catch {
            if error.isCancellation { throw error }
            store.setReadDeadline(milliseconds: deadline)
            return try store.exportPage(query.table, from: query.from, to: query.to, after: after, limit: Self.pageRows)
        }
    }
}
