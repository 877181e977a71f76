/// `/ws/seller`: a seller's dashboard, which only listens: the state when it joins, then
/// the room's updates (`SellerRoom`).
final class SellerSocket: WebSocketRole, Sendable {
    static let shared = SellerSocket()

    func start(on socket: WebSocketEndpointConnection) {
        socket.context.sellerRoom.join(socket, context: socket.context)
    }

    func leave(_ socket: WebSocketEndpointConnection) {
        socket.context.sellerRoom.leave(socket)
    }
}
