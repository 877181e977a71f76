import Hub
import JSON
import WebSocket

/// `/ws/track`: one storefront tab sending beacons (the same bodies as the HTTP beacons,
/// with a `"type"`). The first beacon binds the socket to its session; closing the socket
/// ends that tab's presence.
final class TrackSocket: WebSocketRole {
    /// The browser's address and user agent, as the handshake gave them (only this role
    /// records them, so only its sockets hold them).
    private let client: ClientInfo
    /// The session this socket reports for, once a beacon named it.
    private var session: String?

    init(client: ClientInfo) {
        self.client = client
    }

    func received(_ message: WebSocketMessage, on socket: WebSocketEndpointConnection) {
        let context = socket.context
        do throws(APIError) {
            try context.limits.check(.beacon, key: socket.rateKey, now: context.loop.turnTime)
            let body: JSONValue
            do {
                body = try JSONParser.parse(message.data)
            } catch {
                throw Beacon.invalid("not JSON: \(error.reason)")
            }
            guard let type = body["type"]?.stringValue else { throw Beacon.invalid("type is required") }
            guard let kind = BeaconKind(rawValue: type) else { throw Beacon.invalid("unknown beacon type \(type)") }
            let beacon = try Beacon.parse(kind: kind, body: body, phones: context.configuration.phones)
            let named = beacon.sessionID
            let opens = session != named
            if opens {
                if let previous = session { _ = context.hubClient.submit(.tabClosed(previous), replyTo: nil) }
                session = named
            }
            // The beacon before the tab: a session-start that begins the session names where it
            // came from (referrer, UTM tags) before the day counts it as a visitor.
            _ = context.hubClient.submit(.beacon(beacon, client), replyTo: nil)
            if opens, !beacon.isSessionEnd { _ = context.hubClient.submit(.tabOpened(named, client), replyTo: nil) }
            if case .sessionStart = beacon {
                var json = JSONWriter()
                json.beginObject()
                json.field("type", "session")
                json.field("session_id", named)
                json.endObject()
                socket.sendText(json.bytes)
            }
            if case .sessionEnd = beacon { session = nil }
        } catch {
            // Refusals are not queued for a client that does not read them.
            guard socket.tcp.queuedBytes <= context.configuration.highWatermark else { return }
            var json = JSONWriter()
            json.beginObject()
            json.field("type", "error")
            APIError.writeMember(into: &json, code: error.code, message: error.message)
            json.endObject()
            socket.sendText(json.bytes)
        }
    }

    func closed(_ socket: WebSocketEndpointConnection) {
        guard let ended = session else { return }
        session = nil
        _ = socket.context.hubClient.submit(.tabClosed(ended), replyTo: nil)
    }
}

private extension Beacon {
    var isSessionEnd: Bool {
        if case .sessionEnd = self { return true }
        return false
    }
}
