import HTTP1
import Testing
@testable import WebSocket

@Suite("RFC 6455 §4.2 opening handshake")
struct HandshakeTests {
    func head(_ fields: [(String, String)], method: String = "GET") -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: "/ws/echo", minorVersion: 1, headers: HTTPHeaders([("Host", "a")] + fields))
    }

    let good: [(String, String)] = [
        ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
    ]

    @Test func acceptValueOfTheRFCExample() {
        // §1.3
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func validRequestGets101() throws {
        let response = try WebSocketHandshake.response(to: head(good)).get()
        #expect(response.status.code == 101)
        #expect(response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.headers["Upgrade"] == "websocket")
    }

    @Test func wrongVersionIs426WithTheSupportedVersion() {
        let fields = good.map { $0.0 == "Sec-WebSocket-Version" ? ($0.0, "8") : $0 }
        guard case .failure(let error) = WebSocketHandshake.response(to: head(fields)) else {
            Issue.record("accepted version 8")
            return
        }
        #expect(error.status.code == 426)
        #expect(error.headers["Sec-WebSocket-Version"] == "13")
    }

    @Test func badKeysAndMissingHeadersAreRefused() {
        let shortKey = good.map { $0.0 == "Sec-WebSocket-Key" ? ($0.0, "c2hvcnQ=") : $0 }
        #expect(throws: HandshakeError.invalidKey) { try WebSocketHandshake.response(to: head(shortKey)).get() }
        #expect(throws: HandshakeError.missingConnectionUpgrade) { try WebSocketHandshake.response(to: head(good.filter { $0.0 != "Connection" })).get() }
        #expect(throws: HandshakeError.missingUpgrade) { try WebSocketHandshake.response(to: head(good.filter { $0.0 != "Upgrade" })).get() }
        #expect(throws: HandshakeError.methodNotGet) { try WebSocketHandshake.response(to: head(good, method: "POST")).get() }
    }
}

@Suite("UTF-8 validation (RFC 3629)")
struct UTF8ValidatorTests {
    @Test(arguments: [
        [UInt8](), text("plain ascii text, long enough for the fast path"), [0xC2, 0x80], [0xE0, 0xA0, 0x80],
        [0xED, 0x9F, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], text("κόσμε"),
    ])
    func valid(bytes: [UInt8]) {
        // Whole, and split at every point.
        for split in 0...bytes.count {
            var validator = UTF8Validator()
            let first = validator.validate(Array(bytes[..<split]))
            let second = validator.validate(Array(bytes[split...]))
            #expect(first && second && validator.isComplete)
        }
    }

    @Test(arguments: [
        [UInt8(0x80)], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],  // overlong, surrogate
        [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xC2, 0x41],
    ])
    func invalid(bytes: [UInt8]) {
        var validator = UTF8Validator()
        let ok = validator.validate(bytes)
        #expect(!ok)
    }

    @Test func incompleteAtTheEnd() {
        var validator = UTF8Validator()
        let ok = validator.validate([0xF0, 0x90])
        #expect(ok)
        #expect(!validator.isComplete)
    }
}

@Suite("Base64 (RFC 4648)")
struct Base64Tests {
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func rfcVectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func rejectsForeignCharacters() {
        #expect(Base64.decode("Zm9v!") == nil)
        #expect(Base64.decode("Zg==Zg") == nil)
    }
}
