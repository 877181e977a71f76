import HTTP1
import Testing

/// Feeds `text` to a parser, optionally one byte at a time, and collects what comes out.
private func parse(_ text: String, limits: HTTPRequestParser.Limits = .init(), byteByByte: Bool = false) throws(HTTPParseError) -> [HTTPRequest] {
    var parser = HTTPRequestParser(limits: limits)
    var requests: [HTTPRequest] = []
    let bytes = Array(text.utf8)
    let chunks: [[UInt8]] = byteByByte ? bytes.map { [$0] } : [bytes]
    for chunk in chunks {
        parser.append(chunk)
        while let event = try parser.next() {
            if case .request(let request) = event { requests.append(request) }
        }
    }
    return requests
}

private func parseError(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPParseError? {
    do {
        _ = try parse(text, limits: limits)
        return nil
    } catch {
        return error
    }
}

@Suite("RFC 9112 §3 request line and §5 fields")
struct RequestHeadTests {
    @Test(arguments: [false, true])
    func parsesAGet(byteByByte: Bool) throws {
        let requests = try parse("GET /api/x?y=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  spaced value \t\r\n\r\n", byteByByte: byteByByte)
        #expect(requests.count == 1)
        let head = try #require(requests.first).head
        #expect(head.method == "GET")
        #expect(head.target == "/api/x?y=1")
        #expect(head.path == "/api/x")
        #expect(head.query == "y=1")
        #expect(head.minorVersion == 1)
        #expect(head.headers["x-thing"] == "spaced value")
        #expect(head.headers["HOST"] == "a")
    }

    @Test func keepAliveDefaults() throws {
        #expect(try parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n")[0].head.keepAlive)
        #expect(try !parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")[0].head.keepAlive)
        #expect(try !parse("GET / HTTP/1.0\r\n\r\n")[0].head.keepAlive)
        #expect(try parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")[0].head.keepAlive)
    }

    @Test func ignoresEmptyLinesBeforeTheRequestLine() throws {
        #expect(try parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").count == 1)
    }

    @Test func pipelinedRequestsComeOutInOrder() throws {
        let requests = try parse("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(requests.map(\.head.target) == ["/1", "/2", "/3"])
        #expect(requests[1].body == Array("abc".utf8))
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "whitespace before colon (§5.1)"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n  folded\r\n\r\n", "obs-fold (§5.2)"),
        ("GET / HTTP/1.1\nHost: a\n\n", "bare LF"),
        ("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", "bare CR"),
        ("GET / HTTP/1.1\r\n\r\n", "missing Host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "two Hosts"),
        ("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", "double space"),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", "method not a token"),
        ("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", "version"),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", "version case"),
        ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", "field without colon"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", "control byte in value"),
    ])
    func malformedHeadsAreRefused(text: String, why: String) {
        let error = parseError(text)
        #expect(error?.status == .badRequest, "\(why)")
    }

    @Test func otherHTTPVersionsGet505() {
        #expect(parseError("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == .unsupportedVersion)
        #expect(HTTPParseError.unsupportedVersion.status.code == 505)
    }

    @Test func headOverTheLimitIs431EvenBeforeItEnds() {
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 17 * 1024)
        #expect(parseError(big) == .headTooLarge)
        #expect(parseError(big + "\r\n\r\n") == .headTooLarge)
        #expect(HTTPParseError.headTooLarge.status.code == 431)
        // Just under the limit is fine.
        let fits = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 16 * 1024 - 40) + "\r\n\r\n"
        #expect(parseError(fits) == nil)
    }

    @Test func tooManyHeaderFieldsIs431() {
        let many = "GET / HTTP/1.1\r\nHost: a\r\n" + (0..<101).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(parseError(many) == .headTooLarge)
    }

    @Test func afterAnErrorTheParserStaysFailed() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
    }
}

@Suite("RFC 9112 §6 and §7 message bodies")
struct BodyTests {
    @Test(arguments: [false, true])
    func contentLengthBody(byteByByte: Bool) throws {
        let requests = try parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", byteByByte: byteByByte)
        #expect(requests.first?.body == Array("hello world".utf8))
    }

    @Test(arguments: [false, true])
    func chunkedBodyWithExtensionsAndTrailers(byteByByte: Bool) throws {
        let text = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
        let requests = try parse(text, byteByByte: byteByByte)
        #expect(requests.first?.body == Array("hello world".utf8))
    }

    @Test func bodyOverTheLimitIs413FromTheHeader() {
        let limits = HTTPRequestParser.Limits(maxBodySize: 10)
        #expect(parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: limits) == .bodyTooLarge)
        #expect(parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n") == .bodyTooLarge)
        #expect(HTTPParseError.bodyTooLarge.status.code == 413)
    }

    @Test func chunkedBodyOverTheLimitIs413() {
        let limits = HTTPRequestParser.Limits(maxBodySize: 10)
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n"
        #expect(parseError(text, limits: limits) == .bodyTooLarge)
        #expect(parseError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n") == .bodyTooLarge)
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ])
    func ambiguousOrBrokenFramingIs400(text: String) {
        #expect(parseError(text)?.status == .badRequest)
    }

    @Test func identicalRepeatedContentLengthIsAccepted() throws {
        let requests = try parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc")
        #expect(requests.first?.body == Array("abc".utf8))
    }

    @Test func unknownTransferCodingIs501() {
        #expect(parseError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == .unsupportedTransferEncoding)
        #expect(HTTPParseError.unsupportedTransferEncoding.status.code == 501)
    }

    @Test func expectContinueIsAnnouncedOnceBeforeTheBody() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        guard case .expectsContinue(let head)? = try parser.next() else {
            Issue.record("expected a 100-continue announcement")
            return
        }
        #expect(head.target == "/")
        #expect(try parser.next() == nil)
        parser.append(Array("abc".utf8))
        guard case .request(let request)? = try parser.next() else {
            Issue.record("expected the request")
            return
        }
        #expect(request.body == Array("abc".utf8))
    }

    @Test func bytesAfterAnUpgradeRequestAreHandedOver() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}".utf8))
        guard case .request? = try parser.next() else {
            Issue.record("expected the request")
            return
        }
        #expect(parser.takeUnconsumed() == [0xC2, 0x81, 0x05])
    }
}

@Suite("Responses")
struct ResponseTests {
    @Test func serializesWithLengthAndConnection() {
        let response = HTTPResponse(status: .notFound, contentType: "application/json", body: "{}")
        let text = String(decoding: response.serialize(keepAlive: false), as: UTF8.self)
        #expect(text == "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    }

    @Test func switchingProtocolsHasNoLength() {
        let text = String(decoding: HTTPResponse(status: .switchingProtocols).serialize(keepAlive: true), as: UTF8.self)
        #expect(text == "HTTP/1.1 101 Switching Protocols\r\n\r\n")
    }

    @Test func headAnswerHasTheLengthButNoBody() {
        let response = HTTPResponse(status: .ok, contentType: "text/plain", body: "hello")
        let text = String(decoding: response.serialize(keepAlive: true, headOnly: true), as: UTF8.self)
        #expect(text.hasSuffix("Content-Length: 5\r\n\r\n"))
    }
}
