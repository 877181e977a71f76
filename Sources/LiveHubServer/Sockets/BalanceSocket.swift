import Auth
import JSON
import Reactor
import WebSocket

/// `/ws/balance`: one wallet user's socket. It joins the user's room at once (or, opened
/// without a token, once its first message `{"type":"auth","token"}` gives one: a page of
/// another origin need not put the token in a URL, which proxies log), and asks the
/// money engine for what it missed after `since`. It is sent each seq once and in order:
/// a live update that arrives while a replay is on its way is left to the replay (or to
/// the next one, if it is newer than what the replay read), and one that is not the next
/// seq (a write on another node, announced before this node's own got here) has the
/// socket read what it misses from the table instead.
final class BalanceSocket: WebSocketRole {
    /// nil until the first message names the user (a socket opened without a token).
    private(set) var userId: String?
    private let since: Int64?
    private var sequence = BalanceSequence()
    private var isMember = false
    private var authDeadline: TimerID?
    /// The first read (the balance and what was missed) has been sent: later reads that fail
    /// are tried again before the socket gives up.
    private var opened = false
    /// Catch-up reads that failed in a row, and the timer of the next try.
    private var failedReads = 0
    private var retry: TimerID?
    /// A catch-up read that fails (the database restarting, say) is tried again after
    /// 0.25, 0.5, 1, 2, 4, 8 and 16 s: about half a minute before the socket is closed.
    static let readRetries = 7

    /// How long a socket opened without a token may take to send it.
    static let authTimeoutNanoseconds: UInt64 = 10_000_000_000

    init(userId: String?, since: Int64?) {
        self.userId = userId
        self.since = since
    }

    func start(on socket: WebSocketEndpointConnection) {
        guard let userId else {
            authDeadline = socket.context.loop.schedule(afterNanoseconds: Self.authTimeoutNanoseconds) { [weak socket] in
                socket?.close(code: .policyViolation, reason: "send {\"type\":\"auth\",\"token\":…} first")
            }
            return
        }
        join(userId, on: socket)
    }

    private func join(_ userId: String, on socket: WebSocketEndpointConnection) {
        socket.context.balanceRooms.join(socket, userId: userId)
        isMember = true
        sequence.started()
        socket.context.hubClient.requestBalanceReplay(userId: userId, since: since, first: true, for: socket)
    }

    /// Only the first message of a socket opened without a token means anything: the token.
    func received(_ message: WebSocketMessage, on socket: WebSocketEndpointConnection) {
        guard userId == nil, authDeadline != nil else { return }
        if let deadline = authDeadline { socket.context.loop.cancel(deadline) }
        authDeadline = nil
        let shared = socket.context.shared
        guard message.opcode == .text, let json = try? JSONParser.parse(message.data), json["type"]?.stringValue == "auth",
              let text = json["token"]?.stringValue,
              let token = try? AccessToken.verify(text, secret: shared.configuration.secret, now: UnixTime.seconds),
              token.scope == .balance, !token.subject.isEmpty,
              !shared.revocations.isRevoked(id: token.id, subject: token.subject, issuedAt: token.issuedAt) else {
            socket.close(code: .policyViolation, reason: "not a valid balance token")
            return
        }
        userId = token.subject
        join(token.subject, on: socket)
    }

    func leave(_ socket: WebSocketEndpointConnection) {
        if let deadline = authDeadline { socket.context.loop.cancel(deadline) }
        authDeadline = nil
        if let retry { socket.context.loop.cancel(retry) }
        retry = nil
        guard isMember, let userId else { return }
        isMember = false
        socket.context.balanceRooms.leave(socket, userId: userId)
    }

    /// The engine's answer to a replay request: what was missed, in order, then live.
    /// `lastSeq` is the newest seq in it.
    func replayArrived(frames: [[UInt8]], lastSeq: Int64, on socket: WebSocketEndpointConnection) {
        guard isMember else { return }
        let (send, read) = sequence.replayArrived(lastSeq: lastSeq)
        guard send else { return }
        opened = true
        failedReads = 0
        for frame in frames { socket.send(RoomMessage(opcode: .text, payload: frame)) }
        self.read(since: read, on: socket)
    }

    /// The database could not give the replay: the socket is closed (1011, RFC 6455
    /// §7.4.1) rather than left without what it missed; the client reconnects with `since`.
    /// A catch-up read (the socket already has its opening) is tried again with back-off
    /// first: a database restarting for a few seconds costs the client nothing.
    func replayFailed(on socket: WebSocketEndpointConnection) {
        guard sequence.replayFailed() else { return }
        guard opened, failedReads < Self.readRetries else {
            socket.close(code: .internalError, reason: "balance history unavailable; reconnect")
            return
        }
        let delay = UInt64(250_000_000) << UInt64(failedReads)
        failedReads += 1
        retry = socket.context.loop.schedule(afterNanoseconds: delay) { [weak self, weak socket] in
            guard let self, let socket else { return }
            self.retry = nil
            self.catchUp(on: socket)
        }
    }

    /// Whether a live update goes to this socket (`BalanceSequence.live`).
    func accepts(seq: Int64, on socket: WebSocketEndpointConnection) -> Bool {
        let (send, read) = sequence.live(seq)
        self.read(since: read, on: socket)
        return send
    }

    /// The user's balance reached `seq` (a write on any node, announced through the
    /// database): read what this socket misses, once any replay on its way is in.
    func announced(seq: Int64, on socket: WebSocketEndpointConnection) {
        read(since: sequence.announced(seq), on: socket)
    }

    /// Notifications may have been missed (the cluster link was lost): read what came after
    /// the last seq sent, if anything.
    func catchUp(on socket: WebSocketEndpointConnection) {
        guard isMember else { return }
        read(since: sequence.catchUp(), on: socket)
    }

    private func read(since: Int64?, on socket: WebSocketEndpointConnection) {
        guard let since, isMember, let userId else { return }
        socket.context.hubClient.requestBalanceReplay(userId: userId, since: since, first: false, for: socket)
    }
}
