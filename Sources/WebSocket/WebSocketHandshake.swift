import HTTP1

/// The opening handshake, server side (RFC 6455 §4.2).
public enum WebSocketHandshake {
    /// §1.3: the GUID appended to the client's key.
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// §4.2.2 step 5.4: base64(SHA-1(key + GUID)).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.digest(Array((key + guid).utf8)))
    }

    /// True when the request asks for a WebSocket (so a failed handshake is answered as one).
    public static func isUpgradeRequest(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains("Upgrade", token: "websocket")
    }

    /// The 101 answer to a valid handshake request, or the error answer that refuses it.
    public static func response(to head: HTTPRequestHead) -> Result<HTTPResponse, HandshakeError> {
        // §4.2.1: GET, HTTP/1.1 or higher, Upgrade: websocket, Connection: Upgrade,
        // a 16-byte base64 key, version 13.
        guard head.method == "GET" else { return .failure(.methodNotGet) }
        guard head.minorVersion >= 1 else { return .failure(.httpVersion) }
        guard head.headers.contains("Upgrade", token: "websocket") else { return .failure(.missingUpgrade) }
        guard head.headers.contains("Connection", token: "upgrade") else { return .failure(.missingConnectionUpgrade) }
        let versions = head.headers.values("Sec-WebSocket-Version")
        guard versions.count == 1, versions[0].trimmingOWS() == "13" else { return .failure(.unsupportedVersion) }
        let keys = head.headers.values("Sec-WebSocket-Key")
        guard keys.count == 1, let decoded = Base64.decode(keys[0].trimmingOWS()), decoded.count == 16 else {
            return .failure(.invalidKey)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Upgrade", value: "websocket")
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Sec-WebSocket-Accept", value: acceptValue(forKey: String(keys[0].trimmingOWS())))
        return .success(HTTPResponse(status: .switchingProtocols, headers: headers))
    }
}

/// Why a handshake was refused, and the HTTP answer for each.
public enum HandshakeError: Error, Equatable, Sendable {
    case methodNotGet
    case httpVersion
    case missingUpgrade
    case missingConnectionUpgrade
    case unsupportedVersion
    case invalidKey

    public var status: HTTPStatus {
        switch self {
        case .methodNotGet: return .methodNotAllowed
        case .missingUpgrade, .unsupportedVersion: return .upgradeRequired
        case .httpVersion, .missingConnectionUpgrade, .invalidKey: return .badRequest
        }
    }

    /// §4.4: a version we do not speak is answered with the versions we do.
    public var headers: HTTPHeaders {
        switch self {
        case .unsupportedVersion: return HTTPHeaders([("Sec-WebSocket-Version", "13")])
        case .missingUpgrade: return HTTPHeaders([("Upgrade", "websocket")])
        default: return HTTPHeaders()
        }
    }

    public var message: String {
        switch self {
        case .methodNotGet: return "a WebSocket handshake must be a GET"
        case .httpVersion: return "a WebSocket handshake needs HTTP/1.1"
        case .missingUpgrade: return "this endpoint speaks WebSocket: send Upgrade: websocket"
        case .missingConnectionUpgrade: return "Connection: Upgrade is missing"
        case .unsupportedVersion: return "only WebSocket version 13 is supported"
        case .invalidKey: return "Sec-WebSocket-Key must be 16 bytes in base64"
        }
    }
}
