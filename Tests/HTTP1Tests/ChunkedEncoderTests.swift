import Testing
@testable import HTTP1

/// RFC 9112 §7.1: chunk sizes in hex, each chunk's data followed by CRLF, a zero-size last
/// chunk, and no `Content-Length` beside `Transfer-Encoding: chunked` (§6.2).
@Suite("RFC 9112 §7.1 chunked transfer coding")
struct ChunkedEncoderTests {
    @Test func aChunkIsItsSizeInHexThenItsDataEachEndingCRLF() {
        #expect(ChunkedEncoder.chunk(Array("hello".utf8)) == Array("5\r\nhello\r\n".utf8))
        let sixteen = [UInt8](repeating: 0x61, count: 16)
        #expect(ChunkedEncoder.chunk(sixteen) == Array("10\r\n".utf8) + sixteen + [0x0D, 0x0A])
        let big = [UInt8](repeating: 0x62, count: 0x1F3A)
        #expect(Array(ChunkedEncoder.chunk(big).prefix(6)) == Array("1f3a\r\n".utf8))
    }

    @Test(arguments: [(1, "1"), (9, "9"), (10, "a"), (15, "f"), (16, "10"), (255, "ff"), (256, "100"), (65_536, "10000")])
    func sizesAreLowerCaseHexWithoutLeadingZeros(value: Int, hex: String) {
        var out: [UInt8] = []
        ChunkedEncoder.appendHex(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == hex)
    }

    /// A chunk of size zero is the last chunk: empty data must write nothing, or a page
    /// without rows would end the body early.
    @Test func emptyDataWritesNoChunk() {
        #expect(ChunkedEncoder.chunk([]).isEmpty)
        #expect(ChunkedEncoder.lastChunk == Array("0\r\n\r\n".utf8))
    }

    @Test func theHeadSaysChunkedAndHasNoContentLength() {
        var response = HTTPResponse(status: .ok)
        response.headers.add(name: "Content-Type", value: "text/csv")
        let head = String(decoding: response.serializeChunkedHead(keepAlive: false), as: UTF8.self)
        #expect(head == "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        #expect(!head.lowercased().contains("content-length"))
    }

    /// What the encoder writes, the project's own client parser reads back whole.
    @Test func headChunksAndLastChunkParseBack() throws {
        var response = HTTPResponse(status: .ok)
        response.headers.add(name: "Content-Type", value: "application/x-ndjson")
        var wire = response.serializeChunkedHead(keepAlive: true)
        let lines = (0..<300).map { Array("{\"n\":\($0)}\n".utf8) }
        var expected: [UInt8] = []
        for line in lines {
            ChunkedEncoder.append(chunkOf: line, to: &wire)
            ChunkedEncoder.append(chunkOf: [], to: &wire)
            expected += line
        }
        wire += ChunkedEncoder.lastChunk
        var parser = HTTPResponseParser()
        // Byte by byte: the parser must not need the whole message at once.
        var parsed: HTTPClientResponse?
        for byte in wire {
            #expect(parsed == nil)
            parser.append([byte])
            parsed = try parser.response()
        }
        #expect(parsed?.statusCode == 200)
        #expect(parsed?.body == expected)
    }
}
