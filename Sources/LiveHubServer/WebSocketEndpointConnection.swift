import Auth
import Hub
import JSON
import Reactor
import WebSocket
import WebSocketDeflate

/// The WebSocket endpoints this server offers.
enum WebSocketEndpoint: Sendable {
    /// `/ws/echo`: every message back to its sender (conformance suites).
    case echo
    /// `/ws/broadcast`: `pub:X` is sent as X to every other connection there (load tools).
    case broadcast
    /// `/ws/seller`: the seller room (the token that let it in).
    case seller(AccessToken?)
    /// `/ws/track`: one storefront tab sending beacons.
    case track
    /// `/ws/balance`: one wallet user's room; `since` asks for the updates after that seq.
    case balance(userId: String, since: Int64?)
}

/// A client connection after the WebSocket handshake: the RFC 6455 state machine,
/// liveness pings, and membership of a room.
final class WebSocketEndpointConnection: ManagedConnection, TCPConnectionDelegate {
    let tcp: TCPConnection
    unowned let context: LoopContext
    let endpoint: WebSocketEndpoint
    /// Position in its room's member list (-1: in no room).
    var roomIndex = -1
    private var room: Room?
    private let client: ClientInfo
    /// The client's rate-limit bucket, computed once.
    private let rateKey: UInt64
    /// The session a `/ws/track` socket reports for, once its first beacon named it.
    private var trackedSession: String?
    private var protocolState: WebSocketConnection
    private var lastActivity: UInt64
    private var pingSentAt: UInt64?
    private var closeDeadline: UInt64?
    /// A balance socket: the last seq it has been sent, and whether its replay is still on
    /// the way (live updates meanwhile are in the replay, so they are skipped).
    private var balanceSeq: Int64 = 0
    private var awaitingReplay = false

    /// The permessage-deflate agreement, if any.
    let deflate: PerMessageDeflate?

    init(tcp: TCPConnection, context: LoopContext, endpoint: WebSocketEndpoint, deflate: PerMessageDeflate?, clientIP: String?, userAgent: String?) {
        self.client = ClientInfo(ip: clientIP, userAgent: userAgent)
        self.rateKey = ClientLimits.key(clientIP ?? "")
        self.deflate = deflate
        self.tcp = tcp
        self.context = context
        self.endpoint = endpoint
        protocolState = WebSocketConnection(configuration: .init(maxMessageSize: context.configuration.maxMessageSize),
                                            decompressor: deflate.map { Inflater(agreement: $0) })
        lastActivity = context.loop.turnTime
    }

    func start(initialBytes: [UInt8]) {
        switch endpoint {
        case .broadcast:
            join(context.broadcastRoom)
        case .seller:
            // The full state first, then the room's updates: both on this loop's thread,
            // so no update can slip in between.
            let state = context.shared.publication.read()
            send(HubMessages.frame(type: "metrics-update", data: state.liveMetrics))
            let sent = state.recentErrors.lazy.filter { $0.id <= self.context.sellerErrorsUpTo }.prefix(50)
            send(HubMessages.frame(type: "payment-errors-update", data: HubMessages.paymentErrors(Array(sent))))
            for gap in state.openGaps { send(gap) }
            join(context.sellerRoom)
        case .balance(let userId, let since):
            join(context.balanceRoom(for: userId))
            context.counters.balanceRoomMembers.bump()
            awaitingReplay = true
            context.hubClient.requestBalanceReplay(userId: userId, since: since, for: self)
        case .echo, .track:
            break
        }
        if !initialBytes.isEmpty {
            initialBytes.withUnsafeBytes { connection(tcp, received: $0) }
        }
    }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        lastActivity = context.loop.turnTime
        // Actions are collected, then carried out, so that carrying one out (which may
        // close this connection) never re-enters the state machine mid-parse.
        var actions: [WebSocketConnection.Action] = []
        protocolState.receive(bytes) { actions.append($0) }
        for action in actions { perform(action) }
    }

    private func perform(_ action: WebSocketConnection.Action) {
        switch action {
        case .deliver(let message):
            context.counters.messagesIn.bump()
            handle(message)
        case .send(let bytes):
            tcp.send(bytes)
        case .sendPong(let bytes):
            // Skipped for a peer that does not read what it is sent, so a ping flood
            // cannot pile up replies.
            if tcp.queuedBytes <= context.configuration.highWatermark { tcp.send(bytes) }
        case .pongReceived:
            pingSentAt = nil
        case .peerClosed:
            leaveRooms()
        case .closeTransport:
            leaveRooms()
            closeDeadline = context.loop.turnTime + context.configuration.closeTimeout
            tcp.closeAfterFlush()
        }
    }

    private func join(_ room: Room) {
        self.room = room
        room.join(self)
    }

    private func handle(_ message: WebSocketMessage) {
        switch endpoint {
        case .seller, .balance:
            break  // sellers and wallet users only listen
        case .track:
            track(message)
        case .echo:
            send(RoomMessage(opcode: message.opcode, payload: message.data))
        case .broadcast:
            let prefix: [UInt8] = Array("pub:".utf8)
            guard message.isText, message.data.starts(with: prefix) else { return }
            let frame = RoomMessage(opcode: .text, payload: Array(message.data[prefix.count...]))
            context.shared.deliver(to: .broadcast, frame, conflatable: false, except: self, from: context)
        }
    }

    /// A beacon over `/ws/track`: the same bodies as the HTTP beacons, with a `"type"`.
    /// The first beacon binds the socket to its session; closing the socket ends that
    /// tab's presence.
    private func track(_ message: WebSocketMessage) {
        do throws(APIError) {
            try context.limits.check(.beacon, key: rateKey, now: context.loop.turnTime)
            let body: JSONValue
            do {
                body = try JSONParser.parse(message.data)
            } catch {
                throw Beacon.invalid("not JSON: \(error.reason)")
            }
            guard let type = body["type"]?.stringValue else { throw Beacon.invalid("type is required") }
            guard let kind = BeaconKind(rawValue: type) else { throw Beacon.invalid("unknown beacon type \(type)") }
            let beacon = try Beacon.parse(kind: kind, body: body)
            let session = beacon.sessionID
            if trackedSession != session {
                if let previous = trackedSession { _ = context.hubClient.submit(.tabClosed(previous), replyTo: nil) }
                trackedSession = session
                _ = context.hubClient.submit(.tabOpened(session, client), replyTo: nil)
            }
            _ = context.hubClient.submit(.beacon(beacon, client), replyTo: nil)
            if case .sessionStart = beacon {
                var json = JSONWriter()
                json.beginObject()
                json.field("type", "session")
                json.field("session_id", session)
                json.endObject()
                sendText(json.bytes)
            }
            if case .sessionEnd = beacon { trackedSession = nil }
        } catch {
            // Refusals are not queued for a client that does not read them.
            guard tcp.queuedBytes <= context.configuration.highWatermark else { return }
            var json = JSONWriter()
            json.beginObject()
            json.field("type", "error")
            APIError.writeMember(into: &json, code: error.code, message: error.message)
            json.endObject()
            sendText(json.bytes)
        }
    }

    /// A reply of this socket's own (uncompressed, like every short control-like answer).
    private func sendText(_ bytes: [UInt8]) {
        context.counters.messagesOut.bump()
        tcp.send(WebSocketFrameEncoder.encode(opcode: .text, payload: bytes))
    }

    /// One message to this connection alone, compressed if that was agreed.
    func send(_ message: RoomMessage) {
        context.counters.messagesOut.bump()
        var frames = CompressedFrames()
        tcp.send(frames.frame(of: message, for: deflate, context: context))
    }

    /// The slow-consumer policy for a room delivery.
    func offer(_ frame: OutboundBytes, conflatable: Bool) -> OfferResult {
        let configuration = context.configuration
        if tcp.queuedBytes > configuration.maxBackpressure {
            closeSlowConsumer()
            return .disconnected
        }
        if conflatable && tcp.queuedBytes > configuration.highWatermark { return .skipped }
        tcp.send(frame)
        return .queued  // counted by the room, once per delivery
    }

    /// Drops what the client has not read yet and closes with 4008: one stuck client
    /// never holds memory without bound or slows the room.
    private func closeSlowConsumer() {
        context.counters.slowConsumerCloses.bump()
        tcp.discardUnsent()
        close(code: .slowConsumer, reason: "too slow to read")
    }

    private func close(code: WebSocketCloseCode, reason: String) {
        leaveRooms()
        if let frame = protocolState.close(code: code, reason: reason) { tcp.send(frame) }
        if closeDeadline == nil { closeDeadline = context.loop.turnTime + context.configuration.closeTimeout }
        if code == .slowConsumer || code == .pingTimeout { tcp.closeAfterFlush() }
    }

    private func leaveRooms() {
        guard let room else { return }
        room.leave(self)
        self.room = nil
        if case .balance(let userId, _) = endpoint {
            context.counters.balanceRoomMembers.bump(-1)
            context.balanceRoomLeft(userId)
        }
    }

    /// The hub's answer to this socket's replay request: what it missed, in order, then live.
    func balanceReplayArrived(frames: [[UInt8]], lastSeq: Int64) {
        guard awaitingReplay, room != nil else { return }
        for frame in frames { send(RoomMessage(opcode: .text, payload: frame)) }
        balanceSeq = lastSeq
        awaitingReplay = false
    }

    /// The database could not give the replay: the socket is closed (1011, RFC 6455
    /// §7.4.1) rather than left without what it missed; the client reconnects with `since`.
    func balanceReplayFailed() {
        guard awaitingReplay else { return }
        awaitingReplay = false
        close(code: .internalError, reason: "balance history unavailable; reconnect")
    }

    /// Whether a live update goes to this socket: not while the replay (which holds it) is
    /// on its way, and never one it already has.
    func acceptBalanceUpdate(seq: Int64) -> Bool {
        guard !awaitingReplay, seq > balanceSeq else { return false }
        balanceSeq = seq
        return true
    }

    func connectionClosed(_ connection: TCPConnection) {
        leaveRooms()
        if let session = trackedSession {
            trackedSession = nil
            _ = context.hubClient.submit(.tabClosed(session), replyTo: nil)
        }
        context.remove(self)
    }

    override func tick(now: UInt64) {
        if let deadline = closeDeadline {
            if now >= deadline { tcp.close() }
            return
        }
        let interval = context.configuration.pingInterval
        if let sent = pingSentAt {
            if now - sent > interval { close(code: .pingTimeout, reason: "no pong") }
        } else if now - lastActivity > interval {
            pingSentAt = now
            tcp.send(WebSocketFrameEncoder.encode(opcode: .ping, payload: []))
        }
    }

    override func beginShutdown() {
        close(code: .goingAway, reason: "server shutting down")
    }
}
