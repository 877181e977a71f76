import Reactor
import WebSocket

/// The WebSocket endpoints this server offers.
enum WebSocketEndpoint: Sendable {
    /// `/ws/echo`: every message back to its sender (conformance suites).
    case echo
    /// `/ws/broadcast`: `pub:X` is sent as X to every other connection there (load tools).
    case broadcast
}

/// A client connection after the WebSocket handshake: the RFC 6455 state machine,
/// liveness pings, and membership of a room.
final class WebSocketEndpointConnection: ManagedConnection, TCPConnectionDelegate {
    let tcp: TCPConnection
    unowned let context: LoopContext
    let endpoint: WebSocketEndpoint
    /// Position in its room's member list (-1: in no room).
    var roomIndex = -1
    private var protocolState: WebSocketConnection
    private var lastActivity: UInt64
    private var pingSentAt: UInt64?
    private var closeDeadline: UInt64?

    init(tcp: TCPConnection, context: LoopContext, endpoint: WebSocketEndpoint) {
        self.tcp = tcp
        self.context = context
        self.endpoint = endpoint
        protocolState = WebSocketConnection(configuration: .init(maxMessageSize: context.configuration.maxMessageSize))
        lastActivity = context.loop.turnTime
    }

    func start(initialBytes: [UInt8]) {
        if endpoint == .broadcast { context.broadcastRoom.join(self) }
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
            context.loop.stats.messagesIn.bump()
            handle(message)
        case .send(let bytes):
            tcp.send(bytes)
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

    private func handle(_ message: WebSocketMessage) {
        switch endpoint {
        case .echo:
            context.loop.stats.messagesOut.bump()
            tcp.send(WebSocketFrameEncoder.encode(opcode: message.opcode, payload: message.data))
        case .broadcast:
            let prefix: [UInt8] = Array("pub:".utf8)
            guard message.isText, message.data.starts(with: prefix) else { return }
            let frame = message.data.withUnsafeBytes { raw in
                Self.encodeShared(opcode: .text, payload: UnsafeRawBufferPointer(rebasing: raw[prefix.count...]))
            }
            context.broadcastRoom.deliver(frame, except: self, context: context)
            context.shared.forEachOtherLoop(than: context.loop.index) { handle in
                handle.execute { loop in
                    guard let other = loop.context as? LoopContext else { return }
                    other.broadcastRoom.deliver(frame, context: other)
                }
            }
        }
    }

    /// One frame, encoded once, for every member of a room.
    static func encodeShared(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer) -> OutboundBytes {
        OutboundBytes(count: WebSocketFrameEncoder.headerSize(payloadCount: payload.count) + payload.count) { out in
            WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, into: out)
        }
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
        return .queued
    }

    /// Drops what the client has not read yet and closes with 4008: one stuck client
    /// never holds memory without bound or slows the room.
    private func closeSlowConsumer() {
        context.loop.stats.slowConsumerCloses.bump()
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
        if roomIndex >= 0 { context.broadcastRoom.leave(self) }
    }

    func connectionClosed(_ connection: TCPConnection) {
        leaveRooms()
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
