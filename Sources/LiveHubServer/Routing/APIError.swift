import HTTP1
import JSON
import WebSocket

/// The one place an error becomes an HTTP answer: `{"error": {"code", "message"}}` with
/// its status (contract v1).
public struct APIError: Error, Sendable {
    public let status: HTTPStatus
    public let code: String
    public let message: String
    public var headers = HTTPHeaders()
    /// One more member of the error object, as JSON (a 409's stored transaction).
    public var detail: (name: String, json: [UInt8])?

    public init(_ status: HTTPStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func notFound(_ path: Substring) -> APIError {
        APIError(.notFound, code: "not_found", message: "no route for \(path)")
    }

    public static func methodNotAllowed(_ allowed: String) -> APIError {
        var error = APIError(.methodNotAllowed, code: "method_not_allowed", message: "use \(allowed)")
        error.headers.add(name: "Allow", value: allowed)
        return error
    }

    public init(_ error: HTTPParseError) {
        let code: String
        switch error {
        case .headTooLarge: code = "head_too_large"
        case .bodyTooLarge: code = "body_too_large"
        case .malformed: code = "bad_request"
        case .unsupportedTransferEncoding: code = "unsupported_transfer_encoding"
        case .unsupportedVersion: code = "unsupported_http_version"
        }
        self.init(error.status, code: code, message: error.message)
    }

    public init(_ error: HandshakeError) {
        self.init(error.status, code: "websocket_handshake", message: error.message)
        for (name, value) in error.headers { headers.add(name: name, value: value) }
    }

    /// The answer to plain HTTP on the TLS port (sent by the transport, which knows no HTTP).
    static let tlsRequired = APIError(.badRequest, code: "tls_required", message: "this port speaks TLS: use https:// or wss://")

    /// `{"error": {"code": ..., "message": ...}}`
    static func body(code: String, message: String, detail: (name: String, json: [UInt8])? = nil) -> String {
        var json = JSONWriter()
        json.beginObject()
        writeMember(into: &json, code: code, message: message, detail: detail)
        json.endObject()
        return json.text
    }

    /// The `"error": {"code", "message"}` member, the same in an HTTP answer and in a
    /// WebSocket message (`{"type": "error", "error": …}`).
    static func writeMember(into json: inout JSONWriter, code: String, message: String, detail: (name: String, json: [UInt8])? = nil) {
        json.key("error")
        json.beginObject()
        json.field("code", code)
        json.field("message", message)
        if let detail {
            json.key(detail.name)
            json.raw(String(decoding: detail.json, as: UTF8.self))
        }
        json.endObject()
    }

    public var response: HTTPResponse {
        var response = HTTPResponse(status: status, contentType: "application/json",
                                    body: Self.body(code: code, message: message, detail: detail))
        for (name, value) in headers { response.headers.add(name: name, value: value) }
        return response
    }
}
