import Auth
import Hub
import JSON
import Reactor
import WebSocket
import WebSocketDeflate

/// A client connection after the WebSocket handshake: the RFC 6455 state machine, liveness
/// pings and the slow-consumer policy, the same for every endpoint; what the endpoint does
/// is its `role`'s.
///
/// Memory per idle socket is a benchmark target (BENCHMARKS.md), so fields are laid out
/// without padding holes and what only one role needs lives in that role.
final class WebSocketEndpointConnection: ManagedConnection, TCPConnectionDelegate {
    let tcp: TCPConnection
    /// The loop's context outlives its connections (unowned(unsafe): no check per access).
    unowned(unsafe) let context: LoopContext
    /// What this socket is for (echo, broadcast, seller, track, balance), with its state.
    let role: WebSocketRole
    /// Position in its room's member list (-1: in no room).
    var roomIndex = -1
    /// The client's rate-limit bucket, computed once.
    let rateKey: UInt64
    private var protocolState: WebSocketConnection
    /// Loop times (`EventLoop.turnTime`, never 0 once running); 0 is "none".
    private var lastActivity: UInt64
    private var pingSentAt: UInt64 = 0
    private var closeDeadline: UInt64 = 0
    /// The permessage-deflate agreement, if any.
    let deflate: PerMessageDeflate?
    private var hasLeft = false

    init(tcp: TCPConnection, context: LoopContext, endpoint: WebSocketEndpoint, deflate: PerMessageDeflate?, client addressing: ClientAddressing,
         userAgent: String?) {
        self.rateKey = addressing.rateKey
        self.deflate = deflate
        self.tcp = tcp
        self.context = context
        self.role = endpoint.makeRole(client: ClientInfo(ip: addressing.keptIP, userAgent: userAgent))
        protocolState = WebSocketConnection(configuration: .init(maxMessageSize: context.configuration.maxMessageSize),
                                            decompressor: deflate.map { Inflater(agreement: $0) })
        lastActivity = context.loop.turnTime
    }

    func start(initialBytes: [UInt8]) {
        role.start(on: self)
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
            role.received(message, on: self)
        case .send(let bytes):
            tcp.send(bytes)
        case .sendPong(let bytes):
            // Skipped for a peer that does not read what it is sent, so a ping flood
            // cannot pile up replies.
            if tcp.queuedBytes <= context.configuration.highWatermark { tcp.send(bytes) }
        case .pongReceived:
            pingSentAt = 0
        case .peerClosed:
            leaveRooms()
        case .closeTransport:
            leaveRooms()
            closeDeadline = context.loop.turnTime + context.configuration.closeTimeout.nanoseconds
            tcp.closeAfterFlush()
        }
    }

    /// A reply of this socket's own (uncompressed, like every short control-like answer).
    func sendText(_ bytes: [UInt8]) {
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
    func closeSlowConsumer() {
        context.counters.slowConsumerCloses.bump()
        tcp.discardUnsent()
        close(code: .slowConsumer, reason: "too slow to read")
    }

    func close(code: WebSocketCloseCode, reason: String) {
        leaveRooms()
        if let frame = protocolState.close(code: code, reason: reason) { tcp.send(frame) }
        if closeDeadline == 0 { closeDeadline = context.loop.turnTime + context.configuration.closeTimeout.nanoseconds }
        if code == .slowConsumer || code == .pingTimeout { tcp.closeAfterFlush() }
    }

    /// Out of its room, once, however the socket ends.
    private func leaveRooms() {
        guard !hasLeft else { return }
        hasLeft = true
        role.leave(self)
    }

    func connectionClosed(_ connection: TCPConnection) {
        leaveRooms()
        role.closed(self)
        context.remove(self)
    }

    override func tick(now: UInt64) {
        if closeDeadline != 0 {
            if now >= closeDeadline { tcp.close() }
            return
        }
        let interval = context.configuration.pingInterval.nanoseconds
        if pingSentAt != 0 {
            if now - pingSentAt > interval { close(code: .pingTimeout, reason: "no pong") }
        } else if now - lastActivity > interval {
            pingSentAt = now
            tcp.send(WebSocketFrameEncoder.encode(opcode: .ping, payload: []))
        }
    }

    override func beginShutdown() {
        close(code: .goingAway, reason: "server shutting down")
    }
}
