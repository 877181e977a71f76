import WebSocket

/// `/ws/echo`: every message back to its sender, as it came (conformance suites).
final class EchoSocket: WebSocketRole, Sendable {
    static let shared = EchoSocket()

    func received(_ message: WebSocketMessage, on socket: WebSocketEndpointConnection) {
        socket.send(RoomMessage(opcode: message.opcode, payload: message.data))
    }
}
