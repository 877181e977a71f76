/// One frame as read from a client, its payload already unmasked.
public struct WebSocketFrame: Sendable, Equatable {
    public var fin: Bool
    /// RSV1 (RFC 7692 uses it for "compressed"); RSV2 and RSV3 are always refused.
    public var rsv1: Bool
    public var opcode: WebSocketOpcode
    public var payload: [UInt8]

    public init(fin: Bool = true, rsv1: Bool = false, opcode: WebSocketOpcode, payload: [UInt8] = []) {
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.payload = payload
    }
}
