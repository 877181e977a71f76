/// A complete message: text (valid UTF-8) or binary.
public struct WebSocketMessage: Sendable, Equatable {
    public var opcode: WebSocketOpcode
    public var data: [UInt8]

    public init(opcode: WebSocketOpcode, data: [UInt8]) {
        self.opcode = opcode
        self.data = data
    }

    public var isText: Bool { opcode == .text }
}

/// The server side of one WebSocket connection after the handshake (RFC 6455 §5–§7),
/// sans I/O: bytes go in with `receive`, and what to do comes out as actions for the
/// transport to carry out — deliver a message, send bytes, close the TCP connection.
public struct WebSocketConnection {
    public struct Configuration: Sendable {
        /// Largest message (all its fragments together); a larger one closes with 1009.
        public var maxMessageSize: Int

        public init(maxMessageSize: Int = 1 << 20) {
            self.maxMessageSize = maxMessageSize
        }
    }

    public enum State: Sendable, Equatable {
        case open
        /// We sent a close frame and wait for the peer's (§7.1.2).
        case closing
        /// The close handshake is over or the connection failed: only TCP close remains.
        case closed
    }

    public enum Action: Sendable, Equatable {
        case deliver(WebSocketMessage)
        /// Write these bytes (a close frame).
        case send([UInt8])
        /// Write this pong. §5.5.3 lets a pong answer only the latest ping, so the I/O
        /// layer may skip it for a peer that is not reading what it is sent.
        case sendPong([UInt8])
        /// The peer answered a ping: it is alive.
        case pongReceived
        /// The peer's close frame, once validated (nil code: the frame had no payload).
        case peerClosed(WebSocketCloseCode?)
        /// Flush what was sent, then close the TCP connection (§7.1.1: the server closes first).
        case closeTransport
    }

    // Every socket holds one of these, so the byte-sized fields sit together after the
    // parser (in its tail) and the word-sized ones after them: no padding holes.
    public let configuration: Configuration
    private var parser: WebSocketFrameParser
    public private(set) var state: State = .open
    /// Opcode of the fragmented message in progress, if any.
    private var fragmentedOpcode: WebSocketOpcode?
    private var utf8 = UTF8Validator()
    /// Whether the message in progress is compressed (RSV1 on its first frame).
    private var fragmentsCompressed = false
    private var fragments: [UInt8] = []
    /// Set when permessage-deflate was negotiated: RSV1 marks a compressed message.
    private let decompressor: MessageDecompressor?

    public init(configuration: Configuration = Configuration(), decompressor: MessageDecompressor? = nil) {
        self.configuration = configuration
        self.decompressor = decompressor
        self.parser = WebSocketFrameParser(maxFrameSize: configuration.maxMessageSize, allowsRSV1: decompressor != nil)
    }

    public mutating func receive(_ bytes: UnsafeRawBufferPointer, _ perform: (Action) -> Void) {
        guard state != .closed else { return }
        parser.append(bytes)
        while state != .closed {
            do {
                guard let frame = try parser.next() else { return }
                try handle(frame, perform)
            } catch {
                fail(error, perform)
                return
            }
        }
    }

    public mutating func receive(_ bytes: [UInt8], _ perform: (Action) -> Void) {
        bytes.withUnsafeBytes { receive($0, perform) }
    }

    /// Starts the closing handshake from our side (§7.1.2). Returns the close frame to
    /// send, or nil if a close is already under way.
    public mutating func close(code: WebSocketCloseCode, reason: String = "") -> [UInt8]? {
        guard state == .open else { return nil }
        state = .closing
        return WebSocketFrameEncoder.encodeClose(code: code, reason: reason)
    }

    /// Bytes held for an incomplete frame or message: what this connection costs beyond
    /// its fixed size.
    public var bufferedCount: Int { parser.bufferedCount + fragments.count }

    private mutating func handle(_ frame: WebSocketFrame, _ perform: (Action) -> Void) throws(WebSocketProtocolError) {
        switch frame.opcode {
        case .ping:
            // §5.5.3: a pong carries the ping's application data. None after our close.
            if state == .open { perform(.sendPong(WebSocketFrameEncoder.encode(opcode: .pong, payload: frame.payload))) }
        case .pong:
            perform(.pongReceived)
        case .close:
            let code = try Self.parseClose(frame.payload)
            perform(.peerClosed(code))
            if state == .open {
                // §5.5.1: answer with a close frame; echo the status code we received.
                perform(.send(WebSocketFrameEncoder.encodeClose(code: code)))
            }
            state = .closed
            perform(.closeTransport)
        case .text, .binary:
            if fragmentedOpcode != nil { throw .expectedContinuation }
            if state != .open { return }  // §1.4: data after our close is discarded
            // A compressed text message is validated once inflated, not frame by frame.
            if frame.opcode == .text && !frame.rsv1 {
                utf8.reset()
                guard utf8.validate(frame.payload) else { throw .invalidUTF8 }
            }
            if frame.fin {
                try deliver(opcode: frame.opcode, payload: frame.payload, compressed: frame.rsv1, perform)
            } else {
                fragmentedOpcode = frame.opcode
                fragmentsCompressed = frame.rsv1
                fragments = frame.payload
            }
        case .continuation:
            guard let opcode = fragmentedOpcode else { throw .unexpectedContinuation }
            if fragments.count + frame.payload.count > configuration.maxMessageSize { throw .messageTooLarge }
            if opcode == .text && !fragmentsCompressed {
                guard utf8.validate(frame.payload) else { throw .invalidUTF8 }
            }
            fragments.append(contentsOf: frame.payload)
            if frame.fin {
                let data = fragments
                fragments = []
                fragmentedOpcode = nil
                if state == .open { try deliver(opcode: opcode, payload: data, compressed: fragmentsCompressed, perform) }
            }
        }
    }

    /// A complete message: inflated if it was compressed, its text checked, handed over.
    private mutating func deliver(opcode: WebSocketOpcode, payload: [UInt8], compressed: Bool, _ perform: (Action) -> Void) throws(WebSocketProtocolError) {
        var data = payload
        if compressed {
            guard let decompressor else { throw .reservedBitsSet }
            data = try decompressor.decompress(payload, maxSize: configuration.maxMessageSize)
            if opcode == .text {
                utf8.reset()
                guard utf8.validate(data) else { throw .invalidUTF8 }
            }
        }
        if opcode == .text && !utf8.isComplete { throw .invalidUTF8 }
        perform(.deliver(WebSocketMessage(opcode: opcode, data: data)))
    }

    /// §5.5.1: an optional 2-byte code, then a UTF-8 reason.
    static func parseClose(_ payload: [UInt8]) throws(WebSocketProtocolError) -> WebSocketCloseCode? {
        if payload.isEmpty { return nil }
        if payload.count == 1 { throw .closePayloadOfOneByte }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidOnWire else { throw .invalidCloseCode(code.rawValue) }
        var validator = UTF8Validator()
        let reasonValid = payload.withUnsafeBytes { validator.validate(UnsafeRawBufferPointer(rebasing: $0[2...])) }
        guard reasonValid && validator.isComplete else { throw .invalidUTF8 }
        return code
    }

    /// §7.1.7 "Fail the WebSocket Connection": send the close code of the error, then close.
    private mutating func fail(_ error: WebSocketProtocolError, _ perform: (Action) -> Void) {
        if state == .open {
            perform(.send(WebSocketFrameEncoder.encodeClose(code: error.closeCode, reason: error.reason)))
        }
        state = .closed
        fragments = []
        perform(.closeTransport)
    }
}
