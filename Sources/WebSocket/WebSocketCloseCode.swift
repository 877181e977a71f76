/// RFC 6455 §7.4 status codes, and the private-use ones this server sends.
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let normalClosure = WebSocketCloseCode(rawValue: 1000)
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    public static let invalidPayloadData = WebSocketCloseCode(rawValue: 1007)
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    public static let internalError = WebSocketCloseCode(rawValue: 1011)
    /// Private use (§7.4.2, 4000–4999): the client read too slowly and its queue overflowed.
    public static let slowConsumer = WebSocketCloseCode(rawValue: 4008)
    /// Private use: the peer stopped answering pings.
    public static let pingTimeout = WebSocketCloseCode(rawValue: 4009)

    /// §7.4.1–7.4.2: may this code appear in a close frame received from a peer? 1004–1006
    /// and 1015 are reserved (never sent on the wire), 1012–2999 are not assigned to us, and
    /// 3000–4999 belong to libraries and applications.
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1011: return true
        case 3000...4999: return true
        default: return false
        }
    }
}
