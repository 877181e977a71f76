import Testing
import WebSocket
@testable import WebSocketDeflate

@Suite("RFC 7692 §5 and §7: negotiation")
struct NegotiationTests {
    @Test(arguments: [
        ("permessage-deflate", "permessage-deflate; server_no_context_takeover", 15, 15, false),
        ("permessage-deflate; client_max_window_bits", "permessage-deflate; server_no_context_takeover", 15, 15, false),
        ("permessage-deflate; client_max_window_bits=10", "permessage-deflate; server_no_context_takeover; client_max_window_bits=10", 15, 10, false),
        ("permessage-deflate; client_max_window_bits=\"10\"", "permessage-deflate; server_no_context_takeover; client_max_window_bits=10", 15, 10, false),
        ("permessage-deflate; server_max_window_bits=9; client_no_context_takeover",
         "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_no_context_takeover", 9, 15, true),
        ("x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover", 15, 15, false),
        // The first offer asks for an 8-bit window zlib cannot compress with: the second is taken.
        ("permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate; server_no_context_takeover", 15, 15, false),
    ])
    func acceptedOffers(offer: String, response: String, server: Int, client: Int, clientReset: Bool) throws {
        let (agreement, answer) = try #require(PerMessageDeflate.negotiate([offer]))
        #expect(answer == response)
        #expect(agreement == PerMessageDeflate(serverMaxWindowBits: server, clientMaxWindowBits: client, clientNoContextTakeover: clientReset))
    }

    @Test(arguments: [
        "permessage-deflate; server_max_window_bits=8",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=07",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; mystery=1",
        "permessage-deflate; server_no_context_takeover=yes",
        "permessage-deflate; =",
        "x-other",
    ])
    func declinedOffers(offer: String) {
        #expect(PerMessageDeflate.negotiate([offer]) == nil)
    }
}

@Suite("RFC 7692 §7.2: compressing and inflating")
struct DeflateTests {
    @Test func theRFCExample() throws {
        // §7.2.3.1: "Hello" compressed without context takeover.
        let compressed = Array("Hello".utf8).withUnsafeBytes { Deflater(windowBits: 15).compress($0) }
        #expect(compressed == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        let inflater = Inflater(agreement: PerMessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: 15, clientNoContextTakeover: false))
        #expect(try inflater.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], maxSize: 100) == Array("Hello".utf8))
    }

    @Test func theSameMessageCompressesToTheSameBytesEveryTime() {
        let deflater = Deflater(windowBits: 15)
        let text = Array(String(repeating: "live metrics ", count: 50).utf8)
        let first = text.withUnsafeBytes { deflater.compress($0) }
        let second = text.withUnsafeBytes { deflater.compress($0) }
        #expect(first == second, "no context is carried from one message to the next")
        #expect(first.count < text.count / 5)
    }

    @Test func contextTakeoverAcrossMessages() throws {
        // A client that keeps its window: the second message refers back to the first.
        let inflater = Inflater(agreement: PerMessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: 15, clientNoContextTakeover: false))
        #expect(try inflater.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], maxSize: 100) == Array("Hello".utf8))
        // §7.2.3.2: the second "Hello" with context takeover is f2 00 11 00 00.
        #expect(try inflater.decompress([0xF2, 0x00, 0x11, 0x00, 0x00], maxSize: 100) == Array("Hello".utf8))
    }

    @Test func aZipBombStopsAtTheLimit() {
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        let bomb = zeros.withUnsafeBytes { Deflater(windowBits: 15).compress($0) }
        #expect(bomb.count < 20_000)
        let inflater = Inflater(agreement: PerMessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: 15, clientNoContextTakeover: true))
        #expect(throws: WebSocketProtocolError.messageTooLarge) { try inflater.decompress(bomb, maxSize: 1 << 20) }
    }

    @Test func garbageIsInvalidData() {
        let inflater = Inflater(agreement: PerMessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: 15, clientNoContextTakeover: true))
        #expect(throws: WebSocketProtocolError.invalidCompressedData) { try inflater.decompress([0xFF, 0xFF, 0xFF, 0xFF], maxSize: 1000) }
        #expect(WebSocketProtocolError.invalidCompressedData.closeCode == .invalidPayloadData)
    }
}

@Suite("Compressed messages through the connection")
struct CompressedConnectionTests {
    func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false) -> [UInt8] {
        let key: [UInt8] = [9, 8, 7, 6]
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode, 0x80 | UInt8(payload.count)]
        out += key
        for (i, b) in payload.enumerated() { out.append(b ^ key[i % 4]) }
        return out
    }

    func run(_ bytes: [UInt8], negotiated: Bool = true) -> [WebSocketConnection.Action] {
        let agreement = PerMessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: 15, clientNoContextTakeover: false)
        var connection = WebSocketConnection(decompressor: negotiated ? Inflater(agreement: agreement) : nil)
        var actions: [WebSocketConnection.Action] = []
        connection.receive(bytes) { actions.append($0) }
        return actions
    }

    let hello: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]

    @Test func aCompressedTextMessage() {
        #expect(run(frame(1, hello, rsv1: true)) == [.deliver(WebSocketMessage(opcode: .text, data: Array("Hello".utf8)))])
    }

    @Test func aCompressedMessageInFragmentsWithRSV1OnTheFirstOnly() {
        let bytes = frame(1, Array(hello[..<3]), fin: false, rsv1: true) + frame(0, Array(hello[3...]))
        #expect(run(bytes) == [.deliver(WebSocketMessage(opcode: .text, data: Array("Hello".utf8)))])
    }

    @Test func rsv1OnAContinuationOrAControlFrameFails() {
        let onContinuation = run(frame(1, Array(hello[..<3]), fin: false, rsv1: true) + frame(0, Array(hello[3...]), rsv1: true))
        #expect(onContinuation.last == .closeTransport)
        let onPing = run(frame(9, [], rsv1: true))
        #expect(onPing.last == .closeTransport)
    }

    @Test func rsv1WithoutNegotiationFails() {
        #expect(run(frame(1, hello, rsv1: true), negotiated: false).last == .closeTransport)
    }

    @Test func invalidUTF8InsideTheCompressedTextIs1007() {
        let compressed = [UInt8]([0xC0, 0x80]).withUnsafeBytes { Deflater(windowBits: 15).compress($0) }
        let actions = run(frame(1, compressed, rsv1: true))
        let closeCodes = actions.compactMap { action -> [UInt8]? in
            if case .send(let bytes) = action, bytes.first == 0x88, bytes.count >= 4 { return Array(bytes[2...3]) }
            return nil
        }
        #expect(closeCodes == [[0x03, 0xEF]])  // 1007
        #expect(actions.last == .closeTransport)
    }
}
