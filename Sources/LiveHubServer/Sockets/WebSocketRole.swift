import Auth
import Hub
import WebSocket

/// The WebSocket endpoints this server offers, as the router finds them.
enum WebSocketEndpoint: Sendable {
    /// `/ws/echo`: every message back to its sender (conformance suites).
    case echo
    /// `/ws/broadcast`: `pub:X` is sent as X to every other connection there (load tools).
    case broadcast
    /// `/ws/seller`: the seller room (the token that let it in).
    case seller(AccessToken?)
    /// `/ws/track`: one storefront tab sending beacons.
    case track
    /// `/ws/balance`: one wallet user's room (nil: named by the first message's token);
    /// `since` asks for the updates after that seq.
    case balance(userId: String?, since: Int64?)

    /// What a socket of this endpoint does, with the state only it needs. The roles that
    /// keep no state are one object for all their sockets (nothing allocated per socket).
    func makeRole(client: @autoclosure () -> ClientInfo) -> WebSocketRole {
        switch self {
        case .echo: EchoSocket.shared
        case .broadcast: BroadcastSocket.shared
        case .seller: SellerSocket.shared
        case .track: TrackSocket(client: client())
        case .balance(let userId, let since): BalanceSocket(userId: userId, since: since)
        }
    }
}

/// What one kind of socket does: the connection (`WebSocketEndpointConnection`) runs the
/// protocol, the pings and the slow-consumer policy for every kind alike, and asks its role
/// what to do at the start, with each message and at the end.
protocol WebSocketRole: AnyObject {
    /// Right after the handshake, before the client's first message is read.
    func start(on socket: WebSocketEndpointConnection)
    /// A data message from the client.
    func received(_ message: WebSocketMessage, on socket: WebSocketEndpointConnection)
    /// The socket stops being a member (it is closing, or the peer closed): called once.
    func leave(_ socket: WebSocketEndpointConnection)
    /// The connection is gone.
    func closed(_ socket: WebSocketEndpointConnection)
}

extension WebSocketRole {
    func start(on socket: WebSocketEndpointConnection) {}
    /// Sellers and wallet users only listen.
    func received(_ message: WebSocketMessage, on socket: WebSocketEndpointConnection) {}
    func leave(_ socket: WebSocketEndpointConnection) {}
    func closed(_ socket: WebSocketEndpointConnection) {}
}
