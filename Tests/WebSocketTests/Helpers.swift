import WebSocket

/// A client frame as a browser would send it: masked with `key` (RFC 6455 §5.3).
func clientFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
    if payload.count < 126 {
        out.append(0x80 | UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
        out += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
        out.append(0x80 | 127)
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(payload.count) >> (56 - 8 * UInt64(k)))) }
    }
    out += key
    for (i, byte) in payload.enumerated() { out.append(byte ^ key[i % 4]) }
    return out
}

func text(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Runs bytes through a connection and returns every action.
func actions(_ connection: inout WebSocketConnection, _ bytes: [UInt8], splitEvery: Int? = nil) -> [WebSocketConnection.Action] {
    var out: [WebSocketConnection.Action] = []
    if let step = splitEvery {
        var i = 0
        while i < bytes.count {
            connection.receive(Array(bytes[i..<min(i + step, bytes.count)])) { out.append($0) }
            i += step
        }
    } else {
        connection.receive(bytes) { out.append($0) }
    }
    return out
}

/// The close code in a server close frame.
func closeCode(of frame: [UInt8]) -> UInt16? {
    guard frame.count >= 4, frame[0] == 0x88 else { return nil }
    return UInt16(frame[2]) << 8 | UInt16(frame[3])
}

/// The close code sent by the last `.send` of a close frame in `actions`, if the transport is then closed.
func failure(_ actions: [WebSocketConnection.Action]) -> UInt16? {
    guard actions.last == .closeTransport else { return nil }
    for action in actions.reversed() {
        if case .send(let bytes) = action, let code = closeCode(of: bytes) { return code }
    }
    return nil
}
