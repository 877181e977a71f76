/// Every way a peer can break the protocol. `closeCode` is the one place where an error
/// becomes the status code of the close frame we send (RFC 6455 §7.4.1); `reason` is
/// what the peer is told, and says nothing of our internals.
public enum WebSocketProtocolError: Error, Equatable, Sendable {
    case reservedBitsSet
    case unknownOpcode(UInt8)
    case unmaskedClientFrame
    case fragmentedControlFrame
    case controlFrameTooLong
    case lengthHighBitSet
    case unexpectedContinuation
    case expectedContinuation
    case frameTooLarge
    case messageTooLarge
    case invalidUTF8
    case invalidCloseCode(UInt16)
    case closePayloadOfOneByte
    /// RFC 7692: the compressed data does not inflate.
    case invalidCompressedData

    public var closeCode: WebSocketCloseCode {
        switch self {
        case .frameTooLarge, .messageTooLarge: return .messageTooBig
        case .invalidUTF8, .invalidCompressedData: return .invalidPayloadData
        default: return .protocolError
        }
    }

    public var reason: String {
        switch self {
        case .reservedBitsSet: return "reserved bits set"
        case .unknownOpcode: return "unknown opcode"
        case .unmaskedClientFrame: return "client frames must be masked"
        case .fragmentedControlFrame: return "fragmented control frame"
        case .controlFrameTooLong: return "control frame over 125 bytes"
        case .lengthHighBitSet: return "invalid payload length"
        case .unexpectedContinuation: return "continuation without a message"
        case .expectedContinuation: return "new message inside a fragmented one"
        case .frameTooLarge: return "frame too large"
        case .messageTooLarge: return "message too large"
        case .invalidUTF8: return "invalid UTF-8"
        case .invalidCloseCode: return "invalid close code"
        case .closePayloadOfOneByte: return "invalid close payload"
        case .invalidCompressedData: return "invalid compressed data"
        }
    }
}
