import Testing
@testable import WebSocket

@Suite("RFC 6455 §5.4 fragmentation and §5.5 control frames")
struct FragmentationTests {
    @Test(arguments: [nil, 1, 3])
    func fragmentedTextWithAPingInBetween(split: Int?) {
        var connection = WebSocketConnection()
        let bytes = clientFrame(0x1, text("Hel"), fin: false) + clientFrame(0x9, text("p")) + clientFrame(0x0, text("lo"), fin: false) + clientFrame(0x0, text("!"))
        let result = actions(&connection, bytes, splitEvery: split)
        #expect(result == [
            .sendPong([0x8A, 0x01, 0x70]),  // the pong, with the ping's data, before the message completes
            .deliver(WebSocketMessage(opcode: .text, data: text("Hello!"))),
        ])
    }

    @Test func continuationWithoutAMessageFails() {
        var connection = WebSocketConnection()
        #expect(failure(actions(&connection, clientFrame(0x0, text("x")))) == 1002)
        #expect(connection.state == .closed)
    }

    @Test func newMessageInsideAFragmentedOneFails() {
        var connection = WebSocketConnection()
        #expect(failure(actions(&connection, clientFrame(0x1, text("a"), fin: false) + clientFrame(0x1, text("b")))) == 1002)
    }

    @Test func pongIsReportedAndNothingElse() {
        var connection = WebSocketConnection()
        #expect(actions(&connection, clientFrame(0xA, text("x"))) == [.pongReceived])
    }

    @Test func binaryMessagesAreNotValidated() {
        var connection = WebSocketConnection()
        #expect(actions(&connection, clientFrame(0x2, [0xFF, 0xFE])) == [.deliver(WebSocketMessage(opcode: .binary, data: [0xFF, 0xFE]))])
    }

    @Test func messageOverTheLimitAcrossFragmentsIs1009() {
        var connection = WebSocketConnection(configuration: .init(maxMessageSize: 10))
        let bytes = clientFrame(0x2, Array(repeating: 0, count: 6), fin: false) + clientFrame(0x0, Array(repeating: 0, count: 6))
        #expect(failure(actions(&connection, bytes)) == 1009)
    }

    @Test func frameOverTheLimitIs1009() {
        var connection = WebSocketConnection(configuration: .init(maxMessageSize: 10))
        #expect(failure(actions(&connection, clientFrame(0x2, Array(repeating: 0, count: 11)))) == 1009)
    }
}

@Suite("RFC 6455 §8.1 UTF-8 in text messages")
struct TextValidationTests {
    @Test func invalidUTF8Is1007() {
        var connection = WebSocketConnection()
        #expect(failure(actions(&connection, clientFrame(0x1, [0x48, 0xC0, 0x80]))) == 1007)
    }

    @Test func failsAtTheBadFragmentNotAtTheEnd() {
        var connection = WebSocketConnection()
        // The second fragment holds an invalid byte; the message is not finished yet.
        let result = actions(&connection, clientFrame(0x1, text("ok"), fin: false) + clientFrame(0x0, [0xF5], fin: false))
        #expect(failure(result) == 1007)
    }

    @Test func aCodePointSplitAcrossFragmentsIsFine() {
        var connection = WebSocketConnection()
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        let result = actions(&connection, clientFrame(0x1, [euro[0]], fin: false) + clientFrame(0x0, Array(euro[1...])))
        #expect(result == [.deliver(WebSocketMessage(opcode: .text, data: euro))])
    }

    @Test func aTruncatedCodePointAtTheEndIs1007() {
        var connection = WebSocketConnection()
        #expect(failure(actions(&connection, clientFrame(0x1, [0xE2, 0x82]))) == 1007)
    }
}

@Suite("RFC 6455 §7 closing the connection")
struct CloseTests {
    @Test func echoesTheCloseCodeAndClosesTheTransport() {
        var connection = WebSocketConnection()
        let result = actions(&connection, clientFrame(0x8, [0x0B, 0xB8] + text("bye")))  // 3000
        #expect(result == [.peerClosed(WebSocketCloseCode(rawValue: 3000)), .send([0x88, 0x02, 0x0B, 0xB8]), .closeTransport])
        #expect(connection.state == .closed)
    }

    @Test func emptyCloseIsAnsweredWithAnEmptyClose() {
        var connection = WebSocketConnection()
        #expect(actions(&connection, clientFrame(0x8, [])) == [.peerClosed(nil), .send([0x88, 0x00]), .closeTransport])
    }

    @Test(arguments: [UInt16(0), 999, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 5000, 65535])
    func invalidCloseCodesAre1002(code: UInt16) {
        var connection = WebSocketConnection()
        #expect(failure(actions(&connection, clientFrame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)]))) == 1002)
    }

    @Test(arguments: [UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999])
    func validCloseCodesAreEchoed(code: UInt16) {
        var connection = WebSocketConnection()
        let result = actions(&connection, clientFrame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)]))
        #expect(failure(result) == code)
    }

    @Test func oneByteClosePayloadIs1002() {
        var connection = WebSocketConnection()
        #expect(failure(actions(&connection, clientFrame(0x8, [0x03]))) == 1002)
    }

    @Test func closeReasonMustBeUTF8() {
        var connection = WebSocketConnection()
        #expect(failure(actions(&connection, clientFrame(0x8, [0x03, 0xE8, 0xFF]))) == 1007)
    }

    @Test func afterOurCloseDataIsDroppedAndThePeersCloseEndsIt() {
        var connection = WebSocketConnection()
        let frame = connection.close(code: .goingAway, reason: "bye")
        #expect(frame.map { closeCode(of: $0) } == 1001)
        #expect(connection.close(code: .goingAway) == nil, "only one close")
        let result = actions(&connection, clientFrame(0x1, text("late")) + clientFrame(0x9, []) + clientFrame(0x8, [0x03, 0xE9]))
        #expect(result == [.peerClosed(.goingAway), .closeTransport])
    }

    @Test func nothingIsReadAfterTheConnectionFailed() {
        var connection = WebSocketConnection()
        _ = actions(&connection, [0x81, 0x00])  // unmasked
        #expect(actions(&connection, clientFrame(0x1, text("x"))).isEmpty)
    }
}
