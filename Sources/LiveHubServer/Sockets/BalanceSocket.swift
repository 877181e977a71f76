/// `/ws/balance`: one wallet user's socket. It joins the user's room at once, and asks the
/// money engine for what it missed after `since`. It is sent each seq once and in order:
/// a live update that arrives while a replay is on its way is left to the replay (or to
/// the next one, if it is newer than what the replay read), and one that is not the next
/// seq (a write on another node, announced before this node's own got here) has the
/// socket read what it misses from the table instead.
final class BalanceSocket: WebSocketRole {
    let userId: String
    private let since: Int64?
    /// The last seq this socket has been sent.
    private var sentSeq: Int64 = 0
    /// A replay is on its way; the first one starts with the balance message.
    private var awaitingReplay = false
    /// The newest seq heard of while a replay was on its way.
    private var heardWhileWaiting: Int64 = 0
    private var isMember = false

    init(userId: String, since: Int64?) {
        self.userId = userId
        self.since = since
    }

    func start(on socket: WebSocketEndpointConnection) {
        socket.context.balanceRooms.join(socket, userId: userId)
        isMember = true
        awaitingReplay = true
        socket.context.hubClient.requestBalanceReplay(userId: userId, since: since, first: true, for: socket)
    }

    func leave(_ socket: WebSocketEndpointConnection) {
        guard isMember else { return }
        isMember = false
        socket.context.balanceRooms.leave(socket, userId: userId)
    }

    /// The engine's answer to a replay request: what was missed, in order, then live.
    /// `lastSeq` is the newest seq in it.
    func replayArrived(frames: [[UInt8]], lastSeq: Int64, on socket: WebSocketEndpointConnection) {
        guard awaitingReplay, isMember else { return }
        for frame in frames { socket.send(RoomMessage(opcode: .text, payload: frame)) }
        sentSeq = max(sentSeq, lastSeq)
        awaitingReplay = false
        if heardWhileWaiting > sentSeq { catchUp(on: socket) }
    }

    /// The database could not give the replay: the socket is closed (1011, RFC 6455
    /// §7.4.1) rather than left without what it missed; the client reconnects with `since`.
    func replayFailed(on socket: WebSocketEndpointConnection) {
        guard awaitingReplay else { return }
        awaitingReplay = false
        socket.close(code: .internalError, reason: "balance history unavailable; reconnect")
    }

    /// Whether a live update goes to this socket: only the next seq, never while a replay
    /// is on its way. A later one means some are missing: they are read first.
    func accepts(seq: Int64, on socket: WebSocketEndpointConnection) -> Bool {
        guard !awaitingReplay, seq == sentSeq + 1 else {
            announced(seq: seq, on: socket)
            return false
        }
        sentSeq = seq
        return true
    }

    /// The user's balance reached `seq` (a write on any node, announced through the
    /// database): read what this socket misses, once any replay on its way is in.
    func announced(seq: Int64, on socket: WebSocketEndpointConnection) {
        guard seq > sentSeq else { return }
        if awaitingReplay {
            heardWhileWaiting = max(heardWhileWaiting, seq)
        } else {
            catchUp(on: socket)
        }
    }

    /// Notifications may have been missed (the cluster link was lost): read what came after
    /// the last seq sent, if anything.
    func catchUp(on socket: WebSocketEndpointConnection) {
        guard isMember, !awaitingReplay else {
            heardWhileWaiting = .max
            return
        }
        awaitingReplay = true
        heardWhileWaiting = 0
        socket.context.hubClient.requestBalanceReplay(userId: userId, since: sentSeq, first: false, for: socket)
    }
}
