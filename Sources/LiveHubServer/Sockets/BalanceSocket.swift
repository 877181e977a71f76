/// `/ws/balance`: one wallet user's socket. It joins the user's room at once, and asks the
/// money engine for what it missed after `since`; live updates that arrive before that
/// replay are in it, so they are skipped, and none is sent twice after it.
final class BalanceSocket: WebSocketRole {
    let userId: String
    private let since: Int64?
    /// The last seq this socket has been sent.
    private var sentSeq: Int64 = 0
    /// The replay is still on its way.
    private var awaitingReplay = false
    private var isMember = false

    init(userId: String, since: Int64?) {
        self.userId = userId
        self.since = since
    }

    func start(on socket: WebSocketEndpointConnection) {
        socket.context.balanceRooms.join(socket, userId: userId)
        isMember = true
        awaitingReplay = true
        socket.context.hubClient.requestBalanceReplay(userId: userId, since: since, for: socket)
    }

    func leave(_ socket: WebSocketEndpointConnection) {
        guard isMember else { return }
        isMember = false
        socket.context.balanceRooms.leave(socket, userId: userId)
    }

    /// The engine's answer to the replay request: what was missed, in order, then live.
    func replayArrived(frames: [[UInt8]], lastSeq: Int64, on socket: WebSocketEndpointConnection) {
        guard awaitingReplay, isMember else { return }
        for frame in frames { socket.send(RoomMessage(opcode: .text, payload: frame)) }
        sentSeq = lastSeq
        awaitingReplay = false
    }

    /// The database could not give the replay: the socket is closed (1011, RFC 6455
    /// §7.4.1) rather than left without what it missed; the client reconnects with `since`.
    func replayFailed(on socket: WebSocketEndpointConnection) {
        guard awaitingReplay else { return }
        awaitingReplay = false
        socket.close(code: .internalError, reason: "balance history unavailable; reconnect")
    }

    /// Whether a live update goes to this socket: not while the replay (which holds it) is
    /// on its way, and never one it already has.
    func accepts(seq: Int64) -> Bool {
        guard !awaitingReplay, seq > sentSeq else { return false }
        sentSeq = seq
        return true
    }
}
