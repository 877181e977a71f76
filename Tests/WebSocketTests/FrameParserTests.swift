import Testing
@testable import WebSocket

@Suite("RFC 6455 §5.2 base framing")
struct FrameParserTests {
    /// §5.7: a single-frame masked text message containing "Hello".
    static let maskedHello: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]

    @Test func parsesTheRFCExample() throws {
        var parser = WebSocketFrameParser(maxFrameSize: 1 << 20)
        parser.append(Self.maskedHello)
        let frame = try #require(try parser.next())
        #expect(frame == WebSocketFrame(fin: true, opcode: .text, payload: text("Hello")))
        #expect(try parser.next() == nil)
        #expect(parser.bufferedCount == 0)
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func everyLengthEncodingAtEverySplit(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let bytes = clientFrame(0x2, payload) + Self.maskedHello
        // Split points: every byte in the header area, then a few in the payload.
        let splits = Array(0..<min(bytes.count, 16)) + [bytes.count / 2, bytes.count - 1]
        for split in splits {
            var parser = WebSocketFrameParser(maxFrameSize: 1 << 20)
            var frames: [WebSocketFrame] = []
            parser.append(Array(bytes[..<split]))
            while let frame = try parser.next() { frames.append(frame) }
            parser.append(Array(bytes[split...]))
            while let frame = try parser.next() { frames.append(frame) }
            #expect(frames.count == 2, "split at \(split)")
            #expect(frames.first?.payload == payload, "split at \(split)")
            #expect(frames.last?.payload == text("Hello"))
        }
    }

    private func error(_ bytes: [UInt8], maxFrameSize: Int = 1 << 20, allowsRSV1: Bool = false) -> WebSocketProtocolError? {
        var parser = WebSocketFrameParser(maxFrameSize: maxFrameSize, allowsRSV1: allowsRSV1)
        parser.append(bytes)
        do {
            _ = try parser.next()
            return nil
        } catch {
            return error
        }
    }

    @Test func unmaskedClientFramesFail() {
        // §5.1: "a server MUST close the connection upon receiving a frame that is not masked".
        #expect(error([0x81, 0x05] + text("Hello")) == .unmaskedClientFrame)
        #expect(WebSocketProtocolError.unmaskedClientFrame.closeCode == .protocolError)
    }

    @Test(arguments: [UInt8(0x40), 0x20, 0x10])
    func reservedBitsFail(bit: UInt8) {
        #expect(error(clientFrame(0x1, text("x"), rsv: bit)) == .reservedBitsSet)
    }

    @Test func rsv1IsAllowedOnlyWhenNegotiatedAndOnlyOnTheFirstFrame() {
        #expect(error(clientFrame(0x1, text("x"), rsv: 0x40), allowsRSV1: true) == nil)
        #expect(error(clientFrame(0x0, text("x"), rsv: 0x40), allowsRSV1: true) == .reservedBitsSet)
    }

    @Test(arguments: [UInt8(3), 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func unknownOpcodesFail(opcode: UInt8) {
        #expect(error(clientFrame(opcode, [])) == .unknownOpcode(opcode))
    }

    @Test func controlFramesAreShortAndUnfragmented() {
        // §5.5: at most 125 bytes, never fragmented.
        #expect(error(clientFrame(0x9, Array(repeating: 0, count: 126))) == .controlFrameTooLong)
        #expect(error(clientFrame(0x9, [], fin: false)) == .fragmentedControlFrame)
        #expect(error(clientFrame(0x9, Array(repeating: 0, count: 125))) == nil)
    }

    @Test func sixtyFourBitLengthWithTheHighBitSetFails() {
        // §5.2: "the most significant bit MUST be 0". Converting it to Int would trap.
        #expect(error([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0]) == .lengthHighBitSet)
    }

    @Test func oversizedFramesFailFromTheHeaderAlone() {
        // Only the header is here: the limit is checked before any payload arrives.
        #expect(error([0x82, 0xFF, 0x00, 0, 0, 0, 0, 0x10, 0, 0], maxFrameSize: 1024) == .frameTooLarge)
        #expect(error([0x82, 0xFE, 0x04, 0x01], maxFrameSize: 1024) == .frameTooLarge)
        #expect(WebSocketProtocolError.frameTooLarge.closeCode == .messageTooBig)
    }
}

@Suite("Server frames")
struct FrameEncoderTests {
    @Test(arguments: [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
    func headerSizes(length: Int, header: Int) {
        let frame = WebSocketFrameEncoder.encode(opcode: .binary, payload: Array(repeating: 1, count: length))
        #expect(frame.count == header + length)
        #expect(frame[0] == 0x82)
        #expect(frame[1] & 0x80 == 0, "server frames are never masked")
    }

    @Test func exactBytes() {
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: text("Hi")) == [0x81, 0x02, 0x48, 0x69])
        #expect(WebSocketFrameEncoder.encode(opcode: .binary, payload: Array(repeating: 0, count: 256)).prefix(4) == [0x82, 0x7E, 0x01, 0x00])
        #expect(WebSocketFrameEncoder.encodeClose(code: .goingAway, reason: "bye") == [0x88, 0x05, 0x03, 0xE9, 0x62, 0x79, 0x65])
        #expect(WebSocketFrameEncoder.encodeClose(code: nil) == [0x88, 0x00])
    }

    @Test func closeReasonIsCutAtACodePointBoundary() {
        let frame = WebSocketFrameEncoder.encodeClose(code: .normalClosure, reason: String(repeating: "é", count: 100))
        #expect(frame.count <= 2 + 125)
        var validator = UTF8Validator()
        let ok = validator.validate(Array(frame[4...]))
        #expect(ok && validator.isComplete)
    }
}
