import Dispatch
import Reactor
import Synchronization

/// What an export's reader hands the loop that writes it.
enum ExportDelivery: Sendable {
    /// Bytes ready for the socket (chunk-framed); `last` when they end the body.
    case bytes([UInt8], last: Bool)
    /// The read failed: before the first bytes, answered with this error; after, the
    /// body is cut short (the client sees no last chunk: RFC 9112 §8, incomplete).
    case failed(APIError)
}

/// Between one export's reader thread and the loop that owns its connection, with
/// backpressure: the reader takes a permit before each page it reads, and the loop gives
/// permits back once the socket has taken what was queued. At most `pagesInFlight` pages
/// are read and not yet written, so a client that stops reading stops the reader, and
/// the hub never holds more of an export than that, however slow the client.
final class ExportChannel: @unchecked Sendable {
    /// Pages read ahead of the socket: one being written, one ready behind it.
    static let pagesInFlight = 2

    /// Pages the reader has taken a permit for and the socket has not yet taken.
    private struct State {
        var unwritten = 0
        var cancelled = false
    }

    private let state = Mutex(State())
    /// Wakes the reader when a permit may have come back or the export was cancelled. It
    /// starts at zero and is only signalled beyond its waits (never the other way): libdispatch
    /// refuses to dispose of a semaphore whose value is below the one it was made with.
    private let wake = DispatchSemaphore(value: 0)
    /// The loop of the connection.
    let loop: EventLoopHandle

    // The loop's side: touched on `loop` only.
    /// The connection the pages go to; gone once it closes.
    weak var connection: HTTPConnection?
    /// Pages handed to the connection whose bytes are still queued.
    var queuedPages = 0

    init(loop: EventLoopHandle, connection: HTTPConnection) {
        self.loop = loop
        self.connection = connection
    }

    // MARK: reader thread

    /// Waits until fewer than `pagesInFlight` pages are unwritten and takes a permit for
    /// the next; false if the export was cancelled (the client left, the hub stops) or no
    /// permit came in `timeout`.
    func waitForRoom(timeout: Duration) -> Bool {
        let nanoseconds = Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000)
        let deadline = DispatchTime.now() + .nanoseconds(nanoseconds)
        while true {
            let answer = state.withLock { state -> Bool? in
                if state.cancelled { return false }
                guard state.unwritten < Self.pagesInFlight else { return nil }
                state.unwritten += 1
                return true
            }
            if let answer { return answer }
            if wake.wait(timeout: deadline) == .timedOut { return false }
        }
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// To the connection, on its loop.
    func deliver(_ delivery: ExportDelivery) {
        loop.execute { [self] _ in
            guard let connection else { return }
            connection.exportDelivered(delivery, from: self)
        }
    }

    // MARK: loop

    /// The connection queued a page's bytes.
    func queued() { queuedPages += 1 }

    /// The connection's queue is empty: every page queued has gone to the kernel.
    func drained() {
        guard queuedPages > 0 else { return }
        let written = queuedPages
        queuedPages = 0
        state.withLock { $0.unwritten -= written }
        wake.signal()
    }

    /// Stops the reader at its next page (and wakes it if it waits for a permit).
    func cancel() {
        state.withLock { $0.cancelled = true }
        wake.signal()
    }
}
