/// What the hub records about the browser a beacon came from (the server fills it from
/// the connection and headers, never from the beacon body).
public struct ClientInfo: Sendable, Equatable {
    public var ip: String?
    public var userAgent: String?

    public init(ip: String? = nil, userAgent: String? = nil) {
        self.ip = ip
        self.userAgent = userAgent
    }
}
