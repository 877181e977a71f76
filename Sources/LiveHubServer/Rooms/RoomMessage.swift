import Reactor
import WebSocket
import WebSocketDeflate

/// A message for many connections: its payload, and its frame encoded once. Members that
/// negotiated permessage-deflate get a compressed frame, made once per window size on each
/// loop (the server never carries compression context between messages, so the bytes are
/// the same for every such member). Immutable, so loops share it.
final class RoomMessage: Sendable {
    let opcode: WebSocketOpcode
    let payload: [UInt8]
    let frame: OutboundBytes

    init(opcode: WebSocketOpcode, payload: [UInt8]) {
        self.opcode = opcode
        self.payload = payload
        self.frame = payload.withUnsafeBytes { Self.encode(opcode: opcode, payload: $0, compressed: false) }
    }

    static func encode(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, compressed: Bool) -> OutboundBytes {
        OutboundBytes(count: WebSocketFrameEncoder.headerSize(payloadCount: payload.count) + payload.count) { out in
            WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, into: out, rsv1: compressed)
        }
    }
}

/// Compressed frames of one message, made at most once per window size during one
/// delivery on one loop.
struct CompressedFrames {
    private var byWindow: [Int: OutboundBytes] = [:]

    /// The frame `member` should get.
    mutating func frame(of message: RoomMessage, for agreement: PerMessageDeflate?, context: LoopContext) -> OutboundBytes {
        guard let agreement, message.payload.count >= context.configuration.compression.minimumSize else { return message.frame }
        if let made = byWindow[agreement.serverMaxWindowBits] { return made }
        let compressed = message.payload.withUnsafeBytes { context.deflater(windowBits: agreement.serverMaxWindowBits).compress($0) }
        let frame = compressed.withUnsafeBytes { RoomMessage.encode(opcode: message.opcode, payload: $0, compressed: true) }
        byWindow[agreement.serverMaxWindowBits] = frame
        return frame
    }
}
