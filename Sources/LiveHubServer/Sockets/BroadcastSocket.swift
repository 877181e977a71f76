import WebSocket

/// `/ws/broadcast`: a text message `pub:X` goes as X to every other member, on every loop
/// (load tools measure fan-out with it).
final class BroadcastSocket: WebSocketRole, Sendable {
    static let shared = BroadcastSocket()

    private static let prefix = Array("pub:".utf8)

    func start(on socket: WebSocketEndpointConnection) {
        socket.context.broadcastRoom.join(socket)
    }

    func received(_ message: WebSocketMessage, on socket: WebSocketEndpointConnection) {
        guard message.isText, message.data.starts(with: Self.prefix) else { return }
        let frame = RoomMessage(opcode: .text, payload: Array(message.data[Self.prefix.count...]))
        socket.context.shared.deliver(to: .broadcast, frame, conflatable: false, except: socket, from: socket.context)
    }

    func leave(_ socket: WebSocketEndpointConnection) {
        socket.context.broadcastRoom.leave(socket)
    }
}
