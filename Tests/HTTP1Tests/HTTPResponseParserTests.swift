import Testing
@testable import HTTP1

@Suite("HTTP/1.1 response parser")
struct HTTPResponseParserTests {
    @Test func aContentLengthBodyArrivingByteByByteIsCompleteOnlyAtItsLength() throws {
        let wire = Array("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 5\r\nX: y\r\n\r\nhello".utf8)
        // A 204 has no body, whatever follows.
        var first = HTTPResponseParser()
        first.append(Array(wire.prefix(27)))
        #expect(try first.response()?.statusCode == 204)
        var parser = HTTPResponseParser()
        var result: HTTPClientResponse?
        for byte in wire.dropFirst(27) {
            #expect(result == nil)
            parser.append([byte])
            result = try parser.response()
        }
        #expect(result?.statusCode == 201 && result?.reason == "Created" && result?.headers["x"] == "y")
        #expect(result?.body == Array("hello".utf8))
    }

    @Test func aBodyDelimitedByTheCloseEndsAtEndOfStreamAndAShortOneIsTruncated() throws {
        var parser = HTTPResponseParser()
        parser.append(Array("HTTP/1.0 200 ok\r\nContent-Type: text/html\r\n\r\n<html>".utf8))
        #expect(try parser.response() == nil)
        #expect(try parser.response(atEndOfStream: true)?.body == Array("<html>".utf8))
        var short = HTTPResponseParser()
        short.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(throws: HTTPResponseParseError.truncated) { try short.response(atEndOfStream: true) }
    }

    @Test func malformedStatusLinesAndOversizedBodiesAreRefused() {
        for head in ["HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n"] {
            var parser = HTTPResponseParser()
            parser.append(Array(head.utf8))
            #expect(throws: HTTPResponseParseError.self) { try parser.response() }
        }
        var big = HTTPResponseParser()
        big.maxBodySize = 4
        big.append(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8))
        #expect(throws: HTTPResponseParseError.bodyTooLarge) { try big.response() }
    }
}
