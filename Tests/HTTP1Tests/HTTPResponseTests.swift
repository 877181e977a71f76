import Testing
@testable import HTTP1

@Suite("HTTP/1.1 response serializer")
struct HTTPResponseTests {
    @Test func aHeaderValueCannotEndItsFieldAndStartAnother() throws {
        var response = HTTPResponse(status: .ok)
        response.headers.add(name: "LiveHub-Unanswered-Nodes", value: "node-1\r\nSet-Cookie: x=1\r\n\r\n<script>\0")
        let text = String(decoding: response.serialize(keepAlive: true), as: UTF8.self)
        #expect(!text.contains("\r\nSet-Cookie"))
        #expect(text.contains("LiveHub-Unanswered-Nodes: node-1  Set-Cookie: x=1    <script> \r\n"))
        var parser = HTTPResponseParser()
        parser.append(response.serialize(keepAlive: true))
        let parsed = try parser.response()
        #expect(parsed?.headers["set-cookie"] == nil && parsed?.statusCode == 200)
    }
}
